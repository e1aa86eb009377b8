"""Live dashboards for JupyterLab, Binder and Colab: ipywidgets controls + a plotly FigureWidget.

This is the only bpttlib module that imports ipywidgets. Each dashboard is an :class:`Explorer`:
a widget whose ``controls`` dict holds its named ipywidgets controls and whose ``figure`` is the
``plotly.graph_objects.FigureWidget`` it redraws, so tests and benchmarks can drive it without a
browser (``ex.controls["w"].value = 1.1`` recomputes and updates ``ex.figure``).

In the static book these cells are tagged ``remove-output``: callbacks need a kernel. A
kernel-free plotly slider (:mod:`bpttlib.viz`) stands in for them there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from ._checks import check_positive_int, check_real

__all__ = ["Explorer", "power_explorer"]


class Explorer(W.VBox):
    """Controls plus a figure that ``redraw`` refreshes whenever a control changes.

    Parameters
    ----------
    controls : mapping of str to ipywidgets.ValueWidget
        The knobs, by name; their ``value`` is passed to ``redraw`` as keyword arguments.
    figure : plotly.graph_objects.FigureWidget
        The figure that ``redraw`` updates in place.
    redraw : callable
        ``redraw(figure, **values)``; called once at construction and after every change.
    """

    def __init__(
        self,
        controls: Mapping[str, W.ValueWidget],
        figure: go.FigureWidget,
        redraw: Callable[..., None],
    ) -> None:
        self.controls = dict(controls)
        self.figure = figure
        self._redraw = redraw
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        super().__init__([W.HBox(list(self.controls.values())), figure])
        self.update()

    def values(self) -> dict:
        """The controls' current values, by name."""
        return {name: c.value for name, c in self.controls.items()}

    def update(self) -> None:
        """Recompute and redraw from the controls' current values."""
        with self.figure.batch_update():
            self._redraw(self.figure, **self.values())

    def _on_change(self, _change) -> None:
        self.update()


def power_explorer(w: float = 0.9, T: int = 50) -> Explorer:
    """The scalar linear RNN's gradient factor ``|∂s_T/∂s_k| = |w|^(T-k)``, live.

    Parameters
    ----------
    w : float
        Initial recurrent weight, in [0.5, 1.5].
    T : int
        Initial sequence length, in [5, 200].

    Returns
    -------
    Explorer
        Controls ``"w"`` and ``"T"``; the figure plots log10 of the factor against ``T - k``.

    Notes
    -----
    For ``s_t = w s_{t-1} + x_t`` the step Jacobian is ``w``, so the chain from ``s_k`` to
    ``s_T`` multiplies ``T - k`` copies of it (book label: eq-jacobian-product).
    """
    w = check_real(w, "w")
    if not 0.5 <= w <= 1.5:
        raise ValueError(f"w: expected a number in [0.5, 1.5], got {w}")
    T = check_positive_int(T, "T")
    if not 5 <= T <= 200:
        raise ValueError(f"T: expected an integer in [5, 200], got {T}")
    controls = {
        "w": W.FloatSlider(value=w, min=0.5, max=1.5, step=0.01, description="w"),
        "T": W.IntSlider(value=T, min=5, max=200, step=1, description="T"),
    }
    figure = go.FigureWidget(go.Scatter(mode="lines", name="log10 |w|^(T-k)"))
    figure.update_layout(
        template="plotly_white",
        height=380,
        xaxis_title="distance T − k",
        yaxis_title="log<sub>10</sub> |∂s<sub>T</sub>/∂s<sub>k</sub>|",
    )

    def redraw(fig, *, w, T):
        lag = np.arange(T + 1)
        fig.data[0].x = lag
        fig.data[0].y = lag * np.log10(abs(w))

    return Explorer(controls, figure, redraw)
