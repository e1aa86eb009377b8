"""bpttlib.viz.experiments: training runs and the stored experiments."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from bpttlib import experiments, viz
from bpttlib.train import History


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
    high = np.array([r["ratio"].high - r["ratio"].median for r in rnn_rows])
    assert_allclose(fig.data[0].error_y.array, high, rtol=1e-3, atol=1e-12)
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


def test_training_figure_marks_a_stopped_run():
    ok = History(np.linspace(1, 0.1, 50), np.full(50, 3.0), np.ones(50, dtype=bool))
    bad = History(np.array([2.0, 1e13]), np.array([126.0, 7e15]), np.zeros(2, dtype=bool))
    fig = viz.training_figure({"clipped": ok, "raw": bad}, stopped={"raw": "step 2: overflow"},
                              threshold=1.0, colors={"raw": "#d62728"})
    names = [t.name for t in fig.data]
    assert names.count("raw: stopped") == 2 and "clipped: stopped" not in names
    cross = [t for t in fig.data if t.name == "raw: stopped"]
    assert cross[0].x == (1,) and cross[1].y == (1e4,)     # cut 3 decades above the kept run
    assert cross[1].hovertext == ("last value 7e+15; step 2: overflow",)
    assert cross[0].marker.color == "#d62728"
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type == "log"
    assert any(s.y0 == 1.0 for s in fig.layout.shapes)
    json.loads(fig.to_json())


def test_training_figure_draws_seeds_faint_and_their_median():
    rng = np.random.default_rng(0)
    runs = [History(rng.uniform(0.1, 1, 20), rng.uniform(1, 5, 20), np.ones(20, dtype=bool))
            for _ in range(3)]
    fig = viz.training_figure({"norm": runs}, stopped={"norm": [None, None, "step 19: x"]})
    faint = [t for t in fig.data if t.name == "norm, each seed"]
    assert len(faint) == 6 and all(t.opacity == 0.35 and t.showlegend is False for t in faint)
    median = [t for t in fig.data if t.name == "norm (median of 3 seeds)"]
    assert len(median) == 2
    assert_allclose(median[0].y, np.median([r.loss for r in runs], axis=0), rtol=1e-4)
    assert_allclose(median[1].y, np.median([r.grad_norm for r in runs], axis=0), rtol=1e-4)
    assert sum(t.name == "norm: stopped" for t in fig.data) == 2
    with pytest.raises(ValueError, match=r"^stopped\['norm'\]"):
        viz.training_figure({"norm": runs}, stopped={"norm": [None]})


def test_training_figure_cuts_a_blown_up_run_at_the_top_edge():
    ok = History(np.linspace(1, 0.1, 50), np.full(50, 3.0), np.ones(50, dtype=bool))
    bad = History(np.array([2.0, 1e200]), np.array([126.0, 7e250]), np.zeros(2, dtype=bool))
    fig = viz.training_figure({"clipped": ok, "raw": bad}, stopped={"raw": "step 2: overflow"})
    assert fig.layout.yaxis.range == (-1, 3)      # 0.1 ... 3 decades above the kept run's 1
    assert fig.layout.yaxis2.range == (0, 4)
    cross = [t for t in fig.data if t.name == "raw: stopped"]
    assert cross[0].y == (1e3,) and cross[0].hovertext[0].startswith("last value 1e+200")
    raw_line = [t for t in fig.data if t.name == "raw"]
    assert max(raw_line[1].y) == 1e4


def test_training_figure_errors():
    with pytest.raises(TypeError, match=r"^runs\['a'\]"):
        viz.training_figure({"a": np.ones(3)})
    bad = History(np.ones(3), np.ones(2), np.zeros(3, dtype=bool))
    with pytest.raises(ValueError, match=r"^runs\['a'\]"):
        viz.training_figure({"a": bad})
    with pytest.raises(TypeError, match=r"^runs"):
        viz.training_figure({})
