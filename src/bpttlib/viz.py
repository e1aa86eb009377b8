"""Figure builders: data in, ``plotly.graph_objects.Figure`` out.

Nothing here computes a gradient (the kernels do) and nothing calls ``.show()``: a chapter
displays the returned figure, a test inspects it. Figures that must work in the static book
without a kernel carry their own precomputed states in plotly's ``sliders``/``updatemenus``.

Labels use plotly's HTML subset (``‖∂s<sub>t</sub>/∂s<sub>k</sub>‖``), not LaTeX: a page
without display math does not load MathJax.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from collections.abc import Mapping as _Mapping
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import activations as _activations
from . import clipping as _clipping
from . import experiments as _experiments
from . import gated as _gated
from . import jacobians as _jacobians
from . import rnn as _rnn
from . import skip as _skip
from ._checks import as_float_array, check_instance, check_ndim, check_real
from ._checks import check_instance as _check_instance

#: Significant digits kept for the precomputed states of kernel-free sliders (keeps pages small;
#: far finer than a screen pixel).
SLIDER_DIGITS = 6

TEMPLATE = "plotly_white"


def _rounded(values: np.ndarray) -> list:
    """Round to ``SLIDER_DIGITS`` significant digits; non-finite values become ``None`` (a gap)."""
    out = []
    for v in np.asarray(values, dtype=float).ravel():
        out.append(float(f"{v:.{SLIDER_DIGITS}g}") if np.isfinite(v) else None)
    return out


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
    """A line plot whose curve is chosen by a kernel-free plotly slider.

    Every state is precomputed: the slider's steps restyle the one trace's ``y``, so the figure
    works in the static book with no kernel.

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
    x = check_ndim(as_float_array(x, "x"), "x", (1,), "(N,)")
    ys = check_ndim(as_float_array(ys, "ys", finite=False), "ys", (2,), "(S, N)")
    values = check_ndim(as_float_array(values, "values"), "values", (1,), "(S,)")
    if ys.shape != (values.size, x.size):
        raise ValueError(
            f"ys: expected shape (len(values), len(x)) = ({values.size}, {x.size}), got {ys.shape}"
        )
    if active is None:
        active = values.size // 2
    if not 0 <= active < values.size:
        raise ValueError(f"active: expected an index in [0, {values.size - 1}], got {active}")
    xs = _rounded(x)
    states = [_rounded(row) for row in ys]
    fig = go.Figure(go.Scatter(x=xs, y=states[active], mode="lines", name=trace_name))
    steps = [
        dict(method="restyle", label=value_format.format(v), args=[{"y": [state]}, [0]])
        for v, state in zip(values, states)
    ]
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        height=460,
        margin=dict(l=70, r=20, t=60 if title else 30, b=40),
        sliders=[
            dict(
                active=active,
                currentvalue=dict(prefix=value_label),
                transition=dict(duration=0),  # jump, do not animate: the curve follows at once
                pad=dict(t=50),
                steps=steps,
            )
        ],
    )
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    return fig


# =================================================================================================
# Part II: Jacobian products, vanishing and exploding gradients (issue #5)
#
# Builders for book/jacobians.md, book/vanishing-exploding.md and the live dashboard
# bpttlib.widgets.decay_explorer. ``decay_grid`` and ``activation_figure`` prepare their data by
# calling the kernels (bpttlib.jacobians, bpttlib.activations); everything else is data -> figure.
# Magnitudes are shown as log10 values, so nothing here overflows, and no NaN reaches a figure:
# non-finite values become gaps, and float64's range is marked where a curve passes it.
# =================================================================================================


#: Significant digits of the decay grid's precomputed states. The values are log10 norms, so 4
#: digits resolve 0.01 decades at values near ±50 (a 2 % factor): finer than a log axis shows.
DECAY_DIGITS = 4

#: One colour per activation, shared by the Part II figures.
ACTIVATION_COLORS = {
    "tanh": "#1f77b4",
    "sigmoid": "#d62728",
    "relu": "#2ca02c",
    "linear": "#7f7f7f",
}

DISTANCE_TITLE = "distance T − k (steps)"
DECAY_Y_TITLE = "log<sub>10</sub> ‖∂L<sub>T</sub>/∂s<sub>k</sub>‖"

_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#7f7f7f", "#17becf")


def _sig(values: object, digits: int) -> list:
    """Round to ``digits`` significant digits; non-finite values become ``None`` (a gap)."""
    return [
        float(f"{v:.{digits}g}") if math.isfinite(v) else None
        for v in np.asarray(values, dtype=float).ravel().tolist()
    ]


def _log10(values: np.ndarray) -> np.ndarray:
    """``log10`` of non-negative values, ``-inf`` for exact zeros (no warning)."""
    with np.errstate(divide="ignore"):
        return np.log10(values)


def _check_mapping(value: object, name: str) -> Mapping:
    if not isinstance(value, Mapping) or not value:
        raise TypeError(
            f"{name}: expected a non-empty mapping of names to arrays, got "
            f"{type(value).__name__}" + (" (empty)" if isinstance(value, Mapping) else "")
        )
    return value


def _color(name: str, i: int) -> str:
    return ACTIVATION_COLORS.get(name, _PALETTE[i % len(_PALETTE)])


# ---- the precomputed grid behind the static slider x dropdown ------------------------------------

@dataclass(frozen=True)
class DecayGrid:
    """Gradient-decay curves precomputed over spectral radii x activations.

    Attributes
    ----------
    radii : numpy.ndarray, shape (R,)
        The spectral radii ``ρ(W_s)``.
    activations : tuple of str, length A
        The activation names.
    distance : numpy.ndarray of int, shape (T+1,)
        ``0 … T``.
    log10_norm : numpy.ndarray, shape (A, R, T+1)
        ``log10 ‖∂L_T/∂s_k‖₂`` at distance ``T − k`` (entry ``[a, r, d]`` is ``k = T − d``);
        ``-inf`` where the gradient is exactly zero.
    log10_rate : numpy.ndarray, shape (A, R)
        ``log10(γ σ_max(W_s))``, the slope of the bound of eq-jacobian-bound per step
        (``-inf`` when ``σ_max = 0``).
    settings : dict
        The keyword arguments of :func:`bpttlib.jacobians.decay_curve` shared by every state
        (``n_hidden``, ``T``, ``kind``, ``seed``, ``input_scale``).
    """

    radii: np.ndarray
    activations: tuple[str, ...]
    distance: np.ndarray
    log10_norm: np.ndarray
    log10_rate: np.ndarray
    settings: dict


def decay_grid(
    radii: Sequence[float],
    activations: Sequence[str] = _activations.ACTIVATIONS,
    *,
    T: int = 100,
    n_hidden: int = 32,
    kind: str = "gaussian",
    seed: int = 0,
    input_scale: float = 1.0,
) -> DecayGrid:
    """Compute the gradient-decay curve for every (activation, spectral radius) pair.

    Parameters
    ----------
    radii : array_like, shape (R,)
        Spectral radii ``ρ(W_s) >= 0``.
    activations : sequence of str, optional
        Activation names (default all four).
    T, n_hidden, kind, seed, input_scale
        Passed to :func:`bpttlib.jacobians.decay_curve`: the same network and sequence for
        every state, only ``ρ`` and ``φ`` change.

    Returns
    -------
    DecayGrid

    Notes
    -----
    ``log10 ‖∂L_T/∂s_k‖₂`` for ``k = 0 … T`` (book label: eq-grad-decay), one call of
    :func:`~bpttlib.jacobians.decay_curve` per pair: ``A·R`` calls of ``O(T·H²)`` each.
    """
    radii = check_ndim(as_float_array(radii, "radii"), "radii", (1,), "(R,)")
    if radii.size == 0 or (radii < 0).any():
        raise ValueError(f"radii: expected at least one spectral radius, all >= 0, got {radii}")
    if isinstance(activations, str):
        raise TypeError("activations: expected a sequence of activation names, got a str")
    names = tuple(_activations.get(a, "activations").name for a in activations)
    if not names:
        raise ValueError("activations: expected at least one activation name, got none")
    settings = dict(n_hidden=n_hidden, T=T, kind=kind, seed=seed, input_scale=input_scale)
    rows, rates = [], []
    for name in names:
        for r in radii:
            curve = _jacobians.decay_curve(float(r), name, **settings)
            rows.append(curve.log10_norm[::-1])
            base = curve.gamma * curve.sigma_max
            rates.append(math.log10(base) if base > 0 else -math.inf)
    shape = (len(names), radii.size)
    norms = np.array(rows).reshape(*shape, -1)
    return DecayGrid(
        radii=radii.copy(),
        activations=names,
        distance=np.arange(norms.shape[-1]),
        log10_norm=norms,
        log10_rate=np.array(rates).reshape(shape),
        settings=settings,
    )


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
    grid : DecayGrid
        From :func:`decay_grid`.
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
    states = [[_sig(grid.log10_norm[i, j], digits) for j in range(R)] for i in range(A)]
    bounds = [
        [_sig(_bound_line(grid.log10_norm[i, j, 0], grid.log10_rate[i, j], T), digits)
         for j in range(R)]
        for i in range(A)
    ]
    x = grid.distance.tolist()
    fig = go.Figure()
    for i, name in enumerate(grid.activations):
        color = _color(name, i)
        fig.add_trace(go.Scatter(
            x=x, y=states[i][j0], mode="lines", name=f"{name}: ‖∂L<sub>T</sub>/∂s<sub>k</sub>‖",
            line=dict(color=color, width=2.5), visible=i == i0,
        ))
        fig.add_trace(go.Scatter(
            x=[0, T], y=bounds[i][j0], mode="lines", name="bound (γ σ<sub>max</sub>)<sup>T−k</sup>",
            line=dict(color=color, width=1.5, dash="dash"), visible=i == i0, hoverinfo="skip",
        ))
    trace_ids = list(range(2 * A))
    steps = [
        dict(method="restyle", label=f"{r:.2f}",
             args=[{"y": [s for i in range(A) for s in (states[i][j], bounds[i][j])]}, trace_ids])
        for j, r in enumerate(grid.radii)
    ]
    buttons = [
        dict(method="restyle", label=name,
             args=[{"visible": [k // 2 == i for k in trace_ids]}, trace_ids])
        for i, name in enumerate(grid.activations)
    ]
    if y_range is None:
        finite = grid.log10_norm[np.isfinite(grid.log10_norm)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
        y_range = (math.floor(lo / 10) * 10 - 5, max(math.ceil(hi / 10) * 10 + 5, 5))
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        height=520,
        margin=dict(l=70, r=20, t=90 if title else 70, b=40),
        xaxis_title=DISTANCE_TITLE,
        yaxis_title=DECAY_Y_TITLE,
        yaxis_range=list(y_range),
        legend=dict(orientation="h", x=1, xanchor="right", y=1.02, yanchor="bottom"),
        updatemenus=[dict(
            type="dropdown", buttons=buttons, active=i0, direction="down", showactive=True,
            x=0.09, xanchor="left", y=1.02, yanchor="bottom", pad=dict(r=4, t=0),
        )],
        annotations=[dict(text="activation φ", showarrow=False, xref="paper", yref="paper",
                          x=0, xanchor="left", y=1.045, yanchor="bottom")],
        sliders=[dict(
            active=j0, currentvalue=dict(prefix="spectral radius ρ = "),  # plain: redrawn per step
            transition=dict(duration=0), pad=dict(t=50), steps=steps,
        )],
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


# ---- one decay curve, honestly: gaps for zeros, notes where float64 ends --------------------------

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
        notes.append(f"beyond float64 (> 1.8·10<sup>308</sup>, inf in linear space) at "
                     f"distance {_ranges(dist[over])}")
    if under.any():
        notes.append(f"below float64's normal range (< 2.2·10<sup>−308</sup>, towards 0) at "
                     f"distance {_ranges(dist[under])}")
    if not keep.all():
        notes.append(f"exactly 0 from distance {int(dist[~keep].min())} on "
                     f"(every unit had φ′ = 0 at some step)")
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
        For ``layout.shapes`` and ``layout.annotations`` (a FigureWidget in ``batch_update``
        takes them as one assignment each).
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
    curves = _check_mapping(curves, "curves")
    fig = go.Figure()
    over = under = False
    lines = []
    for i, (name, curve) in enumerate(curves.items()):
        ln = decay_line(curve)
        color = _color(str(name), i)
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
        below = 18 * len(lines) + 10
        marks.append(dict(text="<br>".join(lines), xref="paper", yref="paper", x=0, y=-0.12,
                          xanchor="left", yanchor="top", showarrow=False, align="left",
                          font=dict(size=11)))
    fig.update_layout(
        template=TEMPLATE, title=title, height=480 + below, shapes=shapes, annotations=marks,
        margin=dict(l=70, r=20, t=60 if title else 40, b=50 + below),
        xaxis_title=DISTANCE_TITLE, yaxis_title=DECAY_Y_TITLE,
        legend=dict(orientation="h", x=1, xanchor="right", y=1.0, yanchor="bottom"),
    )
    return fig


# ---- the gradient of W_s split by chain length ---------------------------------------------------

def by_lag_figure(
    terms: Mapping[str, object],
    *,
    title: str | None = None,
    x_title: str = "chain length: steps between a loss and the use of W<sub>s</sub> it reaches",
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
    terms = _check_mapping(terms, "terms")
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
        color = _PALETTE[i % len(_PALETTE)]
        fig.add_trace(go.Scatter(x=np.arange(norms.size), y=_sig(_log10(norms), SLIDER_DIGITS),
                                 mode="lines+markers", name=str(name), marker=dict(size=5),
                                 line=dict(color=color)))
        if totals and total is not None and total > 0:
            fig.add_hline(y=math.log10(total), line=dict(color=color, dash="dot", width=1.5),
                          annotation_text=f"‖sum over all lengths‖ ({name})",
                          annotation_position="top right", annotation_font_color=color)
    fig.update_layout(template=TEMPLATE, title=title, height=460, xaxis_title=x_title,
                      yaxis_title=y_title, margin=dict(l=70, r=20, t=60 if title else 30, b=40),
                      legend=dict(x=0.99, xanchor="right", y=0.6))
    return fig


# ---- general line plots of the two chapters -----------------------------------------------------

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
    lines = _check_mapping(lines, "lines")
    colors = {}
    fig = go.Figure()
    for kind, group in (("solid", lines), ("dash", dashed or {})):
        for name, y in group.items():
            y = as_float_array(y, f"{'lines' if kind == 'solid' else 'dashed'}[{name!r}]",
                               finite=False)
            if y.shape != x.shape:
                raise ValueError(f"lines[{name!r}]: expected shape {x.shape} like x, "
                                 f"got {y.shape}")
            color = colors.setdefault(name, _color(str(name), len(colors)))
            label = name if kind == "solid" or name not in lines else f"{name}: bound"
            fig.add_trace(go.Scatter(
                x=_sig(x, SLIDER_DIGITS), y=_sig(y, SLIDER_DIGITS),
                mode=mode if kind == "solid" else "lines", name=str(label),
                line=dict(color=color, dash=kind, width=2.5 if kind == "solid" else 1.5),
            ))
    fig.update_layout(template=TEMPLATE, title=title, height=height, xaxis_title=x_title,
                      yaxis_title=y_title, margin=dict(l=70, r=20, t=60 if title else 30, b=40),
                      showlegend=True,
                      legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"))
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    if hline is not None:
        fig.add_hline(y=hline, line=dict(color="#999", width=1), annotation_text=hline_label,
                      annotation_position="top left", annotation_font_color="#666")
    return fig


def activation_figure(a: Sequence[float] | None = None) -> go.Figure:
    """The derivatives of the four activations, linear and log scale (saturation).

    Parameters
    ----------
    a : array_like, shape (N,), optional
        Pre-activations (default 801 points in [−10, 10]).

    Returns
    -------
    plotly.graph_objects.Figure
        Left: ``φ′(a)`` with the bounds γ = 1 and 1/4 dotted. Right: ``log10 φ′(a)``, where
        saturation shows as straight lines (``tanh′(a) ≈ 4e^{−2|a|}``, ``σ′(a) ≈ e^{−|a|}``);
        ReLU's zero derivative for ``a < 0`` is a gap there.

    Notes
    -----
    ``γ = sup |φ′|`` enters ``‖J_t‖₂ ≤ γ σ_max(W_s)``. Book labels: eq-step-jacobian,
    eq-jacobian-bound.
    """
    a = np.linspace(-10, 10, 801) if a is None else check_ndim(
        as_float_array(a, "a"), "a", (1,), "(N,)")
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        "φ′(a)", "log<sub>10</sub> φ′(a): saturation"))
    for name in _activations.ACTIVATIONS:
        act = _activations.get(name)
        d = act.deriv(a)
        logd = act.log_deriv(a) / math.log(10.0)
        color = ACTIVATION_COLORS[name]
        dash = "dash" if name == "linear" else None
        fig.add_trace(go.Scatter(x=_sig(a, SLIDER_DIGITS), y=_sig(d, SLIDER_DIGITS),
                                 mode="lines", name=name, legendgroup=name,
                                 line=dict(color=color, dash=dash)), row=1, col=1)
        fig.add_trace(go.Scatter(x=_sig(a, SLIDER_DIGITS), y=_sig(logd, SLIDER_DIGITS),
                                 mode="lines", name=name, legendgroup=name, showlegend=False,
                                 line=dict(color=color, dash=dash)), row=1, col=2)
    for g, text in ((1.0, "γ = 1 (tanh, ReLU)"), (0.25, "γ = 1/4 (sigmoid)")):
        fig.add_hline(y=g, line=dict(color="#999", dash="dot", width=1), row=1, col=1,
                      annotation_text=text, annotation_position="top left",
                      annotation_xshift=12)
    fig.update_xaxes(title_text="pre-activation a")
    fig.update_yaxes(range=[-0.05, 1.15], row=1, col=1)
    fig.update_layout(template=TEMPLATE, height=420, margin=dict(l=60, r=20, t=50, b=40))
    return fig


# =================================================================================================
# Part III: truncation and clipping (issue #6)
#
# Builders for book/truncation.md, book/clipping.md and the live dashboards
# bpttlib.widgets.truncation_explorer and bpttlib.widgets.cliff_explorer. ``truncation_sweep``
# prepares its data by calling bpttlib.rnn (like ``decay_grid`` above); everything else is
# data -> figure. Every kernel-free slider here restyles a few traces only, and its precomputed
# states are rounded to SLIDER_DIGITS significant digits.
# =================================================================================================


#: Colours of the Part III figures.
REMEDY_COLORS = {
    "kept": "#1f77b4",      # chain terms that truncation keeps; the truncated gradient
    "dropped": "#b0b0b0",   # chain terms that truncation drops
    "ratio": "#9467bd",     # norm ratio
    "raw": "#d62728",       # no clipping
    "clipped": "#2ca02c",   # norm clipping
    "value": "#ff7f0e",     # value clipping
}

#: The gradient fields that truncation changes (the output weights' gradient is always exact).
RECURRENT_FIELDS = ("W_x", "W_s", "b_s")


def _recurrent_vector(grads: _rnn.RNNParams) -> np.ndarray:
    return np.concatenate([getattr(grads, f).ravel() for f in RECURRENT_FIELDS])


@dataclass(frozen=True)
class TruncationSweep:
    """Truncated against exact BPTT on one network and one batch, for several ``k``.

    Attributes
    ----------
    ks : numpy.ndarray of int, shape (K,)
        The truncation lengths ``k``.
    cosine : numpy.ndarray, shape (K,)
        Cosine between the truncated and the exact gradient of ``(W_x, W_s, b_s)`` together.
    norm_ratio : numpy.ndarray, shape (K,)
        ``‖g_k‖ / ‖g‖`` over the same fields.
    lag_norms : numpy.ndarray, shape (T,)
        ``‖term_l‖_F`` for chain lengths ``l = 0 … T−1``: the Frobenius norms of
        :func:`bpttlib.rnn.bptt_by_lag` (the ``W_s`` gradient split by chain length).
    T : int
        Sequence length.
    """

    ks: np.ndarray
    cosine: np.ndarray
    norm_ratio: np.ndarray
    lag_norms: np.ndarray
    T: int


def truncation_sweep(
    params: _rnn.RNNParams,
    xs: object,
    targets: object,
    *,
    ks: Sequence[int] | None = None,
    activation: str = "tanh",
    loss: str = "mse",
    mask: object = None,
) -> TruncationSweep:
    """Compare ``bptt(truncate=k)`` with exact BPTT for every ``k`` in ``ks``.

    Parameters
    ----------
    params : RNNParams
    xs, targets, activation, loss, mask
        As for :func:`bpttlib.rnn.bptt` (a batch is allowed).
    ks : sequence of int, optional
        Truncation lengths ``k >= 1`` (default ``1 … T−1``).

    Returns
    -------
    TruncationSweep

    Raises
    ------
    ValueError
        If the exact gradient of ``(W_x, W_s, b_s)`` is zero (no direction to compare with),
        ``ks`` is empty or holds a ``k < 1``, or ``T < 2`` and ``ks`` is not given.

    Notes
    -----
    ``cos = ⟨g_k, g⟩ / (‖g_k‖ ‖g‖)`` (0 when ``g_k = 0``), with ``g_k`` the gradient of
    eq-truncated-bptt and ``g`` the exact one (eq-bptt-sum); one :func:`~bpttlib.rnn.bptt`
    call per ``k``, ``O(T·k·H²)`` each. Book label: eq-truncated-bptt.
    """
    check_instance(params, "params", _rnn.RNNParams)
    kw = dict(activation=activation, loss=loss, mask=mask)
    _, exact = _rnn.bptt(params, xs, targets, **kw)
    T = int(np.shape(xs)[0])
    if ks is None:
        if T < 2:
            raise ValueError(f"xs: expected T >= 2 steps to truncate, got T={T}")
        ks = np.arange(1, T)
    ks = np.asarray(ks)
    if ks.ndim != 1 or ks.size == 0 or not np.issubdtype(ks.dtype, np.integer) or (ks < 1).any():
        raise ValueError(f"ks: expected a non-empty sequence of integers >= 1, got {ks!r}")
    g = _recurrent_vector(exact)
    g_norm = float(np.linalg.norm(g))
    if g_norm == 0.0:
        raise ValueError("targets: the exact gradient of (W_x, W_s, b_s) is zero; there is no "
                         "direction to compare a truncated gradient with")
    cos, ratio = [], []
    for k in ks.tolist():
        gk = _recurrent_vector(_rnn.bptt(params, xs, targets, truncate=int(k), **kw)[1])
        nk = float(np.linalg.norm(gk))
        cos.append(float(gk @ g) / (nk * g_norm) if nk > 0 else 0.0)
        ratio.append(nk / g_norm)
    lags = _rnn.bptt_by_lag(params, xs, targets, **kw)
    return TruncationSweep(
        ks=ks.astype(int), cosine=np.array(cos), norm_ratio=np.array(ratio),
        lag_norms=np.linalg.norm(lags, axis=(1, 2)), T=T,
    )


def _log_range(values: np.ndarray, pad: float = 0.3) -> tuple[float, float]:
    """A fixed log10 axis range around the positive entries of ``values``."""
    logs = _log10(np.asarray(values, dtype=float))
    logs = logs[np.isfinite(logs)]
    if logs.size == 0:
        return (-1.0, 1.0)
    return (math.floor(float(logs.min()) - pad), math.ceil(float(logs.max()) + pad))


def truncation_traces(sweep: TruncationSweep, k: int) -> dict[int, dict]:
    """What changes in :func:`truncation_figure` when the truncation length is ``k``.

    Parameters
    ----------
    sweep : TruncationSweep
    k : int
        One of ``sweep.ks``.

    Returns
    -------
    dict of int to dict
        Trace index -> the new ``x``, ``y``, ``text`` and ``textposition`` of that trace
        (traces 0, 1, 2, 5, 6: kept terms, dropped terms, the cut, and the markers at ``k``),
        rounded to ``SLIDER_DIGITS``. The kernel-free slider and the live dashboard both
        apply these.
    """
    check_instance(sweep, "sweep", TruncationSweep)
    hits = np.flatnonzero(sweep.ks == k)
    if hits.size == 0:
        raise ValueError(f"k: expected one of the sweep's ks {sweep.ks.tolist()}, got {k!r}")
    i = int(hits[0])
    lags = np.arange(sweep.T)
    logs = _log10(sweep.lag_norms)
    lo, hi = _log_range(sweep.lag_norms)
    keep = lags <= k
    cos, ratio = float(sweep.cosine[i]), float(sweep.norm_ratio[i])
    side = "right" if k <= sweep.T / 2 else "left"  # keep the labels inside the plot
    return {
        0: dict(x=_sig(lags, SLIDER_DIGITS), y=_sig(np.where(keep, logs, np.nan), SLIDER_DIGITS),
                text="", textposition="top center"),
        1: dict(x=_sig(lags, SLIDER_DIGITS), y=_sig(np.where(keep, np.nan, logs), SLIDER_DIGITS),
                text="", textposition="top center"),
        2: dict(x=[k + 0.5, k + 0.5], y=[lo, hi], text="", textposition="top center"),
        5: dict(x=[k], y=_sig([cos], SLIDER_DIGITS), text=f"cos = {cos:.4f}",
                textposition=f"bottom {side}"),
        6: dict(x=[k], y=_sig([ratio], SLIDER_DIGITS), text=f"ratio = {ratio:.3f}",
                textposition=f"top {side}"),
    }


def truncation_figure(
    sweep: TruncationSweep,
    *,
    k: int | None = None,
    slider: bool = True,
    title: str | None = None,
) -> go.Figure:
    """Truncated BPTT at a glance, with a kernel-free slider on ``k``.

    Parameters
    ----------
    sweep : TruncationSweep
        From :func:`truncation_sweep`.
    k : int, optional
        The truncation length shown first (one of ``sweep.ks``; default the middle one).
    slider : bool, optional
        Add the kernel-free slider over ``sweep.ks`` (the live dashboard turns it off).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Left: ``log10 ‖term‖_F`` of the ``W_s`` gradient by chain length, the terms that
        truncation keeps (chains of length ``≤ k``) in colour, the dropped ones grey, the cut
        dashed. Right: cosine and norm ratio of the truncated against the exact gradient for
        every ``k``, with markers at the chosen one. Traces: 0 kept, 1 dropped, 2 cut,
        3 cosine, 4 ratio, 5 and 6 the markers (see :func:`truncation_traces`).

    Notes
    -----
    Book label: eq-truncated-bptt.
    """
    check_instance(sweep, "sweep", TruncationSweep)
    if k is None:
        k = int(sweep.ks[sweep.ks.size // 2])
    state = truncation_traces(sweep, k)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, column_widths=[0.55, 0.45],
                        subplot_titles=("terms of ∂L/∂W<sub>s</sub> by chain length",
                                        "truncated against exact gradient"))
    c = REMEDY_COLORS
    fig.add_trace(go.Scatter(mode="lines+markers", name="kept (length ≤ k)",
                             line=dict(color=c["kept"], width=2.5), marker=dict(size=6),
                             **state[0]), row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines+markers", name="dropped (length > k)",
                             line=dict(color=c["dropped"], width=2), marker=dict(size=5),
                             **state[1]), row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines", name="cut", showlegend=False, hoverinfo="skip",
                             line=dict(color="#444", dash="dash", width=1.5), **state[2]),
                  row=1, col=1)
    ks = _sig(sweep.ks, SLIDER_DIGITS)
    fig.add_trace(go.Scatter(x=ks, y=_sig(sweep.cosine, SLIDER_DIGITS), mode="lines",
                             name="cosine(g<sub>k</sub>, g)", line=dict(color=c["kept"])),
                  row=1, col=2)
    fig.add_trace(go.Scatter(x=ks, y=_sig(sweep.norm_ratio, SLIDER_DIGITS), mode="lines",
                             name="‖g<sub>k</sub>‖ / ‖g‖", line=dict(color=c["ratio"],
                                                                     dash="dot")),
                  row=1, col=2)
    for idx, color in ((5, c["kept"]), (6, c["ratio"])):
        fig.add_trace(go.Scatter(mode="markers+text", showlegend=False,
                                 marker=dict(color=color, size=11), textfont=dict(color=color),
                                 **state[idx]), row=1, col=2)
    lo, hi = _log_range(sweep.lag_norms)
    top = max(1.02, float(np.max(sweep.norm_ratio))) + 0.03
    bottom = min(float(np.min(sweep.cosine)), float(np.min(sweep.norm_ratio))) - 0.03
    fig.update_xaxes(title_text="chain length (steps)", range=[-0.5, sweep.T - 0.5], row=1, col=1)
    fig.update_yaxes(title_text="log<sub>10</sub> ‖term‖<sub>F</sub>", range=[lo, hi],
                     row=1, col=1)
    fig.update_xaxes(title_text="truncation length k", range=[0, sweep.T], row=1, col=2)
    fig.update_yaxes(range=[bottom, top], row=1, col=2)
    fig.update_layout(template=TEMPLATE, title=title, height=470,
                      margin=dict(l=70, r=20, t=80 if title else 50, b=40),
                      legend=dict(orientation="h", x=0, y=-0.18, yanchor="top"))
    if slider:
        order = [0, 1, 2, 5, 6]
        steps = []
        for kk in sweep.ks.tolist():
            st = truncation_traces(sweep, kk)
            steps.append(dict(method="restyle", label=str(kk), args=[
                {key: [st[j][key] for j in order]
                 for key in ("x", "y", "text", "textposition")}, order]))
        fig.update_layout(
            height=560, legend=dict(orientation="h", x=0, y=1.08, yanchor="bottom"),
            margin=dict(l=70, r=20, t=90 if title else 60, b=40),
            sliders=[dict(active=int(np.flatnonzero(sweep.ks == k)[0]),
                          currentvalue=dict(prefix="truncation length k = "),
                          transition=dict(duration=0), pad=dict(t=50), steps=steps)],
        )
    return fig


def reach_figure(panels: Mapping[str, object], *, title: str | None = None) -> go.Figure:
    """Which steps the error of each step reaches: one heatmap per scheme.

    Parameters
    ----------
    panels : mapping of str to array_like, shape (T, T)
        Scheme name -> matrix whose entry ``[t−1, t′−1]`` is ``‖∂L_t/∂a_t′‖``, the credit
        that the loss at step ``t`` sends to step ``t′`` (0 where it sends none). All panels
        share one shape and one colour scale.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        ``log10`` of the credit; exact zeros are blank. Rows are the loss steps ``t`` (top to
        bottom), columns the steps ``t′`` that receive credit.

    Notes
    -----
    Exact BPTT fills the lower triangle ``t′ ≤ t``; truncation after ``k`` steps keeps the
    band ``t − k ≤ t′ ≤ t`` (eq-truncated-bptt).
    """
    panels = _check_mapping(panels, "panels")
    mats = {}
    for name, m in panels.items():
        m = as_float_array(m, f"panels[{name!r}]")
        if m.ndim != 2 or m.shape[0] != m.shape[1] or (m < 0).any():
            raise ValueError(f"panels[{name!r}]: expected a square (T, T) array of norms >= 0, "
                             f"got shape {m.shape}")
        mats[str(name)] = m
    shapes = {m.shape for m in mats.values()}
    if len(shapes) != 1:
        raise ValueError(f"panels: expected arrays of one shape, got {sorted(shapes)}")
    T = shapes.pop()[0]
    logs = {n: _log10(m) for n, m in mats.items()}
    finite = np.concatenate([v[np.isfinite(v)] for v in logs.values()])
    lo = math.floor(float(finite.min())) if finite.size else -1.0
    hi = math.ceil(float(finite.max())) if finite.size else 0.0
    fig = make_subplots(rows=1, cols=len(mats), subplot_titles=list(mats),
                        horizontal_spacing=0.06, shared_yaxes=True)
    steps = list(range(1, T + 1))
    for i, (name, v) in enumerate(logs.items()):
        z = [_sig(row, 4) for row in v]
        fig.add_trace(go.Heatmap(
            x=steps, y=steps, z=z, coloraxis="coloraxis", name=name, xgap=1, ygap=1,
            hovertemplate="loss step t = %{y}<br>credited step t′ = %{x}<br>"
                          "log<sub>10</sub> ‖∂L<sub>t</sub>/∂a<sub>t′</sub>‖ = %{z}<extra></extra>",
        ), row=1, col=i + 1)
        fig.update_xaxes(title_text="credited step t′", row=1, col=i + 1)
    fig.update_yaxes(autorange="reversed", title_text="loss step t", row=1, col=1)
    fig.update_layout(
        template=TEMPLATE, title=title, height=420,
        margin=dict(l=70, r=20, t=70 if title else 40, b=40),
        coloraxis=dict(colorscale="Viridis", cmin=lo, cmax=hi, colorbar=dict(
            thickness=14, title=dict(text="log<sub>10</sub><br>credit", side="top"))),
    )
    return fig


# ---- the cliff of Pascanu et al. (2013) ---------------------------------------------------------

def _path_xy(path: _clipping.CliffPath) -> dict:
    return dict(x=_sig(path.w, SLIDER_DIGITS), y=_sig(path.b, SLIDER_DIGITS))


def _loss_xy(path: _clipping.CliffPath) -> dict:
    return dict(x=list(range(path.loss.size)), y=_sig(path.loss, SLIDER_DIGITS))


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
        Left: contours of ``E(w, b)`` (trace 0), the unclipped path (1), the clipped path (2)
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
    check_instance(raw, "raw", _clipping.CliffPath)
    if isinstance(clipped, _clipping.CliffPath) or not isinstance(clipped, Sequence):
        raise TypeError(f"clipped: expected a sequence of CliffPath, got {type(clipped).__name__}")
    for i, p in enumerate(clipped):
        check_instance(p, f"clipped[{i}]", _clipping.CliffPath)
    thresholds = check_ndim(as_float_array(thresholds, "thresholds"), "thresholds", (1,), "(S,)")
    if thresholds.size != len(clipped) or thresholds.size == 0:
        raise ValueError(f"thresholds: expected one threshold per clipped path "
                         f"({len(clipped)}, at least 1), got {thresholds.size}")
    if active is None:
        active = len(clipped) // 2
    if not 0 <= active < len(clipped):
        raise ValueError(f"active: expected an index in [0, {len(clipped) - 1}], got {active}")
    c = REMEDY_COLORS
    state = cliff_traces(clipped[active], float(thresholds[active]))
    fig = make_subplots(rows=1, cols=2, column_widths=[0.58, 0.42], horizontal_spacing=0.2,
                        subplot_titles=("loss E(w, b) and gradient-descent paths",
                                        "loss E along the path"))
    fig.add_trace(go.Contour(
        x=_sig(ws, SLIDER_DIGITS), y=_sig(bs, SLIDER_DIGITS), z=[_sig(r, 4) for r in loss],
        colorscale="Viridis", ncontours=25, line=dict(width=0.5), name="E(w, b)",
        colorbar=dict(title=dict(text="E", side="right"), x=0.475, len=0.9, thickness=12),
        hovertemplate="w = %{x}<br>b = %{y}<br>E = %{z}<extra></extra>",
    ), row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines+markers", name="no clipping",
                             line=dict(color=c["raw"], width=2), marker=dict(size=5),
                             **_path_xy(raw)), row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines+markers", line=dict(color=c["clipped"], width=2),
                             marker=dict(size=5), **state[2]), row=1, col=1)
    fig.add_trace(go.Scatter(x=[float(raw.w[0])], y=[float(raw.b[0])], mode="markers",
                             name="start", marker=dict(color="white", size=12, symbol="star",
                                                       line=dict(color="black", width=1.5))),
                  row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines", name="no clipping", showlegend=False,
                             line=dict(color=c["raw"], width=2), **_loss_xy(raw)), row=1, col=2)
    fig.add_trace(go.Scatter(mode="lines", showlegend=False, line=dict(color=c["clipped"],
                                                                       width=2),
                             **state[5]), row=1, col=2)
    exit_point = _leaves_box(raw.w, raw.b, (ws[0], ws[-1]), (bs[0], bs[-1]))
    if exit_point is not None:
        j, (xe, ye) = exit_point
        fig.add_annotation(
            x=xe, y=ye, xref="x", yref="y", showarrow=True, arrowcolor=c["raw"], arrowhead=2,
            ax=-40 if xe > 0.5 * (ws[0] + ws[-1]) else 40,
            ay=40 if ye > 0.5 * (bs[0] + bs[-1]) else -40,
            bgcolor="rgba(255,255,255,0.9)", font=dict(color=c["raw"], size=11),
            text=f"step {j} leaves the map:<br>(w, b) = ({raw.w[j]:.1f}, {raw.b[j]:.1f})",
        )
    positive = np.concatenate([raw.loss, *[p.loss for p in clipped]])
    lo, hi = _log_range(positive[positive > 0])
    fig.update_xaxes(title_text="recurrent weight w", range=[float(ws[0]), float(ws[-1])],
                     row=1, col=1)
    fig.update_yaxes(title_text="bias b", range=[float(bs[0]), float(bs[-1])], row=1, col=1)
    fig.update_xaxes(title_text="iteration", row=1, col=2)
    fig.update_yaxes(type="log", range=[lo, min(hi, 0.0)], dtick=1, exponentformat="power",
                     row=1, col=2)
    fig.update_layout(template=TEMPLATE, title=title, height=520,
                      margin=dict(l=70, r=20, t=90 if title else 60, b=40),
                      legend=dict(orientation="h", x=0, y=1.1, yanchor="bottom"))
    if slider:
        if len(clipped) < 2:
            raise ValueError("clipped: a slider needs at least 2 paths, got 1")
        steps = []
        for p, th in zip(clipped, thresholds.tolist()):
            st = cliff_traces(p, th)
            steps.append(dict(method="restyle", label=f"{th:.3g}", args=[
                {key: [st[2][key], st[5][key]] for key in ("x", "y", "name")}, [2, 5]]))
        fig.update_layout(height=600, sliders=[dict(
            active=active, currentvalue=dict(prefix="clipping threshold θ = "),
            transition=dict(duration=0), pad=dict(t=50), steps=steps)])
    return fig


# ---- direction of a clipped gradient, and training runs -----------------------------------------

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
    c = REMEDY_COLORS
    x = _sig(limits, SLIDER_DIGITS)
    fig = go.Figure([
        go.Scatter(x=x, y=_sig(arrays["norm_cosine"], SLIDER_DIGITS), mode="lines",
                   name="norm clipping: cosine(clipped, g)", line=dict(color=c["clipped"],
                                                                        width=3)),
        go.Scatter(x=x, y=_sig(arrays["value_cosine"], SLIDER_DIGITS), mode="lines",
                   name="value clipping: cosine(clipped, g)", line=dict(color=c["value"],
                                                                         width=3)),
        go.Scatter(x=x, y=_sig(arrays["value_fraction"], SLIDER_DIGITS), mode="lines",
                   name="value clipping: fraction of entries clipped",
                   line=dict(color=c["value"], dash="dot", width=2)),
    ])
    fig.update_xaxes(type="log", title_text="threshold (c for value clipping, θ for norm "
                                            "clipping)")
    fig.update_yaxes(range=[-0.03, 1.05])
    fig.update_layout(template=TEMPLATE, title=title, height=420,
                      margin=dict(l=60, r=20, t=60 if title else 30, b=40),
                      legend=dict(x=0.99, xanchor="right", y=0.45))
    return fig


def training_figure(
    runs: Mapping[str, object],
    *,
    stopped: Mapping[str, object] | None = None,
    threshold: float | None = None,
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Loss and gradient norm of training runs, both on log axes; several seeds per name.

    Parameters
    ----------
    runs : mapping of str to History or sequence of History
        Run name -> an object with arrays ``loss`` and ``grad_norm`` of one length
        (:class:`bpttlib.train.History`), or a list of them (one per seed): then each run is
        drawn faint and their step-wise median bold.
    stopped : mapping of str to (str or None, or a sequence of them), optional
        Run name -> why it stopped early (``FitResult.stopped``), one per run; such a run ends
        in a cross.
    threshold : float, optional
        A clipping threshold, drawn dashed on the gradient-norm panel.
    colors : mapping of str to str, optional
        Run name -> colour.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Left: the training loss per step; right: the gradient norm before clipping.
    """
    runs = _check_mapping(runs, "runs")
    stopped = dict(stopped or {})
    colors = dict(colors or {})
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("training loss", "gradient norm ‖g‖ before clipping"))
    for i, (name, group) in enumerate(runs.items()):
        several = isinstance(group, (list, tuple))
        hists = list(group) if several else [group]
        whys = stopped.get(name)
        whys = list(whys) if isinstance(whys, (list, tuple)) else [whys] * len(hists)
        if len(whys) != len(hists):
            raise ValueError(f"stopped[{name!r}]: expected one entry per run ({len(hists)}), "
                             f"got {len(whys)}")
        color = colors.get(name, _PALETTE[i % len(_PALETTE)])
        series = [_history_arrays(name, h) for h in hists]
        for j, (arrays, why) in enumerate(zip(series, whys)):
            faint = several and len(hists) > 1
            for col, arr in ((1, arrays[0]), (2, arrays[1])):
                steps = list(range(arr.size))
                fig.add_trace(go.Scatter(
                    x=steps, y=_sig(arr, SLIDER_DIGITS), mode="lines",
                    name=f"{name}, each seed" if faint else str(name), legendgroup=str(name),
                    showlegend=col == 1 and j == 0 and not faint,
                    opacity=0.35 if faint else 1.0,
                    line=dict(color=color, width=1.0 if faint else 1.8)), row=1, col=col)
                if why and arr.size:
                    fig.add_trace(go.Scatter(
                        x=[steps[-1]], y=_sig(arr[-1:], SLIDER_DIGITS), mode="markers",
                        name=f"{name}: stopped", legendgroup=str(name),
                        showlegend=col == 1 and j == 0,
                        marker=dict(symbol="x", size=11 if faint else 13, color=color,
                                    line=dict(width=1)),
                        hovertext=[why[:120]], hoverinfo="text"), row=1, col=col)
        if several and len(hists) > 1 and all(a[0].size > 1 for a in series):
            for col in (1, 2):
                n = min(a[0].size for a in series)
                med = np.median(np.stack([a[col - 1][:n] for a in series]), axis=0)
                fig.add_trace(go.Scatter(
                    x=list(range(n)), y=_sig(med, SLIDER_DIGITS), mode="lines",
                    name=f"{name} (median of {len(hists)} seeds)", legendgroup=str(name),
                    showlegend=col == 1, line=dict(color=color, width=2.2)), row=1, col=col)
    if threshold is not None:
        threshold = check_real(threshold, "threshold", positive=True)
        fig.add_hline(y=threshold, line=dict(color="#444", dash="dash", width=1.2), row=1, col=2,
                      annotation_text=f"θ = {threshold:g}", annotation_position="bottom right")
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_layout(template=TEMPLATE, title=title, height=460,
                      margin=dict(l=60, r=20, t=80 if title else 50, b=40),
                      legend=dict(orientation="h", x=0, y=1.08, yanchor="bottom"))
    return fig


def _history_arrays(name: str, hist: object) -> tuple[np.ndarray, np.ndarray]:
    """A History's loss and grad_norm as checked 1-d arrays of one length."""
    arrays = []
    for attr in ("loss", "grad_norm"):
        if not hasattr(hist, attr):
            raise TypeError(f"runs[{name!r}]: expected a History with .loss and .grad_norm, "
                            f"got {type(hist).__name__}")
        arrays.append(check_ndim(as_float_array(getattr(hist, attr), f"runs[{name!r}].{attr}"),
                                 f"runs[{name!r}].{attr}", (1,), "(n,)"))
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(f"runs[{name!r}]: expected loss and grad_norm of one length, got "
                         f"{arrays[0].size} and {arrays[1].size}")
    return arrays[0], arrays[1]


# =================================================================================================
# Part I: the unrolled network and the cost of BPTT (issue #4)
#
# Builders for book/unrolled.md and book/bptt.md. ``unrolled_graph`` draws the computational
# graph of the RNN unrolled for T steps with plotly shapes (nodes) and annotations (labels and
# arrows); its kernel-free slider moves one highlight trace over the chains that reach the loss
# term of step t. ``cost_figure`` is a log-log plot of any cost (counted or timed) against T.
# =================================================================================================


#: Colours of the Part I figures: one per weight matrix, the loss, and the highlighted chains.
GRAPH_COLORS = {
    "W_x": "#2ca02c",
    "W_s": "#1f77b4",
    "W_y": "#9467bd",
    "loss": "#7f7f7f",
    "highlight": "#ff7f0e",
    "faded": "#d0d0d0",
}

#: Rows of the unrolled graph (bottom to top).
GRAPH_ROWS = {"x": 0.0, "s": 1.0, "y": 2.0, "E": 3.0}

_NODE_RADIUS = 0.22
_COST_COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd")


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


def _chain_segments(t: int, inputs: list) -> tuple[list, list]:
    """x/y of the edges on the chains that reach E_t (None between segments)."""
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
    return xs, ys


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
        step, labelled ``t``, each restyling trace 0. ``layout.shapes`` are the nodes; arrows are the annotations with
        ``showarrow``.

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

    r, c, rad = GRAPH_ROWS, GRAPH_COLORS, _NODE_RADIUS
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

    x0, y0 = _chain_segments(active, inp) if highlight else ([], [])
    fig = go.Figure(go.Scatter(
        x=x0, y=y0, mode="lines", name="chains reaching the loss", hoverinfo="skip",
        line=dict(color=c["highlight"], width=9), opacity=0.45, showlegend=False,
        visible=bool(highlight)))
    layout = dict(
        template=TEMPLATE, title=title, shapes=shapes, annotations=notes,
        height=430 if highlight and len(steps_t) > 1 else 360, showlegend=False,
        margin=dict(l=10, r=10, t=50 if title else 10, b=10),
        xaxis=dict(visible=False, range=[-0.6, T + 0.6], fixedrange=True),
        yaxis=dict(visible=False, range=[-0.5, 3.5], fixedrange=True, scaleanchor="x",
                   scaleratio=1),
    )
    if highlight and len(steps_t) > 1:
        steps = []
        for t in steps_t:
            xs, ys = _chain_segments(t, inp)
            steps.append(dict(method="restyle", label=str(t), args=[{"x": [xs], "y": [ys]}, [0]]))
        layout["sliders"] = [dict(active=steps_t.index(active), steps=steps, pad=dict(t=10),
                                  currentvalue=dict(prefix="chains reaching E<sub>t</sub>, t = "),
                                  transition=dict(duration=0))]
    fig.update_layout(**layout)
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
    _check_instance(fig, "fig", go.Figure)
    arrows = sum(1 for a in fig.layout.annotations if a.showarrow)
    sliders = fig.layout.sliders
    return {"nodes": len(fig.layout.shapes), "arrows": arrows,
            "steps": len(sliders[0].steps) if sliders else 0}


def cost_figure(
    Ts: Sequence[int],
    costs: _Mapping[str, Sequence[float]],
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
    if not isinstance(costs, _Mapping) or not costs:
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
        fig.add_trace(go.Scatter(x=_rounded(T_arr), y=_rounded(v), mode="lines+markers",
                                 name=label, line=dict(color=_COST_COLORS[i % len(_COST_COLORS)])))
    fig.update_xaxes(type="log", title="sequence length T", tickvals=_rounded(T_arr),
                     ticktext=[f"{t:g}" for t in T_arr])
    fig.update_yaxes(type="log", title=y_title, dtick=1, exponentformat="power")
    fig.update_layout(template=TEMPLATE, title=title, height=420,
                      margin=dict(l=70, r=20, t=80 if title else 50, b=50),
                      legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"))
    return fig


# =================================================================================================
# Part III: gated cells and remedies (issue #6)
#
# Builders for book/gated.md, book/remedies.md and the live dashboard
# bpttlib.widgets.gated_decay_explorer. The builders that take sizes and seeds (``gated_decay_*``,
# ``cell_path_figure``, ``skip_figure``) call the kernels (bpttlib.jacobians, bpttlib.gated,
# bpttlib.skip) for their data; the learning-curve figures take the stored experiments of
# bpttlib.experiments (``experiments.load``). Every curve is indexed by the distance T − k.
# =================================================================================================


#: One colour per model of the experiments and of the gradient-flow figures.
MODEL_COLORS = {
    "rnn": "#1f77b4",
    "lstm": "#d62728",
    "gru": "#2ca02c",
    "orthogonal": "#9467bd",
    "irnn": "#ff7f0e",
}
#: The memoryless baseline's colour.
BASELINE_COLOR = "#555555"
GATED_Y_TITLE = "log<sub>10</sub> ‖∂L<sub>T</sub>/∂h<sub>k</sub>‖"


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

    Returns
    -------
    plotly.graph_objects.Figure
        Non-finite values are gaps; every state is rounded to ``SLIDER_DIGITS`` digits.
    """
    x = check_ndim(as_float_array(x, "x"), "x", (1,), "(N,)")
    values = check_ndim(as_float_array(values, "values"), "values", (1,), "(S,)")
    sliding = _check_mapping(sliding, "sliding")
    S, N = values.size, x.size
    states = {}
    for name, ys in sliding.items():
        ys = as_float_array(ys, f"sliding[{name!r}]", finite=False)
        if ys.shape != (S, N):
            raise ValueError(f"sliding[{name!r}]: expected shape (len(values), len(x)) = "
                             f"({S}, {N}), got {_checks_shape(ys)}")
        states[name] = [_rounded(row) for row in ys]
    fixed = {} if fixed is None else _check_mapping(fixed, "fixed")
    active = S // 2 if active is None else active
    if not isinstance(active, (int, np.integer)) or not 0 <= active < S:
        raise ValueError(f"active: expected an index in [0, {S - 1}], got {active!r}")
    colors = dict(colors or {})
    xs = _rounded(x)
    fig = go.Figure()
    for i, (name, y) in enumerate([*fixed.items(), *((n, s[active]) for n, s in states.items())]):
        if name in fixed:
            y = as_float_array(y, f"fixed[{name!r}]", finite=False)
            if y.shape != (N,):
                raise ValueError(f"fixed[{name!r}]: expected shape ({N},) like x, "
                                 f"got {_checks_shape(y)}")
            y = _rounded(y)
        fig.add_trace(go.Scatter(
            x=xs, y=y, mode="lines", name=str(name),
            line=dict(color=colors.get(name, _PALETTE[i % len(_PALETTE)]), width=2.5,
                      dash="dash" if name in dashed else None),
        ))
    moving = list(range(len(fixed), len(fixed) + len(states)))
    steps = [dict(method="restyle", label=value_format.format(v),
                  args=[{"y": [s[j] for s in states.values()]}, moving])
             for j, v in enumerate(values)]
    fig.update_layout(
        template=TEMPLATE, title=title, height=height, xaxis_title=x_title,
        yaxis_title=y_title, margin=dict(l=70, r=20, t=80 if title else 40, b=40),
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"),
        sliders=[dict(active=int(active), currentvalue=dict(prefix=value_label),
                      transition=dict(duration=0), pad=dict(t=50), steps=steps)],
    )
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    return fig


def _checks_shape(arr: np.ndarray) -> str:
    return str(tuple(int(n) for n in arr.shape))


def gated_decay_curves(
    forget_bias: float = 1.0,
    *,
    T: int = 100,
    n_hidden: int = 32,
    seed: int = 0,
    spectral_radius: float = 1.0,
    input_scale: float = 1.0,
) -> dict[str, np.ndarray]:
    """``log10 ‖∂L_T/∂h_k‖`` by distance ``T − k`` for a tanh RNN, a GRU and an LSTM.

    Parameters
    ----------
    forget_bias : float, optional
        The LSTM's forget-gate bias (:func:`bpttlib.gated.lstm_init`).
    T, n_hidden, seed, input_scale : optional
        Shared by the three networks: the same inputs ``x_t ~ N(0, input_scale²)`` and
        targets (see :func:`bpttlib.jacobians.decay_curve`).
    spectral_radius : float, optional
        ``ρ(W_s)`` of the tanh RNN (Gaussian ``W_s``).

    Returns
    -------
    dict of str to numpy.ndarray, shape (T+1,)
        Keys ``"rnn"``, ``"gru"``, ``"lstm"``; entry ``j`` is the value at distance ``j``.

    Notes
    -----
    eq-grad-decay for the RNN; its gated analogue (:func:`bpttlib.gated.gated_decay_curve`)
    for the GRU (eq-gru) and the LSTM (eq-lstm).
    """
    common = dict(n_hidden=n_hidden, T=T, seed=seed, input_scale=input_scale)
    rnn_curve = _jacobians.decay_curve(spectral_radius, "tanh", **common)
    return {
        "rnn": rnn_curve.log10_norm[::-1],
        "gru": _gated.gated_decay_curve("gru", **common)[::-1],
        "lstm": _gated.gated_decay_curve("lstm", forget_bias=forget_bias, **common)[::-1],
    }


def _decay_range(*arrays: np.ndarray) -> tuple[float, float]:
    finite = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])
    finite = finite[np.isfinite(finite)]
    return float(np.floor(finite.min() - 0.5)), float(np.ceil(max(finite.max(), 0.0) + 0.5))


def gated_decay_figure(
    forget_biases: Sequence[float],
    *,
    T: int = 100,
    n_hidden: int = 32,
    seed: int = 0,
    spectral_radius: float = 1.0,
    active: int | None = None,
) -> go.Figure:
    """tanh RNN, GRU and LSTM gradient decay side by side; a slider sets the forget-gate bias.

    Parameters
    ----------
    forget_biases : sequence of float
        The LSTM's forget-gate biases offered by the slider.
    T, n_hidden, seed, spectral_radius : optional
        See :func:`gated_decay_curves`.
    active : int, optional
        Index of the bias shown first (default: the middle one).

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: tanh RNN, GRU (fixed), LSTM (moved by the slider).

    Notes
    -----
    Book labels: eq-grad-decay, eq-lstm, eq-gru.
    """
    biases = check_ndim(as_float_array(forget_biases, "forget_biases"), "forget_biases", (1,),
                        "(S,)")
    base = gated_decay_curves(float(biases[0]), T=T, n_hidden=n_hidden, seed=seed,
                              spectral_radius=spectral_radius)
    lstm = np.array([base["lstm"]] + [
        _gated.gated_decay_curve("lstm", forget_bias=float(b), n_hidden=n_hidden, T=T,
                                 seed=seed)[::-1] for b in biases[1:]])
    labels = {k: _experiments.MODELS[k]["label"] for k in ("rnn", "gru", "lstm")}
    return compare_slider_figure(
        np.arange(T + 1), {labels["lstm"]: lstm}, biases,
        fixed={labels["rnn"]: base["rnn"], labels["gru"]: base["gru"]},
        colors={labels[k]: MODEL_COLORS[k] for k in labels},
        value_label="LSTM forget-gate bias b<sub>f</sub> = ", value_format="{:+.1f}",
        x_title=DISTANCE_TITLE, y_title=GATED_Y_TITLE, active=active,
        y_range=_decay_range(base["rnn"], base["gru"], lstm),
    )


def cell_path_figure(
    forget_biases: Sequence[float],
    *,
    T: int = 100,
    n_hidden: int = 32,
    seed: int = 0,
    active: int | None = None,
) -> go.Figure:
    """An LSTM's ``log10 ‖∂c_T/∂c_k‖``: the full Jacobian and the direct cell path.

    Parameters
    ----------
    forget_biases : sequence of float
        Forget-gate biases offered by the slider (:func:`bpttlib.gated.lstm_init`).
    T, n_hidden, seed : optional
        Sequence length, ``H``, and the seed of the weights and of the inputs
        ``x_t ~ N(0, 1)`` (drawn as in :func:`bpttlib.gated.gated_decay_curve`).
    active : int, optional
        Index of the bias shown first.

    Returns
    -------
    plotly.graph_objects.Figure
        Two traces moved by the slider: the full Jacobian (solid) and ``∏ diag(f_t)``, the
        direct path (dashed).

    Notes
    -----
    :func:`bpttlib.gated.lstm_cell_jacobian_norms`, ``path="full"`` and ``path="direct"``.
    Book label: eq-lstm-cell-jacobian.
    """
    biases = check_ndim(as_float_array(forget_biases, "forget_biases"), "forget_biases", (1,),
                        "(S,)")
    xs = np.random.default_rng([seed, 2]).standard_normal((T, 1))
    full, direct = [], []
    for b in biases:
        params = _gated.lstm_init(1, n_hidden, 1, seed=seed, forget_bias=float(b))
        trace = _gated.lstm_forward(params, xs)
        full.append(_gated.lstm_cell_jacobian_norms(params, trace, path="full")[::-1])
        direct.append(_gated.lstm_cell_jacobian_norms(params, trace, path="direct")[::-1])
    names = ("all paths: ‖∂c<sub>T</sub>/∂c<sub>k</sub>‖",
             "cell path only: ‖∏ diag(f<sub>t</sub>)‖")
    return compare_slider_figure(
        np.arange(T + 1), {names[0]: np.array(full), names[1]: np.array(direct)}, biases,
        colors={names[0]: MODEL_COLORS["lstm"], names[1]: "#000000"}, dashed=(names[1],),
        value_label="forget-gate bias b<sub>f</sub> = ", value_format="{:+.1f}",
        x_title=DISTANCE_TITLE, y_title="log<sub>10</sub> ‖∂c<sub>T</sub>/∂c<sub>k</sub>‖",
        active=active, y_range=_decay_range(np.array(full), np.array(direct)),
    )


def skip_figure(
    skips: Sequence[int],
    *,
    spectral_radius: float = 1.0,
    skip_radius: float = 0.5,
    T: int = 100,
    n_hidden: int = 32,
    seed: int = 0,
    active: int | None = None,
) -> go.Figure:
    """Gradient decay of a tanh RNN with and without a skip connection from ``s_{t−d}``.

    Parameters
    ----------
    skips : sequence of int
        The skip lengths ``d`` offered by the slider.
    spectral_radius, skip_radius : float, optional
        ``ρ(W_s)`` and ``ρ(W_d)`` (both Gaussian).
    T, n_hidden, seed : optional
        See ``bpttlib.skip.skip_decay_curve``.
    active : int, optional
        Index of the ``d`` shown first.

    Returns
    -------
    plotly.graph_objects.Figure
        The plain RNN (fixed) and the skip-connected one (moved by the slider).

    Notes
    -----
    Book label: eq-grad-decay.
    """
    ds = [int(_checks_int(d)) for d in skips]
    common = dict(spectral_radius=spectral_radius, T=T, n_hidden=n_hidden, seed=seed)
    plain = _skip.skip_decay_curve(d=1, skip_radius=0.0, **common)[::-1]
    curves = np.array([_skip.skip_decay_curve(d=d, skip_radius=skip_radius, **common)[::-1]
                       for d in ds])
    names = ("tanh RNN", "with a skip connection from s<sub>t−d</sub>")
    return compare_slider_figure(
        np.arange(T + 1), {names[1]: curves}, ds, fixed={names[0]: plain},
        colors={names[0]: MODEL_COLORS["rnn"], names[1]: MODEL_COLORS["irnn"]},
        value_label="skip length d = ", value_format="{:.0f}", x_title=DISTANCE_TITLE,
        y_title=DECAY_Y_TITLE, active=active, y_range=_decay_range(plain, curves),
    )


def _checks_int(d: object) -> int:
    if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)) or d < 1:
        raise ValueError(f"skips: expected integers >= 1, got {d!r}")
    return int(d)


def _rgba(color: str, alpha: float) -> str:
    """``"#rrggbb"`` as ``"rgba(r, g, b, alpha)"``."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _seed_curves(runs: list[dict]) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """Steps and the held-out loss's median, lowest and highest value over seeds (up to the
    shortest run)."""
    n = min(len(r["steps"]) for r in runs)
    curves = np.array([r["eval"][:n] for r in runs])
    return (runs[0]["steps"][:n], np.median(curves, axis=0), curves.min(axis=0),
            curves.max(axis=0))


def learning_curves_figure(
    data: Mapping,
    *,
    models: Sequence[str] | None = None,
    active: int | None = None,
    title: str | None = None,
    y_range: tuple[float, float] | None = None,
) -> go.Figure:
    """Held-out loss against training steps, one curve per model; a slider picks ``T``.

    Parameters
    ----------
    data : mapping
        A stored experiment (``bpttlib.experiments.load``).
    models : sequence of str, optional
        Which models to draw, in this order (default: all of the experiment's).
    active : int, optional
        Index of the length shown first (default: the middle one).
    title : str, optional
    y_range : (float, float), optional
        log10 range of the y axis (default: from the data, cut one decade above the largest
        baseline so that the first steps' large losses do not squash the plot).

    Returns
    -------
    plotly.graph_objects.Figure
        Log-scale y; the memoryless baseline of each ``T`` is the dashed grey line. With several
        seeds the line is their step-wise median and a band spans the lowest to the highest
        seed (three traces per model: lowest, highest, median). With a single length there is
        no slider.
    """
    data = _experiments.validate(data)
    config = data["config"]
    models = list(config["models"] if models is None else models)
    for m in models:
        if m not in config["models"]:
            raise ValueError(f"models: expected names from {config['models']}, got {m!r}")
    lengths = list(config["lengths"])
    active = len(lengths) // 2 if active is None else active
    if not isinstance(active, (int, np.integer)) or not 0 <= active < len(lengths):
        raise ValueError(f"active: expected an index in [0, {len(lengths) - 1}], got {active!r}")
    by_key: dict[tuple, list] = {}
    for run in data["runs"]:
        by_key.setdefault((run["model"], run["T"]), []).append(run)
    states = []  # per T: (x, y) per trace: for each model its band (low, high) and median,
    for T in lengths:  # then the baseline
        traces = []
        for m in models:
            steps, med, low, high = _seed_curves(by_key[(m, T)])
            for curve in (low, high, med):
                traces.append((steps, _sig(curve, _experiments.DIGITS)))
        last = max(max(by_key[(m, T)][0]["steps"]) for m in models)
        base = _experiments.baseline(data["task"], T)
        traces.append(([0, last], [_sig([base], _experiments.DIGITS)[0]] * 2))
        states.append(traces)
    n_seeds = len(config["seeds"])
    fig = go.Figure()
    for i, m in enumerate(models):
        color = MODEL_COLORS.get(m, _PALETTE[i])
        label = _experiments.MODELS[m]["label"]
        for j, part in enumerate(("lowest", "highest", "median")):
            x, y = states[active][3 * i + j]
            if part == "median":
                fig.add_trace(go.Scatter(
                    x=x, y=y, mode="lines", legendgroup=m, line=dict(color=color, width=2.5),
                    name=label if n_seeds == 1 else f"{label} (median of {n_seeds} seeds)"))
            else:  # the range over seeds, a band (invisible with one seed)
                fig.add_trace(go.Scatter(
                    x=x, y=y, mode="lines", legendgroup=m, showlegend=False,
                    name=f"{label}, {part} seed", line=dict(width=0, color=color),
                    fill="tonexty" if part == "highest" else None,
                    fillcolor=_rgba(color, 0.18), hoverinfo="skip" if n_seeds == 1 else None))
    x, y = states[active][-1]
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name="memoryless baseline",
                             line=dict(color=BASELINE_COLOR, width=2, dash="dash"),
                             hoverinfo="y"))
    if y_range is None:
        values = np.array([v for st in states for _, y in st for v in y if v is not None])
        top = math.log10(max(_experiments.baseline(data["task"], T) for T in lengths)) + 1
        y_range = (math.floor(math.log10(values.min()) * 2) / 2, top)
    steps = [dict(method="restyle", label=str(T),
                  args=[{"x": [tr[0] for tr in st], "y": [tr[1] for tr in st]},
                        list(range(3 * len(models) + 1))])
             for T, st in zip(lengths, states)]
    fig.update_layout(
        template=TEMPLATE, title=title, height=480 if len(lengths) > 1 else 400,
        xaxis_title="training step", yaxis_title="held-out loss per scored step",
        margin=dict(l=70, r=20, t=80 if title else 40, b=40),
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"),
        sliders=[dict(active=int(active), currentvalue=dict(prefix="T = "),
                      transition=dict(duration=0), pad=dict(t=50), steps=steps)]
        if len(lengths) > 1 else [],
    )
    fig.update_yaxes(type="log", range=list(y_range), exponentformat="power")
    return fig


def final_ratio_figure(
    datasets: Mapping[str, Mapping],
    *,
    models: Sequence[str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Final held-out loss over the memoryless baseline against ``T``, one panel per task.

    Parameters
    ----------
    datasets : mapping of str to mapping
        Panel title -> stored experiment (``bpttlib.experiments.load``).
    models : sequence of str, optional
        Models to draw where an experiment has them (default: every model of any experiment).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Log-scale y shared by the panels; the line at 1 is the baseline: below it a model has
        learned the long-range part of the task, on it it has not.
    """
    datasets = _check_mapping(datasets, "datasets")
    tables = {name: _experiments.final_table(d) for name, d in datasets.items()}
    if models is None:
        models = list(dict.fromkeys(r["model"] for t in tables.values() for r in t))
    fig = make_subplots(rows=1, cols=len(tables), subplot_titles=list(tables),
                        horizontal_spacing=0.06, shared_yaxes=True)
    for col, table in enumerate(tables.values(), start=1):
        for m in models:
            rows = [r for r in table if r["model"] == m]
            if not rows:
                continue
            med = np.array([r["ratio"].median for r in rows])
            low = np.array([r["ratio"].low for r in rows])
            high = np.array([r["ratio"].high for r in rows])
            fig.add_trace(go.Scatter(
                x=[r["T"] for r in rows], y=_sig(med, 4),
                error_y=dict(type="data", symmetric=False, array=_sig(high - med, 4),
                             arrayminus=_sig(med - low, 4), thickness=1.5, width=4),
                customdata=np.stack([_sig(low, 3), _sig(high, 3),
                                     [r["seeds"] for r in rows]], axis=-1),
                mode="lines+markers", name=_experiments.MODELS[m]["label"], legendgroup=m,
                showlegend=col == 1, line=dict(color=MODEL_COLORS.get(m), width=2.5),
                hovertemplate="T = %{x}: median %{y:.3g} × baseline<br>"
                              "range %{customdata[0]:.3g}–%{customdata[1]:.3g} over "
                              "%{customdata[2]} seeds",
            ), row=1, col=col)
        fig.add_hline(y=1.0, line=dict(color=BASELINE_COLOR, dash="dash", width=1.5),
                      row=1, col=col)
        fig.update_xaxes(title_text="T", type="log", row=1, col=col,
                         tickvals=sorted({r["T"] for r in table}))
    fig.update_yaxes(type="log", exponentformat="power", dtick=1)
    fig.update_yaxes(title_text="final held-out loss / baseline", row=1, col=1)
    fig.update_layout(template=TEMPLATE, title=title, height=440,
                      margin=dict(l=70, r=20, t=80 if title else 50, b=50),
                      legend=dict(orientation="h", x=0, y=-0.2, yanchor="top"))
    return fig
