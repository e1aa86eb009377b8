"""bpttlib.viz.rtrl (and sweeps.rtrl_costs): the memory and work of BPTT against RTRL."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from bpttlib import rtrl, sweeps, viz


def test_rtrl_costs_are_the_kernel_counts():
    c = sweeps.rtrl_costs([2, 8], [1, 10, 100], n_in=3, n_out=2)
    for i, H in enumerate([2, 8]):
        for j, T in enumerate([1, 10, 100]):
            for m in rtrl.METHODS:
                want = rtrl.cost(m, H, 3, 2, T)
                assert c.floats[m][i, j] == want.floats
                assert c.multiply_adds[m][i, j] == want.multiply_adds
        assert c.crossover[i] == rtrl.crossover_T(H, 3)
    # BPTT's memory grows with T, RTRL's does not
    assert np.all(np.diff(c.floats["bptt"], axis=1) > 0)
    assert np.all(np.diff(c.floats["rtrl"], axis=1) == 0)


@pytest.mark.parametrize("hidden, lengths, name, exc", [
    ("8", [1, 2], "hidden", TypeError),
    ([0], [1, 2], "hidden", ValueError),
    ([4], [3, 2], "lengths", ValueError),
    ([4], [], "lengths", ValueError),
    ([4], [1.5], "lengths", ValueError),
])
def test_rtrl_costs_bad_input(hidden, lengths, name, exc):
    with pytest.raises(exc, match=f"^{name}: "):
        sweeps.rtrl_costs(hidden, lengths)


def test_figure_has_both_panels_titles_and_crossover_marks():
    Hs, Ts = [4, 16, 128], np.unique(np.logspace(0, 4, 30).astype(int)).tolist()
    c = sweeps.rtrl_costs(Hs, Ts)
    fig = viz.rtrl_cost_figure(c)
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text
    assert fig.layout.xaxis.title.text and fig.layout.xaxis2.title.text
    assert fig.layout.yaxis.title.text and fig.layout.yaxis2.title.text
    lines = [d for d in fig.data if d.mode == "lines"]
    marks = [d for d in fig.data if d.mode == "markers"]
    assert len(lines) == 2 * 2 * len(Hs)
    # the crossovers of H = 4 and 16 lie in 1 … 10^4, that of 128 (about 128^2) does not
    assert [m.x[0] for m in marks] == [int(c.crossover[0]), int(c.crossover[1])]
    legend = {d.name for d in fig.data if d.showlegend}
    assert {"BPTT, H = 4", "RTRL, H = 128"} <= legend
    assert_allclose([float(v) for v in lines[0].y], c.floats["bptt"][0], rtol=1e-3)


def test_figure_rejects_other_data():
    with pytest.raises(TypeError, match="^costs: "):
        viz.rtrl_cost_figure({"bptt": [1, 2]})
