"""Project-wide pytest configuration.

- hypothesis: a fixed, derandomized profile, so a test run is repeatable.
- one BLAS thread (``OMP_NUM_THREADS``), unless the caller chose otherwise.
- the kernels the tests start (book builds, JupyterLab, notebooks run by tests) use an IPython
  directory of this process's own, not ``~/.ipython``, and keep no history.
- ``book``: one clean build of the whole book per test session, shared by the book tests;
  ``second_book``: another, built in the background while the browser tests run.
- pytest-xdist (``make test`` runs one worker per core): the modules whose tests use ``book``
  form one unit of work (one build in one worker, not one per worker), every other module is
  a unit of its own (its module-scoped fixtures, a JupyterLab server or a venv with an extra,
  are made once).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# One BLAS thread for the tests and the kernels they start (the book's matrices are small and
# two threads fight over a two-core machine). OpenBLAS reads the generic OMP_NUM_THREADS; no
# OPENBLAS_* variable is ever set (some machines set those for correctness).
os.environ.setdefault("OMP_NUM_THREADS", "1")


def _own_ipython_dir() -> None:
    """The kernels started from here read no startup files or configuration from the
    developer's ``~/.ipython`` and write no history to its ``history.sqlite``: what a test
    kernel does comes from the project's own files."""
    import atexit
    import shutil
    import tempfile

    if "IPYTHONDIR" in os.environ:
        return
    home = Path(tempfile.mkdtemp(prefix="gtt-ipython-"))
    profile = home / "profile_default"
    profile.mkdir()
    for name in ("ipython_config.py", "ipython_kernel_config.py"):
        (profile / name).write_text("c.HistoryManager.enabled = False\n")
    os.environ["IPYTHONDIR"] = str(home)
    atexit.register(shutil.rmtree, home, ignore_errors=True)


_own_ipython_dir()

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


#: The test modules that use the session's built ``book``: one unit of work for pytest-xdist.
BOOK_MODULES = frozenset({"test_book", "test_browser", "test_browser_reader", "test_browser_decay",
                          "test_browser_pictures",
                          "test_gtt_sphinx_code", "test_thebe"})


def uses_the_built_book(item) -> bool:
    """Whether ``item`` needs the session's ``book`` (a module may define its own ``book``)."""
    defs = item._fixtureinfo.name2fixturedefs
    return any(defs.get(name) and defs[name][-1].scope == "session"
               for name in ("book", "second_book"))


def pytest_collection_modifyitems(config, items):
    last = [item for item in items if item.originalname == REBUILD_TEST]
    items[:] = [item for item in items if item.originalname != REBUILD_TEST] + last
    _rebuild["wanted"] = bool(last)
    strays = sorted({item.module.__name__ for item in items if uses_the_built_book(item)}
                    - BOOK_MODULES)
    if strays:
        raise pytest.UsageError(f"{', '.join(strays)} use(s) the built book: add to "
                                "BOOK_MODULES in tests/conftest.py (else each worker builds it)")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Units of work: the built book's modules together, every other module on its own.

    (pytest-xdist's ``--dist loadgroup`` cannot be used: it renames test ids through an
    attribute pytest 9 no longer reads.) The largest unit, the book's, is handed out first.
    """
    from xdist.scheduler import LoadScopeScheduling

    class BookScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "book" if Path(path).stem in BOOK_MODULES else path

    return BookScheduling(config, log)


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
