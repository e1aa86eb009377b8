"""bpttlib.viz, Part III (gated cells and remedies): the figures hold the kernels' numbers."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from bpttlib import experiments, gated, jacobians, skip, viz


def rounded(values):
    return [float(f"{v:.{viz.SLIDER_DIGITS}g}") for v in values]


# ---- compare_slider_figure ----------------------------------------------------------------------

@pytest.fixture
def compare():
    x = np.arange(5)
    ys = np.array([[0.0, 1, 2, 3, 4], [0, -1, -2, -3, -4], [1, 1, 1, 1, 1]])
    return viz.compare_slider_figure(
        x, {"a": ys, "b": 2 * ys}, [0.5, 1.0, 1.5], fixed={"f": np.ones(5) * 7},
        value_label="v = ", x_title="x", y_title="y", dashed=("b",), colors={"a": "#123456"},
        y_range=(-10, 10),
    )


def test_compare_slider_moves_only_the_sliding_traces(compare):
    assert [t.name for t in compare.data] == ["f", "a", "b"]
    slider = compare.layout.sliders[0]
    assert slider.active == 1 and len(slider.steps) == 3
    for j, step in enumerate(slider.steps):
        assert step.method == "restyle" and list(step.args[1]) == [1, 2]
        assert step.args[0]["y"][0] == rounded([0, 1, 2, 3, 4][k] * [1, -1, 0][j] + (j == 2)
                                               for k in range(5))
    assert list(compare.data[1].y) == [0.0, -1.0, -2.0, -3.0, -4.0]  # the middle state
    assert list(compare.data[0].y) == [7.0] * 5
    assert compare.data[1].line.color == "#123456" and compare.data[2].line.dash == "dash"
    assert list(compare.layout.yaxis.range) == [-10, 10]


def test_compare_slider_turns_non_finite_values_into_gaps():
    fig = viz.compare_slider_figure([0, 1], {"a": [[0.0, -np.inf], [np.nan, 1.0]]}, [1, 2],
                                    value_label="", x_title="", y_title="", active=0)
    assert list(fig.data[0].y) == [0.0, None]
    assert fig.layout.sliders[0].steps[1].args[0]["y"][0] == [None, 1.0]
    json.dumps(fig.to_plotly_json(), allow_nan=False, default=list)  # strict JSON


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(sliding={"a": np.zeros((2, 3))}), ValueError, "sliding"),
    (dict(sliding={}), TypeError, "sliding"),
    (dict(fixed={"f": np.zeros(4)}), ValueError, "fixed"),
    (dict(active=3), ValueError, "active"),
    (dict(values=[[1, 2, 3]]), ValueError, "values"),
])
def test_compare_slider_validates(kwargs, exc, match):
    args = dict(x=np.arange(3), sliding={"a": np.zeros((3, 3))}, values=[1, 2, 3],
                value_label="", x_title="", y_title="")
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        viz.compare_slider_figure(**args)


# ---- gradient decay of the three cells ----------------------------------------------------------

def test_gated_decay_curves_are_the_kernels_by_distance():
    c = viz.gated_decay_curves(2.0, T=40, n_hidden=8, seed=3, spectral_radius=1.1)
    assert set(c) == {"rnn", "gru", "lstm"} and all(v.shape == (41,) for v in c.values())
    assert_allclose(c["rnn"], jacobians.decay_curve(1.1, "tanh", n_hidden=8, T=40,
                                                    seed=3).log10_norm[::-1])
    assert_allclose(c["lstm"], gated.gated_decay_curve("lstm", forget_bias=2.0, n_hidden=8,
                                                       T=40, seed=3)[::-1])
    assert_allclose(c["gru"], gated.gated_decay_curve("gru", n_hidden=8, T=40, seed=3)[::-1])


def test_gated_decay_figure_slides_the_lstm_over_the_forget_bias():
    biases = [0.0, 1.0, 3.0]
    fig = viz.gated_decay_figure(biases, T=60, n_hidden=8)
    assert [t.name for t in fig.data] == ["tanh RNN", "GRU", "LSTM"]
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["+0.0", "+1.0", "+3.0"] and list(steps[0].args[1]) == [2]
    for b, step in zip(biases, steps):
        want = gated.gated_decay_curve("lstm", forget_bias=b, n_hidden=8, T=60)[::-1]
        assert_allclose(step.args[0]["y"][0], want, rtol=1e-5)
    # a larger forget bias keeps more of the gradient at distance T
    ends = [s.args[0]["y"][0][-1] for s in steps]
    assert ends[0] < ends[1] < ends[2]


def test_cell_path_figure_holds_both_paths():
    fig = viz.cell_path_figure([0.0, 2.0], T=30, n_hidden=6, seed=1, active=1)
    full, direct = fig.layout.sliders[0].steps[1].args[0]["y"]
    params = gated.lstm_init(1, 6, 1, seed=1, forget_bias=2.0)
    xs = np.random.default_rng([1, 2]).standard_normal((30, 1))
    want = gated.lstm_cell_jacobian_norms(params, xs, path="direct")[::-1]
    assert_allclose(direct, want, rtol=1e-5)
    assert_allclose(full, gated.lstm_cell_jacobian_norms(params, xs)[::-1], rtol=1e-5)
    assert full[0] == 0.0 and direct[0] == 0.0  # distance 0: the identity


def test_skip_figure_slides_over_the_skip_length():
    fig = viz.skip_figure([1, 5, 10], T=50, n_hidden=8, skip_radius=0.5)
    assert len(fig.data) == 2
    assert_allclose(fig.data[0].y, skip.skip_decay_curve(1.0, 1, skip_radius=0.0, T=50,
                                                         n_hidden=8)[::-1], rtol=1e-5)
    for d, step in zip([1, 5, 10], fig.layout.sliders[0].steps):
        assert step.label == str(d)
        assert_allclose(step.args[0]["y"][0], skip.skip_decay_curve(
            1.0, d, skip_radius=0.5, T=50, n_hidden=8)[::-1], rtol=1e-5)
    with pytest.raises(ValueError, match="skips"):
        viz.skip_figure([0, 2])


# ---- learning curves from stored experiments ----------------------------------------------------

@pytest.fixture(scope="module")
def tiny():
    config = dict(task="copy", models=["rnn", "gru"], lengths=[3, 5], seeds=[0, 1],
                  lr={"rnn": 0.01, "gru": 0.01}, n_hidden=4, batch_size=3, steps=6,
                  clip_norm=1.0, eval_every=3, eval_size=4)
    return experiments.run_experiment(config)


def test_learning_curves_slide_over_the_lengths(tiny):
    fig = viz.learning_curves_figure(tiny, active=0)
    names = [t.name for t in fig.data]
    assert names == ["tanh RNN, lowest seed", "tanh RNN, highest seed",
                     "tanh RNN (median of 2 seeds)", "GRU, lowest seed", "GRU, highest seed",
                     "GRU (median of 2 seeds)", "memoryless baseline"]
    assert [t.showlegend for t in fig.data[:3]] == [False, False, None]
    assert fig.data[1].fill == "tonexty"          # the band between lowest and highest seed
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["3", "5"]
    for T, step in zip([3, 5], steps):
        xs, ys = step.args[0]["x"], step.args[0]["y"]
        assert list(step.args[1]) == list(range(7))
        runs = np.array([r["eval"] for r in tiny["runs"] if r["model"] == "gru" and r["T"] == T])
        assert xs[5] == [0, 3, 6]
        assert_allclose(ys[3], runs.min(axis=0), rtol=1e-4)
        assert_allclose(ys[4], runs.max(axis=0), rtol=1e-4)
        assert_allclose(ys[5], np.median(runs, axis=0), rtol=1e-4)
        assert_allclose(ys[6], [experiments.baseline("copy", T)] * 2, rtol=1e-4)
    assert fig.layout.yaxis.type == "log"


def test_learning_curves_pick_and_check_models(tiny):
    fig = viz.learning_curves_figure(tiny, models=["gru"])
    assert [t.name for t in fig.data][2:] == ["GRU (median of 2 seeds)", "memoryless baseline"]
    with pytest.raises(ValueError, match="models"):
        viz.learning_curves_figure(tiny, models=["lstm"])
    with pytest.raises(ValueError, match="active"):
        viz.learning_curves_figure(tiny, active=2)


def test_final_ratio_figure_has_a_panel_per_experiment(tiny):
    fig = viz.final_ratio_figure({"copy": tiny, "again": tiny})
    assert isinstance(fig, go.Figure) and len(fig.data) == 4
    table = experiments.final_table(tiny)
    rnn_rows = [r for r in table if r["model"] == "rnn"]
    assert list(fig.data[0].x) == [3, 5]
    assert_allclose(fig.data[0].y, [r["ratio"].median for r in rnn_rows], rtol=1e-3)
    assert [t.showlegend for t in fig.data] == [True, True, False, False]


@pytest.mark.parametrize("name", ["adding", "copy"])
def test_the_stored_experiments_draw_small(name):
    fig = viz.learning_curves_figure(experiments.load(name))
    assert len(fig.to_json()) < 150_000


def test_a_single_length_needs_no_slider(tiny):
    one = dict(tiny, config=dict(tiny["config"], lengths=[3]),
               runs=[r for r in tiny["runs"] if r["T"] == 3],
               baselines={"3": tiny["baselines"]["3"]})
    one["config_sha256"] = experiments.config_hash(one["config"])
    fig = viz.learning_curves_figure(one)
    assert len(fig.layout.sliders) == 0 and len(fig.data) == 7
