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


# =================================================================================================
# Part II: the gradient-decay dashboard (issue #5)
# =================================================================================================

from . import activations as _activations  # noqa: E402
from . import jacobians as _jacobians  # noqa: E402
from . import viz as _viz  # noqa: E402
from ._checks import check_int, check_name, check_seed  # noqa: E402

__all__ += ["decay_explorer"]

#: W_s kinds offered by :func:`decay_explorer`, as (label, value).
DECAY_KINDS = (("Gaussian", "gaussian"), ("orthogonal", "orthogonal"), ("non-normal", "nonnormal"))
#: Hidden sizes offered by :func:`decay_explorer` (another size given as default is added).
DECAY_HIDDEN = (4, 8, 16, 32, 64, 128, 256)


def decay_explorer(
    *,
    spectral_radius: float = 1.0,
    activation: str = "tanh",
    n_hidden: int = 32,
    T: int = 100,
    seed: int = 0,
    input_scale: float = 1.0,
    kind: str = "gaussian",
) -> Explorer:
    """``log10 ‖∂L_T/∂s_k‖`` against the distance ``T − k``, recomputed live by bpttlib.

    Parameters
    ----------
    spectral_radius : float
        ``ρ(W_s)``, in [0, 3].
    activation : str
        ``"tanh"``, ``"sigmoid"``, ``"relu"`` or ``"linear"``.
    n_hidden : int
        Hidden size ``H``, in [1, 512].
    T : int
        Sequence length, in [1, 1000].
    seed : int
        Seeds ``W_s``, the other weights and the input sequence, ``>= 0``.
    input_scale : float
        Standard deviation of the inputs, in [0, 5] (large values saturate tanh and sigmoid).
    kind : str
        ``"gaussian"``, ``"orthogonal"`` or ``"nonnormal"``: the kind of ``W_s``.

    Returns
    -------
    Explorer
        ``controls`` has the keys ``"spectral_radius"``, ``"activation"``, ``"n_hidden"``,
        ``"T"``, ``"seed"``, ``"input_scale"`` and ``"kind"``; ``figure`` (a FigureWidget) holds
        the curve (trace 0) and the bound of eq-jacobian-bound (trace 1, dashed). Where the
        curve passes float64's range a dotted line and a note say so; exact zeros are left out;
        the figure never holds NaN or inf.

    Notes
    -----
    Each change calls :func:`bpttlib.jacobians.decay_curve` (log space, ``O(T·H²)``): about
    5 ms at H = 128, T = 200. Book label: eq-grad-decay.
    """
    rho = check_real(spectral_radius, "spectral_radius")
    if not 0.0 <= rho <= 3.0:
        raise ValueError(f"spectral_radius: expected a number in [0, 3], got {rho}")
    activation = _activations.get(activation).name
    n_hidden = check_positive_int(n_hidden, "n_hidden")
    if n_hidden > 512:
        raise ValueError(f"n_hidden: expected an integer in [1, 512], got {n_hidden}")
    T = check_positive_int(T, "T")
    if T > 1000:
        raise ValueError(f"T: expected an integer in [1, 1000], got {T}")
    seed = check_seed(check_int(seed, "seed"))
    input_scale = check_real(input_scale, "input_scale")
    if not 0.0 <= input_scale <= 5.0:
        raise ValueError(f"input_scale: expected a number in [0, 5], got {input_scale}")
    kind = check_name(kind, "kind", [v for _, v in DECAY_KINDS])
    style = {"description_width": "initial"}
    wide = W.Layout(width="330px")
    controls = {
        "spectral_radius": W.FloatSlider(value=rho, min=0.0, max=3.0, step=0.01,
                                         description="ρ(W_s)", style=style, layout=wide,
                                         continuous_update=True),
        "activation": W.Dropdown(options=list(_activations.ACTIVATIONS), value=activation,
                                 description="activation φ", style=style),
        "kind": W.Dropdown(options=list(DECAY_KINDS), value=kind, description="W_s",
                           style=style),
        "T": W.IntSlider(value=T, min=1, max=1000, step=1, description="T", style=style,
                         layout=wide),
        "n_hidden": W.Dropdown(options=sorted({*DECAY_HIDDEN, n_hidden}), value=n_hidden,
                               description="hidden size H", style=style),
        "input_scale": W.FloatSlider(value=input_scale, min=0.0, max=5.0, step=0.05,
                                     description="input scale", style=style, layout=wide),
        "seed": W.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed",
                                 style=style, layout=W.Layout(width="160px")),
    }
    figure = go.FigureWidget([
        go.Scatter(mode="lines", name="‖∂L<sub>T</sub>/∂s<sub>k</sub>‖",
                   line=dict(width=2.5)),
        go.Scatter(mode="lines", name="bound (γ σ<sub>max</sub>)<sup>T−k</sup>",
                   line=dict(width=1.5, dash="dash"), hoverinfo="skip"),
    ])
    figure.update_layout(
        template=_viz.TEMPLATE, height=460, xaxis_title=_viz.DISTANCE_TITLE,
        yaxis_title=_viz.DECAY_Y_TITLE, margin=dict(l=70, r=20, t=60, b=40),
        legend=dict(orientation="h", x=1, xanchor="right", y=1.0, yanchor="bottom"),
    )

    shown = {}  # what the figure shows besides the data: only changes are sent to plotly

    def redraw(fig, *, spectral_radius, activation, kind, T, n_hidden, input_scale, seed):
        curve = _jacobians.decay_curve(spectral_radius, activation, n_hidden=n_hidden, T=T,
                                       kind=kind, seed=seed, input_scale=input_scale)
        line = _viz.decay_line(curve)
        curve_trace, bound_trace = fig.data
        curve_trace.x, curve_trace.y = line.x, line.y
        bound_trace.x, bound_trace.y = line.bound_x, line.bound_y
        color = _viz.ACTIVATION_COLORS[activation]
        if shown.get("color") != color:
            curve_trace.line.color = bound_trace.line.color = shown["color"] = color
        marks = (line.overflow, line.underflow, line.notes)
        if shown.get("marks") != marks:
            shapes, notes = _viz.float64_limit_marks(overflow=line.overflow,
                                                     underflow=line.underflow)
            if line.notes:
                notes.append(_viz.notes_annotation(line.notes, top=False))
            fig.layout.shapes, fig.layout.annotations = shapes, notes
            shown["marks"] = marks
        title = (
            f"ρ(W<sub>s</sub>) = {curve.spectral_radius:.2f}, σ<sub>max</sub>(W<sub>s</sub>) = "
            f"{curve.sigma_max:.2f}, γ = {curve.gamma:g}: the bound's rate γσ<sub>max</sub> = "
            f"{curve.gamma * curve.sigma_max:.2f} per step"
        )
        if shown.get("title") != title:
            fig.layout.title.text = shown["title"] = title

    explorer = Explorer(controls, figure, redraw)
    explorer.children[0].layout.flex_flow = "row wrap"  # seven controls: let them wrap
    return explorer
