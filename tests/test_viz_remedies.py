"""Tests for the Part III figure builders of bpttlib.viz (truncation and clipping)."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from bpttlib import clipping, rnn, tasks, viz
from bpttlib.train import History


def flat_recurrent(g):
    return np.concatenate([g.W_x.ravel(), g.W_s.ravel(), g.b_s.ravel()])


@pytest.fixture(scope="module")
def problem():
    T = 12
    xs, verbs = tasks.agreement_task(8, T, seed=0, attractors=False)
    targets, mask = tasks.many_to_one(verbs, T)
    params = rnn.init(xs.shape[-1], 6, 2, spectral_radius=1.0, seed=0, kind="orthogonal")
    return params, xs, targets, mask


@pytest.fixture(scope="module")
def sweep(problem):
    params, xs, targets, mask = problem
    return viz.truncation_sweep(params, xs, targets, loss="xent", mask=mask)


# ---- truncation_sweep ---------------------------------------------------------------------------

def test_sweep_matches_direct_cosines_and_ratios(problem, sweep):
    params, xs, targets, mask = problem
    assert_allclose(sweep.ks, np.arange(1, 12))
    assert sweep.T == 12 and sweep.lag_norms.shape == (12,)
    g = flat_recurrent(rnn.bptt(params, xs, targets, loss="xent", mask=mask)[1])
    for i, k in enumerate(sweep.ks):
        gk = flat_recurrent(rnn.bptt(params, xs, targets, loss="xent", mask=mask,
                                     truncate=int(k))[1])
        cos = gk @ g / (np.linalg.norm(gk) * np.linalg.norm(g))
        assert_allclose(sweep.cosine[i], cos, rtol=1e-12)
        assert_allclose(sweep.norm_ratio[i], np.linalg.norm(gk) / np.linalg.norm(g), rtol=1e-12)
    # k = T - 1 is exact BPTT
    assert_allclose(sweep.cosine[-1], 1.0, atol=1e-12)
    assert_allclose(sweep.norm_ratio[-1], 1.0, atol=1e-12)
    lags = rnn.bptt_by_lag(params, xs, targets, loss="xent", mask=mask)
    assert_allclose(sweep.lag_norms, np.linalg.norm(lags, axis=(1, 2)), rtol=1e-12)


def test_sweep_custom_ks_and_errors(problem):
    params, xs, targets, mask = problem
    s = viz.truncation_sweep(params, xs, targets, ks=[2, 5], loss="xent", mask=mask)
    assert s.ks.tolist() == [2, 5] and s.cosine.shape == (2,)
    with pytest.raises(ValueError, match=r"^ks"):
        viz.truncation_sweep(params, xs, targets, ks=[0, 1], loss="xent", mask=mask)
    with pytest.raises(ValueError, match=r"^ks"):
        viz.truncation_sweep(params, xs, targets, ks=[], loss="xent", mask=mask)
    with pytest.raises(ValueError, match=r"^ks"):
        viz.truncation_sweep(params, xs, targets, ks=[1.5], loss="xent", mask=mask)
    with pytest.raises(TypeError, match=r"^params"):
        viz.truncation_sweep("params", xs, targets)
    zero = rnn.RNNParams(params.W_x, params.W_s, params.b_s, np.zeros_like(params.W_y),
                         params.b_y)  # W_y = 0: no gradient reaches the recurrent weights
    with pytest.raises(ValueError, match=r"^targets: the exact gradient"):
        viz.truncation_sweep(zero, xs, targets, loss="xent", mask=mask)
    with pytest.raises(ValueError, match=r"^xs"):
        viz.truncation_sweep(params, xs[:1], targets[:1], loss="xent")


# ---- truncation_figure --------------------------------------------------------------------------

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


# ---- reach_figure -------------------------------------------------------------------------------

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


# ---- cliff_figure -------------------------------------------------------------------------------

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
    assert isinstance(fig.data[0], go.Contour) and len(fig.data) == 6
    assert_allclose(np.array(fig.data[0].z, dtype=float), surface, rtol=1e-3)
    assert_allclose(fig.data[1].x, raw.w, rtol=1e-5)
    assert_allclose(fig.data[2].y, paths[1].b, rtol=1e-5, atol=1e-9)
    assert_allclose(fig.data[5].y, paths[1].loss, rtol=1e-5)
    assert fig.data[2].name == "clipped, θ = 0.5"
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


# ---- clip_cosine_figure and training_figure -----------------------------------------------------

def test_clip_cosine_figure():
    limits = np.geomspace(0.01, 10, 7)
    fig = viz.clip_cosine_figure(limits, np.linspace(0.5, 1, 7), np.linspace(1, 0, 7), np.ones(7))
    assert len(fig.data) == 3 and fig.layout.xaxis.type == "log"
    assert_allclose(fig.data[0].y, 1.0)
    with pytest.raises(ValueError, match=r"^value_cosine"):
        viz.clip_cosine_figure(limits, np.ones(6), np.ones(7), np.ones(7))
    with pytest.raises(ValueError, match=r"^limits"):
        viz.clip_cosine_figure(-limits, np.ones(7), np.ones(7), np.ones(7))


def test_training_figure_marks_a_stopped_run():
    ok = History(np.linspace(1, 0.1, 50), np.full(50, 3.0), np.ones(50, dtype=bool))
    bad = History(np.array([2.0, 1e13]), np.array([126.0, 7e15]), np.zeros(2, dtype=bool))
    fig = viz.training_figure({"clipped": ok, "raw": bad}, stopped={"raw": "step 2: overflow"},
                              threshold=1.0, colors={"raw": "#d62728"})
    names = [t.name for t in fig.data]
    assert names.count("raw: stopped") == 2 and "clipped: stopped" not in names
    cross = [t for t in fig.data if t.name == "raw: stopped"]
    assert cross[0].x == (1,) and cross[1].y == (7e15,)
    assert cross[0].hovertext == ("step 2: overflow",) and cross[0].marker.color == "#d62728"
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type == "log"
    assert any(s.y0 == 1.0 for s in fig.layout.shapes)
    json.loads(fig.to_json())


def test_training_figure_errors():
    with pytest.raises(TypeError, match=r"^runs\['a'\]"):
        viz.training_figure({"a": np.ones(3)})
    bad = History(np.ones(3), np.ones(2), np.zeros(3, dtype=bool))
    with pytest.raises(ValueError, match=r"^runs\['a'\]"):
        viz.training_figure({"a": bad})
    with pytest.raises(TypeError, match=r"^runs"):
        viz.training_figure({})


def test_marker_labels_stay_inside_the_plot(sweep):
    early, late = viz.truncation_traces(sweep, 1), viz.truncation_traces(sweep, 11)
    assert early[5]["textposition"].endswith("right") and late[5]["textposition"].endswith("left")
    assert late[6]["textposition"] == "top left"
    fig = viz.truncation_figure(sweep, k=2)
    last = fig.layout.sliders[0].steps[-1].args[0]["textposition"]
    assert list(last[3:]) == ["bottom left", "top left"]
