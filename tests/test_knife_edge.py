"""Claims about training survive the last bit (the knife-edge test).

A training run is chaotic: another CPU's BLAS kernel, or initial weights moved by one part in
10^10, and after a few hundred steps it ends somewhere else. So the chapters state what runs
do over seeds, with margins. This test re-executes every chapter that trains, off its original
bits (``bpttlib.seeds``' knife-edge mode, ``BPTTLIB_KNIFE_EDGE``):

- ``perturb``: every ``train.fit`` and ``cliff_descent`` starts from its initial parameters
  moved by about 1e-10 relative;
- ``seeds``: every study (``seeds.study``) uses a disjoint set of seeds.

Every assert of the chapter must hold there too. A claim that flips is on a knife edge.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from bpttlib import seeds

from book_support import ROOT, execute_chapter, is_notebook, toc_pages

# a chapter trains if it calls one of these (directly or through the experiments' runner)
TRAINS = re.compile(r"\btrain\.fit\(|\brun_experiment\(|\bcliff_descent\(|\bseeds\.study\(")
TRAINING_CHAPTERS = [p for p in toc_pages() if is_notebook(p)
                     and TRAINS.search((ROOT / f"{p}.md").read_text())]


def test_the_training_chapters_are_found():
    assert {"book/clipping", "book/truncation", "book/gated", "book/remedies"} <= set(
        TRAINING_CHAPTERS)


MODES = ("perturb", "seeds")


@pytest.mark.slow
@pytest.mark.book
@pytest.mark.parametrize("page", TRAINING_CHAPTERS)
def test_chapter_claims_hold_off_their_original_bits(page):
    """Both modes at once (two kernels, one per core); every assert of the chapter must hold."""
    with ThreadPoolExecutor(len(MODES)) as pool:
        runs = {mode: pool.submit(execute_chapter, page, {seeds.ENV: mode}) for mode in MODES}
    failed = {}
    for mode, run in runs.items():
        try:
            run.result()
        except Exception as exc:  # CellExecutionError: the cell and the assert that flipped
            failed[mode] = str(exc)[-3000:]
    assert not failed, "\n\n".join(f"{page} with {seeds.ENV}={m}:\n{e}"
                                      for m, e in failed.items())


def test_the_perturbation_has_teeth(monkeypatch):
    """The mode is strong enough to move a chaotic quantity: the single-run number the
    clipping chapter once asserted (norm-clipped ReLU RNN, ρ = 2, 400 SGD steps, mean loss of
    the last 50) changes by more than 1 % under the 1e-10 perturbation."""
    from bpttlib import rnn, train

    def old_claim():
        net = rnn.init(2, 32, 1, spectral_radius=2.0, seed=0)
        data = train.task_data("adding", batch_size=16, T=40, seed=0)
        run = train.fit(net, train.rnn_objective(activation="relu"), data, steps=400,
                        optimizer=train.SGD(0.05), clip_norm=1.0)
        return run.history.loss[-50:].mean()

    monkeypatch.delenv(seeds.ENV, raising=False)
    plain = old_claim()
    monkeypatch.setenv(seeds.ENV, "perturb")
    moved = old_claim()
    assert abs(moved / plain - 1) > 0.01, (plain, moved)
    assert np.isfinite(plain) and np.isfinite(moved)


# Files that run the tests, CI, the build and the scripts: none may set an OPENBLAS_* variable
# (some machines set OPENBLAS_CORETYPE and friends for correctness; one BLAS thread is asked for
# with the generic OMP_NUM_THREADS or threadpoolctl instead).
SETS_OPENBLAS = [re.compile(r"\bOPENBLAS_\w+\s*[?:]?="),                  # make, shell
                 re.compile(r"(environ|setenv|setdefault|putenv)\W.{0,40}OPENBLAS_")]  # python


def sets_openblas(text: str) -> list[str]:
    """The non-comment lines of ``text`` that set an ``OPENBLAS_*`` variable."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    return [ln.strip() for ln in lines if any(p.search(ln) for p in SETS_OPENBLAS)]


def _runner_files():
    names = ["Makefile", ".ci/run", "postBuild", "tools/system-deps.sh"]
    for folder in ("tests", "experiments", "benchmarks", "tools"):
        names += [str(p.relative_to(ROOT)) for p in (ROOT / folder).glob("*.py")]
    names.remove("tests/test_knife_edge.py")  # this file: its examples below are strings
    return [ROOT / n for n in sorted(set(names)) if (ROOT / n).is_file()]


@pytest.mark.parametrize("path", _runner_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_runner_sets_an_openblas_variable(path):
    assert sets_openblas(path.read_text()) == []


@pytest.mark.parametrize("line, sets", [
    ("export OPENBLAS_NUM_THREADS ?= 1", True),
    ('os.environ["OPENBLAS_CORETYPE"] = "Haswell"', True),
    ("monkeypatch.setenv('OPENBLAS_NUM_THREADS', '1')", True),
    ('os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")', True),
    ("OPENBLAS_VERBOSE=2 make test", True),
    ("# no OPENBLAS_* variable is set here", False),
    ('os.environ.setdefault("OMP_NUM_THREADS", "1")', False),
])
def test_the_openblas_guard_catches_what_it_should(line, sets):
    assert bool(sets_openblas(line)) == sets
