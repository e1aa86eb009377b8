"""Part III: the LSTM and GRU cells drawn as diagrams (plotly shapes and annotations).

:func:`cell_diagram` draws one step of a cell in the book's notation (eq-lstm, eq-gru): the
memory line along the top, the gates as boxes fed by ``h_{t−1}`` and ``x_t`` along the bottom,
and the element-wise products and sums as circles. Everything is a plotly shape or annotation
in data coordinates with a fixed aspect ratio, so the figure scales down to a phone's width
as a whole; nothing needs a kernel or an image file. :func:`diagram_parts` lists what a
diagram holds (for tests and text alternatives).
"""

from __future__ import annotations

import plotly.graph_objects as go

from .._checks import check_instance, check_name
from . import _style

#: The cells :func:`cell_diagram` draws.
DIAGRAM_CELLS = ("lstm", "gru")

#: Colour of each gate's box and of its line (the memory line is black).
GATE_COLORS = {"f": _style.RED, "i": _style.GREEN, "g": _style.ORANGE, "o": _style.PURPLE,
               "r": _style.PURPLE, "z": _style.RED, "n": _style.ORANGE}
_INK = "#222"
_GREY = _style.GREY
_BOX = (0.62, 0.42)  # half width, half height of a gate box
_OP = 0.2           # radius of an operation circle
_NOTE_PX = 13       # from an operation's centre to the near edge of its note (its symbol: 14 px)

# One step of each cell: gates (name, x, activation, label under the box), operations
# (name, x, y, symbol), lines (from, to; a point is a node name or (x, y)), texts, and notes
# (x, y, text[, annotation settings]).
_LSTM = {
    "range": ((-0.9, 10.9), (-0.9, 5.9)),
    "gates": [("f", 1.5, "σ", "keep"), ("i", 3.3, "σ", "write"),
              ("g", 4.9, "tanh", "new"), ("o", 6.7, "σ", "show")],
    "ops": [("keep", 1.5, 5.0, "×"), ("write", 4.1, 3.7, "×"), ("add", 4.1, 5.0, "+"),
            ("squash", 8.3, 3.9, "tanh"), ("show", 8.3, 2.0, "×")],
    "lines": [((0.0, 5.0), "keep", _INK), ("keep", "add", _INK), ("add", (10.0, 5.0), _INK),
              ("f", "keep", "f"), ("i", "write", "i"), ("g", "write", "g"),
              ("write", "add", _INK), ((8.3, 5.0), "squash", _INK), ("squash", "show", _INK),
              ("o", "show", "o"), ("show", (10.0, 2.0), _INK)],
    "bus": (0.0, 6.7),
    "texts": [(-0.45, 5.0, "c<sub>t−1</sub>"), (10.45, 5.0, "c<sub>t</sub>"),
              (-0.45, 0.8, "h<sub>t−1</sub>"), (10.45, 2.0, "h<sub>t</sub>"),
              (0.6, -0.6, "x<sub>t</sub>")],
    "notes": [(1.5, 5.45, "f<sub>t</sub>⊙c<sub>t−1</sub>"),
              (4.1, 5.45, "+ i<sub>t</sub>⊙g<sub>t</sub>"),
              (8.3, 1.55, "o<sub>t</sub>⊙tanh c<sub>t</sub>")],
}
_GRU = {
    "range": ((-0.9, 10.9), (-0.9, 5.9)),
    "gates": [("z", 1.6, "σ", "keep"), ("r", 3.8, "σ", "reset"),
              ("n", 6.4, "tanh", "new")],
    "ops": [("keep", 1.6, 5.0, "×"), ("one_minus", 3.0, 3.7, "1−"), ("reset", 5.1, 2.9, "×"),
            ("mix", 6.4, 4.1, "×"), ("add", 6.4, 5.0, "+")],
    "lines": [((0.0, 5.0), "keep", _INK), ("keep", "add", _INK), ("add", (10.0, 5.0), _INK),
              ("z", (1.6, 3.7), "z"), ((1.6, 3.7), "keep", "z"), ((1.6, 3.7), "one_minus", "z"),
              ("one_minus", "mix", "z"), ("n", "mix", "n"), ("mix", "add", _INK),
              ("r", (3.8, 2.9), "r"), ((3.8, 2.9), "reset", "r"), ((5.1, 0.8), "reset", _GREY),
              ("reset", "n", "n")],
    "bus": (0.0, 6.4),
    "texts": [(-0.45, 5.0, "h<sub>t−1</sub>"), (10.45, 5.0, "h<sub>t</sub>"),
              (0.6, -0.6, "x<sub>t</sub>")],
    "notes": [(1.6, 5.45, "z<sub>t</sub>⊙h<sub>t−1</sub>"),
              (7.45, 4.1, "(1−z<sub>t</sub>)⊙n<sub>t</sub>"),
              # a size smaller, a little left: between the "1−" on its left, the ⊗ up right and
              # the line joining them
              (5.1, 3.35, "r<sub>t</sub>⊙(W<sub>hn</sub>h<sub>t−1</sub>+b<sub>hn</sub>)",
               dict(xshift=-8, font=dict(size=9, color=_INK)))],
}
_SPECS = {"lstm": _LSTM, "gru": _GRU}
_TITLES = {"lstm": "One step of an LSTM (eq-lstm)", "gru": "One step of a GRU (eq-gru)"}


def _point(name_or_xy, where):
    return where[name_or_xy] if isinstance(name_or_xy, str) else name_or_xy


def diagram_parts(cell: str = "lstm") -> dict:
    """What :func:`cell_diagram` draws for ``cell``: its gates, operations and labels.

    Parameters
    ----------
    cell : {"lstm", "gru"}

    Returns
    -------
    dict
        ``gates`` (names in the order of eq-lstm or eq-gru's rows, ``["f", "i", "g", "o"]`` or
        ``["r", "z", "n"]``), ``activations`` (``σ`` or ``tanh`` per gate), ``roles`` (a word
        per gate), ``ops`` (the symbols of the circles), ``labels`` (state labels).
    """
    spec = _SPECS[check_name(cell, "cell", DIAGRAM_CELLS)]
    return {"gates": [g[0] for g in spec["gates"]],
            "activations": {g[0]: g[2] for g in spec["gates"]},
            "roles": {g[0]: g[3] for g in spec["gates"]},
            "ops": [o[3] for o in spec["ops"]],
            "labels": [t[2] for t in spec["texts"]]}


def cell_diagram(cell: str = "lstm", *, title: str | None = None) -> go.Figure:
    """One step of an LSTM or a GRU, drawn with plotly shapes and annotations.

    Parameters
    ----------
    cell : {"lstm", "gru"}
        Which cell.
    title : str, optional
        Figure title (default: "One step of an LSTM (eq-lstm)" or the GRU's).

    Returns
    -------
    plotly.graph_objects.Figure
        Hidden axes with a fixed aspect ratio; boxes for the gates (``f, i, g, o`` or
        ``r, z, n``, each named with its activation and its role), circles for the element-wise
        operations, arrows for the data flow. The memory line (``c`` or ``h``) runs along the
        top from left to right.

    Notes
    -----
    Draws eq-lstm (``c_t = f_t⊙c_{t−1} + i_t⊙g_t``, ``h_t = o_t⊙tanh(c_t)``) and eq-gru
    (``h_t = (1−z_t)⊙n_t + z_t⊙h_{t−1}``, the reset gate inside the candidate as in PyTorch).
    Every gate box also receives ``h_{t−1}`` and ``x_t`` from the bus along the bottom.
    """
    spec = _SPECS[check_name(cell, "cell", DIAGRAM_CELLS)]
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title: expected a string or None, got {type(title).__name__}")
    bw, bh = _BOX
    where, shapes, notes = {}, [], []
    gate_y = 1.8
    for name, x, act, role in spec["gates"]:
        where[name] = (x, gate_y)
        c = GATE_COLORS[name]
        shapes.append(dict(type="rect", x0=x - bw, x1=x + bw, y0=gate_y - bh, y1=gate_y + bh,
                           line=dict(color=c, width=2), fillcolor=_style.translucent(c, 0.12),
                           layer="above"))
        notes.append(dict(x=x, y=gate_y, text=f"{name}<sub>t</sub> {act}<br>{role}",
                          showarrow=False, font=dict(size=11, color=_INK)))
    for name, x, y, sym in spec["ops"]:
        where[name] = (x, y)
        r = _OP * (1.9 if len(sym) > 2 else 1.0)
        shapes.append(dict(type="circle", x0=x - r, x1=x + r, y0=y - _OP, y1=y + _OP,
                           line=dict(color=_INK, width=1.5), fillcolor="white", layer="above"))
        notes.append(dict(x=x, y=y, text=sym, showarrow=False,
                          font=dict(size=11 if len(sym) > 2 else 14, color=_INK)))
    # the input bus: h_{t−1} and x_t into every gate
    x0, x1 = spec["bus"][0], max(g[1] for g in spec["gates"])
    bus_y = 0.8
    shapes.append(dict(type="line", x0=x0, x1=x1, y0=bus_y, y1=bus_y,
                       line=dict(color=_style.GREY, width=2)))
    shapes.append(dict(type="line", x0=0.6, x1=0.6, y0=-0.35, y1=bus_y,
                       line=dict(color=_style.GREY, width=2)))
    for name, x, _, _ in spec["gates"]:
        notes.append(_arrow((x, bus_y), (x, gate_y - bh), _style.GREY))
    for a, b, col in spec["lines"]:
        pa, pb = _trim(_point(a, where), _point(b, where), _extent(a, where), _extent(b, where))
        head = isinstance(b, str) or b[0] >= 10.0 or b == (0.0, 0.8)
        notes.append(_arrow(pa, pb, GATE_COLORS.get(col, col), head=head))
    if cell == "gru":  # h_{t−1} also feeds the gates, down the left edge into the bus
        shapes.append(dict(type="line", x0=0.0, x1=0.0, y0=5.0, y1=bus_y,
                           line=dict(color=_style.GREY, width=2)))
    for x, y, text in spec["texts"]:
        notes.append(dict(x=x, y=y, text=text, showarrow=False, font=dict(size=14, color=_INK)))
    for x, y, text, *extra in spec["notes"]:
        note = {**dict(x=x, y=y, text=text, showarrow=False, bgcolor="white",
                       font=dict(size=10, color=_INK)), **(extra[0] if extra else {})}
        # A note just above (below) an operation hangs a fixed number of pixels off its centre:
        # the diagram keeps its aspect, so on a phone the data gap shrinks but the text does not.
        for _, ox, oy, _ in spec["ops"]:
            if abs(ox - x) < 1e-9 and 0 < abs(y - oy) <= 0.5:
                up = y > oy
                note.update(y=oy, yanchor="bottom" if up else "top", yshift=_NOTE_PX if up
                            else -_NOTE_PX)
        notes.append(note)
    (xa, xb), (ya, yb) = spec["range"]
    fig = go.Figure()
    _style.frame(fig, title=title or _TITLES[cell], shapes=shapes, annotations=notes,
                 height=400, showlegend=False, top=10, title_room=40, left=5, right=5,
                 bottom=5,
                 xaxis=dict(visible=False, range=[xa, xb], fixedrange=True,
                            title="data flow, left to right"),
                 yaxis=dict(visible=False, range=[ya, yb], fixedrange=True, scaleanchor="x",
                            scaleratio=1, title="memory line on top, gates below"))
    return fig


def _extent(name_or_xy, where):
    """Half-sizes of what a line starts or ends at: a gate box, an operation circle, a point."""
    if not isinstance(name_or_xy, str):
        return (0.0, 0.0)
    if name_or_xy in GATE_COLORS:
        return _BOX
    return (_OP, _OP)


def _trim(a, b, ea, eb):
    """Shorten the segment ``a → b`` so that it starts and ends at the edges of its nodes."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = (dx * dx + dy * dy) ** 0.5
    ux, uy = dx / length, dy / length

    def exit_at(extent):
        w, h = extent
        if w == 0.0:
            return 0.0
        return min(w / abs(ux) if ux else float("inf"), h / abs(uy) if uy else float("inf"))

    sa, sb = exit_at(ea), exit_at(eb)
    return (a[0] + ux * sa, a[1] + uy * sa), (b[0] - ux * sb, b[1] - uy * sb)


def _arrow(a, b, color, *, head=True):
    return dict(x=b[0], y=b[1], ax=a[0], ay=a[1], xref="x", yref="y", axref="x", ayref="y",
                text="", showarrow=True, arrowhead=2 if head else 0, arrowsize=1.0,
                arrowwidth=1.8, standoff=0, startstandoff=0, arrowcolor=color)


def count_parts(fig: go.Figure) -> dict:
    """Boxes, circles and arrows of a :func:`cell_diagram` figure.

    Returns
    -------
    dict
        ``{"boxes": int, "circles": int, "arrows": int}``.
    """
    check_instance(fig, "fig", go.Figure)
    kinds = [s.type for s in fig.layout.shapes]
    return {"boxes": kinds.count("rect"), "circles": kinds.count("circle"),
            "arrows": sum(1 for a in fig.layout.annotations if a.showarrow)}
