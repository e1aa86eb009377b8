"""Part III: leaky units and echo-state networks (book/remedies.md)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import esn as _esn
from .. import leaky as _leaky
from .._checks import as_float_array, check_ndim

__all__ = [
    "leaky_decay_curves", "memory_capacity_sweep",
]


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
