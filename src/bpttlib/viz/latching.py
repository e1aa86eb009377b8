"""Part II: the latching dilemma (cliff-model fixed points) and the slides' 15-word sentence.

:func:`latching_figure` draws the cliff model's map with its fixed points and basins next to
``log10 |∂x_t/∂x_0|`` along trajectories; :func:`sentence_figure` draws the factors of
``∂h₁₅/∂h₂`` and their running product under a kernel-free slider over ``ρ(W_s)``. The data come
from ``bpttlib.sweeps.latching_data`` and ``bpttlib.sweeps.sentence_sweep``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._checks import check_instance
from ..sweeps import SENTENCE, LatchingData, SentenceSweep
from . import _style
from ._controls import SLIDER_DIGITS, rounded
from .lines import compare_slider_figure

__all__ = ["latching_figure", "sentence_figure"]

_BASIN_COLORS = (_style.BLUE, _style.RED)


def latching_figure(data: LatchingData, *, title: str | None = None) -> go.Figure:
    """The map ``x ↦ w σ(x) + b`` with fixed points and basins, and the gradient along orbits.

    Parameters
    ----------
    data : LatchingData
        From ``bpttlib.sweeps.latching_data``.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Left: the map, the diagonal, the fixed points (filled: attracting, open: repelling) and
        the basins of the attractors shaded. Right: ``log10 |∂x_t/∂x_0|`` against ``t``, one
        curve per start (marked on the left panel's diagonal in the same colour).
    """
    check_instance(data, "data", LatchingData)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        f"map x ↦ {data.w:g} σ(x) {'+' if data.b >= 0 else '−'} {abs(data.b):g}",
        "gradient along each trajectory"))
    lo, hi = float(data.x[0]), float(data.x[-1])
    fixed = data.fixed
    fig.add_trace(go.Scatter(x=rounded(data.x, SLIDER_DIGITS), y=rounded(data.f, SLIDER_DIGITS),
                             name="f(x) = w σ(x) + b", line=dict(color=_style.BASELINE_COLOR,
                                                                 width=2.5)), row=1, col=1)
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], name="x = f(x)", mode="lines",
                             line=dict(color=_style.GREY, dash="dash", width=1)), row=1, col=1)
    for stable, label, symbol in ((True, "attracting fixed point", "circle"),
                                  (False, "repelling fixed point", "circle-open")):
        pts = fixed.x[fixed.stable == stable]
        fig.add_trace(go.Scatter(x=rounded(pts, SLIDER_DIGITS), y=rounded(pts, SLIDER_DIGITS),
                                 mode="markers", name=label,
                                 marker=dict(symbol=symbol, size=12, color="black",
                                             line=dict(width=2))), row=1, col=1)
    t = np.arange(data.states.shape[1])
    for i, (start, gain) in enumerate(zip(data.starts, data.log10_gain)):
        color = _style.PALETTE[(i + 2) % len(_style.PALETTE)]
        fig.add_trace(go.Scatter(x=[float(start)], y=[float(start)], mode="markers",
                                 marker=dict(color=color, size=9, symbol="diamond"),
                                 showlegend=False, name=f"start x<sub>0</sub> = {start:g}"),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=t.tolist(), y=rounded(gain, SLIDER_DIGITS), mode="lines",
                                 name=f"from x<sub>0</sub> = {start:g}",
                                 line=dict(color=color, width=2.5)), row=1, col=2)
    edges = [lo, *fixed.x[~fixed.stable], hi]        # repellers separate the basins
    for i, (a, c) in enumerate(zip(edges[:-1], edges[1:])):
        fig.add_vrect(x0=float(a), x1=float(c), fillcolor=_BASIN_COLORS[i % 2], opacity=0.08,
                      line_width=0, layer="below", row=1, col=1)
    _style.frame(fig, title=title, height=460, top=60, showlegend=True,
                 legend=_style.LEGEND_ABOVE)
    fig.update_layout(legend=dict(y=-0.18, yanchor="top"))
    fig.update_xaxes(title_text="state x<sub>t−1</sub>", row=1, col=1)
    fig.update_yaxes(title_text="next state x<sub>t</sub>", row=1, col=1)
    fig.update_xaxes(title_text="step t", row=1, col=2)
    fig.update_yaxes(title_text="log<sub>10</sub> |∂x<sub>t</sub>/∂x<sub>0</sub>|", row=1, col=2)
    return fig


def sentence_figure(data: SentenceSweep, *, active: int | None = None,
                    title: str | None = None) -> go.Figure:
    """The factors of ``∂h₁₅/∂h_k`` and their running product, a slider over ``ρ(W_s)``.

    Parameters
    ----------
    data : SentenceSweep
        From ``bpttlib.sweeps.sentence_sweep``.
    active : int, optional
        Index of the spectral radius shown first (default: the middle one).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Over the step ``t`` (tick labels: the words): ``log10 ‖J_t‖₂`` (one factor),
        ``log10 ‖∂h_t/∂h_k‖₂`` (the product of the factors so far) and the bound
        ``(t − k) log10(γ σ_max)`` (dashed), every state precomputed.
    """
    check_instance(data, "data", SentenceSweep)
    k = data.k
    sliding = {
        "one factor: log<sub>10</sub> ‖J<sub>t</sub>‖": np.log10(data.step_norms),
        f"product so far: log<sub>10</sub> ‖∂h<sub>t</sub>/∂h<sub>{k}</sub>‖":
            np.log10(data.product_norms),
        f"bound (γ σ<sub>max</sub>)<sup>t−{k}</sup>": np.log10(data.bound),
    }
    lo = min(float(np.min(v)) for v in sliding.values())
    hi = max(float(np.max(v)) for v in sliding.values())
    fig = compare_slider_figure(
        data.t, sliding, data.radii, value_label="spectral radius ρ(W<sub>s</sub>) = ",
        x_title="the word read at step t",
        y_title="log<sub>10</sub> of the norm", dashed=(list(sliding)[2],), active=active,
        title=title, value_format="{:.2f}", y_range=(np.floor(lo) - 0.5, np.ceil(hi) + 0.5))
    fig.update_xaxes(tickmode="array", tickvals=data.t.tolist(),
                     ticktext=[f"{t}: {SENTENCE[t - 1]}" for t in data.t], tickangle=-45)
    for trace in fig.data:
        trace.update(mode="lines+markers")
    # The legend hangs under the title (container coordinates) with room for three rows: at a
    # phone's width its three long names wrap, and a legend above the plot ran into the title.
    # The title sits at the very top (plotly centres it in the top margin by default, where
    # the legend's rows are).
    fig.update_layout(height=600, margin=dict(b=120, t=150),
                      title=dict(y=1.0, yref="container", yanchor="top", pad=dict(t=10)),
                      legend=dict(orientation="h", x=0, yref="container", y=1 - 44 / 600,
                                  yanchor="top"))
    fig.layout.sliders[0].pad.t = 110                # below the slanted word labels
    return fig
