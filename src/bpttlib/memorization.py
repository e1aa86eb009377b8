"""What trained networks remember: the connectivity study behind the gated-cells chapter.

Trains a tanh RNN, an LSTM and a GRU on the adding problem and the copy task (shorter and
smaller runs than the Part III experiments of :mod:`bpttlib.experiments`), and stores, before
and after training, the connectivity ``‖∂y_s/∂x_t‖_F`` of :mod:`bpttlib.connectivity` over a
fixed held-out batch, not the weights. ``experiments/run.py --only connectivity`` writes
``bpttlib/data/studies/connectivity.json`` (no dates, no timings); :func:`load` reads it.

What is measured, per run:

- **adding problem**: the output ``y_T`` and every input ``x_t``; the *marked* positions are the
  two steps whose values are to be added (they differ per sequence);
- **copy task**: the ten recall outputs, averaged (:func:`bpttlib.connectivity.copy_connectivity`),
  and every input up to the delimiter; the marked positions are the ten symbols ``t = 1 … 10``,
  the unmarked ones the blanks of the delay ``t = 11 … T + 9`` (the delimiter at ``T + 10`` is
  neither).

Each run records ``ratio`` (the median over the held-out sequences of the mean connectivity at
the marked positions over the median at the unmarked ones, :func:`bpttlib.connectivity.position_ratio`),
``far`` (the same for the first marked position alone: the farthest from the output), the
batch-mean curve ``mean`` and the curve of the first held-out sequence ``example``, and the
held-out loss relative to the memoryless baseline ``loss_ratio``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib import resources

import numpy as np

from . import _checks, connectivity, experiments, gated, losses, rnn, tasks, train

__all__ = ["CONFIG", "NAME", "FORMAT", "run", "run_one", "dumps", "validate", "load", "marked",
           "example_marks"]

NAME = "connectivity"
FORMAT = 1
DIGITS = 4
#: Held-out batches: one fixed seed per task and length, the same for every model and seed.
HELDOUT_SEED = 2**31 - 7

#: The stored study (about 5 CPU-minutes single-process on the reference machine).
CONFIG = {
    "models": ["rnn", "lstm", "gru"],
    "lr": {"rnn": 0.001, "lstm": 0.01, "gru": 0.01},
    "seeds": [0, 1, 2],
    "tasks": {
        "adding": {"lengths": [25, 50], "n_hidden": 32, "steps": 800},
        "copy": {"lengths": [10, 20], "n_hidden": 32, "steps": 1000},
    },
    "batch_size": 32,
    "clip_norm": 1.0,
    "eval_size": 64,
}


def marked(task: str, xs: np.ndarray) -> np.ndarray:
    """The marked input positions of a held-out batch, with the unmarked ones to compare.

    Parameters
    ----------
    task : {"adding", "copy"}
    xs : numpy.ndarray, shape (L, B, I)
        Inputs of :func:`bpttlib.tasks.adding_problem` (``L = T``) or
        :func:`bpttlib.tasks.copy_task` (``L = T + 20``).

    Returns
    -------
    numpy.ndarray of bool, shape (T, B) or (T + 9, B)
        Adding: the two marker channels. Copy: ``True`` at ``t = 1 … 10``, ``False`` at the
        delay's blanks ``t = 11 … T + 9`` (positions up to the delimiter, which is left out).

    Notes
    -----
    Defines which positions :func:`bpttlib.connectivity.position_ratio` compares (no equation).
    """
    _checks.check_name(task, "task", ("adding", "copy"))
    xs = _checks.as_float_array(xs, "xs")
    if xs.ndim != 3:
        raise ValueError(f"xs: expected shape (L, B, I), got {_checks.shape_str(xs.shape)}")
    if task == "adding":
        return xs[:, :, 1] > 0.5
    L, B = xs.shape[:2]
    out = np.zeros((L - 11, B), dtype=bool)
    out[:10] = True
    return out


def example_marks(study: Mapping, task: str) -> dict[int, list[int]]:
    """The marked positions (1-based) of the curves the chapter's figure draws, per length.

    Parameters
    ----------
    study : dict
        :func:`load` (its configuration gives the lengths and the held-out batch size).
    task : {"adding", "copy"}

    Returns
    -------
    dict of int to list of int
        Adding: the two marked steps of the first held-out sequence (the ``example`` curve).
        Copy: ``1 … 10``, the symbols (the same in every sequence).

    Notes
    -----
    Recomputes the held-out batch of :func:`run_one` (its seed is fixed); no equation.
    """
    _checks.check_name(task, "task", ("adding", "copy"))
    out = {}
    for T in study["config"]["tasks"][task]["lengths"]:
        xs = _heldout(task, T, study["config"]["eval_size"])[0]
        out[T] = [int(t) + 1 for t in np.flatnonzero(marked(task, xs)[:, 0])]
    return out


def _curves(task, params, xs):
    """Connectivity over the positions of :func:`marked`, per sequence: (L', B)."""
    if task == "adding":
        return connectivity.connectivity(params, xs)
    return connectivity.copy_connectivity(params, xs)[:-1]  # without the delimiter


def _summary(task, params, xs, mask):
    conn = _curves(task, params, xs)
    first = mask & (np.cumsum(mask, axis=0) == 1)
    if task == "copy":
        first = np.zeros_like(mask)
        first[0] = True
    rnd = lambda a: [float(f"{v:.{DIGITS}g}") for v in a]  # noqa: E731
    return {
        "ratio": float(f"{np.median(connectivity.position_ratio(conn, mask)):.{DIGITS}g}"),
        "far": float(f"{np.median(connectivity.position_ratio(conn, first)):.{DIGITS}g}"),
        "mean": rnd(conn.mean(axis=1)),
        "example": rnd(conn[:, 0]),
    }


def _heldout(task, T, n):
    if task == "adding":
        xs, d = tasks.adding_problem(n, T, seed=HELDOUT_SEED)
        targets, mask = tasks.many_to_one(d, T)
        return xs, targets, mask
    xs, targets = tasks.copy_task(n, T, seed=HELDOUT_SEED)
    return xs, targets, np.full(T + 20, 1.0 / (T + 20))


def _outputs(params, xs):
    if isinstance(params, rnn.RNNParams):
        return rnn.forward(params, xs).outputs
    forward = gated.lstm_forward if isinstance(params, gated.LSTMParams) else gated.gru_forward
    return forward(params, xs).outputs


def run_one(task: str, model: str, T: int, *, seed: int, config: Mapping = CONFIG) -> dict:
    """Train one model on one task at one length; its connectivity before and after.

    Parameters
    ----------
    task : {"adding", "copy"}
    model : {"rnn", "lstm", "gru"}
    T : int
        The task's length.
    seed : int
        Seeds the initial weights and the training batches.
    config : mapping, optional
        The study's configuration (:data:`CONFIG`).

    Returns
    -------
    dict
        ``task, model, T, seed``, ``loss_ratio`` (held-out loss over the baseline after
        training), ``init`` and ``trained`` (each ``ratio, far, mean, example``).

    Notes
    -----
    Adam with global-norm clipping (eq-clip-norm) as in :mod:`bpttlib.experiments`; the
    connectivity is that of :func:`bpttlib.connectivity.connectivity` (eq-rnn-state, eq-lstm,
    eq-gru).
    """
    spec = config["tasks"][task]
    loss = tasks.TASKS[task].loss
    objective = {"rnn": train.rnn_objective(activation="tanh", loss=loss),
                 "lstm": train.lstm_objective(loss=loss),
                 "gru": train.gru_objective(loss=loss)}[_checks.check_name(
                     model, "model", ("rnn", "lstm", "gru"))]
    data = train.task_data(task, batch_size=config["batch_size"], T=T, seed=seed)
    if task == "copy":
        copy_mask = np.full(T + 20, 1.0 / (T + 20))
        plain = data
        data = lambda step: plain(step)[:2] + (copy_mask,)  # noqa: E731  a per-step mean
    xs, targets, mask = _heldout(task, T, config["eval_size"])
    where = marked(task, xs)
    start = experiments.make_params(model, task, spec["n_hidden"], seed=seed)
    result = train.fit(start, objective, data, steps=spec["steps"],
                       optimizer=train.Adam(config["lr"][model]), clip_norm=config["clip_norm"])
    final = losses.loss_and_grad(loss, _outputs(result.params, xs), targets, mask)[0]
    return {
        "task": task, "model": model, "T": T, "seed": seed,
        "loss_ratio": float(f"{final / experiments.baseline(task, T):.{DIGITS}g}"),
        "init": _summary(task, start, xs, where),
        "trained": _summary(task, result.params, xs, where),
    }


def _job(job):
    task, model, T, seed, config = job
    return run_one(task, model, T, seed=seed, config=config)


def run(config: Mapping = CONFIG, *, map_fn: Callable = map,
        report: Callable[[str], None] | None = None) -> dict:
    """Every run of the study (tasks × lengths × models × seeds), JSON-ready.

    Parameters
    ----------
    config : mapping, optional
        ``models``, ``lr`` (per model), ``seeds``, ``tasks`` (per task: ``lengths``,
        ``n_hidden``, ``steps``), ``batch_size``, ``clip_norm``, ``eval_size``.
    map_fn : callable, optional
        A ``map``-like function (e.g. ``ProcessPoolExecutor.map``); the runs are independent.
    report : callable, optional
        Called with one line per finished run.

    Returns
    -------
    dict
        ``format, study, bpttlib_version, config, config_sha256, runs``.
    """
    from . import __version__

    if not isinstance(config, Mapping):
        raise TypeError(f"config: expected a mapping, got {type(config).__name__}")
    config = json.loads(json.dumps(dict(config), allow_nan=False))
    jobs = [(task, model, T, seed, config) for task in sorted(config["tasks"])
            for T in config["tasks"][task]["lengths"] for model in config["models"]
            for seed in config["seeds"]]
    runs = []
    for record in map_fn(_job, jobs):
        runs.append(record)
        if report is not None:
            report(f"{record['task']:6s} {record['model']:4s} T={record['T']:<3d} "
                   f"seed={record['seed']}: loss/baseline {record['loss_ratio']:.3g}, "
                   f"ratio {record['init']['ratio']:.3g} -> {record['trained']['ratio']:.3g}, "
                   f"far {record['init']['far']:.3g} -> {record['trained']['far']:.3g}")
    return {"format": FORMAT, "study": NAME, "bpttlib_version": __version__, "config": config,
            "config_sha256": experiments.config_hash(config), "runs": runs}


_RUN_KEYS = {"task", "model", "T", "seed", "loss_ratio", "init", "trained"}
_SUMMARY_KEYS = {"ratio", "far", "mean", "example"}


def validate(data: object) -> dict:
    """Check the study's layout (see :func:`run`); raise ``ValueError`` naming what is wrong.

    Returns
    -------
    dict
        ``data`` itself.
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"data: expected a mapping, got {type(data).__name__}")
    top = {"format", "study", "bpttlib_version", "config", "config_sha256", "runs"}
    if set(data) != top or data["format"] != FORMAT or data["study"] != NAME:
        raise ValueError(f"data: expected the keys {sorted(top)} of format {FORMAT}, "
                         f"got {sorted(data)}")
    if experiments.config_hash(data["config"]) != data["config_sha256"]:
        raise ValueError("data['config_sha256']: does not match the stored config")
    for i, r in enumerate(data["runs"]):
        if set(r) != _RUN_KEYS or any(set(r[k]) != _SUMMARY_KEYS for k in ("init", "trained")):
            raise ValueError(f"data['runs'][{i}]: expected the keys {sorted(_RUN_KEYS)}")
        values = [r["loss_ratio"]] + [v for k in ("init", "trained") for key in _SUMMARY_KEYS
                                      for v in np.ravel(r[k][key])]
        if not all(np.isfinite(values)) or min(values) < 0:
            raise ValueError(f"data['runs'][{i}]: expected finite non-negative numbers")
    return data


def dumps(data: Mapping) -> str:
    """Canonical JSON (sorted keys, one run per line): equal data, equal bytes."""
    validate(data)
    return experiments.canonical_json(data)


def load() -> dict:
    """The stored study (package data ``bpttlib/data/studies/connectivity.json``)."""
    path = resources.files("bpttlib") / "data" / "studies" / f"{NAME}.json"
    return validate(json.loads(path.read_text(encoding="utf-8")))
