"""The four activations φ of the book: value, derivative and derivative bound γ.

Each activation offers two ways to get ``φ'``:

- ``deriv(a)`` from the pre-activation ``a``, written so that it keeps *relative* accuracy far
  into saturation (``tanh'(40) ≈ 7e-35`` rather than an exact 0). The Jacobian tools use it,
  because they look at products of hundreds of these numbers in log space.
- ``log_deriv(a)``: ``log φ'(a)`` (natural log; ``-inf`` where ``φ'(a) = 0``), for products of
  Jacobians kept in log space, so that even ``tanh'(1000)`` does not underflow.
- ``deriv_from_value(s)`` from ``s = φ(a)`` (``1 − s²``, ``s(1 − s)``, …): two cheap array
  passes, accurate in absolute terms. ``rnn.bptt`` uses it, as every autograd engine does.

The two agree to rounding (absolute error ~1e-16).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _checks

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "get",
    "tanh",
    "sigmoid",
    "relu",
    "linear",
    "gamma",
]

#: The activation names accepted by every ``activation=`` argument.
ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """One activation φ.

    Attributes
    ----------
    name : str
        ``"tanh"``, ``"sigmoid"``, ``"relu"`` or ``"linear"``.
    gamma : float
        The bound ``γ = sup |φ'|`` (1, 1/4, 1, 1).
    value : callable
        ``(a, out=None) -> φ(a)``, elementwise; writes into ``out`` if given (as numpy ufuncs).
    deriv : callable
        ``a -> φ'(a)`` from the pre-activation, accurate far into saturation.
    deriv_from_value : callable
        ``(s, out=None) -> φ'(a)`` given ``s = φ(a)``; cheap, used by BPTT.
    log_deriv : callable
        ``a -> log φ'(a)`` (natural log, ``-inf`` where the derivative is exactly 0).
    """

    name: str
    gamma: float
    value: Callable[[Array], Array]
    deriv: Callable[[Array], Array]
    deriv_from_value: Callable[[Array], Array]
    log_deriv: Callable[[Array], Array]


# ---- tanh ---------------------------------------------------------------------------------------

def _tanh_deriv(a: Array) -> Array:
    # sech²(a) = 4 e^{-2|a|} / (1 + e^{-2|a|})²: no overflow, relative accuracy for large |a|.
    with np.errstate(over="ignore"):  # 2|a| beyond float64 is inf, and e^{-inf} = 0 exactly
        e = np.exp(-2.0 * np.abs(a))
    return 4.0 * e / (1.0 + e) ** 2


def _tanh_deriv_from_value(s: Array, out: Array | None = None) -> Array:
    d = np.multiply(s, s, out=out)
    return np.subtract(1.0, d, out=d)  # 1 − s², in place


def _tanh_log_deriv(a: Array) -> Array:
    with np.errstate(over="ignore"):  # 2|a| beyond float64 is inf: log φ' = -inf, exact
        x = 2.0 * np.abs(a)
    return np.log(4.0) - x - 2.0 * np.log1p(np.exp(-x))


def _tanh(a: Array, out: Array | None = None) -> Array:
    return np.tanh(a, out=out)


tanh = Activation("tanh", 1.0, _tanh, _tanh_deriv, _tanh_deriv_from_value, _tanh_log_deriv)


# ---- sigmoid ------------------------------------------------------------------------------------

def _sigmoid(a: Array, out: Array | None = None) -> Array:
    # σ(a) = 1/(1+e^{-a}) for a ≥ 0 and e^{a}/(1+e^{a}) for a < 0, both through e = e^{-|a|} ≤ 1.
    a = np.asarray(a, dtype=np.float64)
    e = np.exp(-np.abs(a))
    return np.divide(np.where(a >= 0, 1.0, e), 1.0 + e, out=out)


def _sigmoid_deriv(a: Array) -> Array:
    # σ'(a) = σ(a) σ(−a) = e^{-|a|} / (1 + e^{-|a|})²
    e = np.exp(-np.abs(a))
    return e / (1.0 + e) ** 2


def _sigmoid_deriv_from_value(s: Array, out: Array | None = None) -> Array:
    d = np.subtract(1.0, s, out=out)
    return np.multiply(d, s, out=d)  # s (1 − s)


def _sigmoid_log_deriv(a: Array) -> Array:
    x = np.abs(a)
    return -x - 2.0 * np.log1p(np.exp(-x))


sigmoid = Activation(
    "sigmoid", 0.25, _sigmoid, _sigmoid_deriv, _sigmoid_deriv_from_value, _sigmoid_log_deriv
)


# ---- relu ---------------------------------------------------------------------------------------

def _relu(a: Array, out: Array | None = None) -> Array:
    return np.maximum(a, 0.0, out=out)


def _relu_deriv(a: Array, out: Array | None = None) -> Array:
    # the convention φ'(0) = 0
    if out is None:
        return (np.asarray(a) > 0).astype(np.float64)
    return np.greater(a, 0.0, out=out)


def _relu_log_deriv(a: Array) -> Array:
    return np.where(np.asarray(a) > 0, 0.0, -np.inf)


# s = relu(a) > 0 exactly when a > 0, so the same function serves a and s
relu = Activation("relu", 1.0, _relu, _relu_deriv, _relu_deriv, _relu_log_deriv)


# ---- linear -------------------------------------------------------------------------------------

def _identity(a: Array, out: Array | None = None) -> Array:
    if out is None:
        return np.array(a, dtype=np.float64)
    np.copyto(out, a)
    return out


def _ones(a: Array, out: Array | None = None) -> Array:
    if out is None:
        return np.ones(np.shape(a))
    out.fill(1.0)
    return out


def _zeros(a: Array) -> Array:
    return np.zeros(np.shape(a))


linear = Activation("linear", 1.0, _identity, _ones, _ones, _zeros)


_REGISTRY = {act.name: act for act in (tanh, sigmoid, relu, linear)}


def get(name: object, argname: str = "activation") -> Activation:
    """The :class:`Activation` called ``name``.

    Parameters
    ----------
    name : str
        One of ``"tanh"``, ``"sigmoid"``, ``"relu"``, ``"linear"``.
    argname : str, optional
        The argument name used in error messages.

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        For an unknown name.
    TypeError
        If ``name`` is not a string.
    """
    return _REGISTRY[_checks.check_name(name, argname, ACTIVATIONS)]


def gamma(name: str) -> float:
    """The derivative bound ``γ = sup |φ'|`` of the activation ``name``.

    Notes
    -----
    ``γ`` enters the bound ``‖∂s_t/∂s_k‖₂ ≤ (γ σ_max(W_s))^(t−k)``.
    Book label: eq-jacobian-bound.
    """
    return get(name).gamma
