"""Tiny timing helpers shared by the benchmark scripts (``benchmarks/bench_*.py``).

Usage::

    from _timing import pin_single_thread   # one BLAS thread, for a fair comparison
    pin_single_thread()
    import numpy as np
    from _timing import median_time, fmt, fit_exponent, threads_report

Timing never decides a unit test; these scripts only print.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

def pin_single_thread() -> None:
    """One BLAS/OpenMP thread for numpy (and torch, which the scripts set themselves).

    Sets the generic ``OMP_NUM_THREADS=1`` (unless already set) for libraries loaded later,
    and limits those already loaded with threadpoolctl. No ``OPENBLAS_*`` variable is touched:
    some machines set those for correctness.
    """
    from threadpoolctl import threadpool_limits

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    threadpool_limits(1)


def threads_report() -> str:
    """One line on the thread pools in force (numpy's BLAS as threadpoolctl sees it)."""
    import numpy  # noqa: F401  (load the BLAS so that threadpoolctl can see it)
    from threadpoolctl import threadpool_info

    pools = ", ".join(f"{p['internal_api']} {p.get('architecture') or ''} "
                      f"{p['num_threads']} thread(s)".replace("  ", " ")
                      for p in threadpool_info())
    return f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; " \
           f"{pools or 'no BLAS pool found'}; cpu count: {os.cpu_count()}"


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
