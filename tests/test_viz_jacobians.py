"""bpttlib.viz.jacobians: activation derivatives and the scalar chain |w|^(T-k)."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from bpttlib import viz


def as_array(values):
    """A figure's list (``None`` for gaps) as a float array with NaN for the gaps."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def strict_json(fig: go.Figure) -> str:
    """The figure as JSON; fails on NaN or inf anywhere (``allow_nan=False``)."""
    return json.dumps(fig.to_plotly_json(), allow_nan=False, default=lambda o: o.tolist())


def test_activation_figure():
    fig = viz.activation_figure()
    assert len(fig.data) == 8
    by_name = {t.name: as_array(t.y) for t in fig.data[::2]}
    assert np.nanmax(by_name["sigmoid"]) == pytest.approx(0.25, rel=1e-5)
    assert np.nanmax(by_name["tanh"]) == pytest.approx(1.0, rel=1e-5)
    assert set(np.unique(by_name["relu"])) == {0.0, 1.0}
    relu_log = as_array(fig.data[5].y)                  # log10 relu': gap for a < 0
    assert np.isnan(relu_log[:400]).all() and (relu_log[401:] == 0).all()
    strict_json(fig)


@pytest.mark.parametrize("w", [0.5, 0.9, 1.2])
@pytest.mark.parametrize("T", [5, 60])
def test_power_figure_is_its_traces_on_a_fixed_axis(w, T):
    fig = viz.power_figure(w, T)
    assert_allclose(fig.data[0].y, np.arange(T + 1) * np.log10(w), rtol=1e-12, atol=1e-12)
    lo, hi = fig.layout.yaxis.range
    assert lo < T * np.log10(0.5) and T * np.log10(1.5) < hi
    assert tuple(fig.layout.yaxis.range) == tuple(viz.power_figure(1.0, T).layout.yaxis.range)


def test_power_figure_rejects_a_zero_weight():
    with pytest.raises(ValueError, match="^w"):
        viz.power_figure(0.0)
