"""Project-wide pytest configuration.

- hypothesis: a fixed, derandomized profile, so a test run is repeatable.
- one BLAS thread (``OMP_NUM_THREADS``), unless the caller chose otherwise.
- ``book``: one clean build of the whole book per test session, shared by the book tests;
  ``second_book``: another, built in the background while the browser tests run.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

# One BLAS thread for the tests and the kernels they start (the book's matrices are small and
# two threads fight over a two-core machine). OpenBLAS reads the generic OMP_NUM_THREADS; no
# OPENBLAS_* variable is ever set (some machines set those for correctness).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest
from hypothesis import HealthCheck, settings

from book_support import build_book

settings.register_profile(
    "gtt", derandomize=True, deadline=None, max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("gtt")


# The reproducibility test compares two clean builds. The second one runs in the background from
# the moment the first is done, overlapping the browser tests (which mostly wait on pages), and
# that test runs last; it is started only when that test was collected.
REBUILD_TEST = "test_two_clean_builds_give_identical_chapter_html"
_rebuild: dict = {}


def pytest_collection_modifyitems(config, items):
    last = [item for item in items if item.originalname == REBUILD_TEST]
    items[:] = [item for item in items if item.originalname != REBUILD_TEST] + last
    _rebuild["wanted"] = bool(last)


@pytest.fixture(scope="session")
def book(tmp_path_factory):
    """The book, built from clean with warnings as errors (the build is the integration test)."""
    built = build_book(tmp_path_factory.mktemp("book"))
    if _rebuild.get("wanted"):
        pool = ThreadPoolExecutor(max_workers=1)
        _rebuild["future"] = pool.submit(build_book, tmp_path_factory.mktemp("book-again"))
        pool.shutdown(wait=False)
    return built


@pytest.fixture(scope="session")
def second_book(book, tmp_path_factory):
    """A second clean build of the book (started in the background by ``book``)."""
    future = _rebuild.get("future")
    return future.result() if future else build_book(tmp_path_factory.mktemp("book-again"))


@pytest.fixture(scope="session")
def small_decay_grid():
    """A small ``sweeps.decay_grid``: four radii x every activation, T=30, H=8."""
    from bpttlib import activations, sweeps

    return sweeps.decay_grid([0.5, 1.0, 1.5, 3.0], activations.ACTIVATIONS, T=30, n_hidden=8)


@pytest.fixture(scope="session")
def small_truncation_sweep():
    """``sweeps.agreement_sweep`` on a small batch: T=12, 8 sequences, H=6, orthogonal W_s."""
    from bpttlib import sweeps

    return sweeps.agreement_sweep(12, n=8, n_hidden=6)
