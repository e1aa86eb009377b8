"""The one walk over parameter containers: their fields, one flat vector, the global norm.

Parameters and gradients travel in frozen dataclasses of arrays (``RNNParams``, ``LSTMParams``,
``GRUParams``, or any user dataclass of the same form). Every module that treats such a
container field by field (the optimizers of :mod:`bpttlib.train`, the clipping of
:mod:`bpttlib.clipping`, the finite differences of :mod:`bpttlib.gradcheck`) walks it through
the functions here, so that they agree on what a field is:

- a field is an ``init`` field of the dataclass (fields declared ``init=False`` are derived by
  the container itself and recomputed by :func:`replace`);
- its value is a numpy array of real numbers (bool, integer or float dtype); a complex or
  object array is a ``TypeError`` naming ``<argument>.<field>``.

The library's own containers also carry the methods of :class:`Params`
(``arrays``/``map``/``zip_map``), e.g. ``p.zip_map(lambda w, g: w - lr * g, g)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping

import numpy as np

from . import _checks

__all__ = ["Params", "fields", "names", "flat", "global_norm", "cosine", "replace", "apply",
           "check_like"]


class Params:
    """Mixin for frozen dataclasses whose fields are all numpy arrays."""

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays in field order."""
        return tuple(a for _, a in fields(self, "self"))

    def map(self, fn: Callable[[np.ndarray], np.ndarray]):
        """A new container of the same type with ``fn`` applied to every array."""
        return replace(self, apply(fn, self))

    def zip_map(self, fn: Callable[[np.ndarray, np.ndarray], np.ndarray], other):
        """Field-wise ``fn(self.f, other.f)``, e.g. ``p.zip_map(lambda w, g: w - 0.1 * g, g)``."""
        _checks.check_instance(other, "other", type(self))
        return replace(self, apply(fn, self, other))


def _check_container(p: object, name: str) -> None:
    if not dataclasses.is_dataclass(p) or isinstance(p, type):
        raise TypeError(
            f"{name}: expected a parameter container (a dataclass such as RNNParams, "
            f"LSTMParams, GRUParams), got {type(p).__name__}"
        )


def fields(p: object, name: str = "params", *, skip_non_arrays: bool = False
           ) -> tuple[tuple[str, np.ndarray], ...]:
    """The ``(field name, array)`` pairs of a parameter container, in field order.

    Parameters
    ----------
    p : dataclass instance
        A parameter container (``RNNParams``, ``LSTMParams``, ``GRUParams``, ...).
    name : str, optional
        The argument name used in error messages (``"grads"`` gives ``grads.W_s: ...``).
    skip_non_arrays : bool, optional
        Leave out init fields that do not hold numpy arrays (default: ``TypeError``).

    Returns
    -------
    tuple of (str, numpy.ndarray)
        The init fields only; the arrays as stored (not copied).

    Raises
    ------
    TypeError
        If ``p`` is not a dataclass instance, a field is not a numpy array (unless
        ``skip_non_arrays``), or an array is not real (complex, object, string dtype).
    """
    _check_container(p, name)
    out = []
    for f in dataclasses.fields(p):
        if not f.init:
            continue
        value = getattr(p, f.name)
        label = f"{name}.{f.name}"
        if not isinstance(value, np.ndarray):
            if skip_non_arrays:
                continue
            raise TypeError(f"{label}: expected a numpy array, got {type(value).__name__}")
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{label}: expected an array of real numbers, got dtype {value.dtype}")
        out.append((f.name, value))
    return tuple(out)


def names(p: object, name: str = "params") -> tuple[str, ...]:
    """The field names of :func:`fields`, in order."""
    return tuple(n for n, _ in fields(p, name))


def flat(p: object, name: str = "params") -> np.ndarray:
    """All fields of a container as ONE float64 vector (field order, each field C-ordered).

    Parameters
    ----------
    p : dataclass instance
        A parameter container.
    name : str, optional
        The argument name used in error messages.

    Returns
    -------
    numpy.ndarray, shape (N,)
        ``N`` is the total number of entries, e.g. ``H·I + H² + H + O·H + O`` for an RNN.
    """
    arrays = [np.asarray(a, dtype=np.float64).ravel() for _, a in fields(p, name)]
    return np.concatenate(arrays) if arrays else np.zeros(0)


def global_norm(p: object, name: str = "params") -> float:
    """The 2-norm of all entries of all fields together, without overflow.

    Parameters
    ----------
    p : dataclass instance, numpy.ndarray or mapping of str to numpy.ndarray
        A parameter container, one array, or arrays by field name.
    name : str, optional
        The argument name used in error messages.

    Returns
    -------
    float
        ``‖g‖₂``. Computed as ``s · ‖g / s‖₂`` with ``s = max |g_i|``, so it is finite whenever
        the true norm is below about ``1.8e308`` (a naive sum of squares overflows from
        ``|g_i| ≈ 1e154``); ``inf`` beyond that or if an entry is NaN/Inf.

    Notes
    -----
    ``‖g‖₂ = (Σ_f Σ_i g_{f,i}²)^{1/2}``, the norm that eq-clip-norm compares with ``θ``.
    """
    if isinstance(p, np.ndarray):
        arrays = [_checks.as_float_array(p, name, finite=False)]
    elif isinstance(p, Mapping):
        arrays = [_checks.as_float_array(a, f"{name}.{k}", finite=False) for k, a in p.items()]
    else:
        arrays = [np.asarray(a, dtype=np.float64) for _, a in fields(p, name)]
    if not all(np.isfinite(a).all() for a in arrays):
        return math.inf
    scale = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=0.0)
    if scale == 0.0:
        return 0.0
    rel = math.sqrt(sum(float(np.sum(np.square(a / scale))) for a in arrays))
    with np.errstate(over="ignore"):
        return float(np.float64(scale) * rel)  # inf only beyond the float64 range


def replace(p: object, arrays: Mapping[str, np.ndarray]):
    """A container of the same type with the fields in ``arrays`` replaced.

    Parameters
    ----------
    p : dataclass instance
    arrays : mapping of str to numpy.ndarray
        New values by field name (init fields only; derived ``init=False`` fields are
        recomputed by the container).

    Returns
    -------
    same type as ``p``
    """
    return dataclasses.replace(p, **arrays)


def apply(fn: Callable[..., np.ndarray], *trees) -> dict[str, np.ndarray]:
    """``fn`` field by field over containers (or dicts by field name) with the same fields.

    Parameters
    ----------
    fn : callable
        ``fn(a_1, …, a_n) -> array`` for the same field of every tree.
    *trees : dataclass instances or dicts
        The first one fixes the field names (a container's :func:`names`, or a dict's keys).

    Returns
    -------
    dict of str to numpy.ndarray
    """
    first = trees[0]
    keys = tuple(first) if isinstance(first, dict) else names(first)
    return {k: fn(*(t[k] if isinstance(t, dict) else getattr(t, k) for t in trees))
            for k in keys}


def check_like(value: object, like: object, name: str) -> object:
    """Check that ``value`` is a container of ``like``'s type with the same field shapes.

    Parameters
    ----------
    value : object
        E.g. the gradients an objective returned.
    like : dataclass instance
        E.g. the parameters they belong to.
    name : str
        What to blame in the message (``"objective"``).

    Returns
    -------
    object
        ``value``.

    Raises
    ------
    TypeError
        If ``value`` is not of ``type(like)`` or holds a non-real field.
    ValueError
        If a field's shape differs from ``like``'s.
    """
    if type(value) is not type(like):
        raise TypeError(f"{name}: expected a {type(like).__name__} like params, "
                        f"got {type(value).__name__}")
    for (field, a), (_, b) in zip(fields(value, name), fields(like, name)):
        if a.shape != b.shape:
            raise ValueError(f"{name}: expected {field} of shape {_checks.shape_str(b.shape)} "
                             f"like params, got {_checks.shape_str(a.shape)}")
    return value


def cosine(a: object, b: object) -> float:
    """Cosine of the angle between two gradients (containers or arrays of one size).

    Parameters
    ----------
    a, b : parameter container or array_like
        Containers are taken as :func:`flat` vectors, arrays of any shape as their entries;
        both must have the same number of entries, all finite.

    Returns
    -------
    float
        ``a·b / (‖a‖ ‖b‖)`` in ``[-1, 1]``; ``0.0`` when either has no direction (all zeros).

    Raises
    ------
    ValueError
        If the sizes differ or an entry is NaN or infinite (naming ``a`` or ``b``).

    Notes
    -----
    How far clipping (eq-clip-value) or truncation (eq-truncated-bptt) turns a gradient.
    """
    u, v = (flat(x, n) if dataclasses.is_dataclass(x) and not isinstance(x, type)
            else _checks.as_float_array(x, n).ravel() for x, n in ((a, "a"), (b, "b")))
    if u.size != v.size:
        raise ValueError(f"b: expected {u.size} entries like a, got {v.size}")
    nu, nv = global_norm(u, "a"), global_norm(v, "b")
    if nu == 0.0 or nv == 0.0:
        return 0.0
    return float(np.clip(np.dot(u / nu, v / nv), -1.0, 1.0))
