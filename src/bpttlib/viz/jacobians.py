"""Part II, step Jacobians: activation derivatives and the scalar chain ``|w|^(T−k)``.

Builders for book/jacobians.md and the figure that the live dashboard
:func:`bpttlib.widgets.power_explorer` starts from and updates through (:func:`power_traces`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import activations as _activations
from .._checks import as_float_array, check_ndim, check_real
from . import _controls, _style
from ._controls import SLIDER_DIGITS, rounded


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
        color = _style.ACTIVATION_COLORS[name]
        dash = "dash" if name == "linear" else None
        fig.add_trace(go.Scatter(x=rounded(a, SLIDER_DIGITS), y=rounded(d, SLIDER_DIGITS),
                                 mode="lines", name=name, legendgroup=name,
                                 line=dict(color=color, dash=dash)), row=1, col=1)
        fig.add_trace(go.Scatter(x=rounded(a, SLIDER_DIGITS), y=rounded(logd, SLIDER_DIGITS),
                                 mode="lines", name=name, legendgroup=name, showlegend=False,
                                 line=dict(color=color, dash=dash)), row=1, col=2)
    for g, text in ((1.0, "γ = 1 (tanh, ReLU)"), (0.25, "γ = 1/4 (sigmoid)")):
        fig.add_hline(y=g, line=dict(color="#999", dash="dot", width=1), row=1, col=1,
                      annotation_text=text, annotation_position="top left",
                      annotation_xshift=12)
    fig.update_xaxes(title_text="pre-activation a")
    fig.update_yaxes(range=[-0.05, 1.15], row=1, col=1)
    _style.frame(fig, height=420, top=50, left=60)
    return fig


#: The recurrent weights offered by the power dashboard (its y axis is fixed to fit them all).
POWER_W_RANGE = (0.5, 1.5)


def power_traces(w: float, T: int) -> dict[int, dict]:
    """The scalar linear RNN's ``log10 |w|^(T−k)`` against the distance ``T − k``.

    Parameters
    ----------
    w : float
        Recurrent weight, ``w != 0``.
    T : int
        Sequence length, ``>= 1``.

    Returns
    -------
    dict of int to dict
        Trace 0: ``x`` the distances ``0 … T``, ``y`` the log10 factors (arrays of shape
        ``(T+1,)``).

    Notes
    -----
    For ``s_t = w s_{t−1} + x_t`` each step Jacobian is ``w``, so ``∂s_T/∂s_k = w^(T−k)``
    (book label: eq-jacobian-product).
    """
    lag = np.arange(int(T) + 1)
    return {0: dict(x=lag, y=lag * np.log10(abs(float(w))))}


def power_layout(T: int) -> dict:
    """Axis ranges of :func:`power_figure`: fixed for every ``w`` in ``POWER_W_RANGE``.

    Parameters
    ----------
    T : int

    Returns
    -------
    dict
        ``xaxis_range`` and ``yaxis_range``: ``T·log10 0.5 … T·log10 1.5`` plus 5 % padding, so
        that a change of ``w`` moves the line instead of the axis.
    """
    lo, hi = (T * math.log10(w) for w in POWER_W_RANGE)
    pad = 0.05 * (hi - lo)
    return dict(xaxis_range=[0, int(T)], yaxis_range=[lo - pad, hi + pad])


def power_figure(w: float = 0.9, T: int = 50) -> go.Figure:
    """``log10 |∂s_T/∂s_k| = (T−k)·log10 |w|`` of the scalar linear RNN.

    Parameters
    ----------
    w : float, optional
        Recurrent weight, ``w != 0``.
    T : int, optional
        Sequence length, ``>= 1``.

    Returns
    -------
    plotly.graph_objects.Figure
        One trace (:func:`power_traces`); the axes are fixed by :func:`power_layout`.

    Notes
    -----
    Book label: eq-jacobian-product.
    """
    w = check_real(w, "w")
    if w == 0:
        raise ValueError("w: expected a non-zero weight (log10 |w|), got 0")
    fig = go.Figure(go.Scatter(mode="lines", name="log10 |w|^(T-k)", line=dict(width=2.5)))
    _style.frame(fig, height=380, xaxis_title="distance T − k",
                 yaxis_title="log<sub>10</sub> |∂s<sub>T</sub>/∂s<sub>k</sub>|")
    _controls.apply_state(fig, power_traces(w, T), power_layout(T))
    return fig
