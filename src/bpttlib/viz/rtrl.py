"""Part I: forward against backward mode — what BPTT and RTRL hold and compute.

Data from :func:`bpttlib.sweeps.rtrl_costs` (operation counts, not timings: every build draws
the same figure).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._checks import check_instance
from ..sweeps import RTRLCosts
from . import _style
from ._controls import rounded

__all__ = ["rtrl_cost_figure"]

_DASH = {"bptt": "solid", "rtrl": "dash"}
_NAME = {"bptt": "BPTT", "rtrl": "RTRL"}


def rtrl_cost_figure(costs: RTRLCosts, *, title: str | None = None) -> go.Figure:
    """Floats held and multiply-adds against ``T``, one colour per ``H``, one dash per method.

    Parameters
    ----------
    costs : bpttlib.sweeps.RTRLCosts
    title : str, optional
        Default: a title naming the comparison.

    Returns
    -------
    plotly.graph_objects.Figure
        Two panels on log-log axes (left: floats held, right: multiply-adds per gradient),
        ``2 · NH`` lines each (BPTT solid, RTRL dashed), and on the left a marker where BPTT
        starts to hold more floats than RTRL (the crossover, when it lies in the range of ``T``).

    Notes
    -----
    The counts of :func:`bpttlib.rtrl.cost`. Book labels: eq-rtrl, eq-delta-recursion.
    """
    check_instance(costs, "costs", RTRLCosts)
    Ts = costs.lengths
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("memory: floats held", "work: multiply-adds"))
    for i, H in enumerate(costs.hidden):
        color = _style.PALETTE[i % len(_style.PALETTE)]
        for method in ("bptt", "rtrl"):
            for col, table in ((1, costs.floats), (2, costs.multiply_adds)):
                fig.add_trace(go.Scatter(
                    x=Ts.tolist(), y=rounded(table[method][i]), mode="lines",
                    name=f"{_NAME[method]}, H = {H}", legendgroup=f"{method}{H}",
                    showlegend=col == 1, line=dict(color=color, dash=_DASH[method]),
                    hovertemplate=f"{_NAME[method]}, H = {H}<br>T = %{{x}}<br>%{{y:.3g}}"
                                  "<extra></extra>"), row=1, col=col)
        T_x = int(costs.crossover[i])
        if Ts[0] <= T_x <= Ts[-1]:
            y = float(np.interp(np.log(T_x), np.log(Ts), np.log(costs.floats["bptt"][i])))
            fig.add_trace(go.Scatter(
                x=[T_x], y=rounded(np.exp([y])), mode="markers", showlegend=False,
                marker=dict(color=color, size=9, symbol="circle-open", line=dict(width=2)),
                hovertemplate=f"H = {H}: BPTT holds more from T = {T_x}<extra></extra>"),
                row=1, col=1)
    fig.update_xaxes(type="log", title="sequence length T", exponentformat="power")
    fig.update_yaxes(type="log", exponentformat="power", dtick=1)
    fig.update_yaxes(title="floats held", row=1, col=1)
    fig.update_yaxes(title="multiply-adds per gradient", dtick=2, row=1, col=2)
    _style.frame(fig, title=title or "BPTT against RTRL: memory and work (counts, I = "
                 f"{costs.n_in}, O = {costs.n_out})", height=460, top=60, bottom=50)
    return fig
