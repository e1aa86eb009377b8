"""bpttlib.viz.clipping: the cliff figure, its traces, and the clipping-direction figure."""

import numpy as np
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from bpttlib import clipping, viz


@pytest.fixture(scope="module")
def cliff():
    ws, bs = np.linspace(-2, 14, 33), np.linspace(-8, 4, 25)
    surface = clipping.cliff_loss(ws[None, :], bs[:, None])
    raw = clipping.cliff_descent(4.0, -4.0, lr=3.0, steps=20)
    thetas = [0.1, 0.5, 20.0]
    paths = [clipping.cliff_descent(4.0, -4.0, lr=3.0, steps=20, clip=th) for th in thetas]
    return ws, bs, surface, raw, paths, thetas


def test_cliff_figure_traces_and_slider(cliff):
    ws, bs, surface, raw, paths, thetas = cliff
    fig = viz.cliff_figure(ws, bs, surface, raw, paths, thetas, active=1)
    assert len(fig.data) == 6 and all(isinstance(t, go.Scatter) for t in fig.data)
    (picture,) = fig.layout.images  # the surface: a picture under the paths, its bar on trace 0
    assert picture.source.startswith("data:image/png;base64,") and picture.layer == "below"
    assert (picture.x, picture.y, picture.sizex, picture.sizey) == (ws[0], bs[-1], 16.0, 12.0)
    bar = fig.data[0].marker
    assert (bar.cmin, bar.cmax, bar.showscale) == (surface.min(), surface.max(), True)
    assert_allclose(fig.data[1].x, raw.w, rtol=1e-5)
    assert_allclose(fig.data[2].y, paths[1].b, rtol=1e-5, atol=1e-9)
    assert_allclose(fig.data[5].y, paths[1].loss, rtol=1e-5)
    assert fig.data[2].name == "clipped at the slider's θ"  # steps move the path, not the name
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["0.1", "0.5", "20"]
    for s, p in zip(steps, paths):
        update, indices = s.args
        assert list(indices) == [2, 5]
        assert_allclose(update["x"][0], p.w, rtol=1e-5)
        assert_allclose(update["y"][1], p.loss, rtol=1e-5)
    assert steps[0].args[0]["y"][0] != steps[2].args[0]["y"][0]
    assert fig.layout.yaxis2.type == "log"


def test_cliff_figure_marks_where_the_raw_path_leaves_the_map(cliff):
    ws, bs, surface, raw, paths, thetas = cliff
    fig = viz.cliff_figure(ws, bs, surface, raw, paths, thetas)
    assert raw.w.max() > ws[-1] or raw.b.max() > bs[-1]  # this start is thrown off the map
    (note,) = fig.layout.annotations[-1:]
    assert "leaves the map" in note.text
    assert ws[0] <= note.x <= ws[-1] and bs[0] <= note.y <= bs[-1]
    assert note.y == pytest.approx(bs[-1]) or note.x == pytest.approx(ws[-1])
    inside = clipping.cliff_descent(2.0, -1.0, lr=0.1, steps=5)
    fig = viz.cliff_figure(ws, bs, surface, inside, [inside], [1.0], slider=False)
    assert not [a for a in fig.layout.annotations if "leaves" in (a.text or "")]
    assert not fig.layout.sliders


def test_cliff_figure_errors(cliff):
    ws, bs, surface, raw, paths, thetas = cliff
    with pytest.raises(ValueError, match=r"^loss"):
        viz.cliff_figure(ws, bs, surface.T, raw, paths, thetas)
    with pytest.raises(ValueError, match=r"^ws"):
        viz.cliff_figure(ws[::-1], bs, surface, raw, paths, thetas)
    with pytest.raises(ValueError, match=r"^bs"):
        viz.cliff_figure(ws, np.r_[bs[:-1], bs[-1] + 1], surface, raw, paths, thetas)
    with pytest.raises(ValueError, match=r"^thresholds"):
        viz.cliff_figure(ws, bs, surface, raw, paths, thetas[:2])
    with pytest.raises(TypeError, match=r"^clipped"):
        viz.cliff_figure(ws, bs, surface, raw, paths[0], thetas[:1])
    with pytest.raises(TypeError, match=r"^raw"):
        viz.cliff_figure(ws, bs, surface, "raw", paths, thetas)
    with pytest.raises(ValueError, match=r"^active"):
        viz.cliff_figure(ws, bs, surface, raw, paths, thetas, active=3)
    with pytest.raises(ValueError, match=r"^clipped"):
        viz.cliff_figure(ws, bs, surface, raw, paths[:1], thetas[:1])  # slider needs 2 states
    with pytest.raises(ValueError, match=r"^threshold"):
        viz.cliff_traces(paths[0], 0.0)


def test_clip_cosine_figure():
    limits = np.geomspace(0.01, 10, 7)
    fig = viz.clip_cosine_figure(limits, np.linspace(0.5, 1, 7), np.linspace(1, 0, 7), np.ones(7))
    assert len(fig.data) == 3 and fig.layout.xaxis.type == "log"
    assert_allclose(fig.data[0].y, 1.0)
    with pytest.raises(ValueError, match=r"^value_cosine"):
        viz.clip_cosine_figure(limits, np.ones(6), np.ones(7), np.ones(7))
    with pytest.raises(ValueError, match=r"^limits"):
        viz.clip_cosine_figure(-limits, np.ones(7), np.ones(7), np.ones(7))


def test_cliff_slider_states_are_cliff_traces_and_a_live_figure_moves_its_legend():
    ws, bs = np.linspace(-2.0, 14.0, 31), np.linspace(-8.0, 4.0, 25)
    surface = clipping.cliff_loss(ws[None, :], bs[:, None])
    raw = clipping.cliff_descent(4.0, -4.0, lr=3.0, steps=15)
    paths = [clipping.cliff_descent(4.0, -4.0, lr=3.0, steps=15, clip=th) for th in (0.1, 1.0)]
    fig = viz.cliff_figure(ws, bs, surface, raw, paths, [0.1, 1.0])
    for step, path, th in zip(fig.layout.sliders[0].steps, paths, (0.1, 1.0)):
        state = viz.cliff_traces(path, th)
        assert list(step.args[1]) == [2, 5]
        assert [list(y) for y in step.args[0]["y"]] == [state[2]["y"], state[5]["y"]]
        assert set(step.args[0]) == {"x", "y"}
    assert list(fig.data[1].x) == viz.cliff_raw_traces(raw)[1]["x"]
    live = viz.cliff_figure(ws, bs, surface, raw, paths[:1], [0.1], slider=False, title="t")
    assert live.data[2].name == "clipped, θ = 0.1"   # a dashboard renames it as θ changes
    assert live.layout.legend.y < 0 < fig.layout.legend.y
    titles = [a.text for a in fig.layout.annotations][:2]
    assert [a.text for a in live.layout.annotations][:2] == titles


def test_alignment_figure():
    from bpttlib import sweeps
    data = sweeps.cliff_alignment(np.geomspace(1e-6, 1.0, 5))
    fig = viz.alignment_figure(data, title="t")
    assert len(fig.data) == 3 and fig.layout.title.text == "t"
    assert_allclose(np.array(fig.data[0].y, float), data["angle"], rtol=1e-4)
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis2.type == "log"
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    with pytest.raises(ValueError, match="data"):
        viz.alignment_figure({k: v for k, v in data.items() if k != "angle"})


def test_study_curves_figure():
    curves = {"a": [[2.0, 1.0, 0.5], [2.0, 0.9, 0.4]], "b": [[2.0, 1.0, 1.0]]}
    fig = viz.study_curves_figure(curves, every=50)
    assert len(fig.data) == 5
    assert list(fig.data[2].x) == [50, 100, 150]
    assert_allclose(np.array(fig.data[2].y, float), [2.0, 0.95, 0.45])
    assert fig.layout.yaxis.type == "log" and fig.layout.xaxis.title.text
    with pytest.raises(ValueError, match="every:"):
        viz.study_curves_figure(curves, every=0)
    with pytest.raises(ValueError, match="curves"):
        viz.study_curves_figure({"a": [[1.0, -1.0]]}, every=1)
