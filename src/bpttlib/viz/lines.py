"""General line figures: named curves over one x, and curves switched by a kernel-free slider.

:func:`compare_slider_figure` is the one slider-over-curves builder of the book (the gated-cell,
cell-path and skip figures and :func:`slider_figure` are its special cases); its traces function
:func:`curve_traces` is what the live dashboards apply on every change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .._checks import as_float_array, check_ndim, shape_str
from . import _controls, _style
from ._controls import SLIDER_DIGITS, check_active, check_mapping, restyle_steps, rounded


def curve_traces(
    x: object,
    curves: Mapping[str, object],
    *,
    start: int = 0,
    digits: int | None = SLIDER_DIGITS,
) -> dict[int, dict]:
    """What a line figure's traces show for these curves.

    Parameters
    ----------
    x : array_like, shape (N,)
    curves : mapping of str to array_like, shape (N,)
        Legend name -> curve.
    start : int, optional
        Index of the first curve's trace.
    digits : int or None, optional
        Significant digits kept (non-finite values become ``None``, a gap): the compact form
        of a static figure's precomputed states. ``None``: full precision, non-finite points
        left out (numpy arrays; what a live dashboard sends).

    Returns
    -------
    dict of int to dict
        Trace index -> ``x`` and ``y`` (the static slider's steps and the live dashboards both
        apply these).
    """
    if digits is None:
        x = np.asarray(x, dtype=float)
        out = {}
        for i, y in enumerate(curves.values()):
            y = np.asarray(y, dtype=float)
            keep = np.isfinite(y)
            out[start + i] = dict(x=x[keep], y=y[keep])
        return out
    xs = rounded(x, digits)
    return {start + i: dict(x=xs, y=rounded(y, digits)) for i, y in enumerate(curves.values())}


def compare_slider_figure(
    x: Sequence[float],
    sliding: Mapping[str, object],
    values: Sequence[float],
    *,
    value_label: str,
    x_title: str,
    y_title: str,
    fixed: Mapping[str, object] | None = None,
    colors: Mapping[str, str] | None = None,
    dashed: Sequence[str] = (),
    active: int | None = None,
    title: str | None = None,
    value_format: str = "{:g}",
    y_range: tuple[float, float] | None = None,
    height: int = 480,
    slider: bool = True,
) -> go.Figure:
    """Fixed curves next to curves that a kernel-free slider switches between.

    Parameters
    ----------
    x : array_like, shape (N,)
        Common x values.
    sliding : mapping of str to array_like, shape (S, N)
        Legend name -> one curve per slider state; the slider restyles all of them at once.
    values : sequence of float, length S
        The parameter value of each state, shown on the slider.
    value_label : str
        The slider's prefix, e.g. ``"forget-gate bias b<sub>f</sub> = "``.
    x_title, y_title : str
        Axis titles (plotly HTML subset).
    fixed : mapping of str to array_like, shape (N,), optional
        Curves that do not depend on the slider (drawn first).
    colors : mapping of str to str, optional
        Colour by legend name (others take the palette in order).
    dashed : sequence of str, optional
        Legend names drawn dashed.
    active : int, optional
        Index of the state shown first (default: the middle one).
    title : str, optional
    value_format : str, optional
        Format of a value on the slider.
    y_range : (float, float), optional
        Fixed y range, so that moving the slider does not rescale the axis.
    height : int, optional
    slider : bool, optional
        Add the kernel-free slider. A live dashboard turns it off and applies
        :func:`curve_traces` itself; the legend then moves into the plot's top right corner,
        leaving the room above the plot to the dashboard's title.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: the fixed curves, then the sliding ones. Non-finite values are gaps; every
        state is rounded to ``SLIDER_DIGITS`` digits.
    """
    x = check_ndim(as_float_array(x, "x"), "x", (1,), "(N,)")
    values = check_ndim(as_float_array(values, "values"), "values", (1,), "(S,)")
    sliding = check_mapping(sliding, "sliding")
    fixed = {} if fixed is None else check_mapping(fixed, "fixed")
    S, N = values.size, x.size
    arrays = {}
    for group, shape, expected in ((fixed, (N,), f"({N},) like x"),
                                   (sliding, (S, N), f"(len(values), len(x)) = ({S}, {N})")):
        where = "fixed" if group is fixed else "sliding"
        for name, ys in group.items():
            ys = as_float_array(ys, f"{where}[{name!r}]", finite=False)
            if ys.shape != shape:
                raise ValueError(f"{where}[{name!r}]: expected shape {expected}, "
                                 f"got {shape_str(ys.shape)}")
            arrays[name] = ys
    active = check_active(active, S)
    states = [curve_traces(x, {n: a[j] for n, a in arrays.items() if n in sliding},
                           start=len(fixed)) for j in range(S)]
    first = {**curve_traces(x, {n: arrays[n] for n in fixed}), **states[active]}
    fig = go.Figure()
    for i, name in enumerate([*fixed, *sliding]):
        fig.add_trace(go.Scatter(
            mode="lines", name=str(name), **first[i],
            line=dict(color=(colors or {}).get(name, _style.PALETTE[i % len(_style.PALETTE)]),
                      width=2.5,
                      dash="dash" if name in dashed else None),
        ))
    if slider:
        steps = restyle_steps(states, [value_format.format(v) for v in values], ("y",))
        controls = dict(legend=_style.LEGEND_ABOVE,
                        sliders=[_controls.slider(steps, active=active, prefix=value_label)])
    else:  # a live dashboard: its title takes the room above the plot
        controls = dict(legend=dict(orientation="v", x=0.99, xanchor="right", y=0.99,
                                    yanchor="top"))
    _style.frame(fig, title=title, height=height, top=40, title_room=40, xaxis_title=x_title,
                 yaxis_title=y_title, **controls)
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    return fig


def slider_figure(
    x: Sequence[float],
    ys: np.ndarray,
    values: Sequence[float],
    *,
    value_label: str,
    x_title: str,
    y_title: str,
    active: int | None = None,
    title: str | None = None,
    trace_name: str = "",
    value_format: str = "{:.2f}",
    y_range: tuple[float, float] | None = None,
) -> go.Figure:
    """A line plot whose one curve is chosen by a kernel-free plotly slider.

    The one-curve case of :func:`compare_slider_figure`: every state is precomputed, so the
    figure works in the static book with no kernel.

    Parameters
    ----------
    x : array_like, shape (N,)
        Common x values.
    ys : array_like, shape (S, N)
        One curve per slider state; non-finite entries are drawn as gaps.
    values : sequence of float, length S
        The parameter value of each state, shown on the slider.
    value_label : str
        Name of the parameter (the slider's prefix), e.g. ``"w = "``.
    x_title, y_title : str
        Axis titles (plotly HTML subset).
    active : int, optional
        Index of the state shown first (default: the middle one).
    title : str, optional
        Figure title.
    trace_name : str
        Legend name of the curve.
    value_format : str
        Format of a value on the slider.
    y_range : (float, float), optional
        Fixed y-axis range, so moving the slider does not rescale the axis.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    ys = check_ndim(as_float_array(ys, "ys", finite=False), "ys", (2,), "(S, N)")
    return compare_slider_figure(
        x, {trace_name: ys}, values, value_label=value_label, x_title=x_title, y_title=y_title,
        active=active, title=title, value_format=value_format, y_range=y_range, height=460)


def lines_figure(
    x: Sequence[float],
    lines: Mapping[str, object],
    *,
    x_title: str,
    y_title: str,
    dashed: Mapping[str, object] | None = None,
    title: str | None = None,
    mode: str = "lines",
    y_range: tuple[float, float] | None = None,
    hline: float | None = None,
    hline_label: str | None = None,
    height: int = 440,
) -> go.Figure:
    """Several named curves over a common x, with optional dashed companions (bounds, limits).

    Parameters
    ----------
    x : array_like, shape (N,)
    lines : mapping of str to array_like, shape (N,)
        Solid curves; non-finite values are gaps.
    x_title, y_title : str
        Axis titles (plotly HTML subset).
    dashed : mapping of str to array_like, shape (N,), optional
        Dashed curves; a key equal to a key of ``lines`` takes that curve's colour.
    title : str, optional
    mode : str, optional
        plotly's scatter mode (``"lines"``, ``"lines+markers"``, ``"markers"``).
    y_range : (float, float), optional
    hline : float, optional
        A thin grey reference line at this y.
    hline_label : str, optional
        A label for that line (at its right end).
    height : int, optional

    Returns
    -------
    plotly.graph_objects.Figure
    """
    x = check_ndim(as_float_array(x, "x"), "x", (1,), "(N,)")
    lines = check_mapping(lines, "lines")
    colors = {}
    fig = go.Figure()
    for kind, group in (("solid", lines), ("dash", dashed or {})):
        for name, y in group.items():
            y = as_float_array(y, f"{'lines' if kind == 'solid' else 'dashed'}[{name!r}]",
                               finite=False)
            if y.shape != x.shape:
                raise ValueError(f"lines[{name!r}]: expected shape {x.shape} like x, "
                                 f"got {y.shape}")
            color = colors.setdefault(name, _style.color(str(name), len(colors)))
            label = name if kind == "solid" or name not in lines else f"{name}: bound"
            fig.add_trace(go.Scatter(
                x=rounded(x, SLIDER_DIGITS), y=rounded(y, SLIDER_DIGITS),
                mode=mode if kind == "solid" else "lines", name=str(label),
                line=dict(color=color, dash=kind, width=2.5 if kind == "solid" else 1.5),
            ))
    _style.frame(fig, title=title, height=height, xaxis_title=x_title, yaxis_title=y_title,
                 showlegend=True, legend=_style.LEGEND_BELOW if title else _style.LEGEND_ABOVE)
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    if hline is not None:
        fig.add_hline(y=hline, line=dict(color="#999", width=1), annotation_text=hline_label,
                      annotation_position="top left", annotation_font_color="#666")
    return fig
