"""gtt_sphinx.describe: the static figures' text alternatives, written from the figure data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gtt_sphinx import describe
from gtt_sphinx.plotly_mime import figure_div

from bpttlib import viz


def as_json(fig) -> dict:
    return json.loads(fig.to_json())


@pytest.fixture(scope="module")
def decay_figure():
    grid = viz.decay_grid(np.array([0.5, 1.0, 2.0]), ("tanh", "linear"), T=20, n_hidden=6)
    return as_json(viz.decay_grid_figure(grid, title="How far back does the gradient reach?"))


def test_the_decay_figure_is_described_from_its_data(decay_figure):
    text = describe.describe(decay_figure)
    assert text.startswith("Line chart: “How far back does the gradient reach?”.")
    assert "x axis “distance T − k (steps)”, from 0 to 20" in text
    lo, hi = decay_figure["layout"]["yaxis"]["range"]
    assert f"y axis “log_10 ‖∂L_T/∂s_k‖”, from {describe.number(lo)} to " \
           f"{describe.number(hi)}" in text
    assert "tanh: ‖∂L_T/∂s_k‖" in text and "linear: ‖∂L_T/∂s_k‖" in text
    assert "A slider sets “spectral radius ρ”, in 3 steps from 0.50 to 2.00" in text
    assert "A dropdown chooses “activation φ”: tanh, linear; it starts at tanh." in text
    assert "<" not in text, "no plotly markup left"


def test_ranges_come_from_the_data_when_the_axis_has_none():
    fig = {"data": [{"type": "scatter", "mode": "markers", "x": [1, 2, 3], "y": [-4.5, 0, None],
                     "name": "points"}],
           "layout": {"title": {"text": "a <b>bold</b> title"}, "xaxis": {"title": {"text": "t"}}}}
    text = describe.describe(fig)
    assert text == ("Scatter plot: “a bold title”. x axis “t”, from 1 to 3; "
                    "y axis, from −4.5 to 0. Curve: points.")


@pytest.mark.parametrize("bad", [None, [], "figure"])
def test_a_figure_that_is_not_a_dict_is_refused(bad):
    with pytest.raises(TypeError, match="figure"):
        describe.describe(bad)


def test_the_figure_div_carries_the_text_alternative(decay_figure):
    html = figure_div(decay_figure, "gtt-plotly-abc")
    assert html.startswith('<p class="gtt-sr-only" id="gtt-plotly-abc-desc">Line chart:')
    assert ('<div class="gtt-plotly" id="gtt-plotly-abc" role="figure" '
            'aria-label="How far back does the gradient reach?" '
            'aria-describedby="gtt-plotly-abc-desc"') in html
    assert html.count('class="gtt-plotly-data"') == 1


def test_markup_without_the_figure_div_is_refused():
    with pytest.raises(ValueError, match="markup"):
        describe.with_text_alternative({"data": []}, "x", "<div></div>")


def test_quotes_in_a_title_cannot_break_the_attribute():
    fig = {"data": [], "layout": {"title": 'say "hi" & <go>'}}
    html = describe.with_text_alternative(fig, "f", '<div class="gtt-plotly" id="f"></div>')
    assert 'aria-label="say &quot;hi&quot; &amp;"' in html


def test_a_diagram_without_axes_is_described_by_its_labels():
    fig = as_json(viz.unrolled_graph(3))
    text = describe.describe(fig)
    assert text.startswith("Diagram") and "s_1" in text and "W_s" in text, text
