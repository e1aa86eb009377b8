"""bpttlib.viz.truncation: the truncation figure, its traces, and the reach heatmaps."""

import numpy as np
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from bpttlib import viz


@pytest.fixture
def sweep(small_truncation_sweep):
    return small_truncation_sweep


def test_truncation_figure_splits_kept_and_dropped(sweep):
    fig = viz.truncation_figure(sweep, k=4)
    assert isinstance(fig, go.Figure) and len(fig.data) == 7
    kept, dropped = (np.array(fig.data[i].y, dtype=float) for i in (0, 1))
    with np.errstate(divide="ignore"):  # the longest chain of W_s meets s_0 = 0: exactly 0
        logs = np.log10(sweep.lag_norms)
    assert np.isfinite(kept[:5]).all() and np.isnan(kept[5:]).all()
    assert np.isnan(dropped[:5]).all()
    finite = np.isfinite(logs[5:])
    assert_allclose(dropped[5:][finite], logs[5:][finite], rtol=1e-5)
    assert list(fig.data[2].x) == [4.5, 4.5]
    assert fig.data[5].x == (4,) and fig.data[5].y[0] == pytest.approx(sweep.cosine[3], rel=1e-5)
    assert fig.data[6].y[0] == pytest.approx(sweep.norm_ratio[3], rel=1e-5)


def test_truncation_slider_states_match_truncation_traces(sweep):
    fig = viz.truncation_figure(sweep, k=3)
    slider = fig.layout.sliders[0]
    assert len(slider.steps) == sweep.ks.size and slider.active == 2
    for step, k in zip(slider.steps, sweep.ks):
        assert step.method == "restyle" and step.label == str(k)
        update, indices = step.args
        assert list(indices) == [0, 1, 2, 5, 6]
        state = viz.truncation_traces(sweep, int(k))
        for pos, idx in enumerate(indices):
            assert update["y"][pos] == state[idx]["y"]
            assert update["x"][pos] == state[idx]["x"]
    # different states really differ, and the figure serialises (no NaN in the JSON)
    assert slider.steps[0].args[0]["y"][0] != slider.steps[-1].args[0]["y"][0]
    assert "NaN" not in fig.to_json()


def test_truncation_figure_without_slider_and_bad_k(sweep):
    fig = viz.truncation_figure(sweep, slider=False)
    assert not fig.layout.sliders
    assert fig.data[5].x == (int(sweep.ks[sweep.ks.size // 2]),)
    with pytest.raises(ValueError, match=r"^k"):
        viz.truncation_figure(sweep, k=99)
    with pytest.raises(TypeError, match=r"^sweep"):
        viz.truncation_figure("sweep")


def test_reach_figure_draws_log_credit_with_gaps():
    T = 5
    band = np.tril(np.ones((T, T))) * np.triu(np.ones((T, T)), -1) * 10.0
    fig = viz.reach_figure({"exact": np.tril(np.full((T, T), 0.1)), "window": band})
    assert len(fig.data) == 2 and all(isinstance(t, go.Heatmap) for t in fig.data)
    z = np.array(fig.data[1].z, dtype=float)
    assert_allclose(z[np.isfinite(z)], 1.0)
    assert np.isnan(z[band == 0]).all()
    assert fig.layout.coloraxis.cmin == -1 and fig.layout.coloraxis.cmax == 1
    assert fig.layout.yaxis.autorange == "reversed"


def test_reach_figure_errors():
    with pytest.raises(ValueError, match=r"^panels"):
        viz.reach_figure({"a": np.ones((3, 3)), "b": np.ones((4, 4))})
    with pytest.raises(ValueError, match=r"^panels\['a'\]"):
        viz.reach_figure({"a": np.ones((3, 4))})
    with pytest.raises(ValueError, match=r"^panels\['a'\]"):
        viz.reach_figure({"a": -np.ones((3, 3))})
    with pytest.raises(TypeError, match=r"^panels"):
        viz.reach_figure({})


def test_marker_labels_stay_inside_the_plot(sweep):
    early, late = viz.truncation_traces(sweep, 1), viz.truncation_traces(sweep, 11)
    assert early[5]["textposition"].endswith("right") and late[5]["textposition"].endswith("left")
    assert late[6]["textposition"] == "top left"
    fig = viz.truncation_figure(sweep, k=2)
    last = fig.layout.sliders[0].steps[-1].args[0]["textposition"]
    assert list(last[3:]) == ["bottom left", "top left"]


def test_randomized_figure():
    from bpttlib import rnn, sweeps
    p = rnn.init(2, 4, 1, spectral_radius=1.0, seed=0)
    rng = np.random.default_rng(0)
    xs, d = rng.standard_normal((10, 2)), rng.standard_normal((10, 1))
    s = sweeps.randomized_sweep(p, xs, d, ks=[2, 4], draws=5)
    fig = viz.randomized_figure(s)
    assert len(fig.data) == 7
    assert list(fig.data[0].x) == [2, 4]
    assert fig.layout.yaxis2.type == "log" and fig.layout.xaxis.title.text
    with pytest.raises(TypeError, match="sweep"):
        viz.randomized_figure("x")
