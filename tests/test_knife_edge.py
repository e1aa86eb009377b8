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

import numpy as np
import pytest

from book_support import ROOT, execute_chapter, is_notebook, toc_pages

# a chapter trains if it calls one of these (directly or through the experiments' runner)
TRAINS = re.compile(r"\btrain\.fit\(|\brun_experiment\(|\bcliff_descent\(|\bseeds\.study\(")
TRAINING_CHAPTERS = [p for p in toc_pages() if is_notebook(p)
                     and TRAINS.search((ROOT / f"{p}.md").read_text())]


def test_the_training_chapters_are_found():
    assert {"book/clipping", "book/truncation", "book/gated", "book/remedies"} <= set(
        TRAINING_CHAPTERS)


@pytest.mark.slow
@pytest.mark.book
@pytest.mark.parametrize("mode", ["perturb", "seeds"])
@pytest.mark.parametrize("page", TRAINING_CHAPTERS)
def test_chapter_claims_hold_off_their_original_bits(page, mode):
    execute_chapter(page, env={"BPTTLIB_KNIFE_EDGE": mode})


def test_the_perturbation_has_teeth(monkeypatch):
    """The mode is strong enough to move a chaotic quantity: the single-run number the
    clipping chapter once asserted (norm-clipped ReLU RNN, ρ = 2, 400 SGD steps, mean loss of
    the last 50) changes by more than 1 % under the 1e-10 perturbation."""
    from bpttlib import rnn, seeds, train

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
