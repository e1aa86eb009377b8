"""bpttlib.viz.gated: gated-cell, cell-path and skip figures."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import gated, skip, sweeps, viz


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


SMALL_GATED = dict(T=20, n_hidden=4)


def test_the_static_slider_states_are_the_traces_function():
    biases, gated_fig_args = [0.0, 2.0], SMALL_GATED
    fig = viz.gated_decay_figure(biases, **gated_fig_args)
    for step, b in zip(fig.layout.sliders[0].steps, biases):
        state = viz.gated_decay_traces(sweeps.gated_decay_curves(b, **gated_fig_args))
        assert list(step.args[1]) == [2]
        assert [list(y) for y in step.args[0]["y"]] == [state[2]["y"]]
    live = viz.gated_decay_traces(sweeps.gated_decay_curves(2.0, **gated_fig_args), digits=None)
    assert_allclose(live[2]["y"], sweeps.gated_decay_curves(2.0, **gated_fig_args)["lstm"],
                    rtol=0, atol=0)


def test_skip_figure_steps_are_skip_traces():
    fig = viz.skip_figure([2, 4], T=20, n_hidden=4)
    plain, curves = sweeps.skip_curves([2, 4], T=20, n_hidden=4)
    for step, curve in zip(fig.layout.sliders[0].steps, curves):
        assert [list(y) for y in step.args[0]["y"]] == [viz.skip_traces(plain, curve)[1]["y"]]
    assert fig.data[1].name == "with a skip connection from s<sub>t−d</sub>"
    assert not viz.skip_figure([2], T=20, n_hidden=4, slider=False).layout.sliders
