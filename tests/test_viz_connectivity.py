"""Connectivity heatmaps (viz.connectivity) and their rows (sweeps.connectivity_rows)."""

from __future__ import annotations

import numpy as np
import pytest
from test_memorization import TINY

from bpttlib import memorization, sweeps, viz


@pytest.fixture(scope="module")
def tiny():
    return memorization.run(TINY)


def test_rows_are_medians_of_normalised_logs(tiny):
    labels, z = sweeps.connectivity_rows(tiny, "adding", 6)
    assert labels == [(m, s) for m in ("rnn", "lstm", "gru") for s in ("init", "trained")]
    assert z.shape == (6, 6)
    runs = [r for r in tiny["runs"] if r["model"] == "gru" and r["task"] == "adding"]
    curves = np.array([r["trained"]["example"] for r in runs])
    want = np.median(np.log10(curves / curves.max(axis=1, keepdims=True)), axis=0)
    np.testing.assert_allclose(z[-1], want, rtol=1e-12)
    assert np.all(z <= 1e-12)


@pytest.mark.parametrize("task", ["adding", "copy"])
def test_figure(tiny, task):
    marks = memorization.example_marks(tiny, task)
    fig = viz.connectivity_figure(tiny, task, marks=marks)
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == len(marks)
    assert fig.layout.title.text and fig.layout.xaxis.title.text
    assert len(fig.layout.shapes) >= 1
    x0 = min(s.x0 for s in fig.layout.shapes)
    assert x0 == pytest.approx(min(min(v) for v in marks.values()) - 0.5)


def test_bad_input(tiny):
    with pytest.raises(ValueError, match="marks"):
        viz.connectivity_figure(tiny, "adding", marks={7: [1]})
    with pytest.raises(ValueError, match="task, T"):
        sweeps.connectivity_rows(tiny, "adding", 99)
    with pytest.raises(ValueError, match="models"):
        sweeps.connectivity_rows(tiny, "adding", 6, models=("irnn",))
