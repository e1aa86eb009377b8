"""bpttlib.viz._style: one registered template, one palette, and the labels every figure shares."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from bpttlib import experiments, viz
from bpttlib.viz import _style


def test_the_template_is_registered_with_the_palette():
    assert viz.TEMPLATE in pio.templates
    template = pio.templates[viz.TEMPLATE]
    assert template.layout.colorway == viz.PALETTE
    assert template.layout.plot_bgcolor == pio.templates["plotly_white"].layout.plot_bgcolor


def test_every_named_colour_comes_from_the_palette_or_is_a_grey():
    named = [*viz.ACTIVATION_COLORS.values(), *viz.MODEL_COLORS.values(),
             *viz.REMEDY_COLORS.values(), *viz.GRAPH_COLORS.values(), *_style.COST_COLORS]
    greys = {"#b0b0b0", "#d0d0d0", "#555555"}
    assert set(named) <= set(viz.PALETTE) | greys
    assert len(set(viz.PALETTE)) == len(viz.PALETTE)


def test_every_model_has_a_label_and_a_colour():
    assert set(viz.MODEL_LABELS) == set(experiments.MODELS) == set(viz.MODEL_COLORS)


@pytest.mark.parametrize("name, i, colors, expected", [
    ("tanh", 3, None, _style.ACTIVATION_COLORS["tanh"]),
    ("anything", 1, None, _style.PALETTE[1]),
    ("anything", 8, None, _style.PALETTE[1]),
    ("tanh", 0, {"tanh": "#000000"}, "#000000"),
])
def test_color(name, i, colors, expected):
    assert _style.color(name, i, colors) == expected


@pytest.mark.parametrize("title, top", [(None, 30), ("a title", 60)])
def test_frame_sets_template_size_and_margins(title, top):
    fig = _style.frame(go.Figure(), height=300, title=title, left=50,
                       xaxis=dict(visible=False))
    assert fig.layout.height == 300 and fig.layout.margin.t == top
    assert (fig.layout.margin.l, fig.layout.margin.r, fig.layout.margin.b) == (50, 20, 40)
    assert fig.layout.template.layout.colorway == viz.PALETTE


@pytest.mark.parametrize("bottom, right, sliders, expected", [
    (40, 20, [], (_style.X_AXIS_ROOM, _style.RIGHT_ROOM)),
    (200, 90, [], (200, 90)),
    (40, 20, [dict(pad=dict(t=50))], (50 + _style.SLIDER_ROOM, _style.RIGHT_ROOM)),
    (40, 20, [dict(pad=dict(t=10)), dict(pad=dict(t=70))], (70 + _style.SLIDER_ROOM, 30)),
])
def test_frame_leaves_room_for_the_axis_and_the_sliders(bottom, right, sliders, expected):
    """An x axis shown, or a slider, gets the margin plotly would otherwise widen (and redraw)."""
    fig = _style.frame(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])), height=300, bottom=bottom,
                       right=right, sliders=sliders)
    assert (fig.layout.margin.b, fig.layout.margin.r) == expected


@pytest.mark.parametrize("where", [
    ("layout", "xaxis"), ("layout", "yaxis"), ("layout", "coloraxis", "colorbar"),
    ("data", "heatmap", 0, "colorbar"), ("data", "contour", 0, "colorbar"),
    ("data", "scatter", 0, "marker", "colorbar"),
])
def test_the_template_never_hides_a_tick_label(where):
    node = pio.templates[viz.TEMPLATE]
    for key in where:
        node = node[key]
    assert node.ticklabeloverflow == "allow"


def _contrast(a: str, b: str) -> float:
    def lum(c):
        v = [int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        v = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in v]
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_palette_colour_has_a_readable_dark_variant():
    bg = _style.DARK["paper_bgcolor"]
    for colour in viz.PALETTE:
        assert _contrast(_style.DARK_COLORS[colour], bg) >= _style.DARK_MIN_CONTRAST, colour
    assert _contrast(_style.DARK["font_color"], bg) >= 7  # text: WCAG AAA
    assert _contrast(_style.DARK["control_border"], bg) >= 3  # controls: WCAG 1.4.11


def test_the_dark_theme_ships_as_json():
    import json

    values = json.loads(json.dumps(_style.dark_theme()))
    assert values["paper_bgcolor"] == _style.DARK["paper_bgcolor"]
    assert values["colors"][_style.BLUE] == _style.DARK_COLORS[_style.BLUE]
    assert all(k == k.lower() for k in values["colors"])
