"""Training loops for the book's experiments: optimizers, clipping, truncation, a history.

A run is ``fit(params, objective, data, steps=..., optimizer=Adam(1e-3), clip_norm=...)``:

- ``objective(params, batch) -> (loss, grads)`` is any gradient function of the library with
  its options bound (:func:`rnn_objective`, :func:`lstm_objective`, :func:`gru_objective`
  build the usual ones, truncation and masks included);
- ``data(step) -> batch`` hands out the training batches (:func:`task_data` draws fresh
  seeded batches from a task of :mod:`bpttlib.tasks`).

Parameters travel in the library's frozen containers (``RNNParams``, ``LSTMParams``,
``GRUParams``); an optimizer updates every field of whichever it gets. A step whose loss or
gradient is not finite stops the run with a readable message in ``result.stopped`` (the
parameters are those of the last good step), or raises :class:`TrainingDiverged` when asked.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
import functools
from functools import partial

import numpy as np

from . import _checks, clipping, gated, rnn, seeds, tasks
from . import params as ptree

__all__ = [
    "SGD",
    "Momentum",
    "RMSprop",
    "Adam",
    "History",
    "FitResult",
    "TrainingDiverged",
    "fit",
    "rnn_objective",
    "lstm_objective",
    "gru_objective",
    "task_data",
]


# --------------------------------------------------------------------------------------------
# Optimizers: init(params) -> state, update(params, grads, state) -> (params, state)
# --------------------------------------------------------------------------------------------


def _checked_update(update):
    """Wrap an optimizer's ``update``: ``grads`` must match ``params``; the arithmetic runs
    under ``errstate`` and an overflow is reported by :func:`_update` (FloatingPointError)."""
    @functools.wraps(update)
    def checked(self, params, grads, state):
        ptree.fields(params, "params")
        ptree.check_like(grads, params, "grads")
        with np.errstate(over="ignore", invalid="ignore"):
            params, state = update(self, params, grads, state)
        if not all(np.isfinite(a).all() for a in _state_arrays(state)):
            raise FloatingPointError(f"grads: the {type(self).__name__} state (moving averages "
                                     f"of g or g²) overflowed float64; clip the gradient")
        return params, state

    return checked


def _state_arrays(state) -> list:
    """The arrays of an optimizer state: ``None``, a dict, or a tuple of those and a count."""
    if isinstance(state, dict):
        return list(state.values())
    if isinstance(state, tuple):
        return [a for s in state for a in _state_arrays(s)]
    return []


def _lr(lr) -> float:
    return _checks.check_real(lr, "lr", positive=True)


@dataclass(frozen=True)
class SGD:
    """Plain gradient descent, ``θ ← θ − η g``."""

    lr: float = 0.01

    def __post_init__(self):
        object.__setattr__(self, "lr", _lr(self.lr))

    def init(self, params):
        return None

    @_checked_update
    def update(self, params, grads, state):
        return _update(params, ptree.apply(lambda p, g: p - self.lr * g, params, grads)), state


@dataclass(frozen=True)
class Momentum:
    """Heavy-ball momentum, ``v ← μ v + g``, ``θ ← θ − η v``."""

    lr: float = 0.01
    momentum: float = 0.9

    def __post_init__(self):
        object.__setattr__(self, "lr", _lr(self.lr))
        mu = _checks.check_real(self.momentum, "momentum", nonnegative=True)
        if mu >= 1:
            raise ValueError(f"momentum: expected a number in [0, 1), got {mu}")

    def init(self, params):
        return ptree.apply(np.zeros_like, params)

    @_checked_update
    def update(self, params, grads, state):
        v = ptree.apply(lambda g, v: self.momentum * v + g, grads, state)
        return _update(params, ptree.apply(lambda p, v: p - self.lr * v, params, v)), v


@dataclass(frozen=True)
class RMSprop:
    """``r ← ρ r + (1−ρ) g²``, ``θ ← θ − η g / (√r + ε)``."""

    lr: float = 1e-3
    decay: float = 0.9
    eps: float = 1e-8

    def __post_init__(self):
        object.__setattr__(self, "lr", _lr(self.lr))
        if not 0 <= _checks.check_real(self.decay, "decay") < 1:
            raise ValueError(f"decay: expected a number in [0, 1), got {self.decay}")
        _checks.check_real(self.eps, "eps", positive=True)

    def init(self, params):
        return ptree.apply(np.zeros_like, params)

    @_checked_update
    def update(self, params, grads, state):
        r = ptree.apply(lambda g, r: self.decay * r + (1 - self.decay) * g * g, grads, state)
        step = ptree.apply(lambda g, r: g / (np.sqrt(r) + self.eps), grads, r)
        return _update(params, ptree.apply(lambda p, s: p - self.lr * s, params, step)), r


@dataclass(frozen=True)
class Adam:
    """Adam with bias correction (Kingma & Ba 2015)."""

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self):
        object.__setattr__(self, "lr", _lr(self.lr))
        for name in ("beta1", "beta2"):
            if not 0 <= _checks.check_real(getattr(self, name), name) < 1:
                raise ValueError(f"{name}: expected a number in [0, 1), got {getattr(self, name)}")
        _checks.check_real(self.eps, "eps", positive=True)

    def init(self, params):
        return (0, ptree.apply(np.zeros_like, params), ptree.apply(np.zeros_like, params))

    @_checked_update
    def update(self, params, grads, state):
        t, m, v = state
        t += 1
        m = ptree.apply(lambda g, m: self.beta1 * m + (1 - self.beta1) * g, grads, m)
        v = ptree.apply(lambda g, v: self.beta2 * v + (1 - self.beta2) * g * g, grads, v)
        c1, c2 = 1 - self.beta1**t, 1 - self.beta2**t
        step = ptree.apply(lambda m, v: (m / c1) / (np.sqrt(v / c2) + self.eps), m, v)
        return _update(params, ptree.apply(lambda p, s: p - self.lr * s, params, step)), (t, m, v)


_OPTIMIZERS = (SGD, Momentum, RMSprop, Adam)


def _update(params, arrays: dict):
    """``params`` with the updated ``arrays``; ``FloatingPointError`` if a step overflowed
    (the containers refuse Inf/NaN, so the check comes first and names the field)."""
    for name, a in arrays.items():
        if not np.isfinite(a).all():
            raise FloatingPointError(f"update: the step overflowed field {name} of params to "
                                     f"Inf/NaN; lower lr or clip the gradient")
    return ptree.replace(params, arrays)


# --------------------------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """Per-step record of a run (length = steps completed).

    Attributes
    ----------
    loss : numpy.ndarray, shape (n,)
        Training loss of each step's batch, before the update.
    grad_norm : numpy.ndarray, shape (n,)
        Global 2-norm of the gradient, before clipping.
    clipped : numpy.ndarray of bool, shape (n,)
        Whether clipping changed the gradient at that step.
    eval_steps : numpy.ndarray of int, shape (m,)
        With ``eval_fn``: the number of updates done when each evaluation ran
        (``0, eval_every, 2·eval_every, …`` and the last step); empty otherwise.
    eval_loss : numpy.ndarray, shape (m,)
        ``eval_fn(params)`` at those points (e.g. the loss on a fixed held-out batch).
    """

    loss: np.ndarray
    grad_norm: np.ndarray
    clipped: np.ndarray
    eval_steps: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, dtype=int))
    eval_loss: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit` returns: the final parameters, the history, and why it stopped early.

    ``start`` is the point the run started from: the ``params`` given to :func:`fit`, or, in
    the knife-edge mode of :mod:`bpttlib.seeds`, those parameters perturbed.
    """

    params: object
    history: History
    stopped: str | None = None
    start: object = None


class TrainingDiverged(FloatingPointError):
    """A training step produced an infinite or NaN loss or gradient."""


class _Stop(Exception):
    """A step that cannot be taken: its loss, gradient or update is not finite."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def _stopped(step: int, what: str) -> str:
    """The one message of ``result.stopped`` (and of :class:`TrainingDiverged`)."""
    return (f"step {step}: {what}; the parameters are those after step {step - 1}. "
            f"Clip the gradient or lower the learning rate.")


def _check_callable(value, name: str, optional: bool = False):
    if (value is None and optional) or callable(value):
        return value
    expected = "a callable or None" if optional else "a callable"
    raise TypeError(f"{name}: expected {expected}, got {type(value).__name__}")


def _check_real_result(value, name: str) -> float:
    """A callback's number: a real scalar (0-d arrays allowed), as a float."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                      np.floating)):
        raise TypeError(f"{name}: expected it to return a real number, got "
                        f"{type(value).__name__}")
    return float(value)


def _gradient(objective, params, batch) -> tuple[float, object, float]:
    """``(loss, grads, ‖grads‖)`` of one batch, the callback's result checked; raises
    :class:`_Stop` when the loss or gradient is not finite."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            result = objective(params, batch)
    except FloatingPointError as exc:  # the kernels refuse to return NaN/Inf states
        raise _Stop(f"the forward pass overflowed ({exc})") from None
    except (TypeError, ValueError) as exc:  # a batch the objective rejects, or its own bug
        raise type(exc)(f"objective, data: objective(params, batch) raised on the batch from "
                        f"data: {exc}") from exc
    if not isinstance(result, tuple) or len(result) != 2:
        raise TypeError(f"objective: expected it to return a tuple (loss, grads), got "
                        f"{type(result).__name__}")
    loss = _check_real_result(result[0], "objective")
    grads = ptree.check_like(result[1], params, "objective")
    norm = ptree.global_norm(grads, "objective")
    if not (math.isfinite(loss) and math.isfinite(norm)):
        what = "loss" if not math.isfinite(loss) else "gradient"
        raise _Stop(f"the {what} overflowed (loss {loss:.3g}, gradient norm {norm:.3g})")
    return loss, grads, norm


def _clip(grads, norm: float, clip_norm: float | None, clip_value: float | None):
    """The clipped gradient and whether clipping changed it (eq-clip-norm, eq-clip-value)."""
    was_clipped = False
    if clip_norm is not None:
        grads, _ = clipping.clip_by_norm(grads, clip_norm)
        was_clipped = norm >= clip_norm
    if clip_value is not None:
        was_clipped |= any(float(np.max(np.abs(a), initial=0.0)) > clip_value
                           for _, a in ptree.fields(grads, "grads"))
        grads = clipping.clip_by_value(grads, clip_value)
    return grads, was_clipped


def _apply_update(optimizer, params, grads, state):
    """One optimizer step; raises :class:`_Stop` when it overflows the parameters."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            return optimizer.update(params, grads, state)
    except FloatingPointError:
        raise _Stop("the update overflowed the parameters") from None


class _Evaluations:
    """``eval_fn`` at the scheduled steps, at most once per number of updates done."""

    def __init__(self, eval_fn, eval_every):
        self.fn, self.every, self.done = eval_fn, eval_every, []

    def due(self, step: int) -> bool:
        return step == 0 if self.every is None else step % self.every == 0

    def __call__(self, done: int, params) -> None:
        if self.fn is None or (self.done and self.done[-1][0] == done):
            return
        try:
            value = _check_real_result(self.fn(params), "eval_fn")
            if not math.isfinite(value):
                raise ValueError(f"eval_fn: expected it to return a finite number, got {value} "
                                 f"(raise FloatingPointError to record an overflow as inf)")
        except FloatingPointError:  # the kernels refuse to return Inf/NaN: the loss overflowed
            value = math.inf
        self.done.append((done, value))


def _check_fit_options(params, objective, data, steps, optimizer, clip_norm, clip_value,
                       on_nonfinite, eval_fn, eval_every) -> dict:
    """Every argument of :func:`fit` checked, before anything runs."""
    ptree.fields(params, "params")
    _check_callable(objective, "objective")
    _check_callable(data, "data")
    optimizer = Adam() if optimizer is None else optimizer
    if not isinstance(optimizer, _OPTIMIZERS):
        raise TypeError(
            f"optimizer: expected SGD, Momentum, RMSprop or Adam, got {type(optimizer).__name__}"
        )
    if clip_norm is not None:
        clip_norm = _checks.check_real(clip_norm, "clip_norm", positive=True)
    if clip_value is not None:
        clip_value = _checks.check_real(clip_value, "clip_value", positive=True)
    _check_callable(eval_fn, "eval_fn", optional=True)
    if eval_every is not None:
        if eval_fn is None:
            raise ValueError("eval_every: given without eval_fn; pass eval_fn as well")
        eval_every = _checks.check_positive_int(eval_every, "eval_every")
    return dict(
        steps=_checks.check_size(steps, "steps"), optimizer=optimizer,
        clip_norm=clip_norm, clip_value=clip_value,
        on_nonfinite=_checks.check_name(on_nonfinite, "on_nonfinite", ("stop", "raise")),
        evaluate=_Evaluations(eval_fn, eval_every),
    )


def fit(
    params,
    objective: Callable,
    data: Callable[[int], object],
    *,
    steps: int,
    optimizer=None,
    clip_norm: float | None = None,
    clip_value: float | None = None,
    on_nonfinite: str = "stop",
    progress: bool = False,
    desc: str = "training",
    eval_fn: Callable | None = None,
    eval_every: int | None = None,
) -> FitResult:
    """Train ``params`` for ``steps`` steps of ``optimizer`` on batches from ``data``.

    Parameters
    ----------
    params : RNNParams, LSTMParams or GRUParams
        Initial parameters (not modified).
    objective : callable
        ``objective(params, batch) -> (loss, grads)``, grads in the container of ``params``.
    data : callable
        ``data(step) -> batch`` for ``step = 0 … steps-1``; seeded, so a run is repeatable.
    steps : int
        Number of updates, at least 1.
    optimizer : SGD, Momentum, RMSprop or Adam, optional
        Default ``Adam(lr=1e-3)``.
    clip_norm : float, optional
        Rescale each gradient to global norm at most this (:func:`bpttlib.clipping.clip_by_norm`).
    clip_value : float, optional
        Clip each gradient entry to ``[-clip_value, clip_value]``.
    on_nonfinite : {"stop", "raise"}
        What a step with an infinite or NaN loss or gradient does: stop the run and explain in
        ``result.stopped`` (the default), or raise :class:`TrainingDiverged`.
    progress : bool
        Show a tqdm progress bar (a widget in notebooks) with the current loss.
    desc : str
        Label of the progress bar.
    eval_fn : callable, optional
        ``eval_fn(params) -> float``, e.g. the loss on a fixed held-out batch. It runs before
        the first update, after every ``eval_every`` updates, and after the last one (also when
        the run stops early); the values land in ``history.eval_steps``/``history.eval_loss``
        (``inf`` where the evaluation raised ``FloatingPointError``, e.g. at the step where a
        diverging run stopped). It must return a finite real number otherwise.
    eval_every : int, optional
        Updates between evaluations (needs ``eval_fn``); default: only at the start and end.

    Returns
    -------
    FitResult
        ``params`` after the last good step, the :class:`History`, and ``stopped`` (``None``
        when all steps ran).

    Raises
    ------
    TypeError, ValueError
        For a wrong argument, or when ``objective``/``eval_fn`` return something else than
        documented (the message names the callback): ``objective`` must return a real ``loss``
        and ``grads`` in the container type of ``params`` with the same field shapes.
    TrainingDiverged
        With ``on_nonfinite="raise"``, instead of stopping.

    Notes
    -----
    One step: ``(L, g) = objective(θ, batch)``; ``g`` clipped (eq-clip-norm or eq-clip-value);
    ``θ ← optimizer(θ, g)``.
    """
    opt = _check_fit_options(params, objective, data, steps, optimizer, clip_norm, clip_value,
                             on_nonfinite, eval_fn, eval_every)
    optimizer, evaluate = opt["optimizer"], opt["evaluate"]
    params = start = seeds.perturb_start(params)  # unchanged unless the knife-edge mode is on
    state = optimizer.init(params)
    rows: list[tuple[float, float, bool]] = []  # (loss, gradient norm, clipped) per step
    stopped = None
    bar = _progress(opt["steps"], desc) if progress else None
    try:
        for step in range(opt["steps"]):
            if evaluate.due(step):
                evaluate(step, params)
            try:
                loss, grads, norm = _gradient(objective, params, data(step))
                grads, was_clipped = _clip(grads, norm, opt["clip_norm"], opt["clip_value"])
                params, state = _apply_update(optimizer, params, grads, state)
            except _Stop as stop:
                stopped = _stopped(step, stop.what)
                if opt["on_nonfinite"] == "raise":
                    raise TrainingDiverged(stopped) from None
                break
            rows.append((loss, norm, was_clipped))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
        evaluate(len(rows), params)
    finally:
        if bar is not None:
            bar.close()
    return FitResult(params=params, history=_history(rows, evaluate.done), stopped=stopped,
                     start=start)


def _history(rows, evaluations) -> History:
    loss, norm, clipped = (np.array(c) for c in zip(*rows)) if rows else ([], [], [])
    return History(
        np.asarray(loss, dtype=float), np.asarray(norm, dtype=float),
        np.asarray(clipped, dtype=bool),
        np.array([d for d, _ in evaluations], dtype=int),
        np.array([v for _, v in evaluations], dtype=float),
    )


def _progress(total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


# --------------------------------------------------------------------------------------------
# Objectives and data
# --------------------------------------------------------------------------------------------


def _objective(grad_fn, **options):
    def objective(params, batch):
        if not isinstance(batch, tuple) or len(batch) != 3:
            raise TypeError(f"batch: expected a tuple (xs, targets, mask), got "
                            f"{type(batch).__name__}"
                            + (f" of length {len(batch)}" if isinstance(batch, tuple) else ""))
        xs, targets, mask = batch
        return grad_fn(params, xs, targets, mask=mask, **options)

    return objective


def rnn_objective(*, activation: str = "tanh", loss: str = "mse", truncate: int | None = None):
    """``objective(params, (xs, targets, mask))`` for :func:`bpttlib.rnn.bptt`."""
    return _objective(rnn.bptt, activation=activation, loss=loss, truncate=truncate)


def lstm_objective(*, loss: str = "mse"):
    """``objective(params, (xs, targets, mask))`` for :func:`bpttlib.gated.lstm_bptt`."""
    return _objective(gated.lstm_bptt, loss=loss)


def gru_objective(*, loss: str = "mse"):
    """``objective(params, (xs, targets, mask))`` for :func:`bpttlib.gated.gru_bptt`."""
    return _objective(gated.gru_bptt, loss=loss)


def task_data(task: str, *, batch_size: int, T: int, seed: int = 0) -> Callable[[int], tuple]:
    """Fresh batches of a task: ``data(step) -> (xs, targets, mask)``.

    Parameters
    ----------
    task : {"adding", "copy", "agreement"}
        A key of :data:`bpttlib.tasks.TASKS`:
        :func:`bpttlib.tasks.adding_problem` (many-to-one, mse),
        :func:`bpttlib.tasks.copy_task` (many-to-many, xent),
        :func:`bpttlib.tasks.agreement_task` (many-to-one, xent).
    batch_size : int
        Sequences per batch ``B``.
    T : int
        The task's length parameter.
    seed : int
        Batch ``step`` is drawn with seed ``seed * 1_000_003 + step``: runs are repeatable,
        and different seeds give different data.

    Returns
    -------
    callable
        ``data(step)`` returning ``xs (T', B, I)``, ``targets`` and ``mask`` (``None`` for a
        many-to-many task) ready for the objectives above.
    """
    spec = tasks.TASKS[_checks.check_name(task, "task", tuple(tasks.TASKS))]
    batch_size = _checks.check_size(batch_size, "batch_size")
    T = _checks.check_size(T, "T")
    seed = _checks.check_seed(seed)
    make = partial(spec.make, batch_size, T)

    def data(step: int):
        step = _checks.check_int(step, "step", minimum=0)
        xs, targets = make(seed=seed * 1_000_003 + step)
        if not spec.many_to_one:
            return xs, targets, None
        seq_targets, mask = tasks.many_to_one(targets, xs.shape[0])
        return xs, seq_targets, mask

    return data
