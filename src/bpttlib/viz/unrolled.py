"""Part I: the unrolled network and the cost of BPTT.

Builders for book/unrolled.md and book/bptt.md. :func:`unrolled_graph` draws the computational
graph of the RNN unrolled for ``T`` steps with plotly shapes (nodes) and annotations (labels and
arrows); its kernel-free slider moves one highlight trace over the chains that reach the loss
term of step ``t`` (:func:`chain_traces`). :func:`cost_figure` is a log-log plot of any cost
(counted or timed) against ``T``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .._checks import as_float_array, check_instance, check_ndim
from . import _controls, _style
from ._controls import rounded

#: Rows of the unrolled graph (bottom to top).
GRAPH_ROWS = {"x": 0.0, "s": 1.0, "y": 2.0, "E": 3.0}

_NODE_RADIUS = 0.22


def _graph_flags(values: object, name: str, T: int, *, kind: str) -> list:
    """Validate a per-step sequence (mask weights or input flags) of length ``T``."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(f"{name}: expected a sequence of {T} {kind}, got {type(values).__name__}")
    if len(values) != T:
        raise ValueError(f"{name}: expected {T} entries (one per step), got {len(values)}")
    out = []
    for v in values:
        if kind == "booleans":
            if not isinstance(v, (bool, np.bool_)):
                raise TypeError(f"{name}: expected booleans, got {type(v).__name__} {v!r}")
            out.append(bool(v))
        else:
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer,
                                                                      np.floating)):
                raise TypeError(f"{name}: expected real numbers, got {type(v).__name__} {v!r}")
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"{name}: expected finite weights >= 0, got {v}")
            out.append(float(v))
    return out


def chain_traces(t: int, inputs: Sequence[bool]) -> dict[int, dict]:
    """The highlight of :func:`unrolled_graph`: every edge on a chain that reaches ``E_t``.

    Parameters
    ----------
    t : int
        The loss step.
    inputs : sequence of bool
        Which steps receive an input.

    Returns
    -------
    dict of int to dict
        Trace 0: ``x`` and ``y`` of the edges' end points, ``None`` between edges.

    Notes
    -----
    The chains of eq-bptt-sum for one ``t``: back along the states to ``s_1`` and down to
    every input ``x_k``, ``k ≤ t``.
    """
    xs, ys = [], []

    def seg(a, b):
        xs.extend([a[0], b[0], None])
        ys.extend([a[1], b[1], None])

    r = GRAPH_ROWS
    seg((t, r["y"]), (t, r["E"]))
    seg((t, r["s"]), (t, r["y"]))
    for k in range(t, 0, -1):
        seg((k - 1, r["s"]), (k, r["s"]))
        if inputs[k - 1]:
            seg((k, r["x"]), (k, r["s"]))
    return {0: dict(x=xs, y=ys)}


def unrolled_graph(
    T: int,
    *,
    mask: Sequence[float] | None = None,
    inputs: Sequence[bool] | None = None,
    highlight: bool = True,
    active: int | None = None,
    title: str | None = None,
) -> go.Figure:
    """The RNN unrolled for ``T`` steps: inputs, states, outputs and losses, with the weights.

    Nodes ``x_t``, ``s_t`` (with ``s_0``), ``y_t`` and ``E_t`` are circles (plotly shapes)
    with labels; every dependency is an arrow (an annotation) coloured by the weight matrix it
    uses: ``W_x`` (input to state), ``W_s`` (state to state), ``W_y`` (state to output). With
    ``highlight``, a kernel-free slider picks a loss step ``t`` and a thick line follows every
    chain that reaches ``E_t``: back along the states to ``s_1`` and down to every input
    ``x_k``, ``k ≤ t`` (the terms of eq-bptt-sum for that ``t``).

    Parameters
    ----------
    T : int
        Number of steps, 1 to 12.
    mask : sequence of float, length T, optional
        Loss weights ``m_t``; a step with ``m_t = 0`` has its output and loss drawn faded
        (many-to-one: ``(0, …, 0, 1)``). Default all ones.
    inputs : sequence of bool, length T, optional
        Which steps receive an input (one-to-many: ``(True, False, …)``); default all.
    highlight : bool, optional
        Add the highlight trace, and a slider if more than one step has a loss (default True).
    active : int, optional
        The loss step highlighted first (default the last weighted step).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Trace 0 is the highlight (``x``/``y`` of its segments, ``None`` between them); the
        slider (only with two or more weighted loss steps) has one step per weighted loss
        step, labelled ``t``, each restyling trace 0 (:func:`chain_traces`).
        ``layout.shapes`` are the nodes; arrows are the annotations with ``showarrow``.

    Raises
    ------
    TypeError, ValueError
        Naming the argument, e.g. ``mask`` of the wrong length or with all weights zero.

    Notes
    -----
    The graph of eq-rnn-state and eq-rnn-output with the loss eq-loss-mse. Book labels:
    eq-rnn-state, eq-rnn-output, eq-bptt-sum.
    """
    if isinstance(T, (bool, np.bool_)) or not isinstance(T, (int, np.integer)):
        raise TypeError(f"T: expected an integer, got {type(T).__name__} {T!r}")
    T = int(T)
    if not 1 <= T <= 12:
        raise ValueError(f"T: expected 1 <= T <= 12 (the graph must fit a page), got {T}")
    m = [1.0] * T if mask is None else _graph_flags(mask, "mask", T, kind="weights")
    inp = [True] * T if inputs is None else _graph_flags(inputs, "inputs", T, kind="booleans")
    if not any(w > 0 for w in m):
        raise ValueError("mask: expected at least one positive weight (a loss to reach), "
                         f"got {m}")
    if not isinstance(highlight, (bool, np.bool_)):
        raise TypeError(f"highlight: expected a bool, got {type(highlight).__name__}")
    steps_t = [t for t in range(1, T + 1) if m[t - 1] > 0]
    if active is None:
        active = steps_t[-1]
    if isinstance(active, (bool, np.bool_)) or not isinstance(active, (int, np.integer)):
        raise TypeError(f"active: expected an integer step t, got {type(active).__name__}")
    if int(active) not in steps_t:
        raise ValueError(f"active: expected a weighted loss step in {steps_t}, got {active}")
    active = int(active)

    r, c, rad = GRAPH_ROWS, _style.GRAPH_COLORS, _NODE_RADIUS
    shapes, notes = [], []

    def node(x, y, label, color, faded=False):
        shapes.append(dict(type="circle", xref="x", yref="y", x0=x - rad, x1=x + rad,
                           y0=y - rad, y1=y + rad, line=dict(color=c["faded"] if faded
                                                             else color, width=2),
                           fillcolor="white", layer="above"))
        notes.append(dict(x=x, y=y, text=label, showarrow=False,
                          font=dict(size=15, color="#b0b0b0" if faded else "#222")))

    def arrow(a, b, color, label=None, faded=False):
        notes.append(dict(x=b[0], y=b[1], ax=a[0], ay=a[1], xref="x", yref="y", axref="x",
                          ayref="y", text="", showarrow=True, arrowhead=2, arrowsize=1.1,
                          arrowwidth=1.8, standoff=15, startstandoff=15,
                          arrowcolor=c["faded"] if faded else color))
        if label:
            notes.append(dict(x=(a[0] + b[0]) / 2, y=(a[1] + b[1]) / 2, text=label,
                              showarrow=False, xshift=-14 if a[0] == b[0] else 0,
                              yshift=0 if a[0] == b[0] else 11,
                              font=dict(size=11, color=c["faded"] if faded else color)))

    node(0, r["s"], "s<sub>0</sub>", c["W_s"])
    for t in range(1, T + 1):
        faded = m[t - 1] == 0
        if inp[t - 1]:
            node(t, r["x"], f"x<sub>{t}</sub>", c["W_x"])
            arrow((t, r["x"]), (t, r["s"]), c["W_x"], "W<sub>x</sub>")
        node(t, r["s"], f"s<sub>{t}</sub>", c["W_s"])
        arrow((t - 1, r["s"]), (t, r["s"]), c["W_s"], "W<sub>s</sub>")
        node(t, r["y"], f"y<sub>{t}</sub>", c["W_y"], faded)
        arrow((t, r["s"]), (t, r["y"]), c["W_y"], "W<sub>y</sub>", faded)
        node(t, r["E"], f"E<sub>{t}</sub>", c["loss"], faded)
        arrow((t, r["y"]), (t, r["E"]), c["loss"], None, faded)

    first = chain_traces(active, inp)[0] if highlight else dict(x=[], y=[])
    fig = go.Figure(go.Scatter(
        mode="lines", name="chains reaching the loss", hoverinfo="skip",
        line=dict(color=c["highlight"], width=9), opacity=0.45, showlegend=False,
        visible=bool(highlight), **first))
    sliding = highlight and len(steps_t) > 1
    sliders = [_controls.slider(
        _controls.restyle_steps([chain_traces(t, inp) for t in steps_t],
                                [str(t) for t in steps_t], ("x", "y")),
        active=steps_t.index(active), pad=10,
        prefix="chains reaching E<sub>t</sub>, t = ")] if sliding else []
    _style.frame(
        fig, title=title, shapes=shapes, annotations=notes, sliders=sliders,
        height=430 if sliding else 360, showlegend=False,
        top=10, title_room=40, left=10, right=10, bottom=10,
        xaxis=dict(visible=False, range=[-0.6, T + 0.6], fixedrange=True),
        yaxis=dict(visible=False, range=[-0.5, 3.5], fixedrange=True, scaleanchor="x",
                   scaleratio=1),
    )
    return fig


def graph_counts(fig: go.Figure) -> dict:
    """How many nodes, arrows and slider steps an :func:`unrolled_graph` figure has.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure

    Returns
    -------
    dict
        ``{"nodes": int, "arrows": int, "steps": int}``.

    Notes
    -----
    For ``T`` steps with every input: ``4T + 1`` nodes and ``4T`` arrows (the graph of
    eq-rnn-state and eq-rnn-output).
    """
    check_instance(fig, "fig", go.Figure)
    arrows = sum(1 for a in fig.layout.annotations if a.showarrow)
    sliders = fig.layout.sliders
    return {"nodes": len(fig.layout.shapes), "arrows": arrows,
            "steps": len(sliders[0].steps) if sliders else 0}


def cost_figure(
    Ts: Sequence[int],
    costs: Mapping[str, Sequence[float]],
    *,
    y_title: str,
    title: str | None = None,
    slopes: bool = True,
) -> go.Figure:
    """Cost against sequence length on log-log axes, one line per method.

    Parameters
    ----------
    Ts : sequence of int, length N
        Sequence lengths, increasing, each >= 1.
    costs : mapping of str to sequence of float, each length N
        Positive costs (operation counts or seconds) per method.
    y_title : str
        Axis title (plotly HTML subset), e.g. ``"Jacobian products"``.
    title : str, optional
    slopes : bool, optional
        Append the least-squares slope of ``log cost`` against ``log T`` over the upper half of
        ``Ts`` to each legend entry (``≈ T^2.0``), rounded to one decimal.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``lines+markers`` trace per entry of ``costs``, both axes logarithmic.

    Notes
    -----
    A line of slope ``p`` on log-log axes is a cost growing like ``T^p``: the chain sum of
    eq-bptt-sum has slope 2 (or 3, term by term), the delta recursion eq-delta-recursion 1.
    """
    T_arr = check_ndim(as_float_array(Ts, "Ts"), "Ts", (1,), "(N,)")
    if T_arr.size < 2 or np.any(T_arr < 1) or np.any(np.diff(T_arr) <= 0):
        raise ValueError(f"Ts: expected at least two increasing lengths >= 1, got {T_arr.tolist()}")
    if not isinstance(costs, Mapping) or not costs:
        raise TypeError(f"costs: expected a non-empty mapping of name -> costs, "
                        f"got {type(costs).__name__}")
    fig = go.Figure()
    for i, (name, values) in enumerate(costs.items()):
        v = check_ndim(as_float_array(values, f"costs[{name!r}]"), f"costs[{name!r}]", (1,),
                       f"({T_arr.size},)")
        if v.shape != T_arr.shape:
            raise ValueError(f"costs[{name!r}]: expected {T_arr.size} values like Ts, got {v.size}")
        if np.any(v <= 0):
            raise ValueError(f"costs[{name!r}]: expected positive costs (log axis), got {v.tolist()}")
        label = str(name)
        if slopes:
            half = slice(min(T_arr.size // 2, T_arr.size - 2), None)
            p = np.polyfit(np.log(T_arr[half]), np.log(v[half]), 1)[0]
            label += f"  (≈ T<sup>{p:.1f}</sup>)"
        fig.add_trace(go.Scatter(x=rounded(T_arr), y=rounded(v), mode="lines+markers",
                                 name=label, line=dict(color=_style.COST_COLORS[i % len(_style.COST_COLORS)])))
    fig.update_xaxes(type="log", title="sequence length T", tickvals=rounded(T_arr),
                     ticktext=[f"{t:g}" for t in T_arr])
    fig.update_yaxes(type="log", title=y_title, dtick=1, exponentformat="power")
    _style.frame(fig, title=title, height=420, top=50, bottom=50, legend=_style.LEGEND_ABOVE)
    return fig

