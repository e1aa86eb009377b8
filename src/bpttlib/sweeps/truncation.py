"""Part III: truncated and randomized truncation against exact BPTT (book/truncation.md), and
the cliff's curvature (book/clipping.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import _checks
from .. import clipping as _clipping
from .. import params as _params
from .. import rnn as _rnn
from .. import tasks as _tasks
from .. import truncated as _truncated
from .._checks import as_float_array, check_instance, check_ndim

__all__ = [
    "recurrent_vector", "TruncationSweep", "truncation_sweep", "agreement_sweep",
    "RandomizedSweep", "randomized_sweep", "cliff_alignment", "RECURRENT_FIELDS",
]


# ---- truncated against exact BPTT (book/truncation.md) -------------------------------------------

#: The gradient fields that truncation changes (the output weights' gradient is always exact).
RECURRENT_FIELDS = ("W_x", "W_s", "b_s")


def recurrent_vector(grads: _rnn.RNNParams) -> np.ndarray:
    """The fields that truncation changes (``RECURRENT_FIELDS``) as one vector.

    Parameters
    ----------
    grads : RNNParams
        A gradient (or parameters) of a vanilla RNN.

    Returns
    -------
    numpy.ndarray, shape (H·I + H² + H,)
        ``W_x``, ``W_s`` and ``b_s`` flattened, in that order (through :func:`bpttlib.params.fields`).

    Notes
    -----
    The part of eq-bptt-sum that eq-truncated-bptt changes.
    """
    return np.concatenate([a.ravel() for name, a in _params.fields(grads, "grads")
                           if name in RECURRENT_FIELDS])


@dataclass(frozen=True)
class TruncationSweep:
    """Truncated against exact BPTT on one network and one batch, for several ``k``.

    Attributes
    ----------
    ks : numpy.ndarray of int, shape (K,)
        The truncation lengths ``k``.
    cosine : numpy.ndarray, shape (K,)
        Cosine between the truncated and the exact gradient of ``(W_x, W_s, b_s)`` together.
    norm_ratio : numpy.ndarray, shape (K,)
        ``‖g_k‖ / ‖g‖`` over the same fields.
    lag_norms : numpy.ndarray, shape (T,)
        ``‖term_l‖_F`` for chain lengths ``l = 0 … T−1``: the Frobenius norms of
        :func:`bpttlib.rnn.bptt_by_lag` (the ``W_s`` gradient split by chain length).
    T : int
        Sequence length.
    """

    ks: np.ndarray
    cosine: np.ndarray
    norm_ratio: np.ndarray
    lag_norms: np.ndarray
    T: int


def truncation_sweep(
    params: _rnn.RNNParams,
    xs: object,
    targets: object,
    *,
    ks: Sequence[int] | None = None,
    activation: str = "tanh",
    loss: str = "mse",
    mask: object = None,
) -> TruncationSweep:
    """Compare ``bptt(truncate=k)`` with exact BPTT for every ``k`` in ``ks``.

    Parameters
    ----------
    params : RNNParams
    xs, targets, activation, loss, mask
        As for :func:`bpttlib.rnn.bptt` (a batch is allowed).
    ks : sequence of int, optional
        Truncation lengths ``k >= 1`` (default ``1 … T−1``).

    Returns
    -------
    TruncationSweep

    Raises
    ------
    ValueError
        If the exact gradient of ``(W_x, W_s, b_s)`` is zero (no direction to compare with),
        ``ks`` is empty or holds a ``k < 1``, or ``T < 2`` and ``ks`` is not given.

    Notes
    -----
    ``cos = ⟨g_k, g⟩ / (‖g_k‖ ‖g‖)`` (0 when ``g_k = 0``), with ``g_k`` the gradient of
    eq-truncated-bptt and ``g`` the exact one (eq-bptt-sum); one :func:`~bpttlib.rnn.bptt`
    call per ``k``, ``O(T·k·H²)`` each. Book label: eq-truncated-bptt.
    """
    check_instance(params, "params", _rnn.RNNParams)
    kw = dict(activation=activation, loss=loss, mask=mask)
    _, exact = _rnn.bptt(params, xs, targets, **kw)
    T = int(np.shape(xs)[0])
    if ks is None:
        if T < 2:
            raise ValueError(f"xs: expected T >= 2 steps to truncate, got T={T}")
        ks = np.arange(1, T)
    ks = np.asarray(ks)
    if ks.ndim != 1 or ks.size == 0 or not np.issubdtype(ks.dtype, np.integer) or (ks < 1).any():
        raise ValueError(f"ks: expected a non-empty sequence of integers >= 1, got {ks!r}")
    g = recurrent_vector(exact)
    g_norm = float(np.linalg.norm(g))
    if g_norm == 0.0:
        raise ValueError("targets: the exact gradient of (W_x, W_s, b_s) is zero; there is no "
                         "direction to compare a truncated gradient with")
    cos, ratio = [], []
    for k in ks.tolist():
        gk = recurrent_vector(_rnn.bptt(params, xs, targets, truncate=int(k), **kw)[1])
        nk = float(np.linalg.norm(gk))
        cos.append(_params.cosine(gk, g))
        ratio.append(nk / g_norm)
    lags = _rnn.bptt_by_lag(params, xs, targets, **kw)
    return TruncationSweep(
        ks=ks.astype(int), cosine=np.array(cos), norm_ratio=np.array(ratio),
        lag_norms=np.linalg.norm(lags, axis=(1, 2)), T=T,
    )



def agreement_sweep(
    T: int,
    *,
    spectral_radius: float = 1.0,
    activation: str = "tanh",
    kind: str = "orthogonal",
    seed: int = 0,
    n: int = 32,
    n_hidden: int = 16,
) -> TruncationSweep:
    """:func:`truncation_sweep` on the agreement task: a fresh network and batch.

    Parameters
    ----------
    T : int
        Sequence length, ``>= 2``.
    spectral_radius, kind, seed : optional
        Passed to :func:`bpttlib.rnn.init` (``seed`` also seeds the batch).
    activation : str, optional
    n, n_hidden : int, optional
        Batch size and hidden size ``H``.

    Returns
    -------
    TruncationSweep
        Over ``k = 1 … T−1``.

    Notes
    -----
    The cross-entropy of the verb at the last step (many-to-one,
    :func:`bpttlib.tasks.many_to_one`), attractors off. Book label: eq-truncated-bptt.
    """
    xs, verbs = _tasks.agreement_task(n, T, seed=seed, attractors=False)
    targets, mask = _tasks.many_to_one(verbs, T)
    params = _rnn.init(xs.shape[-1], n_hidden, 2, spectral_radius=spectral_radius, seed=seed,
                       kind=kind)
    return truncation_sweep(params, xs, targets, activation=activation, loss="xent", mask=mask)

# ---- randomized truncation and the cliff's curvature (book/truncation.md, book/clipping.md) -----




@dataclass(frozen=True)
class RandomizedSweep:
    """Fixed and randomized truncation against exact BPTT, for several mean lengths ``k``.

    Attributes
    ----------
    ks : numpy.ndarray of int, shape (K,)
        Lengths: the window ``truncate=k``, chunks of ``k`` (BPTT(k; k)) and random cuts of
        probability ``1/k`` (mean piece length ``k``).
    window_cosine, chunk_cosine : numpy.ndarray, shape (K,)
        Cosine of the fixed schemes' gradient of ``(W_x, W_s, b_s)`` with the exact one.
    window_error, chunk_error : numpy.ndarray, shape (K,)
        Their squared error ``‖g_k − g‖² / ‖g‖²`` (bias only: they are deterministic).
    random_cosine : numpy.ndarray, shape (K,)
        Median over the draws of the cosine of one randomized draw with the exact gradient.
    random_error : numpy.ndarray, shape (K,)
        Mean over the draws of ``‖ĝ − g‖² / ‖g‖²`` (variance only: the estimator is unbiased).
    mean_cosine : numpy.ndarray, shape (K,)
        Cosine of the mean of all draws with the exact gradient.
    draws : int
    """

    ks: np.ndarray
    window_cosine: np.ndarray
    chunk_cosine: np.ndarray
    window_error: np.ndarray
    chunk_error: np.ndarray
    random_cosine: np.ndarray
    random_error: np.ndarray
    mean_cosine: np.ndarray
    draws: int


def randomized_sweep(params, xs, targets, *, ks, draws=100, seed=0, activation="tanh",
                     loss="mse", mask=None) -> RandomizedSweep:
    """Bias of fixed truncation and variance of randomized truncation over ``ks``.

    Parameters
    ----------
    params : RNNParams
    xs, targets, activation, loss, mask
        As for :func:`bpttlib.rnn.bptt`.
    ks : sequence of int
        Lengths ``k >= 2``.
    draws : int
        Randomized draws per ``k`` (seeds ``seed, seed+1, …``).
    seed : int

    Returns
    -------
    RandomizedSweep

    Notes
    -----
    ``E‖ĝ − g‖² = ‖E ĝ − g‖² + E‖ĝ − E ĝ‖²``: bias² for the fixed schemes (eq-truncated-bptt,
    eq-bptt-hh), variance for the randomized one (eq-randomized-truncation).
    """
    check_instance(params, "params", _rnn.RNNParams)
    ks = np.asarray(ks)
    if ks.ndim != 1 or ks.size == 0 or not np.issubdtype(ks.dtype, np.integer) or (ks < 2).any():
        raise ValueError(f"ks: expected a non-empty sequence of integers >= 2, got {ks!r}")
    draws = _checks.check_size(draws, "draws")
    kw = dict(activation=activation, loss=loss, mask=mask)
    g = recurrent_vector(_rnn.bptt(params, xs, targets, **kw)[1])
    gg = float(g @ g)
    if gg == 0.0:
        raise ValueError("targets: the exact gradient of (W_x, W_s, b_s) is zero")
    out = {name: [] for name in ("wc", "cc", "we", "ce", "rc", "re", "mc")}
    for k in ks.tolist():
        win = recurrent_vector(_rnn.bptt(params, xs, targets, truncate=k, **kw)[1])
        chunk = recurrent_vector(_truncated.bptt_hh(params, xs, targets, k, k, **kw)[1])
        est = np.array([recurrent_vector(_truncated.randomized_bptt(
            params, xs, targets, cut_prob=1.0 / k, seed=seed + i, **kw)[1])
            for i in range(draws)])
        out["wc"].append(_params.cosine(win, g))
        out["cc"].append(_params.cosine(chunk, g))
        out["we"].append(float((win - g) @ (win - g)) / gg)
        out["ce"].append(float((chunk - g) @ (chunk - g)) / gg)
        out["rc"].append(float(np.median([_params.cosine(e, g) for e in est])))
        out["re"].append(float(np.mean(np.sum((est - g) ** 2, axis=1))) / gg)
        out["mc"].append(_params.cosine(est.mean(axis=0), g))
    arr = {key: np.array(v) for key, v in out.items()}
    return RandomizedSweep(ks=ks.astype(int), window_cosine=arr["wc"], chunk_cosine=arr["cc"],
                           window_error=arr["we"], chunk_error=arr["ce"],
                           random_cosine=arr["rc"], random_error=arr["re"],
                           mean_cosine=arr["mc"], draws=draws)


def cliff_alignment(distances, *, b=-3.0, bracket=(4.0, 8.0), **model) -> dict:
    """Gradient norm, top curvature and their angle at points approaching the cliff's wall.

    Parameters
    ----------
    distances : sequence of float
        Positive distances (in ``w``) below the wall along the line ``b``.
    b : float
        The line ``b = const`` (default −3).
    bracket : (float, float)
        ``w`` below and above the wall (the loss above 0.25 at the first, below at the second).
    **model
        ``steps``, ``x0``, ``target`` of :func:`bpttlib.clipping.cliff_loss`.

    Returns
    -------
    dict
        ``wall`` (float, the wall's ``w`` by 60 bisections), ``distance``, ``angle`` (degrees),
        ``top_eigenvalue`` and ``grad_norm`` (arrays of shape ``(len(distances),)``).

    Notes
    -----
    The Hessian is :func:`bpttlib.clipping.cliff_hessian` (eq-cliff-model).
    """
    d = as_float_array(distances, "distances")
    check_ndim(d, "distances", (1,), "(n,)")
    if d.size == 0 or (d <= 0).any():
        raise ValueError("distances: expected a non-empty sequence of positive numbers")
    lo, hi = (float(v) for v in bracket)
    if not (_clipping.cliff_loss(lo, b, **model) > 0.25 > _clipping.cliff_loss(hi, b, **model)):
        raise ValueError(f"bracket: expected E > 0.25 at w={lo} and E < 0.25 at w={hi}")
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _clipping.cliff_loss(mid, b, **model) > 0.25 else (lo, mid)
    rows = np.array([_clipping.curvature_alignment(lo - x, b, **model) for x in d])
    return {"wall": lo, "distance": d, "angle": rows[:, 0], "top_eigenvalue": rows[:, 1],
            "grad_norm": rows[:, 2]}
