"""Figure data: the sweeps behind the book's gradient-flow figures, as plain numpy arrays.

Each function here runs a kernel (:mod:`bpttlib.jacobians`, :mod:`bpttlib.rnn`,
:mod:`bpttlib.gated`, :mod:`bpttlib.skip`) over a grid of settings and returns arrays: decay
curves over spectral radii and activations, truncated against exact gradients over ``k``, gated
and skip-connected decay curves over a slider's values. :mod:`bpttlib.viz` draws them, and the
live dashboards of :mod:`bpttlib.widgets` call the same functions on every change. Nothing here
imports plotly.

Every curve over a distance is indexed by ``T − k`` (entry ``j`` is the value at distance ``j``)
and every network runs on the book's probe (:func:`bpttlib.tasks.probe`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import _checks
from . import activations as _activations
from . import esn as _esn
from . import gated as _gated
from . import jacobians as _jacobians
from . import leaky as _leaky
from . import latching as _latching
from . import params as _params
from . import rnn as _rnn
from . import rtrl as _rtrl
from . import skip as _skip
from . import tasks as _tasks
from ._checks import as_float_array, check_instance, check_ndim

__all__ = [
    "DecayGrid",
    "decay_grid",
    "TruncationSweep",
    "truncation_sweep",
    "agreement_sweep",
    "RECURRENT_FIELDS",
    "gated_decay_curves",
    "cell_path_curves",
    "skip_curves",
    "RTRLCosts",
    "rtrl_costs",
    "leaky_decay_curves",
    "memory_capacity_sweep",
    "CONNECTIVITY_CURVE",
    "connectivity_rows",
    "SENTENCE",
    "SentenceSweep",
    "sentence_embedding",
    "sentence_sweep",
    "LatchingData",
    "latching_data",
]


# ---- gradient decay over spectral radii x activations (book/vanishing-exploding.md) -------------

@dataclass(frozen=True)
class DecayGrid:
    """Gradient-decay curves precomputed over spectral radii x activations.

    Attributes
    ----------
    radii : numpy.ndarray, shape (R,)
        The spectral radii ``ρ(W_s)``.
    activations : tuple of str, length A
        The activation names.
    distance : numpy.ndarray of int, shape (T+1,)
        ``0 … T``.
    log10_norm : numpy.ndarray, shape (A, R, T+1)
        ``log10 ‖∂L_T/∂s_k‖₂`` at distance ``T − k`` (entry ``[a, r, d]`` is ``k = T − d``);
        ``-inf`` where the gradient is exactly zero.
    log10_rate : numpy.ndarray, shape (A, R)
        ``log10(γ σ_max(W_s))``, the slope of the bound of eq-jacobian-bound per step
        (``-inf`` when ``σ_max = 0``).
    settings : dict
        The keyword arguments of :func:`bpttlib.jacobians.decay_curve` shared by every state
        (``n_hidden``, ``T``, ``kind``, ``seed``, ``input_scale``).
    """

    radii: np.ndarray
    activations: tuple[str, ...]
    distance: np.ndarray
    log10_norm: np.ndarray
    log10_rate: np.ndarray
    settings: dict


def decay_grid(
    radii: Sequence[float],
    activations: Sequence[str] = _activations.ACTIVATIONS,
    *,
    T: int = 100,
    n_hidden: int = 32,
    kind: str = "gaussian",
    seed: int = 0,
    input_scale: float = 1.0,
) -> DecayGrid:
    """Compute the gradient-decay curve for every (activation, spectral radius) pair.

    Parameters
    ----------
    radii : array_like, shape (R,)
        Spectral radii ``ρ(W_s) >= 0``.
    activations : sequence of str, optional
        Activation names (default all four).
    T, n_hidden, kind, seed, input_scale
        Passed to :func:`bpttlib.jacobians.decay_curve`: the same network and sequence for
        every state, only ``ρ`` and ``φ`` change.

    Returns
    -------
    DecayGrid

    Notes
    -----
    ``log10 ‖∂L_T/∂s_k‖₂`` for ``k = 0 … T`` (book label: eq-grad-decay), one call of
    :func:`~bpttlib.jacobians.decay_curve` per pair: ``A·R`` calls of ``O(T·H²)`` each.
    """
    radii = check_ndim(as_float_array(radii, "radii"), "radii", (1,), "(R,)")
    if radii.size == 0 or (radii < 0).any():
        raise ValueError(f"radii: expected at least one spectral radius, all >= 0, got {radii}")
    if isinstance(activations, str):
        raise TypeError("activations: expected a sequence of activation names, got a str")
    names = tuple(_activations.get(a, "activations").name for a in activations)
    if not names:
        raise ValueError("activations: expected at least one activation name, got none")
    settings = dict(n_hidden=n_hidden, T=T, kind=kind, seed=seed, input_scale=input_scale)
    rows, rates = [], []
    for name in names:
        for r in radii:
            curve = _jacobians.decay_curve(float(r), name, **settings)
            rows.append(curve.log10_norm[::-1])
            base = curve.gamma * curve.sigma_max
            rates.append(math.log10(base) if base > 0 else -math.inf)
    shape = (len(names), radii.size)
    norms = np.array(rows).reshape(*shape, -1)
    return DecayGrid(
        radii=radii.copy(),
        activations=names,
        distance=np.arange(norms.shape[-1]),
        log10_norm=norms,
        log10_rate=np.array(rates).reshape(shape),
        settings=settings,
    )



# ---- truncated against exact BPTT (book/truncation.md) -------------------------------------------

#: The gradient fields that truncation changes (the output weights' gradient is always exact).
RECURRENT_FIELDS = ("W_x", "W_s", "b_s")


def recurrent_vector(grads: _rnn.RNNParams) -> np.ndarray:
    """The fields that truncation changes (:data:`RECURRENT_FIELDS`) as one vector.

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


# ---- the cost of forward against backward mode (book/rtrl.md) ------------------------------------

@dataclass(frozen=True)
class RTRLCosts:
    """Floats held and multiply-adds of BPTT and RTRL over hidden sizes x sequence lengths.

    Attributes
    ----------
    hidden : numpy.ndarray of int, shape (NH,)
        The hidden sizes ``H``.
    lengths : numpy.ndarray of int, shape (NT,)
        The sequence lengths ``T``, increasing.
    floats, multiply_adds : dict of str to numpy.ndarray, shape (NH, NT)
        Per method (``"bptt"``, ``"rtrl"``), from :func:`bpttlib.rtrl.cost`.
    crossover : numpy.ndarray of int, shape (NH,)
        :func:`bpttlib.rtrl.crossover_T`: the shortest ``T`` at which BPTT holds more floats.
    n_in, n_out : int
    """

    hidden: np.ndarray
    lengths: np.ndarray
    floats: dict
    multiply_adds: dict
    crossover: np.ndarray
    n_in: int
    n_out: int


def rtrl_costs(hidden: Sequence[int], lengths: Sequence[int], *, n_in: int = 1,
               n_out: int = 1) -> RTRLCosts:
    """The counts of :func:`bpttlib.rtrl.cost` over a grid of ``H`` and ``T``.

    Parameters
    ----------
    hidden : sequence of int, length NH
        Hidden sizes ``H >= 1``.
    lengths : sequence of int, length NT
        Sequence lengths ``T >= 1``, increasing.
    n_in, n_out : int, optional
        ``I`` and ``O``.

    Returns
    -------
    RTRLCosts

    Notes
    -----
    Book labels: eq-rtrl, eq-delta-recursion.
    """
    def ints(values, name):
        if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
            raise TypeError(f"{name}: expected a sequence of integers, got {type(values).__name__}")
        out = []
        for v in values:
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name}: expected integers >= 1, got {v!r}")
            out.append(int(v))
        if not out:
            raise ValueError(f"{name}: expected at least one integer, got none")
        return np.array(out)

    Hs, Ts = ints(hidden, "hidden"), ints(lengths, "lengths")
    if np.any(np.diff(Ts) <= 0):
        raise ValueError(f"lengths: expected increasing lengths, got {Ts.tolist()}")
    floats, madds = {}, {}
    for method in _rtrl.METHODS:
        costs = [[_rtrl.cost(method, int(H), n_in, n_out, int(T)) for T in Ts] for H in Hs]
        floats[method] = np.array([[c.floats for c in row] for row in costs], dtype=float)
        madds[method] = np.array([[c.multiply_adds for c in row] for row in costs], dtype=float)
    crossover = np.array([_rtrl.crossover_T(int(H), n_in) for H in Hs])
    return RTRLCosts(Hs, Ts, floats, madds, crossover, n_in, n_out)
# ---- leaky units and echo-state networks (book/remedies.md) -------------------------------------

def leaky_decay_curves(
    alphas: Sequence[float],
    *,
    spectral_radius: float = 1.0,
    **network,
) -> np.ndarray:
    """Gradient decay of a leaky tanh RNN for several rates ``α`` (shared by every unit).

    Parameters
    ----------
    alphas : array_like, shape (A,)
        Rates in ``(0, 1]``; ``α = 1`` is the vanilla RNN.
    spectral_radius : float, optional
        ``ρ(W_s)``.
    **network
        ``T``, ``n_hidden``, ``seed`` (and the other keywords) of
        :func:`bpttlib.leaky.leaky_decay_curve`, shared by every curve.

    Returns
    -------
    numpy.ndarray, shape (A, T+1)
        ``log10 ‖∂L_T/∂s_k‖₂`` by distance ``T − k``.

    Notes
    -----
    Book labels: eq-leaky-jacobian, eq-grad-decay.
    """
    alphas = check_ndim(as_float_array(alphas, "alphas"), "alphas", (1,), "(A,)")
    if alphas.size == 0:
        raise ValueError("alphas: expected at least one rate, got none")
    return np.array([_leaky.leaky_decay_curve(spectral_radius, float(a), **network)[::-1]
                     for a in alphas])


def memory_capacity_sweep(
    radii: Sequence[float],
    seeds: Sequence[int],
    **settings,
) -> tuple[np.ndarray, np.ndarray]:
    """Jaeger's memory curve of random reservoirs over spectral radii and seeds.

    Parameters
    ----------
    radii : array_like, shape (R,)
        Spectral radii ``ρ(W_s) >= 0``.
    seeds : sequence of int, length S
        One reservoir (and input sequence) per seed.
    **settings
        Keywords of :func:`bpttlib.esn.memory_curve` (``n_hidden``, ``max_delay``, …).

    Returns
    -------
    capacity : numpy.ndarray, shape (S, R)
        The memory capacity ``MC = Σ_d r²(d)``.
    curves : numpy.ndarray, shape (S, R, D)
        ``r²`` by delay ``d = 1 … D``.

    Notes
    -----
    Book label: eq-esn-memory.
    """
    radii = check_ndim(as_float_array(radii, "radii"), "radii", (1,), "(R,)")
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, (Sequence, np.ndarray)) \
            or len(seeds) == 0:
        raise TypeError(f"seeds: expected a non-empty sequence of integers, got {seeds!r}")
    curves = np.array([[_esn.memory_curve(float(r), seed=s, **settings) for r in radii]
                       for s in seeds])
    return curves.sum(axis=-1), curves
# ---- randomized truncation and the cliff's curvature (book/truncation.md, book/clipping.md) -----

from . import _checks  # noqa: E402
from . import clipping as _clipping  # noqa: E402
from . import truncated as _truncated  # noqa: E402

__all__ += ["RandomizedSweep", "randomized_sweep", "cliff_alignment"]


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
        ``log10(C(t) / max_t C(t))`` of :data:`CONNECTIVITY_CURVE` ``[task]``, each seed's
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
# ---- the lecture slides' sentence and the latching dilemma (book/vanishing-exploding.md) ---------

#: The 15-word sentence of the lecture slides, one word per step.
SENTENCE = ("The", "brown", "and", "black", "dog,", "which", "was", "playing", "with", "the",
            "cat,", "was", "a", "german", "shepherd")


@dataclass(frozen=True)
class SentenceSweep:
    """∂h₁₅/∂h₂ on :data:`SENTENCE` over spectral radii (see :func:`sentence_sweep`).

    Attributes
    ----------
    radii : numpy.ndarray, shape (S,)
        Spectral radii ``ρ(W_s)``.
    t : numpy.ndarray of int, shape (K,)
        The steps ``t = k + 1 … 15`` of the factors (``K = 15 − k``).
    step_norms : numpy.ndarray, shape (S, K)
        ``‖J_t‖₂``, one factor each.
    product_norms : numpy.ndarray, shape (S, K)
        ``‖∂h_t/∂h_k‖₂ = ‖J_t ⋯ J_{k+1}‖₂``, the running product.
    bound : numpy.ndarray, shape (S, K)
        ``(γ σ_max(W_s))^{t−k}``.
    k : int
        The early step (2: "brown").
    """

    radii: np.ndarray
    t: np.ndarray
    step_norms: np.ndarray
    product_norms: np.ndarray
    bound: np.ndarray
    k: int


def sentence_embedding(n_in: int = 8, *, seed: int = 0) -> np.ndarray:
    """The inputs ``x_t`` (eq-rnn-state) of :data:`SENTENCE`, shape ``(15, n_in)``: one random
    vector per distinct word (``default_rng([seed, 15])``), a stand-in for a learned embedding;
    repeated words ("the", "was") repeat their row."""
    n_in = _checks.check_size(n_in, "n_in")
    seed = _checks.check_seed(seed)
    vocab = sorted({w.lower() for w in SENTENCE})
    table = np.random.default_rng([seed, 15]).standard_normal((len(vocab), n_in))
    return table[[vocab.index(w.lower()) for w in SENTENCE]]


def sentence_sweep(radii: Sequence[float], *, k: int = 2, n_hidden: int = 32, n_in: int = 8,
                   seed: int = 0, activation: str = "tanh") -> SentenceSweep:
    """The Jacobian product ``∂h₁₅/∂h_k`` of a tanh RNN reading :data:`SENTENCE`.

    Parameters
    ----------
    radii : sequence of float, length S
        Spectral radii of the Gaussian ``W_s`` (:func:`bpttlib.rnn.init`, same ``seed``).
    k : int, optional
        The early step, ``1 ≤ k ≤ 14`` (default 2, "brown").
    n_hidden, n_in : int, optional
        ``H`` and the size of the seeded word embedding.
    seed : int, optional
        Seeds the network and the embedding (one vector per distinct word).
    activation : str, optional

    Returns
    -------
    SentenceSweep

    Notes
    -----
    eq-jacobian-product ``∂h₁₅/∂h_k = J₁₅ J₁₄ ⋯ J_{k+1}`` with the step Jacobians
    eq-step-jacobian, and the bound eq-jacobian-bound for every prefix.
    """
    radii = check_ndim(as_float_array(radii, "radii"), "radii", (1,), "(S,)")
    k = _checks.check_int(k, "k", minimum=1)
    if k > len(SENTENCE) - 1:
        raise ValueError(f"k: expected 1 <= k <= {len(SENTENCE) - 1}, got {k}")
    xs = sentence_embedding(n_in, seed=seed)
    ts = np.arange(k + 1, len(SENTENCE) + 1)
    steps, products, bounds = [], [], []
    for rho in radii:
        params = _rnn.init(n_in, n_hidden, 1, spectral_radius=float(rho), seed=seed)
        trace = _rnn.forward(params, xs, activation=activation)
        J = _jacobians.step_jacobians(params, trace, activation=activation)  # J[t-1] = J_t
        P = np.eye(params.W_s.shape[0])
        step_row, prod_row = [], []
        for t in ts:
            P = J[t - 1] @ P
            step_row.append(np.linalg.norm(J[t - 1], 2))
            prod_row.append(np.linalg.norm(P, 2))
        steps.append(step_row)
        products.append(prod_row)
        bounds.append(_jacobians.jacobian_bound(params, ts, k, activation=activation))
    return SentenceSweep(radii=radii, t=ts, step_norms=np.array(steps),
                         product_norms=np.array(products), bound=np.array(bounds), k=k)


@dataclass(frozen=True)
class LatchingData:
    """What :func:`latching_data` computes: ``w, b``; the map ``f (N,)`` at the states
    ``x (N,)``; its ``fixed`` points (:class:`bpttlib.latching.FixedPoints`); and from each of
    the ``starts (R,)`` the ``states (R, steps + 1)`` and ``log10_gain (R, steps + 1)``,
    ``log10 |∂x_t/∂x_0|``."""

    w: float
    b: float
    x: np.ndarray
    f: np.ndarray
    fixed: object
    starts: np.ndarray
    states: np.ndarray
    log10_gain: np.ndarray


def latching_data(w: float, b: float, starts: Sequence[float], *, steps: int = 40,
                  x_range: tuple[float, float] | None = None, n: int = 401) -> LatchingData:
    """Everything the latching figure draws, for one ``(w, b)``.

    Parameters
    ----------
    w, b : float
        The cliff model's weight (nonzero) and bias.
    starts : sequence of float, length R
        Initial states of the trajectories.
    steps : int, optional
    x_range : (float, float), optional
        Where to draw the map (default: the interval that holds every fixed point, padded).
    n : int, optional
        Points of the map.

    Returns
    -------
    LatchingData

    Notes
    -----
    eq-cliff-model, its fixed points and ``∂x_t/∂x_0`` (eq-jacobian-product for one unit).
    """
    fixed = _latching.fixed_points(w, b)
    starts = check_ndim(as_float_array(starts, "starts"), "starts", (1,), "(R,)")
    if x_range is None:
        x_range = (min(b, b + w) - 1.0, max(b, b + w) + 1.0)
    n = _checks.check_size(n, "n", minimum=2)
    x = np.linspace(float(x_range[0]), float(x_range[1]), n)
    runs = [_latching.trajectory(w, b, s, steps=steps) for s in starts]
    return LatchingData(w=float(w), b=float(b), x=x,
                        f=float(w) * _activations.sigmoid.value(x) + float(b), fixed=fixed,
                        starts=starts, states=np.array([r.x for r in runs]),
                        log10_gain=np.array([r.log10_gain for r in runs]))
