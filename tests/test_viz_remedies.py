"""bpttlib.viz.remedies: leaky decay, memory capacity and orthogonality-drift figures."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import leaky, sweeps, viz


def test_leaky_decay_figure_has_one_curve_per_alpha():
    fig = viz.leaky_decay_figure([1.0, 0.1], T=30, n_hidden=6)
    assert [t.name for t in fig.data] == ["α = 1", "α = 0.1"]
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    want = leaky.leaky_decay_curve(1.0, 0.1, T=30, n_hidden=6)[::-1]
    assert_allclose(fig.data[1].y, want, rtol=1e-5)


def test_memory_capacity_figure_draws_median_and_range():
    mc = np.array([[1.0, 5.0, 2.0], [2.0, 7.0, 1.0], [3.0, 6.0, 0.5]])
    fig = viz.memory_capacity_figure([0.5, 1.0, 1.5], mc, n_hidden=10)
    band, median = fig.data
    assert list(median.y) == [2.0, 6.0, 1.0]
    assert list(band.y) == [3.0, 7.0, 2.0, 0.5, 5.0, 1.0]
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    with pytest.raises(ValueError, match="^capacity: "):
        viz.memory_capacity_figure([0.5, 1.0], mc, n_hidden=10)


def test_orthogonality_figure_draws_each_seed_and_the_median():
    errs = {"a": np.array([[1e-15, 1e-15], [1e-16, 1e-14]]), "b": np.array([[0.1, 1.0]])}
    fig = viz.orthogonality_figure([0, 10], errs)
    assert len(fig.data) == 2 + 1 + 1 + 1
    assert_allclose(fig.data[2].y, [-15.5, -14.5], atol=1e-5)
    assert fig.data[2].showlegend is not False and fig.data[0].showlegend is False
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    with pytest.raises(ValueError, match=r"^errors\['b'\]: "):
        viz.orthogonality_figure([0, 10, 20], {"b": np.ones((1, 2))})


def test_leaky_decay_curves_rows_by_distance():
    got = sweeps.leaky_decay_curves([1.0, 0.3], T=20, n_hidden=5)
    assert got.shape == (2, 21)
    assert_allclose(got[1], leaky.leaky_decay_curve(1.0, 0.3, T=20, n_hidden=5)[::-1])
    with pytest.raises(ValueError, match="^alphas: "):
        sweeps.leaky_decay_curves([])


def test_memory_capacity_sweep_sums_the_curves():
    mc, curves = sweeps.memory_capacity_sweep([0.5, 1.0], [0, 1], n_hidden=5, max_delay=8,
                                              T_train=100, T_test=50, washout=10)
    assert mc.shape == (2, 2) and curves.shape == (2, 2, 8)
    assert_allclose(mc, curves.sum(-1))
    with pytest.raises(TypeError, match="^seeds: "):
        sweeps.memory_capacity_sweep([0.5], "01")
