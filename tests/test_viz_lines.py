"""bpttlib.viz.lines: named curves, and curves switched by a kernel-free slider."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from bpttlib import viz


def strict_json(fig: go.Figure) -> str:
    """The figure as JSON; fails on NaN or inf anywhere (``allow_nan=False``)."""
    return json.dumps(fig.to_plotly_json(), allow_nan=False, default=lambda o: o.tolist())


def rounded(values):
    return [float(f"{v:.{viz.SLIDER_DIGITS}g}") for v in values]


@pytest.fixture
def compare():
    x = np.arange(5)
    ys = np.array([[0.0, 1, 2, 3, 4], [0, -1, -2, -3, -4], [1, 1, 1, 1, 1]])
    return viz.compare_slider_figure(
        x, {"a": ys, "b": 2 * ys}, [0.5, 1.0, 1.5], fixed={"f": np.ones(5) * 7},
        value_label="v = ", x_title="x", y_title="y", dashed=("b",), colors={"a": "#123456"},
        y_range=(-10, 10),
    )


def test_lines_figure_colours_gaps_and_shapes():
    x = np.arange(4)
    fig = viz.lines_figure(x, {"a": [0, 1, np.inf, 3]}, dashed={"a": [1, 1, 1, 1], "b": x},
                           x_title="x", y_title="y", hline=0)
    assert [t.name for t in fig.data] == ["a", "a: bound", "b"]
    assert fig.data[0].line.color == fig.data[1].line.color != fig.data[2].line.color
    assert fig.data[1].line.dash == "dash" and fig.data[0].y[2] is None
    strict_json(fig)
    with pytest.raises(ValueError, match="lines"):
        viz.lines_figure(x, {"a": [1, 2]}, x_title="x", y_title="y")
    with pytest.raises(TypeError, match="lines"):
        viz.lines_figure(x, [], x_title="x", y_title="y")


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
