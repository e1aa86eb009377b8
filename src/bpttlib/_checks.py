"""Private validation helpers shared by every bpttlib module.

Every helper takes the *name* of the argument it checks, so that the error a user sees names
that argument, says what was expected and what was received, e.g.::

    ValueError("xs: expected shape (T, I) or (T, B, I) with I=3, got (5, 4)")

Wrong *types* raise ``TypeError``; wrong shapes, sizes, ranges and names raise ``ValueError``.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence

import numpy as np

__all__ = [
    "as_float_array",
    "as_int_array",
    "check_finite",
    "check_ndim",
    "check_shape",
    "as_sequence",
    "as_mask",
    "check_name",
    "check_positive_int",
    "check_optional_positive_int",
    "check_int",
    "check_real",
    "check_instance",
    "check_dataclass",
    "check_seed",
    "shape_str",
    "MAX_SIZE",
    "MAX_ENTRIES",
    "check_size",
    "check_entries",
    "scaled",
]

#: The largest size (``T``, ``H``, ``n``, a batch, a number of steps) any function accepts.
MAX_SIZE = 10_000_000
#: The largest number of entries of an array a function is asked to allocate (2**27 float64
#: entries, 1 GiB).
MAX_ENTRIES = 2**27


def shape_str(shape: tuple[int, ...]) -> str:
    """Format a shape as ``(5, 4)`` (a 1-tuple as ``(5,)``)."""
    return str(tuple(int(n) for n in shape))


def _describe(x: object) -> str:
    return type(x).__name__


def as_float_array(x: object, name: str, *, finite: bool = True) -> np.ndarray:
    """Coerce ``x`` to a float64 ndarray (a copy only when needed).

    Raises ``TypeError`` for non-numeric input (strings, objects, complex numbers, None) and
    ``ValueError`` for ragged nested lists or, if ``finite``, for NaN/Inf entries.
    """
    if x is None:
        raise TypeError(f"{name}: expected an array of real numbers, got None")
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name}: expected an array of real numbers, got {_describe(x)}")
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except ValueError as exc:  # ragged nested sequences (numpy >= 1.24)
            raise ValueError(
                f"{name}: expected a rectangular array (not a ragged list), got {_describe(x)}"
            ) from exc
    if arr.dtype == object:
        raise ValueError(
            f"{name}: expected a rectangular array of real numbers (not a ragged list or "
            f"objects), got dtype object"
        )
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected an array of real numbers, got dtype {arr.dtype}")
    arr = np.asarray(arr, dtype=np.float64)
    if finite:
        check_finite(arr, name)
    return arr


def _rectangular(x: object, name: str, what: str) -> np.ndarray:
    """``np.asarray(x)``, naming ``name`` if ``x`` is None, a string or a ragged list."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name}: expected an array of {what}, got {_describe(x)}")
    try:
        return np.asarray(x)
    except ValueError as exc:
        raise ValueError(
            f"{name}: expected a rectangular array (not a ragged list), got {_describe(x)}"
        ) from exc


def as_int_array(x: object, name: str) -> np.ndarray:
    """Coerce ``x`` to an int64 ndarray; only integer (not bool, not float) input is accepted."""
    arr = _rectangular(x, name, "integers")
    if arr.dtype == object:
        raise ValueError(f"{name}: expected a rectangular array of integers, got dtype object")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected an array of integers, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def as_bool_array(x: object, name: str) -> np.ndarray:
    """Coerce ``x`` to a bool ndarray; only boolean input is accepted (a ragged list names ``x``)."""
    arr = _rectangular(x, name, "booleans")
    if arr.dtype != bool:
        raise TypeError(f"{name}: expected an array of booleans, got dtype {arr.dtype}")
    return arr


def check_finite(arr: np.ndarray, name: str) -> np.ndarray:
    """Raise ``ValueError`` naming the first NaN/Inf entry of ``arr``; return ``arr``."""
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = tuple(int(i) for i in bad)
        value = arr[where] if arr.ndim else arr[()]
        raise ValueError(
            f"{name}: expected finite values, got NaN/Inf at index {where} (value {value})"
        )
    return arr


def check_ndim(arr: np.ndarray, name: str, ndims: Sequence[int], expected: str) -> np.ndarray:
    """Raise ``ValueError`` unless ``arr.ndim`` is one of ``ndims``; ``expected`` describes it."""
    if arr.ndim not in ndims:
        raise ValueError(f"{name}: expected shape {expected}, got {shape_str(arr.shape)}")
    return arr


def check_shape(arr: np.ndarray, name: str, shape: tuple[int, ...], what: str = "") -> np.ndarray:
    """Raise ``ValueError`` unless ``arr.shape == shape``; ``what`` may explain the symbols."""
    if tuple(arr.shape) != tuple(shape):
        extra = f" {what}" if what else ""
        raise ValueError(
            f"{name}: expected shape {shape_str(shape)}{extra}, got {shape_str(arr.shape)}"
        )
    return arr


def as_sequence(
    x: object, name: str, size: int | None = None, size_name: str = "I"
) -> tuple[np.ndarray, bool]:
    """Validate a time-major sequence ``(T, n)`` or ``(T, B, n)``; return ``(array, batched)``.

    ``size`` (if given) is the required last axis; ``T`` and ``B`` must be at least 1.
    """
    arr = as_float_array(x, name, finite=False)
    with_size = f" with {size_name}={size}" if size is not None else ""
    expected = f"(T, {size_name}) or (T, B, {size_name}){with_size}"
    if arr.ndim not in (2, 3) or (size is not None and arr.shape[-1] != size):
        raise ValueError(f"{name}: expected shape {expected}, got {shape_str(arr.shape)}")
    if min(arr.shape) < 1:
        raise ValueError(
            f"{name}: expected shape {expected} with every axis at least 1, "
            f"got {shape_str(arr.shape)}"
        )
    check_finite(arr, name)
    return arr, arr.ndim == 3


def as_mask(mask: object, T: int, B: int | None, name: str = "mask") -> np.ndarray:
    """Validate loss weights ``m_t``: shape ``(T,)`` or, with a batch, ``(T, B)``.

    Returns a float64 array broadcastable against ``(T, [B])`` (``(T,)`` is returned as
    ``(T, 1)`` when there is a batch). ``None`` means all ones.
    """
    if mask is None:
        return np.ones((T, 1) if B is not None else (T,))
    arr = as_float_array(mask, name)
    if B is None:
        check_shape(arr, name, (T,), "(T,)")
    elif arr.shape == (T,):
        arr = arr[:, None]
    elif arr.shape != (T, B):
        raise ValueError(f"{name}: expected shape (T,) or (T, B) = ({T},) or ({T}, {B}), "
                         f"got {shape_str(arr.shape)}")
    if (arr < 0).any():
        bad = tuple(int(i) for i in np.argwhere(arr < 0)[0])
        raise ValueError(f"{name}: expected non-negative weights, got {arr[bad]} at index {bad}")
    return arr


def check_name(value: object, name: str, choices: Sequence[str]) -> str:
    """Check that ``value`` is one of the strings ``choices``."""
    listed = ", ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected one of {listed}, got {_describe(value)} {value!r}")
    if value not in choices:
        raise ValueError(f"{name}: expected one of {listed}, got {value!r}")
    return value


def check_int(value: object, name: str, *, minimum: int | None = None) -> int:
    """Check ``value`` is an integer (not bool, not float) and at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an integer, got {_describe(value)} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    return value


def check_size(value: object, name: str, *, minimum: int = 1) -> int:
    """An integer size in ``minimum … MAX_SIZE`` (``ValueError`` beyond: a clear limit instead of
    numpy's ``MemoryError``)."""
    value = check_int(value, name, minimum=minimum)
    if value > MAX_SIZE:
        raise ValueError(f"{name}: expected an integer <= {MAX_SIZE:_} (bpttlib's size limit), "
                         f"got {value}")
    return value


def check_entries(name: str, count: int, what: str) -> int:
    """Raise ``ValueError`` naming ``name`` if an array of ``count`` entries would exceed
    ``MAX_ENTRIES``; ``what`` describes the array (``"W_s (H, H) with H=100000"``)."""
    if count > MAX_ENTRIES:
        raise ValueError(f"{name}: expected a size giving at most {MAX_ENTRIES:_} entries for "
                         f"{what}, got {count:_} entries")
    return count


def check_positive_int(value: object, name: str) -> int:
    """Check ``value`` is an integer >= 1."""
    return check_int(value, name, minimum=1)


def check_optional_positive_int(value: object, name: str) -> int | None:
    """``None`` or an integer >= 1."""
    return None if value is None else check_positive_int(value, name)


def check_real(
    value: object,
    name: str,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    finite: bool = True,
) -> float:
    """Check ``value`` is a real scalar (not bool); optionally > 0 or >= 0, and finite."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {_describe(value)} {value!r}")
    value = float(value)
    if finite and not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value}")
    if positive and not value > 0:
        raise ValueError(f"{name}: expected a positive number, got {value}")
    if nonnegative and not value >= 0:
        raise ValueError(f"{name}: expected a non-negative number, got {value}")
    return value


def check_instance(value: object, name: str, cls: type | tuple[type, ...]) -> object:
    """Raise ``TypeError`` unless ``isinstance(value, cls)``."""
    if not isinstance(value, cls):
        names = " or ".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
        raise TypeError(f"{name}: expected {names}, got {_describe(value)}")
    return value


def check_dataclass(value: object, name: str) -> object:
    """Raise ``TypeError`` unless ``value`` is a dataclass *instance* (a parameter container)."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        raise TypeError(
            f"{name}: expected a parameter container (a dataclass such as RNNParams), "
            f"got {_describe(value)}"
        )
    return value


def check_seed(seed: object, name: str = "seed") -> int:
    """A non-negative integer seed for ``numpy.random.default_rng``."""
    return check_int(seed, name, minimum=0)


def scaled(scale: float, arr: np.ndarray, name: str) -> np.ndarray:
    """``scale * arr``, or ``ValueError`` naming ``name`` (the scale) if that overflows."""
    with np.errstate(over="ignore"):
        out = scale * arr
    if not np.isfinite(out).all():
        raise ValueError(f"{name}: expected a scale that keeps the values finite in float64, "
                         f"got {scale}")
    return out
