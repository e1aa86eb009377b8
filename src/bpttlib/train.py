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
from functools import partial

import numpy as np

from . import _checks, clipping, gated, rnn, seeds, tasks

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
# Field-wise arithmetic on parameter containers
# --------------------------------------------------------------------------------------------


def _names(params) -> tuple[str, ...]:
    if not dataclasses.is_dataclass(params) or isinstance(params, type):
        raise TypeError(
            f"params: expected a parameter container (RNNParams, LSTMParams, GRUParams), "
            f"got {type(params).__name__}"
        )
    return tuple(f.name for f in dataclasses.fields(params))


def _apply(fn: Callable[..., np.ndarray], *trees) -> dict:
    """``fn`` field by field over containers (or dicts by field name) of the same fields."""
    first = trees[0]
    names = tuple(first) if isinstance(first, dict) else _names(first)
    return {
        n: fn(*(t[n] if isinstance(t, dict) else getattr(t, n) for t in trees)) for n in names
    }


def _replace(params, arrays: dict):
    return dataclasses.replace(params, **arrays)


# --------------------------------------------------------------------------------------------
# Optimizers: init(params) -> state, update(params, grads, state) -> (params, state)
# --------------------------------------------------------------------------------------------


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

    def update(self, params, grads, state):
        return _replace(params, _apply(lambda p, g: p - self.lr * g, params, grads)), state


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
        return _apply(np.zeros_like, params)

    def update(self, params, grads, state):
        v = _apply(lambda g, v: self.momentum * v + g, grads, state)
        return _replace(params, _apply(lambda p, v: p - self.lr * v, params, v)), v


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
        return _apply(np.zeros_like, params)

    def update(self, params, grads, state):
        r = _apply(lambda g, r: self.decay * r + (1 - self.decay) * g * g, grads, state)
        step = _apply(lambda g, r: g / (np.sqrt(r) + self.eps), grads, r)
        return _replace(params, _apply(lambda p, s: p - self.lr * s, params, step)), r


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
        return (0, _apply(np.zeros_like, params), _apply(np.zeros_like, params))

    def update(self, params, grads, state):
        t, m, v = state
        t += 1
        m = _apply(lambda g, m: self.beta1 * m + (1 - self.beta1) * g, grads, m)
        v = _apply(lambda g, v: self.beta2 * v + (1 - self.beta2) * g * g, grads, v)
        c1, c2 = 1 - self.beta1**t, 1 - self.beta2**t
        step = _apply(lambda m, v: (m / c1) / (np.sqrt(v / c2) + self.eps), m, v)
        return _replace(params, _apply(lambda p, s: p - self.lr * s, params, step)), (t, m, v)


_OPTIMIZERS = (SGD, Momentum, RMSprop, Adam)


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


def _grad_norm(grads) -> float:
    """Global 2-norm over all fields, without overflow for finite entries (inf otherwise)."""
    arrays = [getattr(grads, n) for n in _names(grads)]
    if not all(np.isfinite(a).all() for a in arrays):
        return math.inf
    scale = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=0.0)
    if scale == 0.0:
        return 0.0
    with np.errstate(over="ignore"):
        return scale * math.sqrt(sum(float(np.sum(np.square(a / scale))) for a in arrays))


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
        (``inf`` where the evaluation overflowed, e.g. at the step where a diverging run stopped).
    eval_every : int, optional
        Updates between evaluations (needs ``eval_fn``); default: only at the start and end.

    Returns
    -------
    FitResult
        ``params`` after the last good step, the :class:`History`, and ``stopped`` (``None``
        when all steps ran).

    Notes
    -----
    One step: ``(L, g) = objective(θ, batch)``; ``g`` clipped (eq-clip-norm or eq-clip-value);
    ``θ ← optimizer(θ, g)``.
    """
    _names(params)
    if not callable(objective):
        raise TypeError(f"objective: expected a callable, got {type(objective).__name__}")
    if not callable(data):
        raise TypeError(f"data: expected a callable, got {type(data).__name__}")
    steps = _checks.check_positive_int(steps, "steps")
    optimizer = Adam() if optimizer is None else optimizer
    if not isinstance(optimizer, _OPTIMIZERS):
        raise TypeError(
            f"optimizer: expected SGD, Momentum, RMSprop or Adam, got {type(optimizer).__name__}"
        )
    if clip_norm is not None:
        clip_norm = _checks.check_real(clip_norm, "clip_norm", positive=True)
    if clip_value is not None:
        clip_value = _checks.check_real(clip_value, "clip_value", positive=True)
    on_nonfinite = _checks.check_name(on_nonfinite, "on_nonfinite", ("stop", "raise"))
    if eval_fn is not None and not callable(eval_fn):
        raise TypeError(f"eval_fn: expected a callable or None, got {type(eval_fn).__name__}")
    if eval_every is not None:
        if eval_fn is None:
            raise ValueError("eval_every: given without eval_fn; pass eval_fn as well")
        eval_every = _checks.check_positive_int(eval_every, "eval_every")
    params = start = seeds.perturb_start(params)  # unchanged unless the knife-edge mode is on
    evaluations: list[tuple[int, float]] = []

    def evaluate(done: int, params) -> None:
        if eval_fn is None or (evaluations and evaluations[-1][0] == done):
            return
        try:
            value = eval_fn(params)
        except FloatingPointError:  # the kernels refuse to return Inf/NaN: the loss overflowed
            value = math.inf
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"eval_fn: expected it to return a real number, got "
                            f"{type(value).__name__}")
        evaluations.append((done, float(value)))

    losses, norms, clipped = [], [], []
    state = optimizer.init(params)
    stopped = None
    bar = _progress(steps, desc) if progress else None
    try:
        for step in range(steps):
            if eval_every is not None and step % eval_every == 0:
                evaluate(step, params)
            elif step == 0:
                evaluate(0, params)
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    loss, grads = objective(params, data(step))
                norm = _grad_norm(grads)
                what = None if math.isfinite(loss) and math.isfinite(norm) else (
                    f"the {'loss' if not math.isfinite(loss) else 'gradient'} overflowed "
                    f"(loss {loss:.3g}, gradient norm {norm:.3g})"
                )
            except FloatingPointError as exc:  # the kernels refuse to return NaN/Inf states
                what = f"the forward pass overflowed ({exc})"
            if what is not None:
                stopped = (
                    f"step {step}: {what}; the parameters are those after step {step - 1}. "
                    f"Clip the gradient or lower the learning rate."
                )
                if on_nonfinite == "raise":
                    raise TrainingDiverged(stopped)
                break
            was_clipped = False
            if clip_norm is not None:
                grads, _ = clipping.clip_by_norm(grads, clip_norm)
                was_clipped = norm >= clip_norm
            if clip_value is not None:
                was_clipped |= any(
                    float(np.max(np.abs(getattr(grads, n)), initial=0.0)) > clip_value
                    for n in _names(grads)
                )
                grads = clipping.clip_by_value(grads, clip_value)
            with np.errstate(over="ignore", invalid="ignore"):
                new_params, state = optimizer.update(params, grads, state)
            if not all(np.isfinite(getattr(new_params, n)).all() for n in _names(new_params)):
                stopped = (
                    f"step {step}: the update overflowed the parameters; they are those after "
                    f"step {step - 1}. Clip the gradient or lower the learning rate."
                )
                if on_nonfinite == "raise":
                    raise TrainingDiverged(stopped)
                break
            params = new_params
            losses.append(float(loss))
            norms.append(norm)
            clipped.append(was_clipped)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
        evaluate(len(losses), params)
    finally:
        if bar is not None:
            bar.close()
    history = History(
        np.array(losses), np.array(norms), np.array(clipped, dtype=bool),
        np.array([d for d, _ in evaluations], dtype=int),
        np.array([v for _, v in evaluations], dtype=float),
    )
    return FitResult(params=params, history=history, stopped=stopped, start=start)


def _progress(total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


# --------------------------------------------------------------------------------------------
# Objectives and data
# --------------------------------------------------------------------------------------------


def _objective(grad_fn, **options):
    def objective(params, batch):
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


_TASKS = {
    "adding": tasks.adding_problem,
    "copy": tasks.copy_task,
    "agreement": tasks.agreement_task,
}


def task_data(task: str, *, batch_size: int, T: int, seed: int = 0) -> Callable[[int], tuple]:
    """Fresh batches of a task: ``data(step) -> (xs, targets, mask)``.

    Parameters
    ----------
    task : {"adding", "copy", "agreement"}
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
    task = _checks.check_name(task, "task", tuple(_TASKS))
    batch_size = _checks.check_positive_int(batch_size, "batch_size")
    T = _checks.check_positive_int(T, "T")
    seed = _checks.check_seed(seed)
    make = partial(_TASKS[task], batch_size, T)

    def data(step: int):
        xs, targets = make(seed=seed * 1_000_003 + step)
        if task == "copy":
            return xs, targets, None
        seq_targets, mask = tasks.many_to_one(targets, xs.shape[0])
        return xs, seq_targets, mask

    return data
