"""Central-difference gradients for any parameter container, and how far two containers differ.

Works for every frozen dataclass of arrays (``RNNParams``, ``LSTMParams``, ``GRUParams``, …):
each float array field is perturbed entry by entry, and the answer comes back in a container of
the same type with the same field names.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _checks
from . import params as ptree

__all__ = ["numerical_grads", "max_rel_error", "rel_errors"]


def _array_fields(params: object, name: str) -> list[str]:
    """Names of the fields of ``params`` that hold float arrays (the differentiable ones).

    Integer/bool arrays and non-array fields are left alone; complex or object arrays are a
    ``TypeError`` (their imaginary part would otherwise be dropped silently)."""
    return [f for f, a in ptree.fields(params, name, skip_non_arrays=True) if a.dtype.kind == "f"]


def _eval(loss_fn: Callable[[object], float], params: object) -> float:
    value = loss_fn(params)
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.floating,
                                                                      np.integer)):
        raise TypeError(f"loss_fn: expected it to return a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"loss_fn: expected a finite loss, got {value}")
    return value


def numerical_grads(loss_fn: Callable[[object], float], params: object,
                    eps: float = 1e-6) -> object:
    """Gradients of ``loss_fn`` at ``params`` by central differences.

    Parameters
    ----------
    loss_fn : callable
        ``params -> float``.
    params : dataclass instance
        A frozen container of arrays such as ``RNNParams``.
    eps : float, optional
        The step, ``> 0`` (default ``1e-6``).

    Returns
    -------
    Same type as ``params``
        Every float array field replaced by the estimate of ``∂L/∂field`` (same shape);
        other fields are copied unchanged.

    Notes
    -----
    ``∂L/∂θ_i ≈ (L(θ + ε e_i) − L(θ − ε e_i)) / 2ε``: two evaluations per parameter, error
    ``O(ε²)`` from truncation plus about ``1e-16 |L| / ε`` from rounding.
    """
    if not callable(loss_fn):
        raise TypeError(f"loss_fn: expected a callable, got {type(loss_fn).__name__}")
    _checks.check_dataclass(params, "params")
    eps = _checks.check_real(eps, "eps", positive=True)
    grads = {}
    for name in _array_fields(params, "params"):
        base = np.array(getattr(params, name), dtype=np.float64)
        g = np.zeros_like(base)
        for i in np.ndindex(base.shape):
            work = base.copy()
            with np.errstate(over="ignore"):
                work[i] = base[i] + eps
            if not np.isfinite(work[i]):
                raise ValueError(f"eps: expected a step that keeps params.{name} finite, "
                                 f"got {eps} (params.{name}{list(i)} = {base[i]})")
            plus = _eval(loss_fn, ptree.replace(params, {name: work}))
            with np.errstate(over="ignore"):
                work[i] = base[i] - eps
            if not np.isfinite(work[i]):
                raise ValueError(f"eps: expected a step that keeps params.{name} finite, "
                                 f"got {eps} (params.{name}{list(i)} = {base[i]})")
            minus = _eval(loss_fn, ptree.replace(params, {name: work}))
            with np.errstate(over="ignore", invalid="ignore"):
                g[i] = (plus - minus) / (2.0 * eps)
            if not np.isfinite(g[i]):
                raise FloatingPointError(
                    f"loss_fn: the central difference at params.{name}{list(i)} overflowed "
                    f"float64 (losses {plus:.3g} and {minus:.3g}, eps={eps:.3g}); the loss is "
                    f"too large or too steep for finite differences here"
                )
        grads[name] = g
    return ptree.replace(params, grads)


def rel_errors(a: object, b: object) -> tuple[tuple[str, float], ...]:
    """The relative error of every array field, as ``((name, error), ...)`` in field order.

    Parameters
    ----------
    a, b : dataclass instances of the same type
        E.g. analytic and numerical gradients.

    Returns
    -------
    tuple of (str, float)

    Notes
    -----
    Per field, a max-norm relative error: ``max_i |a_i − b_i| / max(max_i |a_i|, max_i |b_i|)``
    (0 when both fields are all zeros). Scaling by the field's largest entry, rather than entry
    by entry, keeps entries that are zero up to rounding from reporting an error of 1.
    """
    _checks.check_dataclass(a, "a")
    _checks.check_dataclass(b, "b")
    if type(a) is not type(b):
        raise TypeError(f"b: expected {type(a).__name__} like a, got {type(b).__name__}")
    out = []
    names = _array_fields(a, "a")
    _array_fields(b, "b")
    for name in names:
        x = np.asarray(getattr(a, name), dtype=np.float64)
        y = np.asarray(getattr(b, name), dtype=np.float64)
        if x.shape != y.shape:
            raise ValueError(f"b: expected field {name} of shape {_checks.shape_str(x.shape)} "
                             f"like a, got {_checks.shape_str(y.shape)}")
        _checks.check_finite(x, f"a.{name}")
        _checks.check_finite(y, f"b.{name}")
        if x.size == 0:
            out.append((name, 0.0))
            continue
        scale = max(float(np.max(np.abs(x))), float(np.max(np.abs(y))))
        # |x − y| / scale as |x/scale − y/scale|: the scaled entries lie in [-1, 1], so the
        # difference of two huge but finite fields cannot overflow
        err = 0.0 if scale == 0.0 else float(np.max(np.abs(x / scale - y / scale)))
        out.append((name, err))
    return tuple(out)


def max_rel_error(a: object, b: object) -> float:
    """The worst relative error over all fields of two parameter containers.

    Parameters
    ----------
    a, b : dataclass instances of the same type

    Returns
    -------
    float
        ``max`` over fields of the max-norm relative error of :func:`rel_errors`.

    Notes
    -----
    ``max_f max_i |a_fi − b_fi| / max(‖a_f‖_max, ‖b_f‖_max)``.
    """
    errs = rel_errors(a, b)
    return max((e for _, e in errs), default=0.0)
