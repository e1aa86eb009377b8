"""Part III: leaky units, echo-state networks and an exactly orthogonal recurrence.

Builders for book/remedies.md: the gradient decay of leaky units over their rate ``α``
(data from ``bpttlib.sweeps.leaky_decay_curves``), the memory capacity of random reservoirs
over the spectral radius (``bpttlib.sweeps.memory_capacity_sweep``), and how far a trained
``W_s`` drifts from orthogonal, per seed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .. import sweeps as _sweeps
from .._checks import as_float_array, check_ndim, shape_str
from . import _style
from ._controls import SLIDER_DIGITS, check_mapping, log10, rounded
from .lines import lines_figure


def leaky_decay_figure(
    alphas: Sequence[float],
    *,
    spectral_radius: float = 1.0,
    T: int = 100,
    n_hidden: int = 32,
    seed: int = 0,
) -> go.Figure:
    """Gradient decay of a leaky tanh RNN, one curve per rate ``α``.

    Parameters
    ----------
    alphas : sequence of float
        Rates in ``(0, 1]`` (``α = 1``: the vanilla RNN).
    spectral_radius, T, n_hidden, seed : optional
        See :func:`bpttlib.leaky.leaky_decay_curve`.

    Returns
    -------
    plotly.graph_objects.Figure
        ``log10 ‖∂L_T/∂s_k‖`` against the distance ``T − k``.

    Notes
    -----
    Book labels: eq-leaky-jacobian, eq-grad-decay.
    """
    curves = _sweeps.leaky_decay_curves(alphas, spectral_radius=spectral_radius, T=T,
                                        n_hidden=n_hidden, seed=seed)
    lines = {f"α = {float(a):g}": c for a, c in zip(alphas, curves)}
    return lines_figure(np.arange(T + 1), lines, x_title=_style.DISTANCE_TITLE,
                        y_title=_style.DECAY_Y_TITLE,
                        title="Leaky tanh units: gradient decay by rate α")


def memory_capacity_figure(
    radii: Sequence[float],
    capacity: object,
    *,
    n_hidden: int,
) -> go.Figure:
    """Memory capacity of random reservoirs against ``ρ(W_s)``: median and range over seeds.

    Parameters
    ----------
    radii : array_like, shape (R,)
    capacity : array_like, shape (S, R)
        One row per seed (``bpttlib.sweeps.memory_capacity_sweep``).
    n_hidden : int
        ``H``, drawn as the upper bound.

    Returns
    -------
    plotly.graph_objects.Figure

    Notes
    -----
    Book label: eq-esn-memory.
    """
    x = check_ndim(as_float_array(radii, "radii"), "radii", (1,), "(R,)")
    mc = check_ndim(as_float_array(capacity, "capacity"), "capacity", (2,), "(S, R)")
    if mc.shape[1] != x.size:
        raise ValueError(f"capacity: expected shape (S, {x.size}), got {shape_str(mc.shape)}")
    color = _style.MODEL_COLORS["rnn"]
    fig = go.Figure()
    xs = rounded(x, SLIDER_DIGITS)
    fig.add_trace(go.Scatter(x=xs + xs[::-1],
                             y=rounded(mc.max(0), SLIDER_DIGITS) + rounded(mc.min(0)[::-1],
                                                                         SLIDER_DIGITS),
                             mode="lines", fill="toself",
                             fillcolor=_style.translucent(color, 0.2),
                             line=dict(width=0), name=f"range over {mc.shape[0]} seeds",
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=xs, y=rounded(np.median(mc, 0), SLIDER_DIGITS),
                             mode="lines+markers", name="median", line=dict(color=color)))
    fig.add_hline(y=float(n_hidden), line=dict(color="#999", width=1, dash="dash"),
                  annotation_text=f"H = {n_hidden}", annotation_position="bottom right")
    _style.frame(fig, title="Echo-state network: memory capacity by spectral radius",
                 height=420, xaxis_title="spectral radius ρ(W<sub>s</sub>)",
                 yaxis_title="memory capacity MC = Σ<sub>d</sub> r<sup>2</sup>(d)",
                 showlegend=True, legend=_style.LEGEND_BELOW)
    fig.update_yaxes(rangemode="tozero")
    return fig


def orthogonality_figure(
    steps: Sequence[int],
    errors: Mapping[str, object],
) -> go.Figure:
    """``log10 ‖W_sᵀW_s − I‖₂`` during training, each seed a faint line, the median bold.

    Parameters
    ----------
    steps : array_like of int, shape (N,)
        The training steps where the error was measured.
    errors : mapping of str to array_like, shape (S, N)
        Legend name -> one row per seed (values ``>= 0``; an exact 0 is a gap).

    Returns
    -------
    plotly.graph_objects.Figure

    Notes
    -----
    Book label: eq-cayley.
    """
    x = check_ndim(as_float_array(steps, "steps"), "steps", (1,), "(N,)")
    errors = check_mapping(errors, "errors")
    fig = go.Figure()
    for i, (name, rows) in enumerate(errors.items()):
        rows = check_ndim(as_float_array(rows, f"errors[{name!r}]"), f"errors[{name!r}]", (2,),
                          "(S, N)")
        if rows.shape[1] != x.size:
            raise ValueError(f"errors[{name!r}]: expected shape (S, {x.size}), "
                             f"got {shape_str(rows.shape)}")
        color = _style.PALETTE[i % len(_style.PALETTE)]
        for j, row in enumerate(log10(rows)):
            fig.add_trace(go.Scatter(x=rounded(x), y=rounded(row), mode="lines",
                                     line=dict(color=_style.translucent(color, 0.35), width=1),
                                     name=f"{name}, seed {j}", showlegend=False,
                                     legendgroup=str(name)))
        fig.add_trace(go.Scatter(x=rounded(x), y=rounded(np.median(log10(rows), 0)),
                                 mode="lines", name=f"{name} (median of {rows.shape[0]} seeds)",
                                 line=dict(color=color, width=2.5), legendgroup=str(name)))
    _style.frame(fig, title="Distance from orthogonal during training", height=420,
                 xaxis_title="training step",
                 yaxis_title="log<sub>10</sub> ‖W<sub>s</sub><sup>T</sup>W<sub>s</sub> − I‖",
                 showlegend=True, legend=_style.LEGEND_BELOW)
    return fig
