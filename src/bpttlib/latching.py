"""The latching dilemma on the one-unit cliff model ``x_t = w σ(x_{t−1}) + b``.

Bengio, Simard & Frasconi (1994): a recurrent state stores a bit *robustly* when it sits in the
basin of an attracting fixed point, where the map contracts, ``|f′| < 1``; but then
``|∂x_t/∂x_k| = Π |f′(x_s)|`` falls geometrically, so the gradient that would teach the state
vanishes. Where ``|∂x_t/∂x_k|`` does not vanish (near the boundary of two basins) a small
perturbation decides which bit is stored. :func:`fixed_points` finds the attractors and their
stability, :func:`trajectory` follows a state and its gradient ``∂x_t/∂x_0``,
:func:`noisy_final_states` adds noise, and :func:`bifurcation_biases` gives the biases at which
fixed points appear or vanish: the cliffs of the clipping chapter.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import _checks, activations

__all__ = ["FixedPoints", "fixed_points", "Trajectory", "trajectory", "noisy_final_states",
           "bifurcation_biases"]

_sigmoid = activations.sigmoid.value


def _log_slope(x: np.ndarray) -> np.ndarray:
    """``log σ′(x) = −|x| − 2 log(1 + e^{−|x|})``, exact for every finite ``x``."""
    a = np.abs(x)
    return -a - 2.0 * np.log1p(np.exp(-a))


#: The largest ``|w| + |b|`` accepted: every state then stays far inside float64.
_LIMIT = 1e300


def _wb(w, b):
    w, b = _checks.check_real(w, "w"), _checks.check_real(b, "b")
    if abs(w) + abs(b) > _LIMIT:
        raise ValueError(f"w: expected |w| + |b| <= {_LIMIT:g} (states stay within float64), "
                         f"got w={w}, b={b}")
    return w, b


@dataclasses.dataclass(frozen=True)
class FixedPoints:
    """The fixed points of ``f(x) = w σ(x) + b`` (see :func:`fixed_points`).

    Attributes
    ----------
    x : numpy.ndarray, shape (K,)
        The fixed points ``x* = f(x*)``, ascending (``K`` is 1 or 3 except at a bifurcation).
    slope : numpy.ndarray, shape (K,)
        ``f′(x*) = w σ′(x*)``.
    stable : numpy.ndarray of bool, shape (K,)
        ``|f′(x*)| < 1``: an attractor.
    """

    x: np.ndarray
    slope: np.ndarray
    stable: np.ndarray


def fixed_points(w, b, *, tol=1e-13):
    """Every fixed point of the cliff model's map, with its stability.

    Parameters
    ----------
    w, b : float
        Recurrent weight and bias, finite.
    tol : float, optional
        Bisection stops when the bracket is shorter than ``tol · (1 + |x|)``.

    Returns
    -------
    FixedPoints
        Arrays of shape ``(K,)``.

    Notes
    -----
    The map of eq-cliff-model, ``f(x) = w σ(x) + b``. Every fixed point lies in
    ``[b + min(w, 0), b + max(w, 0)]`` (as ``0 < σ < 1``), and ``g(x) = f(x) − x`` has at most
    three zeros (``g″ = w σ″`` changes sign once). Sign changes of ``g`` on a fine grid of that
    interval are refined by bisection; a double zero (exactly at a bifurcation, see
    :func:`bifurcation_biases`) may be missed. A fixed point attracts when
    ``|f′(x*)| = |w σ′(x*)| < 1``.
    """
    w, b = _wb(w, b)
    tol = _checks.check_real(tol, "tol", positive=True)
    lo, hi = b + min(w, 0.0) - 1.0, b + max(w, 0.0) + 1.0

    def g(x):
        return w * _sigmoid(x) + b - x

    grid = np.linspace(lo, hi, 20_001)
    values = g(grid)
    roots = [float(grid[i]) for i in np.nonzero(values == 0.0)[0]]
    for i in np.nonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)[0]:
        a, c, ga = float(grid[i]), float(grid[i + 1]), float(values[i])
        while c - a > tol * (1.0 + abs(a)):
            m = 0.5 * (a + c)
            gm = float(g(np.float64(m)))
            if gm == 0.0:
                a = c = m
                break
            if (gm < 0) == (ga < 0):
                a, ga = m, gm
            else:
                c = m
        roots.append(0.5 * (a + c))
    x = np.array(sorted(roots))
    slope = w * activations.sigmoid.deriv(x)
    return FixedPoints(x=x, slope=slope, stable=np.abs(slope) < 1.0)


@dataclasses.dataclass(frozen=True)
class Trajectory:
    """States and state gradients of the cliff model (see :func:`trajectory`).

    Attributes
    ----------
    x : numpy.ndarray, shape (steps + 1,)
        ``x_0 … x_steps``.
    log10_gain : numpy.ndarray, shape (steps + 1,)
        ``log10 |∂x_t/∂x_0|`` for ``t = 0 … steps`` (0 at ``t = 0``).
    """

    x: np.ndarray
    log10_gain: np.ndarray


def trajectory(w, b, x0, *, steps=50):
    """Follow one state of the cliff model and the gradient ``∂x_t/∂x_0`` along it.

    Parameters
    ----------
    w, b : float
        Recurrent weight and bias (finite, ``w ≠ 0``).
    x0 : float
        Initial state.
    steps : int, optional
        Number of steps (default 50).

    Returns
    -------
    Trajectory
        ``x`` and ``log10_gain``, each of shape ``(steps + 1,)``.

    Raises
    ------
    ValueError
        If ``w = 0`` (the gradient is then exactly 0 and has no logarithm).

    Notes
    -----
    eq-cliff-model with its step Jacobian ``∂x_t/∂x_{t−1} = w σ′(x_{t−1})``, multiplied as in
    eq-jacobian-product: ``log|∂x_t/∂x_0| = Σ_{s<t} (log|w| + log σ′(x_s))``, in log space so
    that it never underflows.
    """
    w, b = _wb(w, b)
    if w == 0.0:
        raise ValueError("w: expected a nonzero weight (with w = 0 every gradient is 0), got 0")
    x0 = _checks.check_real(x0, "x0")
    steps = _checks.check_size(steps, "steps")
    _checks.check_entries("steps", steps + 1, "the states")
    x = np.empty(steps + 1)
    x[0] = x0
    for t in range(1, steps + 1):
        x[t] = w * _sigmoid(x[t - 1]) + b
    logs = (math.log(abs(w)) + _log_slope(x[:-1])) / math.log(10.0)
    return Trajectory(x=x, log10_gain=np.r_[0.0, np.cumsum(logs)])


def noisy_final_states(w, b, x0, *, steps, noise, n, seed=0):
    """Where ``n`` noisy copies of one state end: ``x_t = w σ(x_{t−1}) + b + ε_t``.

    Parameters
    ----------
    w, b, x0 : float
        The map and the common initial state.
    steps : int
        Number of steps.
    noise : float
        Standard deviation of the Gaussian ``ε_t`` (non-negative).
    n : int
        Number of independent copies.
    seed : int, optional
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``x_steps`` of each copy.

    Notes
    -----
    eq-cliff-model with additive noise: the test of whether a state stores its bit robustly.
    """
    w, b = _wb(w, b)
    x0 = _checks.check_real(x0, "x0")
    steps = _checks.check_size(steps, "steps")
    noise = _checks.check_real(noise, "noise", nonnegative=True)
    n = _checks.check_size(n, "n")
    _checks.check_entries("n", steps * n, "the noise (steps, n)")
    rng = np.random.default_rng(_checks.check_seed(seed))
    x = np.full(n, x0)
    with np.errstate(over="ignore", invalid="ignore"):
        for eps in rng.standard_normal((steps, n)):
            x = w * _sigmoid(x) + b + noise * eps
    if not np.isfinite(x).all():
        raise FloatingPointError(f"noise: the noisy states overflowed float64 (noise={noise}, "
                                 f"x0={x0}); use a smaller noise or x0")
    return x


def bifurcation_biases(w):
    """The biases at which the cliff model gains or loses a pair of fixed points.

    Parameters
    ----------
    w : float
        Recurrent weight, ``w > 4`` (for ``w ≤ 4`` the map has one fixed point for every ``b``).

    Returns
    -------
    (float, float)
        ``b_low < b_high``: for ``b_low < b < b_high`` the map has three fixed points (two
        attractors), outside that interval one.

    Notes
    -----
    A saddle-node bifurcation of eq-cliff-model: ``f(x) = x`` and ``f′(x) = w σ′(x) = 1`` at
    once. ``σ′ = σ(1 − σ) = 1/w`` gives ``σ = (1 ± √(1 − 4/w))/2``, ``x = log(σ/(1 − σ))``
    and ``b = x − w σ``.
    """
    w = _checks.check_real(w, "w")
    if w <= 4.0:
        raise ValueError(f"w: expected w > 4 (bistability needs w σ′(0) = w/4 > 1), got {w}")
    root = math.sqrt(1.0 - 4.0 / w)
    small = (4.0 / w) / (1.0 + root)      # 1 − root without cancellation (w may be huge)
    x = math.log(small) - math.log(1.0 + root)         # at σ = (1 − root)/2
    lows = (x - w * (small / 2.0), -x - w * ((1.0 + root) / 2.0))  # ... at σ = (1 + root)/2
    return min(lows), max(lows)
