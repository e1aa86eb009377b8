"""Part III: gradient clipping and the cliff of Pascanu et al. (2013).

Builders for book/clipping.md, and the figure that the live dashboard
:func:`bpttlib.widgets.cliff_explorer` starts from and updates through: :func:`cliff_traces`
(the clipped path, also the kernel-free slider's states), :func:`cliff_raw_traces` (the
unclipped path) and :func:`cliff_layout` (the note where a path leaves the map, the loss axis).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import clipping as _clipping
from .._checks import as_float_array, check_instance, check_ndim, check_real
from . import _controls, _raster, _style
from ._controls import SLIDER_DIGITS, check_active, log_range, rounded


#: Bands of the loss map (as a contour plot's levels).
CLIFF_LEVELS = 25
#: The clipped path's legend name in the figure with a slider (its θ is the slider's value).
SLIDER_PATH_NAME = "clipped at the slider's θ"


def _path_xy(path: _clipping.CliffPath) -> dict:
    return dict(x=rounded(path.w, SLIDER_DIGITS), y=rounded(path.b, SLIDER_DIGITS))


def _loss_xy(path: _clipping.CliffPath) -> dict:
    return dict(x=list(range(path.loss.size)), y=rounded(path.loss, SLIDER_DIGITS))


def _leaves_box(x: np.ndarray, y: np.ndarray, xr: tuple, yr: tuple):
    """``(j, (x, y))``: the first point ``j`` of a path outside the box and where the segment
    into it crosses the box's edge; ``None`` if the path stays inside (or starts outside)."""
    inside = (x >= xr[0]) & (x <= xr[1]) & (y >= yr[0]) & (y <= yr[1])
    if inside.all() or not inside[0]:
        return None
    j = int(np.argmin(inside))
    x0, y0, dx, dy = x[j - 1], y[j - 1], x[j] - x[j - 1], y[j] - y[j - 1]
    s = 1.0
    for lo, hi, p, d in ((xr[0], xr[1], x0, dx), (yr[0], yr[1], y0, dy)):
        if d > 0:
            s = min(s, (hi - p) / d)
        elif d < 0:
            s = min(s, (lo - p) / d)
    return j, (float(x0 + s * dx), float(y0 + s * dy))


def cliff_traces(path: _clipping.CliffPath, threshold: float) -> dict[int, dict]:
    """What changes in :func:`cliff_figure` for another clipped path.

    Parameters
    ----------
    path : bpttlib.clipping.CliffPath
        A descent with norm clipping at ``threshold``.
    threshold : float
        Its clipping threshold ``θ`` (for the legend).

    Returns
    -------
    dict of int to dict
        Trace index -> new ``x``, ``y`` and ``name``: trace 2 (the clipped path on the map) and
        trace 5 (its loss against the iteration).
    """
    check_instance(path, "path", _clipping.CliffPath)
    threshold = check_real(threshold, "threshold", positive=True)
    name = f"clipped, θ = {threshold:.3g}"
    return {2: dict(name=name, **_path_xy(path)), 5: dict(name=name, **_loss_xy(path))}



def cliff_raw_traces(raw: _clipping.CliffPath) -> dict[int, dict]:
    """What changes in :func:`cliff_figure` for another unclipped descent.

    Parameters
    ----------
    raw : bpttlib.clipping.CliffPath
        A descent without clipping.

    Returns
    -------
    dict of int to dict
        Trace index -> new ``x`` and ``y``: trace 1 (the path on the map), trace 3 (its start)
        and trace 4 (its loss against the iteration).
    """
    check_instance(raw, "raw", _clipping.CliffPath)
    return {1: _path_xy(raw), 3: dict(x=[float(raw.w[0])], y=[float(raw.b[0])]),
            4: _loss_xy(raw)}


def cliff_layout(
    ws: np.ndarray,
    bs: np.ndarray,
    raw: _clipping.CliffPath,
    clipped: Sequence[_clipping.CliffPath],
    *,
    titles: Sequence = (),
) -> dict:
    """The parts of :func:`cliff_figure`'s layout that depend on the paths.

    Parameters
    ----------
    ws, bs : numpy.ndarray, shape (N,) and (M,)
        The map's grid (its first and last entries bound the map).
    raw : bpttlib.clipping.CliffPath
    clipped : sequence of bpttlib.clipping.CliffPath
        Every clipped path the figure may show (the loss axis fits them all).
    titles : sequence of annotations, optional
        The subplot titles (kept in front of the note).

    Returns
    -------
    dict
        ``annotations`` (the titles, then a note where the unclipped path leaves the map, if it
        does), ``xaxis2_range`` (the iterations of the longest path) and ``yaxis2_range``
        (log10 range of the loss panel, at most 10⁰).
    """
    notes = list(titles)
    exit_point = _leaves_box(raw.w, raw.b, (ws[0], ws[-1]), (bs[0], bs[-1]))
    if exit_point is not None:
        j, (xe, ye) = exit_point
        color = _style.REMEDY_COLORS["raw"]
        notes.append(dict(
            x=xe, y=ye, xref="x", yref="y", showarrow=True, arrowcolor=color, arrowhead=2,
            ax=-40 if xe > 0.5 * (ws[0] + ws[-1]) else 40,
            ay=40 if ye > 0.5 * (bs[0] + bs[-1]) else -40,
            bgcolor="rgba(255,255,255,0.9)", font=dict(color=color, size=11),
            text=f"step {j} leaves the map:<br>(w, b) = ({raw.w[j]:.1f}, {raw.b[j]:.1f})",
        ))
    positive = np.concatenate([raw.loss, *[p.loss for p in clipped]])
    lo, hi = log_range(positive[positive > 0])
    # The iterations of the longest path: the axis plotly's autorange chose, stated so that it
    # stays put while the slider moves.
    last = max(max(p.loss.size for p in (raw, *clipped)) - 1, 1)
    return dict(annotations=notes, xaxis2_range=[0, last], yaxis2_range=[lo, min(hi, 0.0)])


def cliff_figure(
    ws: Sequence[float],
    bs: Sequence[float],
    loss: object,
    raw: _clipping.CliffPath,
    clipped: Sequence[_clipping.CliffPath],
    thresholds: Sequence[float],
    *,
    active: int | None = None,
    slider: bool = True,
    title: str | None = None,
) -> go.Figure:
    """The cliff model's loss surface with descent paths, and a kernel-free slider on ``θ``.

    Parameters
    ----------
    ws : array_like, shape (N,)
        Grid of recurrent weights ``w`` (x axis).
    bs : array_like, shape (M,)
        Grid of biases ``b`` (y axis).
    loss : array_like, shape (M, N)
        ``cliff_loss(ws[None, :], bs[:, None])``.
    raw : bpttlib.clipping.CliffPath
        Descent without clipping.
    clipped : sequence of bpttlib.clipping.CliffPath, length S
        The same descent with norm clipping, one path per threshold.
    thresholds : sequence of float, length S
        Their thresholds ``θ``.
    active : int, optional
        Index of the path shown first (default the middle one).
    slider : bool, optional
        Add the kernel-free slider over ``thresholds`` (needs ``S >= 2``).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Left: ``E(w, b)`` as 25 colour bands (a picture under the axes; trace 0 holds
        its colour bar), the unclipped path (1), the clipped path (2)
        and the start (3); a step that leaves the map is noted where it leaves. Right: ``E``
        against the iteration on a log axis, unclipped (4) and clipped (5).

    Notes
    -----
    Book labels: eq-cliff-model, eq-clip-norm.
    """
    ws = check_ndim(as_float_array(ws, "ws"), "ws", (1,), "(N,)")
    bs = check_ndim(as_float_array(bs, "bs"), "bs", (1,), "(M,)")
    loss = as_float_array(loss, "loss")
    if loss.shape != (bs.size, ws.size):
        raise ValueError(f"loss: expected shape (len(bs), len(ws)) = ({bs.size}, {ws.size}), "
                         f"got {loss.shape}")
    for name, grid in (("ws", ws), ("bs", bs)):  # the map is stretched over an even grid
        gaps = np.diff(grid)
        if grid.size < 2 or not (gaps > 0).all() or np.ptp(gaps) > 1e-9 * gaps.mean():
            raise ValueError(f"{name}: expected an evenly spaced, increasing grid of at least "
                             f"2 points, got {grid.size} points")
    check_instance(raw, "raw", _clipping.CliffPath)
    if isinstance(clipped, _clipping.CliffPath) or not isinstance(clipped, Sequence):
        raise TypeError(f"clipped: expected a sequence of CliffPath, got {type(clipped).__name__}")
    for i, p in enumerate(clipped):
        check_instance(p, f"clipped[{i}]", _clipping.CliffPath)
    thresholds = check_ndim(as_float_array(thresholds, "thresholds"), "thresholds", (1,), "(S,)")
    if thresholds.size != len(clipped) or thresholds.size == 0:
        raise ValueError(f"thresholds: expected one threshold per clipped path "
                         f"({len(clipped)}, at least 1), got {thresholds.size}")
    active = check_active(active, len(clipped))
    if slider and len(clipped) < 2:
        raise ValueError("clipped: a slider needs at least 2 paths, got 1")
    c = _style.REMEDY_COLORS
    state = {**cliff_raw_traces(raw), **cliff_traces(clipped[active], float(thresholds[active]))}
    if slider:  # the slider shows θ; a legend name that changed with it would cost a redraw
        state[2]["name"] = state[5]["name"] = SLIDER_PATH_NAME
    fig = make_subplots(rows=1, cols=2, column_widths=[0.58, 0.42], horizontal_spacing=0.2,
                        subplot_titles=("loss E(w, b) and gradient-descent paths",
                                        "loss E along the path"))
    # The surface is a picture under the paths (banded like a 25-level contour map): a contour
    # trace would make plotly redraw the whole map on every slider step. Trace 0 carries its
    # colour bar.
    picture, lo, hi = _raster.banded_image(np.asarray(loss, dtype=float), levels=CLIFF_LEVELS,
                                           colorscale="Viridis")
    fig.add_trace(go.Scatter(
        x=[float(ws[0])], y=[float(bs[0])], mode="markers", name="E(w, b)", showlegend=False,
        hoverinfo="skip", marker=dict(
            size=0.1, opacity=0, color=[lo], cmin=lo, cmax=hi, colorscale="Viridis",
            showscale=True,
            colorbar=dict(title=dict(text="E", side="right"), x=0.475, len=0.9, thickness=12)),
    ), row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines+markers", name="no clipping",
                             line=dict(color=c["raw"], width=2), marker=dict(size=5),
                             **state[1]), row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines+markers", line=dict(color=c["clipped"], width=2),
                             marker=dict(size=5), **state[2]), row=1, col=1)
    fig.add_trace(go.Scatter(mode="markers", name="start", marker=dict(
        color="white", size=12, symbol="star", line=dict(color="black", width=1.5)),
        **state[3]), row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines", name="no clipping", showlegend=False,
                             line=dict(color=c["raw"], width=2), **state[4]), row=1, col=2)
    fig.add_trace(go.Scatter(mode="lines", showlegend=False,
                             line=dict(color=c["clipped"], width=2), **state[5]), row=1, col=2)
    fig.update_xaxes(title_text="recurrent weight w", range=[float(ws[0]), float(ws[-1])],
                     showgrid=False, zeroline=False, row=1, col=1)
    fig.update_yaxes(title_text="bias b", range=[float(bs[0]), float(bs[-1])],
                     showgrid=False, zeroline=False, row=1, col=1)
    fig.add_layout_image(source=picture, xref="x", yref="y", x=float(ws[0]), y=float(bs[-1]),
                         sizex=float(ws[-1] - ws[0]), sizey=float(bs[-1] - bs[0]),
                         sizing="stretch", xanchor="left", yanchor="top", layer="below")
    fig.update_xaxes(title_text="iteration", row=1, col=2)
    fig.update_yaxes(type="log", dtick=1, exponentformat="power", row=1, col=2)
    layout = cliff_layout(ws, bs, raw, clipped, titles=fig.layout.annotations)
    if slider:  # the slider sits under the plots: the legend goes above them
        steps = _controls.restyle_steps(
            [cliff_traces(p, th) for p, th in zip(clipped, thresholds.tolist())],
            [f"{th:.3g}" for th in thresholds.tolist()], ("x", "y"))
        _style.frame(fig, title=title, height=600, top=60, **layout,
                     legend=dict(orientation="h", x=0, y=1.1, yanchor="bottom"),
                     sliders=[_controls.slider(steps, active=active,
                                               prefix="clipping threshold θ = ")])
    else:  # a live dashboard's title needs the room above the plots: the legend goes below
        _style.frame(fig, title=title, height=560, top=60, bottom=100, **layout,
                     legend=dict(orientation="h", x=0, y=-0.18, yanchor="top"))
    return fig


# ---- direction of a clipped gradient -------------------------------------------------------------

def clip_cosine_figure(
    limits: Sequence[float],
    value_cosine: Sequence[float],
    value_fraction: Sequence[float],
    norm_cosine: Sequence[float],
    *,
    title: str | None = None,
) -> go.Figure:
    """How far each kind of clipping turns a gradient, against the threshold.

    Parameters
    ----------
    limits : array_like, shape (N,)
        Thresholds, ``c`` for value clipping and ``θ`` for norm clipping (log x axis), > 0.
    value_cosine : array_like, shape (N,)
        ``cos(clip_by_value(g, c), g)``.
    value_fraction : array_like, shape (N,)
        The fraction of entries that value clipping changed.
    norm_cosine : array_like, shape (N,)
        ``cos(clip_by_norm(g, θ), g)``.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Notes
    -----
    Book labels: eq-clip-norm, eq-clip-value.
    """
    limits = check_ndim(as_float_array(limits, "limits"), "limits", (1,), "(N,)")
    if (limits <= 0).any():
        raise ValueError("limits: expected thresholds > 0 (the x axis is logarithmic)")
    arrays = {}
    for name, arr in (("value_cosine", value_cosine), ("value_fraction", value_fraction),
                      ("norm_cosine", norm_cosine)):
        arr = as_float_array(arr, name)
        if arr.shape != limits.shape:
            raise ValueError(f"{name}: expected shape {limits.shape} like limits, got {arr.shape}")
        arrays[name] = arr
    c = _style.REMEDY_COLORS
    x = rounded(limits, SLIDER_DIGITS)
    fig = go.Figure([
        go.Scatter(x=x, y=rounded(arrays["norm_cosine"], SLIDER_DIGITS), mode="lines",
                   name="norm clipping: cosine(clipped, g)", line=dict(color=c["clipped"],
                                                                        width=3)),
        go.Scatter(x=x, y=rounded(arrays["value_cosine"], SLIDER_DIGITS), mode="lines",
                   name="value clipping: cosine(clipped, g)", line=dict(color=c["value"],
                                                                         width=3)),
        go.Scatter(x=x, y=rounded(arrays["value_fraction"], SLIDER_DIGITS), mode="lines",
                   name="value clipping: fraction of entries clipped",
                   line=dict(color=c["value"], dash="dot", width=2)),
    ])
    fig.update_xaxes(type="log", title_text="threshold (c for value clipping, θ for norm "
                                            "clipping)")
    fig.update_yaxes(range=[-0.03, 1.05])
    _style.frame(fig, title=title, height=420, left=60,
                 legend=dict(x=0.99, xanchor="right", y=0.45))
    return fig




def alignment_figure(data, *, title: str | None = None) -> go.Figure:
    """The gradient and the top curvature direction of the cliff model near its wall.

    Parameters
    ----------
    data : mapping
        The result of ``bpttlib.sweeps.cliff_alignment``: ``distance``, ``angle``,
        ``grad_norm``, ``top_eigenvalue`` (arrays of one shape).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Left: the angle in degrees between ``∇E`` and the top eigenvector of ``∇²E``. Right:
        ``‖∇E‖`` and ``|λ_max|`` (log axes). The x axes are the distance to the wall (log,
        the wall on the left).

    Notes
    -----
    Book labels: eq-cliff-model, eq-clip-norm.
    """
    arrays = {}
    for key in ("distance", "angle", "grad_norm", "top_eigenvalue"):
        if key not in data:
            raise ValueError(f"data: expected the key {key!r}")
        arrays[key] = check_ndim(as_float_array(data[key], f"data[{key!r}]"), f"data[{key!r}]",
                                 (1,), "(n,)")
    if len({a.shape for a in arrays.values()}) != 1:
        raise ValueError("data: expected arrays of one shape")
    if (arrays["distance"] <= 0).any():
        raise ValueError("data['distance']: expected distances > 0 (log axis)")
    x = rounded(arrays["distance"], SLIDER_DIGITS)
    c = _style.PALETTE
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        "angle between ∇E and the top curvature direction", "‖∇E‖ and |λ<sub>max</sub>|"))
    fig.add_trace(go.Scatter(x=x, y=rounded(arrays["angle"], SLIDER_DIGITS),
                             mode="lines+markers", name="angle (degrees)",
                             line=dict(color=c[3])), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=rounded(arrays["grad_norm"], SLIDER_DIGITS),
                             mode="lines+markers", name="‖∇E‖", line=dict(color=c[1])),
                  row=1, col=2)
    fig.add_trace(go.Scatter(x=x, y=rounded(np.abs(arrays["top_eigenvalue"]), SLIDER_DIGITS),
                             mode="lines+markers", name="|λ<sub>max</sub>| of ∇²E",
                             line=dict(color=c[0])), row=1, col=2)
    fig.update_xaxes(type="log", title_text="distance to the wall (in w)")
    fig.update_yaxes(title_text="degrees", row=1, col=1)
    fig.update_yaxes(type="log", title_text="size", row=1, col=2)
    _style.frame(fig, title=title, height=420, top=40, legend=dict(
        orientation="h", x=0, y=-0.2, yanchor="top"), bottom=110)
    return fig


def study_curves_figure(curves, *, every: int, baseline_label: str = "baseline",
                        title: str | None = None) -> go.Figure:
    """Learning curves of a stored study: each seed faint, the median over seeds bold.

    Parameters
    ----------
    curves : mapping of str to sequence of array_like
        Setting name -> one curve per seed (loss / baseline per block of ``every`` steps).
    every : int
        Steps per block (x = block end).
    baseline_label : str, optional
        Legend of the dashed line at 1.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Log y axis; the baseline (ratio 1) dashed grey.

    Notes
    -----
    Book label: eq-pascanu-regularizer.
    """
    every = int(every)
    if every < 1:
        raise ValueError(f"every: expected a positive integer, got {every}")
    fig = go.Figure()
    for i, (name, runs) in enumerate(curves.items()):
        color = _style.PALETTE[i % len(_style.PALETTE)]
        arr = np.array([as_float_array(r, f"curves[{name!r}]") for r in runs])
        if arr.ndim != 2 or (arr <= 0).any():
            raise ValueError(f"curves[{name!r}]: expected positive curves of one length")
        x = (np.arange(arr.shape[1]) + 1) * every
        for j, run in enumerate(arr):
            fig.add_trace(go.Scatter(x=x, y=rounded(run, SLIDER_DIGITS), mode="lines",
                                     line=dict(color=_style.translucent(color, 0.35), width=1),
                                     name=f"{name} (seeds)", legendgroup=name,
                                     showlegend=j == 0))
        fig.add_trace(go.Scatter(x=x, y=rounded(np.median(arr, axis=0), SLIDER_DIGITS),
                                 mode="lines", line=dict(color=color, width=3),
                                 name=f"{name} (median)", legendgroup=name))
    fig.add_hline(y=1.0, line=dict(color=_style.BASELINE_COLOR, dash="dash"),
                  annotation_text=baseline_label, annotation_position="bottom left")
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(type="log", title_text="loss / baseline")
    _style.frame(fig, title=title, height=420, legend=_style.LEGEND_ABOVE, top=60)
    return fig
