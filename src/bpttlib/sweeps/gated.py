"""Part III: gated cells, the LSTM's cell path, skip connections and the connectivity of
trained networks (book/gated.md, book/remedies.md)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import gated as _gated
from .. import jacobians as _jacobians
from .. import skip as _skip
from .. import tasks as _tasks
from .._checks import as_float_array, check_instance, check_ndim

__all__ = [
    "gated_decay_curves", "cell_path_curves", "skip_curves", "connectivity_rows",
    "CONNECTIVITY_CURVE",
]


# ---- gated cells, the LSTM's cell path and skip connections (book/gated.md, remedies.md) -------

def gated_decay_curves(
    forget_bias: float | Sequence[float] = 1.0,
    *,
    T: int = 100,
    n_hidden: int = 32,
    seed: int = 0,
    spectral_radius: float = 1.0,
    input_scale: float = 1.0,
) -> dict[str, np.ndarray]:
    """``log10 ‖∂L_T/∂h_k‖`` by distance ``T − k`` for a tanh RNN, a GRU and an LSTM.

    Parameters
    ----------
    forget_bias : float or array_like of shape (S,), optional
        The LSTM's forget-gate bias (:func:`bpttlib.gated.lstm_init`), or several.
    T, n_hidden, seed, input_scale : optional
        Shared by the three networks: the same inputs ``x_t ~ N(0, input_scale²)`` and
        targets (the probe of :func:`bpttlib.tasks.probe`, drawn by
        :func:`bpttlib.jacobians.decay_curve` and :func:`bpttlib.gated.gated_decay_curve`).
    spectral_radius : float, optional
        ``ρ(W_s)`` of the tanh RNN (Gaussian ``W_s``).

    Returns
    -------
    dict of str to numpy.ndarray
        Keys ``"rnn"``, ``"gru"`` (shape ``(T+1,)``) and ``"lstm"`` (shape ``(T+1,)``, or
        ``(S, T+1)`` for several biases); entry ``j`` is the value at distance ``j``.

    Notes
    -----
    eq-grad-decay for the RNN; its gated analogue (:func:`bpttlib.gated.gated_decay_curve`)
    for the GRU (eq-gru) and the LSTM (eq-lstm).
    """
    several = np.ndim(forget_bias) == 1
    biases = check_ndim(as_float_array(np.atleast_1d(forget_bias), "forget_bias"),
                        "forget_bias", (1,), "(S,)")
    common = dict(n_hidden=n_hidden, T=T, seed=seed, input_scale=input_scale)
    lstm = np.array([_gated.gated_decay_curve("lstm", forget_bias=float(b), **common)[::-1]
                     for b in biases])
    return {
        "rnn": _jacobians.decay_curve(spectral_radius, "tanh", **common).log10_norm[::-1],
        "gru": _gated.gated_decay_curve("gru", **common)[::-1],
        "lstm": lstm if several else lstm[0],
    }


def cell_path_curves(
    forget_biases: Sequence[float],
    *,
    T: int = 100,
    n_hidden: int = 32,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """An LSTM's ``log10 ‖∂c_T/∂c_k‖`` by distance, all paths and the direct cell path.

    Parameters
    ----------
    forget_biases : array_like, shape (S,)
        Forget-gate biases (:func:`bpttlib.gated.lstm_init`).
    T, n_hidden, seed : optional
        Sequence length, ``H``, and the seed of the weights and of the probe's inputs
        (:func:`bpttlib.tasks.probe`, one input channel).

    Returns
    -------
    full, direct : numpy.ndarray, shape (S, T+1)
        ``path="full"`` and ``path="direct"`` of :func:`bpttlib.gated.lstm_cell_jacobian_norms`
        (``∏ diag(f_t)``), by distance.

    Notes
    -----
    Book label: eq-lstm-cell-jacobian.
    """
    biases = check_ndim(as_float_array(forget_biases, "forget_biases"), "forget_biases", (1,),
                        "(S,)")
    xs, _ = _tasks.probe(T, 1, 1, seed=seed)
    full, direct = [], []
    for b in biases:
        params = _gated.lstm_init(1, n_hidden, 1, seed=seed, forget_bias=float(b))
        trace = _gated.lstm_forward(params, xs)
        full.append(_gated.lstm_cell_jacobian_norms(params, trace, path="full")[::-1])
        direct.append(_gated.lstm_cell_jacobian_norms(params, trace, path="direct")[::-1])
    return np.array(full), np.array(direct)


def skip_curves(
    skips: Sequence[int],
    *,
    spectral_radius: float = 1.0,
    skip_radius: float = 0.5,
    **network,
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient decay of a tanh RNN without and with a skip connection from ``s_{t−d}``.

    Parameters
    ----------
    skips : sequence of int, length S
        Skip lengths ``d >= 1``.
    spectral_radius, skip_radius : float, optional
        ``ρ(W_s)`` and ``ρ(W_d)`` (both Gaussian).
    **network
        ``T``, ``n_hidden``, ``seed`` (and the other keywords) of
        ``bpttlib.skip.skip_decay_curve``, shared by both networks.

    Returns
    -------
    plain : numpy.ndarray, shape (T+1,)
        The RNN without a skip connection, by distance.
    curves : numpy.ndarray, shape (S, T+1)
        With a skip connection of each length ``d``.

    Notes
    -----
    Book label: eq-grad-decay.
    """
    if isinstance(skips, (str, bytes)) or not isinstance(skips, (Sequence, np.ndarray)):
        raise TypeError(f"skips: expected a sequence of integers, got {type(skips).__name__}")
    ds = []
    for d in skips:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)) or d < 1:
            raise ValueError(f"skips: expected integers >= 1, got {d!r}")
        ds.append(int(d))
    plain = _skip.skip_decay_curve(spectral_radius, 1, skip_radius=0.0, **network)[::-1]
    curves = np.array([_skip.skip_decay_curve(spectral_radius, d, skip_radius=skip_radius,
                                              **network)[::-1] for d in ds])
    return plain, curves

# ---- the connectivity study (book/gated.md) ----------------------------------------------------

#: The curve of :mod:`bpttlib.memorization` each task's figure draws: the adding problem's marked
#: positions differ per sequence (one held-out sequence), the copy task's do not (batch mean).
CONNECTIVITY_CURVE = {"adding": "example", "copy": "mean"}


def connectivity_rows(study, task, T, *, models=("rnn", "lstm", "gru")):
    """Rows of the connectivity heatmap: each model before and after training, over ``t``.

    Parameters
    ----------
    study : dict
        The stored study (:func:`bpttlib.memorization.load`).
    task : {"adding", "copy"}
    T : int
        A length of the study's ``task``.
    models : sequence of str, optional
        Model names of the study, one pair of rows each.

    Returns
    -------
    labels : list of (str, str)
        ``(model, "init" or "trained")`` per row.
    z : numpy.ndarray, shape (2 · len(models), L)
        ``log10(C(t) / max_t C(t))`` of ``CONNECTIVITY_CURVE`` ``[task]``, each seed's
        curve normalised by its own maximum, then the median over the seeds.

    Notes
    -----
    The connectivity ``‖∂y_s/∂x_t‖_F`` of :func:`bpttlib.connectivity.connectivity`
    (eq-lstm, eq-gru, eq-rnn-state).
    """
    check_instance(study, "study", dict)
    runs = [r for r in study.get("runs", []) if r["task"] == task and r["T"] == T]
    if not runs:
        raise ValueError(f"task, T: expected a task and length of the study, got {task!r}, {T!r}")
    key = CONNECTIVITY_CURVE[task]
    labels, rows = [], []
    for model in models:
        mine = [r for r in runs if r["model"] == model]
        if not mine:
            raise ValueError(f"models: expected models of the study, got {model!r}")
        for stage in ("init", "trained"):
            curves = np.array([r[stage][key] for r in mine], dtype=float)
            logs = np.log10(np.maximum(curves, 1e-300) / curves.max(axis=1, keepdims=True))
            labels.append((model, stage))
            rows.append(np.median(logs, axis=0))
    return labels, np.array(rows)
