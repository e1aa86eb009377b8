"""Part II: what vanishing costs a language model (``book/agreement.md``).

:func:`agreement_figure` draws the stored agreement study (``bpttlib.agreement``): test
accuracy against the subject–verb distance, and against the number of attractors at one
distance, each model's median over the seeds as a line and the range as a band.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._checks import as_float_array, check_ndim
from . import _style
from ._controls import SLIDER_DIGITS, check_mapping, rounded

__all__ = ["agreement_figure"]


def _bands(name: str, x: np.ndarray, spread: Mapping[str, object]) -> dict[str, np.ndarray]:
    out = {}
    for model, arr in check_mapping(spread, name).items():
        arr = as_float_array(arr, f"{name}[{model!r}]")
        if arr.shape != (3, x.size):
            raise ValueError(f"{name}[{model!r}]: expected shape (3, {x.size}) (median, low, "
                             f"high), got {arr.shape}")
        out[model] = arr
    return out


def agreement_figure(distances: Sequence[int], by_distance: Mapping[str, object],
                     attractors: Sequence[int], by_attractors: Mapping[str, object], *,
                     distance: int, chance: float = 0.5, title: str | None = None) -> go.Figure:
    """Accuracy against distance and against attractors, median and range over seeds.

    Parameters
    ----------
    distances : sequence of int, length D
    by_distance : mapping of str to array_like, shape (3, D)
        Model name (a key of ``MODEL_LABELS``) -> median, lowest and highest accuracy.
    attractors : sequence of int, length K
    by_attractors : mapping of str to array_like, shape (3, K)
        The same at one distance, against the number of attractors.
    distance : int
        The distance of the right panel (its title).
    chance : float, optional
        Accuracy of guessing, drawn as a grey line.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Two panels; per model a shaded band (range over seeds) and a line with markers
        (median), in the model's colour.
    """
    d = check_ndim(as_float_array(distances, "distances"), "distances", (1,), "(D,)")
    k = check_ndim(as_float_array(attractors, "attractors"), "attractors", (1,), "(K,)")
    panels = ((d, _bands("by_distance", d, by_distance)),
              (k, _bands("by_attractors", k, by_attractors)))
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        "trained and tested at each distance", f"distance {distance}, by attractors"))
    for col, (x, bands) in enumerate(panels, start=1):
        xs = rounded(x, SLIDER_DIGITS)
        for model, (median, low, high) in bands.items():
            color = _style.MODEL_COLORS.get(model, _style.GREY)
            label = _style.MODEL_LABELS.get(model, model)
            fig.add_trace(go.Scatter(x=xs, y=rounded(low, SLIDER_DIGITS), mode="lines",
                                     line=dict(width=0, color=color), showlegend=False,
                                     hoverinfo="skip", name=f"{label}: lowest seed"),
                          row=1, col=col)
            fig.add_trace(go.Scatter(x=xs, y=rounded(high, SLIDER_DIGITS), mode="lines",
                                     line=dict(width=0, color=color), fill="tonexty",
                                     fillcolor=_style.translucent(color, 0.2), showlegend=False,
                                     hoverinfo="skip", name=f"{label}: highest seed"),
                          row=1, col=col)
            fig.add_trace(go.Scatter(x=xs, y=rounded(median, SLIDER_DIGITS),
                                     mode="lines+markers", name=f"{label} (median, range)",
                                     line=dict(color=color, width=2.5), showlegend=col == 1),
                          row=1, col=col)
        fig.add_hline(y=chance, line=dict(color=_style.BASELINE_COLOR, width=1, dash="dot"),
                      row=1, col=col)
    _style.frame(fig, title=title, height=480, top=60, showlegend=True,
                 legend=_style.LEGEND_ABOVE)
    fig.update_layout(legend=dict(y=-0.2, yanchor="top"), margin=dict(b=90))
    fig.update_xaxes(title_text="subject–verb distance (steps)", type="log", tickmode="array",
                     tickvals=d.tolist(), ticktext=[f"{v:g}" for v in d], row=1, col=1)
    fig.update_xaxes(title_text="attractors between subject and verb", row=1, col=2)
    fig.update_yaxes(title_text="test accuracy", range=[0.4, 1.02], row=1, col=1)
    fig.update_yaxes(title_text="test accuracy", range=[0.4, 1.02], row=1, col=2)
    return fig
