"""Part I: the cost of forward against backward mode (book/rtrl.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import rtrl as _rtrl

__all__ = [
    "RTRLCosts", "rtrl_costs",
]


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
