"""Figure builders: data in, ``plotly.graph_objects.Figure`` out.

Nothing here computes a gradient (the kernels do) and nothing calls ``.show()``: a chapter
displays the returned figure, a test inspects it. Figures that must work in the static book
without a kernel carry their own precomputed states in plotly's ``sliders``/``updatemenus``.

Labels use plotly's HTML subset (``‖∂s<sub>t</sub>/∂s<sub>k</sub>‖``), not LaTeX: a page
without display math does not load MathJax.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ._checks import as_float_array, check_ndim

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
