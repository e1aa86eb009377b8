"""bpttlib.viz.unrolled: the unrolled graph, its chain highlight, and the cost figure."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from bpttlib import viz


def _segments(trace) -> set:
    """The highlighted edges of trace 0 as a set of ((x0, y0), (x1, y1))."""
    xs, ys, out = list(trace["x"]), list(trace["y"]), set()
    for i in range(0, len(xs), 3):
        out.add(((xs[i], ys[i]), (xs[i + 1], ys[i + 1])))
    return out


@pytest.mark.parametrize("T", [1, 2, 3, 6, 12])
def test_unrolled_graph_structure(T):
    fig = viz.unrolled_graph(T)
    assert isinstance(fig, go.Figure)
    counts = viz.graph_counts(fig)
    # x_t, s_t, y_t, E_t for every step, plus s_0; one arrow into every node but s_0
    assert counts == {"nodes": 4 * T + 1, "arrows": 4 * T, "steps": T if T > 1 else 0}
    labels = {a.text for a in fig.layout.annotations if not a.showarrow}
    assert {"s<sub>0</sub>", f"x<sub>{T}</sub>", f"E<sub>{T}</sub>", "W<sub>s</sub>"} <= labels
    assert len(fig.data) == 1 and fig.data[0].mode == "lines"


def test_slider_highlights_every_chain_reaching_the_loss_of_step_t():
    T = 4
    fig = viz.unrolled_graph(T)
    slider = fig.layout.sliders[0]
    assert [s.label for s in slider.steps] == ["1", "2", "3", "4"]
    assert slider.active == 3 and slider.steps[0].method == "restyle"
    for t, step in enumerate(slider.steps, start=1):
        seg = _segments({"x": step.args[0]["x"][0], "y": step.args[0]["y"][0]})
        # E_t <- y_t <- s_t, then t state-to-state edges (s_0 -> … -> s_t) and t inputs
        assert len(seg) == 2 + 2 * t
        assert ((t, 2.0), (t, 3.0)) in seg and ((0, 1.0), (1, 1.0)) in seg
        assert all(a[0] <= t and b[0] <= t for a, b in seg)
    # the initial highlight is the active step's
    first = _segments(fig.data[0])
    last = slider.steps[-1].args[0]
    assert first == _segments({"x": last["x"][0], "y": last["y"][0]})
    # different steps move different data (the browser test relies on it)
    assert slider.steps[0].args[0]["y"] != slider.steps[-1].args[0]["y"]


def test_many_to_one_and_one_to_many():
    fig = viz.unrolled_graph(5, mask=[0, 0, 0, 0, 1])
    counts = viz.graph_counts(fig)
    assert counts["steps"] == 0 and counts["nodes"] == 21  # one loss step: no slider
    faded = [s for s in fig.layout.shapes if s.line.color == viz.GRAPH_COLORS["faded"]]
    assert len(faded) == 2 * 4  # y_t and E_t of the four unweighted steps
    assert len(_segments(fig.data[0])) == 2 + 2 * 5
    fig = viz.unrolled_graph(4, inputs=[True, False, False, False], active=2)
    counts = viz.graph_counts(fig)
    assert counts == {"nodes": 4 * 4 + 1 - 3, "arrows": 4 * 4 - 3, "steps": 4}
    assert fig.layout.sliders[0].active == 1
    assert len(_segments(fig.data[0])) == 2 + 2 + 1  # E, y; s_0→s_1→s_2; x_1 only


def test_graph_without_highlight():
    fig = viz.unrolled_graph(3, highlight=False)
    assert not fig.layout.sliders and fig.data[0].visible is False


@pytest.mark.parametrize("kwargs,exc,word", [
    (dict(T=0), ValueError, "T"),
    (dict(T=13), ValueError, "T"),
    (dict(T=2.0), TypeError, "T"),
    (dict(T=True), TypeError, "T"),
    (dict(T=3, mask=[1, 1]), ValueError, "mask"),
    (dict(T=3, mask=[0, 0, 0]), ValueError, "mask"),
    (dict(T=3, mask=[1, -1, 1]), ValueError, "mask"),
    (dict(T=3, mask="111"), TypeError, "mask"),
    (dict(T=3, mask=[1, None, 1]), TypeError, "mask"),
    (dict(T=3, inputs=[True, 1, True]), TypeError, "inputs"),
    (dict(T=3, inputs=[True]), ValueError, "inputs"),
    (dict(T=3, highlight="yes"), TypeError, "highlight"),
    (dict(T=3, active=4), ValueError, "active"),
    (dict(T=3, mask=[0, 1, 1], active=1), ValueError, "active"),
    (dict(T=3, active=1.0), TypeError, "active"),
])
def test_unrolled_graph_rejects_bad_input(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        viz.unrolled_graph(**kwargs)


def test_graph_counts_rejects_non_figures():
    with pytest.raises(TypeError, match="fig"):
        viz.graph_counts({"data": []})


def test_cost_figure_log_log_with_fitted_slopes():
    Ts = np.array([2, 4, 8, 16, 32])
    fig = viz.cost_figure(Ts, {"quadratic": Ts**2, "linear": 3 * Ts}, y_title="products")
    assert [t.name for t in fig.data] == ["quadratic  (≈ T<sup>2.0</sup>)",
                                          "linear  (≈ T<sup>1.0</sup>)"]
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert list(fig.data[0].x) == [2, 4, 8, 16, 32] and list(fig.data[1].y) == [6, 12, 24, 48, 96]
    plain = viz.cost_figure([1, 10], {"a": [1.0, 2.0]}, y_title="s", slopes=False)
    assert plain.data[0].name == "a"


@pytest.mark.parametrize("Ts,costs,exc,word", [
    ([4, 2], {"a": [1, 2]}, ValueError, "Ts"),
    ([2], {"a": [1]}, ValueError, "Ts"),
    ([0, 2], {"a": [1, 2]}, ValueError, "Ts"),
    ([[1, 2]], {"a": [1, 2]}, ValueError, "Ts"),
    ([1, 2], {"a": [1, 2, 3]}, ValueError, "costs"),
    ([1, 2], {"a": [1, 0]}, ValueError, "costs"),
    ([1, 2], {"a": [1, np.nan]}, ValueError, "costs"),
    ([1, 2], [1, 2], TypeError, "costs"),
    ([1, 2], {}, TypeError, "costs"),
    ("12", {"a": [1, 2]}, TypeError, "Ts"),
])
def test_cost_figure_rejects_bad_input(Ts, costs, exc, word):
    with pytest.raises(exc, match=word):
        viz.cost_figure(Ts, costs, y_title="x")
