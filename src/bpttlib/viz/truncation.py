"""Part III: truncated BPTT.

Builders for book/truncation.md, and the figure that the live dashboard
:func:`bpttlib.widgets.truncation_explorer` starts from and updates through
(:func:`truncation_traces` for ``k``, :func:`truncation_sweep_traces` and
:func:`truncation_layout` for a new sweep). The data come from ``bpttlib.sweeps``
(:func:`~bpttlib.sweeps.truncation_sweep`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._checks import as_float_array, check_instance
from ..sweeps import TruncationSweep
from . import _controls, _style
from ._controls import SLIDER_DIGITS, check_mapping, finite_span, log10, log_range, rounded


def truncation_traces(sweep: TruncationSweep, k: int) -> dict[int, dict]:
    """What changes in :func:`truncation_figure` when the truncation length is ``k``.

    Parameters
    ----------
    sweep : bpttlib.sweeps.TruncationSweep
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
    logs = log10(sweep.lag_norms)
    lo, hi = log_range(sweep.lag_norms)
    keep = lags <= k
    cos, ratio = float(sweep.cosine[i]), float(sweep.norm_ratio[i])
    side = "right" if k <= sweep.T / 2 else "left"  # keep the labels inside the plot
    return {
        0: dict(x=rounded(lags), y=rounded(np.where(keep, logs, np.nan)),
                text="", textposition="top center"),
        1: dict(x=rounded(lags), y=rounded(np.where(keep, np.nan, logs)),
                text="", textposition="top center"),
        2: dict(x=[k + 0.5, k + 0.5], y=[lo, hi], text="", textposition="top center"),
        5: dict(x=[k], y=rounded([cos], SLIDER_DIGITS), text=f"cos = {cos:.4f}",
                textposition=f"bottom {side}"),
        6: dict(x=[k], y=rounded([ratio], SLIDER_DIGITS), text=f"ratio = {ratio:.3f}",
                textposition=f"top {side}"),
    }


def truncation_sweep_traces(sweep: TruncationSweep) -> dict[int, dict]:
    """What changes in :func:`truncation_figure` for another sweep, whatever ``k``.

    Parameters
    ----------
    sweep : bpttlib.sweeps.TruncationSweep

    Returns
    -------
    dict of int to dict
        Trace 3 (cosine) and trace 4 (norm ratio) against ``k``: ``x`` and ``y``, rounded to
        ``SLIDER_DIGITS``.

    Notes
    -----
    Book label: eq-truncated-bptt.
    """
    check_instance(sweep, "sweep", TruncationSweep)
    ks = rounded(sweep.ks, SLIDER_DIGITS)
    return {3: dict(x=ks, y=rounded(sweep.cosine, SLIDER_DIGITS)),
            4: dict(x=ks, y=rounded(sweep.norm_ratio, SLIDER_DIGITS))}


def truncation_layout(sweep: TruncationSweep) -> dict:
    """The axis ranges of :func:`truncation_figure` for a sweep (fixed while ``k`` moves).

    Parameters
    ----------
    sweep : bpttlib.sweeps.TruncationSweep

    Returns
    -------
    dict
        ``xaxis_range``, ``yaxis_range`` (the chain-length panel, whole decades) and
        ``xaxis2_range``, ``yaxis2_range`` (the cosine and ratio panel).
    """
    check_instance(sweep, "sweep", TruncationSweep)
    lo, hi = log_range(sweep.lag_norms)
    top = max(1.02, float(np.max(sweep.norm_ratio))) + 0.03
    bottom = min(float(np.min(sweep.cosine)), float(np.min(sweep.norm_ratio))) - 0.03
    return dict(xaxis_range=[-0.5, sweep.T - 0.5], yaxis_range=[lo, hi],
                xaxis2_range=[0, sweep.T], yaxis2_range=[bottom, top])


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
    sweep : bpttlib.sweeps.TruncationSweep
        From :func:`~bpttlib.sweeps.truncation_sweep`.
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
    c = _style.REMEDY_COLORS
    fig.add_trace(go.Scatter(mode="lines+markers", name="kept (length ≤ k)",
                             line=dict(color=c["kept"], width=2.5), marker=dict(size=6),
                             **state[0]), row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines+markers", name="dropped (length > k)",
                             line=dict(color=c["dropped"], width=2), marker=dict(size=5),
                             **state[1]), row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines", name="cut", showlegend=False, hoverinfo="skip",
                             line=dict(color="#444", dash="dash", width=1.5), **state[2]),
                  row=1, col=1)
    sweep_state = truncation_sweep_traces(sweep)
    fig.add_trace(go.Scatter(mode="lines", name="cosine(g<sub>k</sub>, g)",
                             line=dict(color=c["kept"]), **sweep_state[3]), row=1, col=2)
    fig.add_trace(go.Scatter(mode="lines", name="‖g<sub>k</sub>‖ / ‖g‖",
                             line=dict(color=c["ratio"], dash="dot"), **sweep_state[4]),
                  row=1, col=2)
    for idx, color in ((5, c["kept"]), (6, c["ratio"])):
        fig.add_trace(go.Scatter(mode="markers+text", showlegend=False,
                                 marker=dict(color=color, size=11), textfont=dict(color=color),
                                 **state[idx]), row=1, col=2)
    fig.update_xaxes(title_text="chain length (steps)", row=1, col=1)
    fig.update_yaxes(title_text="log<sub>10</sub> ‖term‖<sub>F</sub>", row=1, col=1)
    fig.update_xaxes(title_text="truncation length k", row=1, col=2)
    _style.frame(fig, title=title, height=470, top=50, **truncation_layout(sweep),
                 legend=dict(orientation="h", x=0, y=-0.18, yanchor="top"))
    if slider:
        steps = _controls.restyle_steps([truncation_traces(sweep, kk) for kk in sweep.ks.tolist()],
                                        [str(kk) for kk in sweep.ks.tolist()],
                                        ("x", "y", "text", "textposition"))
        _style.frame(
            fig, title=title, height=560, top=60,
            legend=dict(orientation="h", x=0, y=1.08, yanchor="bottom"),
            sliders=[_controls.slider(steps, active=int(np.flatnonzero(sweep.ks == k)[0]),
                                      prefix="truncation length k = ")],
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
    panels = check_mapping(panels, "panels")
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
    logs = {n: log10(m) for n, m in mats.items()}
    span = finite_span(*logs.values())
    lo, hi = (math.floor(span[0]), math.ceil(span[1])) if span else (-1.0, 0.0)
    fig = make_subplots(rows=1, cols=len(mats), subplot_titles=list(mats),
                        horizontal_spacing=0.06, shared_yaxes=True)
    steps = list(range(1, T + 1))
    for i, (name, v) in enumerate(logs.items()):
        z = [rounded(row, 4) for row in v]
        fig.add_trace(go.Heatmap(
            x=steps, y=steps, z=z, coloraxis="coloraxis", name=name, xgap=1, ygap=1,
            hovertemplate="loss step t = %{y}<br>credited step t′ = %{x}<br>"
                          "log<sub>10</sub> ‖∂L<sub>t</sub>/∂a<sub>t′</sub>‖ = %{z}<extra></extra>",
        ), row=1, col=i + 1)
        fig.update_xaxes(title_text="credited step t′", row=1, col=i + 1)
    fig.update_yaxes(autorange="reversed", title_text="loss step t", row=1, col=1)
    _style.frame(
        fig, title=title, height=420, top=40,
        coloraxis=dict(colorscale="Viridis", cmin=lo, cmax=hi, colorbar=dict(
            thickness=14, title=dict(text="log<sub>10</sub><br>credit", side="top"))),
    )
    return fig




def randomized_figure(sweep, *, title: str | None = None) -> go.Figure:
    """Bias of fixed truncation against the variance of randomized truncation, over ``k``.

    Parameters
    ----------
    sweep : bpttlib.sweeps.RandomizedSweep
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Left: cosines with the exact gradient (window, chunks, one randomized draw, the mean of
        all draws). Right: ``‖ĝ − g‖² / ‖g‖²`` on a log axis (bias² of the fixed schemes, mean
        squared error = variance of the randomized one).

    Notes
    -----
    Book labels: eq-truncated-bptt, eq-bptt-hh, eq-randomized-truncation.
    """
    from ..sweeps import RandomizedSweep

    check_instance(sweep, "sweep", RandomizedSweep)
    c = _style.PALETTE
    ks = [int(k) for k in sweep.ks]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        "cosine with the exact gradient", "squared error ‖ĝ − g‖² / ‖g‖²"))
    series = [("window (truncate = k)", sweep.window_cosine, sweep.window_error, c[0], None),
              ("chunks of k: BPTT(k; k)", sweep.chunk_cosine, sweep.chunk_error, c[3], None),
              ("randomized, mean length k: one draw", sweep.random_cosine, sweep.random_error,
               c[1], None),
              (f"randomized: mean of {sweep.draws} draws", sweep.mean_cosine, None, c[1], "dot")]
    for name, cos, err, color, dash in series:
        fig.add_trace(go.Scatter(x=ks, y=rounded(cos, SLIDER_DIGITS), mode="lines+markers",
                                 name=name, legendgroup=name,
                                 line=dict(color=color, dash=dash)), row=1, col=1)
        if err is not None:
            fig.add_trace(go.Scatter(x=ks, y=rounded(err, SLIDER_DIGITS), mode="lines+markers",
                                     name=name, legendgroup=name, showlegend=False,
                                     line=dict(color=color, dash=dash)), row=1, col=2)
    fig.update_xaxes(title_text="truncation length k")  # randomized: mean length (legend)
    fig.update_yaxes(title_text="cosine", row=1, col=1)
    fig.update_yaxes(type="log", title_text="relative squared error", row=1, col=2)
    _style.frame(fig, title=title, height=460, top=40, bottom=150,
                 legend=dict(orientation="h", x=0, y=-0.22, yanchor="top"))
    return fig
