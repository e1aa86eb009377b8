"""bpttlib.viz._controls: rounding, ranges, slider steps and applying a traces function's state."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from bpttlib import viz
from bpttlib.viz import _controls


@pytest.mark.parametrize("digits", [2, 4, 6])
def test_rounded_keeps_significant_digits_and_turns_non_finite_into_gaps(digits):
    values = np.random.default_rng(0).standard_normal(50) * 10.0 ** np.arange(-25, 25)
    out = _controls.rounded(values, digits)
    assert_allclose(out, values, rtol=0.5 * 10.0 ** (1 - digits), atol=0)
    assert _controls.rounded([1.0, np.nan, np.inf, -np.inf], digits) == [1.0, None, None, None]
    assert viz.rounded is _controls.rounded


@pytest.mark.parametrize("values, expected", [
    ([1e-3, 1.0, 0.0], (-4, 1)),       # zeros are left out of a log range
    ([0.0, 0.0], (-1.0, 1.0)),          # nothing positive: a default range
    ([2.0], (0, 1)),
])
def test_log_range_covers_the_positive_values_in_whole_decades(values, expected):
    assert _controls.log_range(values) == expected


def test_decay_range_always_shows_zero():
    assert _controls.decay_range(np.array([-12.3, -0.2, -np.inf])) == (-13.0, 1.0)
    assert _controls.decay_range([[1.2, 3.7]], [-0.4]) == (-1.0, 5.0)
    assert _controls.finite_span([np.nan, -np.inf]) is None


def test_restyle_steps_take_each_states_traces_in_order():
    states = [{2: dict(x=[k], y=[k * 10], name=f"s{k}"), 5: dict(x=[0], y=[k], name="t")}
              for k in range(3)]
    steps = _controls.restyle_steps(states, ["a", "b", "c"], ("x", "y"))
    assert [s["label"] for s in steps] == ["a", "b", "c"]
    assert steps[1]["args"] == [{"x": [[1], [0]], "y": [[10], [1]]}, [2, 5]]
    assert all(s["method"] == "restyle" for s in steps)
    slider = _controls.slider(steps, active=2, prefix="k = ")
    assert slider["active"] == 2 and slider["transition"] == {"duration": 0}


@pytest.mark.parametrize("active, size, expected", [(None, 5, 2), (0, 1, 0), (4, 5, 4)])
def test_check_active(active, size, expected):
    assert _controls.check_active(active, size) == expected


@pytest.mark.parametrize("active", [5, -1, 1.0, True])
def test_check_active_rejects(active):
    with pytest.raises(ValueError, match="active"):
        _controls.check_active(active, 5)


def test_apply_state_sends_only_what_changed():
    fig = go.FigureWidget([go.Scatter(x=[0, 1], y=[0, 1]), go.Scatter(x=[0], y=[0])])
    shown, sent = {}, []
    fig.data[0].on_change(lambda *a: sent.append(0), "y")
    fig.data[1].on_change(lambda *a: sent.append(1), "y")
    state = {0: dict(x=np.arange(2.0), y=np.array([1.0, 2.0])), 1: dict(x=[0.0], y=[3.0])}
    assert _controls.apply_state(fig, state, {"title_text": "a", "shapes": []},
                                 shown=shown) == ([0, 1], True)
    assert sorted(sent) == [0, 1] and fig.layout.title.text == "a"
    sent.clear()
    state[1] = dict(x=[0.0], y=[4.0])
    assert _controls.apply_state(fig, state, {"title_text": "a", "shapes": []},
                                 shown=shown) == ([1], False)
    assert sent == [1] and fig.data[1].y == (4.0,)
    fig.layout.shapes = [dict(type="line", x0=0, x1=1, y0=0, y1=1)]
    _controls.apply_state(fig, {}, {"shapes": []})  # no memory: arrays are replaced
    assert len(fig.layout.shapes) == 0
    assert math.isclose(fig.data[0].y[1], 2.0)
