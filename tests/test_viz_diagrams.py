"""The LSTM and GRU cell diagrams (viz.diagrams)."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from bpttlib import viz
from bpttlib.viz import diagrams


@pytest.mark.parametrize("cell, gates, acts", [
    ("lstm", ["f", "i", "g", "o"], {"f": "σ", "i": "σ", "g": "tanh", "o": "σ"}),
    ("gru", ["z", "r", "n"], {"r": "σ", "z": "σ", "n": "tanh"}),
])
def test_diagram_draws_every_gate_of_the_equation(cell, gates, acts):
    fig = viz.cell_diagram(cell)
    parts = viz.diagram_parts(cell)
    assert parts["gates"] == gates and parts["activations"] == acts
    counts = diagrams.count_parts(fig)
    assert counts["boxes"] == len(gates)
    assert counts["circles"] == len(parts["ops"])
    assert counts["arrows"] >= len(gates) * 2
    texts = " ".join(a.text for a in fig.layout.annotations)
    for g in gates:
        assert f"{g}<sub>t</sub> {acts[g]}" in texts
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert fig.layout.yaxis.scaleanchor == "x"         # scales as a whole to a phone's width


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_arrows_end_on_the_edges_not_inside_the_nodes(cell):
    fig = viz.cell_diagram(cell)
    boxes = [s for s in fig.layout.shapes if s.type == "rect"]
    for a in fig.layout.annotations:
        if not a.showarrow:
            continue
        for b in boxes:
            inside = b.x0 + 1e-9 < a.x < b.x1 - 1e-9 and b.y0 + 1e-9 < a.y < b.y1 - 1e-9
            assert not inside


def test_bad_input():
    with pytest.raises(ValueError, match="cell"):
        viz.cell_diagram("rnn")
    with pytest.raises(TypeError, match="title"):
        viz.cell_diagram("lstm", title=3)
    with pytest.raises(TypeError, match="fig"):
        diagrams.count_parts("figure")
    assert isinstance(viz.cell_diagram("gru", title="x"), go.Figure)
