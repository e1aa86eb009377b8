"""Tiny timing helpers shared by the benchmark scripts (``benchmarks/bench_*.py``).

Usage::

    from _timing import pin_single_thread   # before numpy is imported, for a fair comparison
    pin_single_thread()
    import numpy as np
    from _timing import median_time, fmt, fit_exponent, threads_report

Timing never decides a unit test; these scripts only print.
"""

from __future__ import annotations

import glob
import math
import os
import sys
import time
from collections.abc import Callable

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def pin_single_thread() -> bool:
    """Set the BLAS/OpenMP thread variables to 1 (unless already set).

    Must run before numpy (or torch) is imported to have any effect; returns ``False`` (and
    changes nothing) if numpy is already loaded.
    """
    if "numpy" in sys.modules:
        return False
    for var in _THREAD_VARS:
        os.environ.setdefault(var, "1")
    return True


def numpy_blas_threads() -> int | None:
    """The thread count of numpy's bundled OpenBLAS, or ``None`` if it cannot be asked."""
    import ctypes

    import numpy as np

    libdir = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
    for path in glob.glob(os.path.join(libdir, "*openblas*")):
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                     "openblas_get_num_threads"):
            fn = getattr(lib, name, None)
            if fn is not None:
                return int(fn())
    return None


def threads_report() -> str:
    """One line on the thread settings in force (environment and numpy's BLAS)."""
    env = ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in _THREAD_VARS[:3])
    n = numpy_blas_threads()
    return f"{env}; numpy OpenBLAS threads: {n if n is not None else 'unknown'}; " \
           f"cpu count: {os.cpu_count()}"


def median_time(fn: Callable[[], object], *, repeat: int = 15, number: int = 1,
                warmup: int = 2, min_time: float = 0.0) -> float:
    """Median over ``repeat`` runs of the time of ``number`` calls of ``fn``, per call (s).

    ``warmup`` untimed calls come first. If ``min_time`` is set, ``number`` is raised until one
    run takes at least that long (for functions much faster than the timer's noise).
    """
    for _ in range(warmup):
        fn()
    if min_time > 0:
        while True:
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            if time.perf_counter() - t0 >= min_time:
                break
            number *= 2
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    samples.sort()
    mid = len(samples) // 2
    return samples[mid] if len(samples) % 2 else 0.5 * (samples[mid - 1] + samples[mid])


def fmt(seconds: float) -> str:
    """``0.0123 -> '12.3 ms'``."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fit_exponent(sizes: list[float], seconds: list[float]) -> float:
    """Least-squares slope of ``log(time)`` against ``log(size)``: time ~ size^slope."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(t) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


def row(label: str, seconds: float, note: str = "") -> None:
    """Print one aligned result line."""
    print(f"  {label:<44s} {fmt(seconds):>10s}  {note}")
