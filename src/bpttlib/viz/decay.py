"""Part II: Jacobian products, vanishing and exploding gradients.

Builders for book/vanishing-exploding.md (and the decay figure of book/jacobians.md), and the
figure that the live dashboard :func:`bpttlib.widgets.decay_explorer` starts from and updates
through (:func:`decay_curve_figure`, :func:`decay_curve_traces`). Magnitudes are shown as log10
values, so nothing here overflows, and no NaN reaches a figure: non-finite
values become gaps, and float64's range is marked where a curve passes it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from .. import activations as _activations
from .. import jacobians as _jacobians
from .._checks import as_float_array, check_instance, check_real
from ..sweeps import DecayGrid
from . import _controls, _style
from ._controls import SLIDER_DIGITS, check_mapping, finite_span, log10, rounded

#: Significant digits of the decay grid's precomputed states. The values are log10 norms, so 4
#: digits resolve 0.01 decades at values near ±50 (a 2 % factor): finer than a log axis shows.
DECAY_DIGITS = 4


# A float64 note runs over two short lines: plotly does not wrap annotations, and at a phone's
# width (390 px) one long line ran off the figure's right edge.
_WRAP = "<br>&nbsp;&nbsp;"

# ---- the precomputed grid behind the static slider x dropdown ------------------------------------

def _bound_line(start: float, rate: float, T: int) -> list[float]:
    """The two end points of the bound ``start + d·rate`` at ``d = 0`` and ``d = T``."""
    if not math.isfinite(start):
        return [-math.inf, -math.inf]
    return [start, start + T * rate if math.isfinite(rate) else -math.inf]


def decay_grid_figure(
    grid: DecayGrid,
    *,
    radius: float = 1.0,
    activation: str = "tanh",
    y_range: tuple[float, float] | None = None,
    title: str | None = None,
    digits: int = DECAY_DIGITS,
) -> go.Figure:
    """The gradient-decay figure with a kernel-free slider (ρ) and dropdown (activation).

    Parameters
    ----------
    grid : bpttlib.sweeps.DecayGrid
        From :func:`~bpttlib.sweeps.decay_grid`.
    radius : float, optional
        The spectral radius shown first (the nearest one in the grid).
    activation : str, optional
        The activation shown first.
    y_range : (float, float), optional
        Fixed y-axis range (default: all states fit), so the axis stays put as the slider moves.
    title : str, optional
    digits : int, optional
        Significant digits kept of each precomputed value.

    Returns
    -------
    plotly.graph_objects.Figure
        Two traces per activation, the curve and its bound (dashed), in the order of
        ``grid.activations``; only the chosen activation's pair is visible. ``layout.meta``
        records the grid's settings, radii and activations (the browser test recomputes a
        state from them).

    Notes
    -----
    Two plotly controls cannot read each other's state, so neither depends on the other: the
    dropdown only toggles which pair of traces is *visible*, and every slider step restyles the
    ``y`` of *all* traces to their curves for that radius. Whichever activation is shown, it
    already holds the curve for the slider's radius, whatever the order in which the reader used
    the two controls. Book label: eq-grad-decay.
    """
    check_instance(grid, "grid", DecayGrid)
    if activation not in grid.activations:
        raise ValueError(f"activation: expected one of {grid.activations}, got {activation!r}")
    radius = check_real(radius, "radius")
    j0 = int(np.argmin(np.abs(grid.radii - radius)))
    i0 = grid.activations.index(activation)
    A, R = grid.log10_norm.shape[:2]
    T = int(grid.distance[-1])
    states = [[rounded(grid.log10_norm[i, j], digits) for j in range(R)] for i in range(A)]
    bounds = [
        [rounded(_bound_line(grid.log10_norm[i, j, 0], grid.log10_rate[i, j], T), digits)
         for j in range(R)]
        for i in range(A)
    ]
    x = grid.distance.tolist()
    fig = go.Figure()
    for i, name in enumerate(grid.activations):
        color = _style.color(name, i)
        fig.add_trace(go.Scatter(
            x=x, y=states[i][j0], mode="lines", name=f"{name}: ‖∂L<sub>T</sub>/∂s<sub>k</sub>‖",
            line=dict(color=color, width=2.5), visible=i == i0,
        ))
        fig.add_trace(go.Scatter(
            x=[0, T], y=bounds[i][j0], mode="lines", name="bound (γ σ<sub>max</sub>)<sup>T−k</sup>",
            line=dict(color=color, width=1.5, dash="dash"), visible=i == i0, hoverinfo="skip",
        ))
    trace_ids = list(range(2 * A))
    steps = _controls.restyle_steps(
        [{k: dict(y=(states if k % 2 == 0 else bounds)[k // 2][j]) for k in trace_ids}
         for j in range(R)], [f"{r:.2f}" for r in grid.radii], ("y",))
    buttons = [
        dict(method="restyle", label=name,
             args=[{"visible": [k // 2 == i for k in trace_ids]}, trace_ids])
        for i, name in enumerate(grid.activations)
    ]
    if y_range is None:
        lo, hi = finite_span(grid.log10_norm) or (-1.0, 1.0)
        y_range = (math.floor(lo / 10) * 10 - 5, max(math.ceil(hi / 10) * 10 + 5, 5))
    # Top down: the title, the legend (its own rows, hung from the top of the figure, so that on
    # a phone it wraps downwards into free space), then the dropdown with its label just above
    # the plot. The dropdown sits a fixed number of pixels right of its label (pad.l), so the
    # two never overlap, whatever the width.
    height = 560
    _style.frame(
        fig, title=title, height=height, top=100, title_room=30,
        title_y=1.0, title_yref="container", title_yanchor="top", title_pad_t=10,
        xaxis_title=_style.DISTANCE_TITLE,
        yaxis_title=_style.DECAY_Y_TITLE,
        yaxis_range=list(y_range),
        legend=dict(orientation="h", x=0, xanchor="left", yref="container",
                    y=1 - (40 if title else 8) / height, yanchor="top"),
        updatemenus=[dict(
            type="dropdown", buttons=buttons, active=i0, direction="down", showactive=True,
            x=0, xanchor="left", y=1.02, yanchor="bottom", pad=dict(l=88, r=4, t=0),
        )],
        annotations=[dict(text="activation φ", showarrow=False, xref="paper", yref="paper",
                          x=0, xanchor="left", y=1.02, yanchor="bottom", yshift=3)],
        # plain prefix: redrawn per step
        sliders=[_controls.slider(steps, active=j0, prefix="spectral radius ρ = ")],
        meta=dict(
            gtt="decay-grid",
            activations=list(grid.activations),
            radii=[float(r) for r in grid.radii],
            digits=digits,
            **grid.settings,
        ),
    )
    fig.add_hline(y=0, line=dict(color="#999", width=1))
    return fig


# ---- one decay curve, honestly: gaps for zeros, notes where float64 ends -----------------------

@dataclass(frozen=True)
class DecayLine:
    """What a figure draws for one :class:`~bpttlib.jacobians.DecayCurve`.

    Attributes
    ----------
    x, y : numpy.ndarray, shape (N,)
        Distances ``T − k`` and their finite ``log10 ‖∂L_T/∂s_k‖`` (exact zeros left out).
    bound_x, bound_y : numpy.ndarray, shape (2,) or (0,)
        End points of the bound ``(γ σ_max)^(T−k)·‖∂L_T/∂s_T‖`` (empty if it is 0 or not finite).
    overflow, underflow : bool
        Whether the curve passes float64's largest value (≈ 1.8e308) or its smallest normal
        value (≈ 2.2e-308) somewhere.
    notes : tuple of str
        Plain-language notes on the above and on exact zeros (plotly HTML subset).
    """

    x: np.ndarray
    y: np.ndarray
    bound_x: np.ndarray
    bound_y: np.ndarray
    overflow: bool
    underflow: bool
    notes: tuple[str, ...]


def _ranges(d: np.ndarray) -> str:
    return f"{d.min()}" if d.min() == d.max() else f"{d.min()}–{d.max()}"


def decay_line(curve: _jacobians.DecayCurve) -> DecayLine:
    """Turn a decay curve into plottable data and notes (no NaN, no ±inf).

    Parameters
    ----------
    curve : bpttlib.jacobians.DecayCurve

    Returns
    -------
    DecayLine

    Notes
    -----
    Indexed by distance ``T − k``. Book labels: eq-grad-decay, eq-jacobian-bound.
    """
    check_instance(curve, "curve", _jacobians.DecayCurve)
    T = int(curve.k[-1])
    dist = T - curve.k[::-1]
    logs = curve.log10_norm[::-1]
    keep = np.isfinite(logs)
    notes = []
    over = curve.overflow[::-1]
    under = curve.underflow[::-1] & keep
    if over.any():
        notes.append(f"beyond float64{_WRAP}(> 1.8·10<sup>308</sup>, inf in linear space) "
                     f"at distance {_ranges(dist[over])}")
    if under.any():
        notes.append(f"below float64's normal range{_WRAP}(< 2.2·10<sup>−308</sup>, towards 0) "
                     f"at distance {_ranges(dist[under])}")
    if not keep.all():
        notes.append(f"exactly 0 from distance {int(dist[~keep].min())} on"
                     f"{_WRAP}(every unit had φ′ = 0 at some step)")
    start, base = logs[0], curve.gamma * curve.sigma_max
    if math.isfinite(start) and base > 0 and T > 0:
        bx, by = np.array([0.0, T]), np.array([start, start + T * math.log10(base)])
    else:
        bx = by = np.empty(0)
    return DecayLine(
        x=dist[keep].astype(float), y=logs[keep], bound_x=bx, bound_y=by,
        overflow=bool(over.any()), underflow=bool(under.any()), notes=tuple(notes),
    )


def float64_limit_marks(*, overflow: bool, underflow: bool) -> tuple[list[dict], list[dict]]:
    """Shapes and annotations marking float64's range on a log10-magnitude y axis.

    Parameters
    ----------
    overflow, underflow : bool
        Mark ``log10`` of the largest float64 (≈ 308.25), of the smallest normal float64
        (≈ −307.65).

    Returns
    -------
    shapes, annotations : list of dict
        For ``layout.shapes`` and ``layout.annotations`` (a live dashboard sends each as one
        assignment).
    """
    marks = []
    if overflow:
        marks.append((_jacobians.LOG10_MAX, "bottom",
                      "largest float64 ≈ 1.8·10<sup>308</sup>: above it, inf"))
    if underflow:
        marks.append((_jacobians.LOG10_TINY, "top",
                      "smallest normal float64 ≈ 2.2·10<sup>−308</sup>: below it, 0"))
    shapes = [dict(type="line", xref="paper", x0=0, x1=1, yref="y", y0=y, y1=y,
                   line=dict(color="#b00", width=1.5, dash="dot")) for y, _, _ in marks]
    notes = [dict(text=text, xref="paper", x=0.99, xanchor="right", yref="y", y=y,
                  yanchor=anchor, showarrow=False, font=dict(color="#b00", size=11))
             for y, anchor, text in marks]
    return shapes, notes


def notes_annotation(lines: Sequence[str], *, top: bool) -> dict:
    """A boxed, left-aligned annotation with one note per line, at the plot's top or bottom left.

    Parameters
    ----------
    lines : sequence of str
        The notes (plotly HTML subset).
    top : bool
        Anchor at the top left (else the bottom left) of the plotting area.

    Returns
    -------
    dict
        For ``layout.annotations``.
    """
    return dict(text="<br>".join(lines), xref="paper", yref="paper", x=0.01,
                y=0.99 if top else 0.01, xanchor="left", yanchor="top" if top else "bottom",
                showarrow=False, align="left", font=dict(size=11),
                bgcolor="rgba(255,255,255,0.85)")


def decay_figure(
    curves: Mapping[str, _jacobians.DecayCurve],
    *,
    title: str | None = None,
    bounds: bool = False,
    notes: bool = True,
) -> go.Figure:
    """``log10 ‖∂L_T/∂s_k‖`` against the distance ``T − k`` for several named curves.

    Parameters
    ----------
    curves : mapping of str to bpttlib.jacobians.DecayCurve
        Legend name -> curve (an activation name as key picks its colour).
    title : str, optional
    bounds : bool, optional
        Also draw each curve's bound (dashed).
    notes : bool, optional
        Print the curves' float64 notes (see :func:`decay_line`) under the title.

    Returns
    -------
    plotly.graph_objects.Figure
        Where a curve passes float64's range the limit is drawn as a dotted red line: the
        log-space values stay exact beyond it.

    Notes
    -----
    Book label: eq-grad-decay.
    """
    curves = check_mapping(curves, "curves")
    fig = go.Figure()
    over = under = False
    lines = []
    for i, (name, curve) in enumerate(curves.items()):
        ln = decay_line(curve)
        color = _style.color(str(name), i)
        fig.add_trace(go.Scatter(x=ln.x, y=ln.y, mode="lines", name=str(name),
                                 line=dict(color=color, width=2.5)))
        if bounds and ln.bound_x.size:
            fig.add_trace(go.Scatter(x=ln.bound_x, y=ln.bound_y, mode="lines",
                                     name=f"{name}: bound", hoverinfo="skip",
                                     line=dict(color=color, width=1.5, dash="dash")))
        over, under = over or ln.overflow, under or ln.underflow
        lines += [f"{name}: {n}" for n in ln.notes]
    shapes, marks = float64_limit_marks(overflow=over, underflow=under)
    below = 0
    if notes and lines:  # under the x-axis title, one line per note
        below = 18 * sum(1 + n.count("<br>") for n in lines) + 10
        marks.append(dict(text="<br>".join(lines), xref="paper", yref="paper", x=0, y=-0.12,
                          xanchor="left", yanchor="top", showarrow=False, align="left",
                          font=dict(size=11)))
    _style.frame(
        fig, title=title, height=480 + below, top=40, title_room=20, bottom=50 + below,
        shapes=shapes, annotations=marks,
        xaxis_title=_style.DISTANCE_TITLE, yaxis_title=_style.DECAY_Y_TITLE,
        legend=dict(orientation="h", x=1, xanchor="right", y=1.0, yanchor="bottom"),
    )
    return fig


# ---- the gradient of W_s split by chain length ---------------------------------------------------

def by_lag_figure(
    terms: Mapping[str, object],
    *,
    title: str | None = None,
    x_title: str = "chain length (steps from a loss back to W<sub>s</sub>)",
    y_title: str = "log<sub>10</sub> ‖term‖<sub>F</sub>",
    totals: bool = True,
) -> go.Figure:
    """The size of each chain length's contribution to a gradient, and of their sum.

    Parameters
    ----------
    terms : mapping of str to array_like
        Name -> either the ``(T, H, H)`` output of :func:`bpttlib.rnn.bptt_by_lag` (its
        Frobenius norms are plotted, and the norm of its sum over lags) or a ``(T,)`` array of
        norms already taken.
    title, x_title, y_title : str, optional
    totals : bool, optional
        Draw the norm of each sum over lags as a dotted horizontal line.

    Returns
    -------
    plotly.graph_objects.Figure
        Exact zeros (e.g. the longest chain of ``W_s``, which meets ``s_0 = 0``) are gaps.

    Notes
    -----
    The terms of eq-bptt-sum grouped by ``t − k``. Book labels: eq-bptt-sum, eq-jacobian-product.
    """
    terms = check_mapping(terms, "terms")
    fig = go.Figure()
    for i, (name, G) in enumerate(terms.items()):
        G = as_float_array(G, f"terms[{name!r}]")
        if G.ndim == 3:
            norms, total = np.linalg.norm(G, axis=(1, 2)), float(np.linalg.norm(G.sum(axis=0)))
        elif G.ndim == 1:
            norms, total = np.abs(G), None
        else:
            raise ValueError(f"terms[{name!r}]: expected shape (T, H, H) or (T,), "
                             f"got {G.shape}")
        color = _style.PALETTE[i % len(_style.PALETTE)]
        fig.add_trace(go.Scatter(x=np.arange(norms.size), y=rounded(log10(norms), SLIDER_DIGITS),
                                 mode="lines+markers", name=str(name), marker=dict(size=5),
                                 line=dict(color=color)))
        if totals and total is not None and total > 0:
            fig.add_hline(y=math.log10(total), line=dict(color=color, dash="dot", width=1.5),
                          annotation_text=f"‖sum over all lengths‖ ({name})",
                          annotation_position="top right", annotation_font_color=color)
    _style.frame(fig, title=title, height=460, xaxis_title=x_title, yaxis_title=y_title,
                 legend=dict(x=0.99, xanchor="right", y=0.6))
    return fig


# ---- the live dashboard's figure: one decay curve ------------------------------------------------

def decay_curve_traces(curve: _jacobians.DecayCurve, activation: str) -> dict[int, dict]:
    """What :func:`decay_curve_figure` shows for ``curve``: the curve and its bound.

    Parameters
    ----------
    curve : bpttlib.jacobians.DecayCurve
    activation : str
        The activation the curve was computed with (sets the colour).

    Returns
    -------
    dict of int to dict
        Trace 0 (the finite ``log10 ‖∂L_T/∂s_k‖``, full precision) and trace 1 (the bound's two
        end points): ``x``, ``y`` and ``line_color``.

    Notes
    -----
    Book labels: eq-grad-decay, eq-jacobian-bound.
    """
    line = decay_line(curve)
    color = _style.ACTIVATION_COLORS[_activations.get(activation, "activation").name]
    return {0: dict(x=line.x, y=line.y, line_color=color),
            1: dict(x=line.bound_x, y=line.bound_y, line_color=color)}


def decay_curve_layout(curve: _jacobians.DecayCurve) -> dict:
    """The layout of :func:`decay_curve_figure` for ``curve``: float64 marks, notes and title.

    Parameters
    ----------
    curve : bpttlib.jacobians.DecayCurve

    Returns
    -------
    dict
        ``shapes``, ``annotations`` and ``title_text``.
    """
    line = decay_line(curve)
    shapes, notes = float64_limit_marks(overflow=line.overflow, underflow=line.underflow)
    if line.notes:
        notes.append(notes_annotation(line.notes, top=False))
    title = (
        f"ρ(W<sub>s</sub>) = {curve.spectral_radius:.2f}, σ<sub>max</sub>(W<sub>s</sub>) = "
        f"{curve.sigma_max:.2f}, γ = {curve.gamma:g}: the bound's rate γσ<sub>max</sub> = "
        f"{curve.gamma * curve.sigma_max:.2f} per step"
    )
    return dict(shapes=shapes, annotations=notes, title_text=title)


def decay_curve_figure(curve: _jacobians.DecayCurve, activation: str) -> go.Figure:
    """One gradient-decay curve with its bound, float64's limits and notes (the live dashboard's).

    Parameters
    ----------
    curve : bpttlib.jacobians.DecayCurve
    activation : str
        The activation the curve was computed with.

    Returns
    -------
    plotly.graph_objects.Figure
        Trace 0 the curve, trace 1 the bound of eq-jacobian-bound (dashed); filled by
        :func:`decay_curve_traces` and :func:`decay_curve_layout`. Never holds NaN or inf.

    Notes
    -----
    Book labels: eq-grad-decay, eq-jacobian-bound.
    """
    check_instance(curve, "curve", _jacobians.DecayCurve)
    fig = go.Figure([
        go.Scatter(mode="lines", name="‖∂L<sub>T</sub>/∂s<sub>k</sub>‖", line=dict(width=2.5)),
        go.Scatter(mode="lines", name="bound (γ σ<sub>max</sub>)<sup>T−k</sup>",
                   line=dict(width=1.5, dash="dash"), hoverinfo="skip"),
    ])
    _style.frame(fig, height=460, top=60, title_room=0, xaxis_title=_style.DISTANCE_TITLE,
                 yaxis_title=_style.DECAY_Y_TITLE,
                 legend=dict(orientation="h", x=1, xanchor="right", y=1.0, yanchor="bottom"))
    _controls.apply_state(fig, decay_curve_traces(curve, activation), decay_curve_layout(curve))
    return fig
