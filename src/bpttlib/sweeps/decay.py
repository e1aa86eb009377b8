"""Part II: gradient decay over spectral radii and activations, the lecture slides' sentence,
and the latching dilemma (book/vanishing-exploding.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import _checks
from .. import activations as _activations
from .. import jacobians as _jacobians
from .. import latching as _latching
from .. import rnn as _rnn
from .._checks import as_float_array, check_ndim

__all__ = [
    "DecayGrid", "decay_grid", "SentenceSweep", "sentence_embedding", "sentence_sweep",
    "LatchingData", "latching_data", "SENTENCE",
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

# ---- the lecture slides' sentence and the latching dilemma (book/vanishing-exploding.md) ---------

#: The 15-word sentence of the lecture slides, one word per step.
SENTENCE = ("The", "brown", "and", "black", "dog,", "which", "was", "playing", "with", "the",
            "cat,", "was", "a", "german", "shepherd")


@dataclass(frozen=True)
class SentenceSweep:
    """∂h₁₅/∂h₂ on ``SENTENCE`` over spectral radii (see :func:`sentence_sweep`).

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
    """The inputs ``x_t`` (eq-rnn-state) of ``SENTENCE``, shape ``(15, n_in)``: one random
    vector per distinct word (``default_rng([seed, 15])``), a stand-in for a learned embedding;
    repeated words ("the", "was") repeat their row."""
    n_in = _checks.check_size(n_in, "n_in")
    seed = _checks.check_seed(seed)
    vocab = sorted({w.lower() for w in SENTENCE})
    table = np.random.default_rng([seed, 15]).standard_normal((len(vocab), n_in))
    return table[[vocab.index(w.lower()) for w in SENTENCE]]


def sentence_sweep(radii: Sequence[float], *, k: int = 2, n_hidden: int = 32, n_in: int = 8,
                   seed: int = 0, activation: str = "tanh") -> SentenceSweep:
    """The Jacobian product ``∂h₁₅/∂h_k`` of a tanh RNN reading ``SENTENCE``.

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
