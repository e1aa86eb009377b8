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

from . import activations as _activations
from . import clipping as _clipping
from . import experiments as _experiments
from . import jacobians as _jacobians
from . import rnn as _rnn
from . import skip as _skip
from . import tasks as _tasks
from . import viz as _viz
from ._checks import check_int, check_name, check_positive_int, check_real, check_seed

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


# =================================================================================================
# Part III: truncated BPTT and the cliff, live (issue #6)
# =================================================================================================


__all__ += ["truncation_explorer", "cliff_explorer"]

#: W_s kinds offered by :func:`truncation_explorer`, as (label, value).
TRUNCATION_KINDS = (("Gaussian", "gaussian"), ("orthogonal", "orthogonal"))


def truncation_explorer(
    *,
    k: int = 5,
    T: int = 30,
    spectral_radius: float = 1.0,
    activation: str = "tanh",
    kind: str = "orthogonal",
    seed: int = 0,
) -> Explorer:
    """Truncated against exact BPTT on the agreement task, recomputed live.

    Parameters
    ----------
    k : int
        Truncation length, in [1, 199]; values ``>= T`` show exact BPTT (``k = T − 1``).
    T : int
        Sequence length of the agreement task, in [3, 200].
    spectral_radius : float
        ``ρ(W_s)``, in [0, 2].
    activation : str
        ``"tanh"``, ``"sigmoid"``, ``"relu"`` or ``"linear"``.
    kind : str
        ``"gaussian"`` or ``"orthogonal"``: the kind of ``W_s``.
    seed : int
        Seeds the network and the batch (32 sequences), ``>= 0``.

    Returns
    -------
    Explorer
        ``controls`` has the keys ``"k"``, ``"T"``, ``"spectral_radius"``, ``"activation"``,
        ``"kind"`` and ``"seed"``; ``figure`` is :func:`bpttlib.viz.truncation_figure` without
        its slider (a FigureWidget), redrawn in place.

    Notes
    -----
    A change of ``k`` only re-splits a cached :func:`bpttlib.viz.truncation_sweep`; any other
    change recomputes the sweep: ``T − 1`` truncated backward passes, ``O(T³·H²)`` with
    ``H = 16`` (about 0.2 s at T = 30, a few seconds at T = 200). The loss is the
    cross-entropy of the verb at the last step (many-to-one). Book label: eq-truncated-bptt.
    """
    k = check_positive_int(k, "k")
    if k > 199:
        raise ValueError(f"k: expected an integer in [1, 199], got {k}")
    T = check_int(T, "T", minimum=3)
    if T > 200:
        raise ValueError(f"T: expected an integer in [3, 200], got {T}")
    rho = check_real(spectral_radius, "spectral_radius")
    if not 0.0 <= rho <= 2.0:
        raise ValueError(f"spectral_radius: expected a number in [0, 2], got {rho}")
    activation = _activations.get(activation).name
    kind = check_name(kind, "kind", [v for _, v in TRUNCATION_KINDS])
    seed = check_seed(check_int(seed, "seed"))
    style = {"description_width": "initial"}
    wide = W.Layout(width="300px")
    controls = {
        "k": W.IntSlider(value=k, min=1, max=199, step=1, description="truncation k",
                         style=style, layout=wide),
        "T": W.IntSlider(value=T, min=3, max=200, step=1, description="length T", style=style,
                         layout=wide, continuous_update=False),
        "spectral_radius": W.FloatSlider(value=rho, min=0.0, max=2.0, step=0.05,
                                         description="ρ(W_s)", style=style, layout=wide,
                                         continuous_update=False),
        "activation": W.Dropdown(options=list(_activations.ACTIVATIONS), value=activation,
                                 description="activation φ", style=style),
        "kind": W.Dropdown(options=list(TRUNCATION_KINDS), value=kind, description="W_s",
                           style=style),
        "seed": W.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed",
                                 style=style, layout=W.Layout(width="160px")),
    }
    cache: dict = {}

    def sweep_for(T, spectral_radius, activation, kind, seed):
        key = (T, spectral_radius, activation, kind, seed)
        if key not in cache:
            cache.clear()
            xs, verbs = _tasks.agreement_task(32, T, seed=seed, attractors=False)
            targets, mask = _tasks.many_to_one(verbs, T)
            params = _rnn.init(xs.shape[-1], 16, 2, spectral_radius=spectral_radius, seed=seed,
                               kind=kind)
            cache[key] = _viz.truncation_sweep(params, xs, targets, activation=activation,
                                               loss="xent", mask=mask)
        return cache[key]

    first = sweep_for(T, rho, activation, kind, seed)
    figure = go.FigureWidget(_viz.truncation_figure(first, k=min(k, T - 1), slider=False,
                                                    title=" "))  # room for the title

    def redraw(fig, *, k, T, spectral_radius, activation, kind, seed):
        sweep = sweep_for(T, spectral_radius, activation, kind, seed)
        kk = min(k, T - 1)
        fresh = _viz.truncation_figure(sweep, k=kk, slider=False)
        for i, trace in enumerate(fresh.data):
            fig.data[i].update(x=trace.x, y=trace.y, text=trace.text,
                               textposition=trace.textposition)
        fig.layout.xaxis.range = fresh.layout.xaxis.range
        fig.layout.yaxis.range = fresh.layout.yaxis.range
        fig.layout.xaxis2.range = fresh.layout.xaxis2.range
        fig.layout.yaxis2.range = fresh.layout.yaxis2.range
        i = int(np.flatnonzero(sweep.ks == kk)[0])
        note = " (k ≥ T − 1: exact BPTT)" if k >= T - 1 else ""
        fig.layout.title.text = (
            f"k = {kk}{note}: cosine {sweep.cosine[i]:.4f}, norm ratio "
            f"{sweep.norm_ratio[i]:.3f} ({activation}, ρ(W<sub>s</sub>) = {spectral_radius:.2f})"
        )

    explorer = Explorer(controls, figure, redraw)
    explorer.children[0].layout.flex_flow = "row wrap"
    return explorer


def cliff_explorer(
    *,
    lr: float = 3.0,
    clip: float = 0.2,
    w0: float = 4.0,
    b0: float = -4.0,
    steps: int = 60,
) -> Explorer:
    """Gradient descent on the cliff model, with and without norm clipping, live.

    Parameters
    ----------
    lr : float
        Learning rate, in [0.01, 100].
    clip : float
        Clipping threshold ``θ``, in [0.001, 100].
    w0, b0 : float
        Starting point, ``w0`` in [−2, 14] and ``b0`` in [−8, 4] (the map's range).
    steps : int
        Descent steps, in [1, 300].

    Returns
    -------
    Explorer
        ``controls`` has the keys ``"lr"``, ``"clip"``, ``"w0"``, ``"b0"`` and ``"steps"``;
        ``figure`` is :func:`bpttlib.viz.cliff_figure` without its slider (a FigureWidget):
        trace 1 the unclipped path, trace 2 the clipped one, traces 4 and 5 their losses.

    Notes
    -----
    Each change runs :func:`bpttlib.clipping.cliff_descent` twice (a few milliseconds per
    step); the contour map is computed once. Book labels: eq-cliff-model, eq-clip-norm.
    """
    lr = check_real(lr, "lr")
    if not 0.01 <= lr <= 100:
        raise ValueError(f"lr: expected a number in [0.01, 100], got {lr}")
    clip = check_real(clip, "clip")
    if not 0.001 <= clip <= 100:
        raise ValueError(f"clip: expected a number in [0.001, 100], got {clip}")
    w0 = check_real(w0, "w0")
    if not -2.0 <= w0 <= 14.0:
        raise ValueError(f"w0: expected a number in [-2, 14], got {w0}")
    b0 = check_real(b0, "b0")
    if not -8.0 <= b0 <= 4.0:
        raise ValueError(f"b0: expected a number in [-8, 4], got {b0}")
    steps = check_positive_int(steps, "steps")
    if steps > 300:
        raise ValueError(f"steps: expected an integer in [1, 300], got {steps}")
    style = {"description_width": "initial"}
    wide = W.Layout(width="300px")
    controls = {
        "lr": W.FloatLogSlider(value=lr, base=10, min=-2, max=2, step=0.05,
                               description="learning rate", style=style, layout=wide,
                               continuous_update=False),
        "clip": W.FloatLogSlider(value=clip, base=10, min=-3, max=2, step=0.05,
                                 description="threshold θ", style=style, layout=wide,
                                 continuous_update=False),
        "w0": W.FloatSlider(value=w0, min=-2.0, max=14.0, step=0.1, description="start w",
                            style=style, layout=wide, continuous_update=False),
        "b0": W.FloatSlider(value=b0, min=-8.0, max=4.0, step=0.1, description="start b",
                            style=style, layout=wide, continuous_update=False),
        "steps": W.IntSlider(value=steps, min=1, max=300, step=1, description="steps",
                             style=style, layout=wide, continuous_update=False),
    }
    ws, bs = np.linspace(-2.0, 14.0, 121), np.linspace(-8.0, 4.0, 97)
    surface = _clipping.cliff_loss(ws[None, :], bs[:, None])

    def paths(lr, clip, w0, b0, steps):
        raw = _clipping.cliff_descent(w0, b0, lr=lr, steps=steps)
        return raw, _clipping.cliff_descent(w0, b0, lr=lr, steps=steps, clip=clip)

    raw, clipped = paths(lr, clip, w0, b0, steps)
    figure = go.FigureWidget(_viz.cliff_figure(ws, bs, surface, raw, [clipped], [clip],
                                               active=0, slider=False, title=" "))

    def redraw(fig, *, lr, clip, w0, b0, steps):
        try:
            raw, clipped = paths(lr, clip, w0, b0, steps)
        except ValueError as exc:  # an unclipped step overflowed float64: say so, keep going
            fig.layout.title.text = f"no clipping: {exc}"[:160]
            return
        fresh = _viz.cliff_figure(ws, bs, surface, raw, [clipped], [clip], active=0,
                                  slider=False)
        for i in (1, 2, 3, 4, 5):
            fig.data[i].update(x=fresh.data[i].x, y=fresh.data[i].y, name=fresh.data[i].name)
        fig.layout.annotations = fresh.layout.annotations
        fig.layout.yaxis2.range = fresh.layout.yaxis2.range
        fig.layout.title.text = (
            f"lr = {lr:.3g}: final E without clipping {raw.loss[-1]:.3g}, with θ = {clip:.3g} "
            f"{clipped.loss[-1]:.3g} ({int(clipped.clipped.sum())} of {steps} steps clipped)"
        )

    explorer = Explorer(controls, figure, redraw)
    explorer.children[0].layout.flex_flow = "row wrap"
    return explorer


# =================================================================================================
# Part III: gated cells and remedies, live (issue #6)
# =================================================================================================


__all__ += ["gated_decay_explorer", "skip_explorer"]


def _in_range(value: float, name: str, low: float, high: float) -> float:
    value = check_real(value, name)
    if not low <= value <= high:
        raise ValueError(f"{name}: expected a number in [{low:g}, {high:g}], got {value}")
    return value


def _int_in_range(value: int, name: str, low: int, high: int) -> int:
    value = check_int(value, name)
    if not low <= value <= high:
        raise ValueError(f"{name}: expected an integer in [{low}, {high}], got {value}")
    return value


def gated_decay_explorer(
    *,
    forget_bias: float = 1.0,
    T: int = 100,
    n_hidden: int = 32,
    seed: int = 0,
    input_scale: float = 1.0,
    spectral_radius: float = 1.0,
) -> Explorer:
    """tanh RNN, GRU and LSTM gradient decay ``log10 ‖∂L_T/∂h_k‖``, recomputed live.

    Parameters
    ----------
    forget_bias : float
        The LSTM's forget-gate bias, in [−3, 6].
    T : int
        Sequence length, in [1, 500].
    n_hidden : int
        Hidden size ``H``, in [1, 128].
    seed : int
        Seeds the three networks and the shared input sequence, ``>= 0``.
    input_scale : float
        Standard deviation of the inputs, in [0, 5].
    spectral_radius : float
        ``ρ(W_s)`` of the tanh RNN, in [0, 3].

    Returns
    -------
    Explorer
        ``controls``: ``"forget_bias"``, ``"T"``, ``"n_hidden"``, ``"seed"``, ``"input_scale"``,
        ``"spectral_radius"``; ``figure`` traces 0, 1, 2: tanh RNN, GRU, LSTM (by distance).

    Notes
    -----
    Each change calls :func:`bpttlib.viz.gated_decay_curves` (log space, no underflow).
    Book labels: eq-grad-decay, eq-lstm, eq-gru.
    """
    values = dict(
        forget_bias=_in_range(forget_bias, "forget_bias", -3.0, 6.0),
        T=_int_in_range(T, "T", 1, 500),
        n_hidden=_int_in_range(n_hidden, "n_hidden", 1, 128),
        seed=check_seed(check_int(seed, "seed")),
        input_scale=_in_range(input_scale, "input_scale", 0.0, 5.0),
        spectral_radius=_in_range(spectral_radius, "spectral_radius", 0.0, 3.0),
    )
    style, wide = {"description_width": "initial"}, W.Layout(width="330px")
    controls = {
        "forget_bias": W.FloatSlider(value=values["forget_bias"], min=-3.0, max=6.0, step=0.1,
                                     description="LSTM forget bias b_f", style=style,
                                     layout=wide),
        "T": W.IntSlider(value=values["T"], min=1, max=500, description="T", style=style,
                         layout=wide),
        "n_hidden": W.IntSlider(value=values["n_hidden"], min=1, max=128,
                                description="hidden size H", style=style, layout=wide),
        "spectral_radius": W.FloatSlider(value=values["spectral_radius"], min=0.0, max=3.0,
                                         step=0.01, description="RNN ρ(W_s)", style=style,
                                         layout=wide),
        "input_scale": W.FloatSlider(value=values["input_scale"], min=0.0, max=5.0, step=0.05,
                                     description="input scale", style=style, layout=wide),
        "seed": W.BoundedIntText(value=values["seed"], min=0, max=2**31 - 1, description="seed",
                                 style=style, layout=W.Layout(width="160px")),
    }
    figure = go.FigureWidget([
        go.Scatter(mode="lines", name=_experiments.MODELS[k]["label"],
                   line=dict(color=_viz.MODEL_COLORS[k], width=2.5))
        for k in ("rnn", "gru", "lstm")
    ])
    figure.update_layout(
        template=_viz.TEMPLATE, height=460, xaxis_title=_viz.DISTANCE_TITLE,
        yaxis_title=_viz.GATED_Y_TITLE, margin=dict(l=70, r=20, t=40, b=40),
        legend=dict(x=0.99, xanchor="right", y=0.99),
    )

    def redraw(fig, *, forget_bias, T, n_hidden, spectral_radius, input_scale, seed):
        curves = _viz.gated_decay_curves(forget_bias, T=T, n_hidden=n_hidden, seed=seed,
                                         spectral_radius=spectral_radius,
                                         input_scale=input_scale)
        for trace, key in zip(fig.data, ("rnn", "gru", "lstm")):
            y = curves[key]
            keep = np.isfinite(y)
            trace.update(x=np.arange(T + 1)[keep], y=y[keep])
        fig.layout.title.text = (
            f"at distance {T}: tanh RNN 10<sup>{curves['rnn'][-1]:.1f}</sup>, GRU "
            f"10<sup>{curves['gru'][-1]:.1f}</sup>, LSTM 10<sup>{curves['lstm'][-1]:.1f}</sup>"
        )

    explorer = Explorer(controls, figure, redraw)
    explorer.children[0].layout.flex_flow = "row wrap"
    return explorer


def skip_explorer(
    *,
    d: int = 10,
    skip_radius: float = 0.5,
    spectral_radius: float = 1.0,
    T: int = 100,
    seed: int = 0,
) -> Explorer:
    """Gradient decay of a tanh RNN with a skip connection from ``s_{t−d}``, live.

    Parameters
    ----------
    d : int
        Skip length, in [1, 100].
    skip_radius : float
        ``ρ(W_d)``, in [0, 2].
    spectral_radius : float
        ``ρ(W_s)``, in [0, 2].
    T : int
        Sequence length, in [1, 500].
    seed : int
        ``>= 0``.

    Returns
    -------
    Explorer
        ``controls``: ``"d"``, ``"skip_radius"``, ``"spectral_radius"``, ``"T"``, ``"seed"``;
        ``figure`` trace 0 the plain RNN, trace 1 the skip-connected one (by distance).

    Notes
    -----
    ``bpttlib.skip.skip_decay_curve`` (H = 32). Book label: eq-grad-decay.
    """
    values = dict(
        d=_int_in_range(d, "d", 1, 100),
        skip_radius=_in_range(skip_radius, "skip_radius", 0.0, 2.0),
        spectral_radius=_in_range(spectral_radius, "spectral_radius", 0.0, 2.0),
        T=_int_in_range(T, "T", 1, 500),
        seed=check_seed(check_int(seed, "seed")),
    )
    style, wide = {"description_width": "initial"}, W.Layout(width="330px")
    controls = {
        "d": W.IntSlider(value=values["d"], min=1, max=100, description="skip length d",
                         style=style, layout=wide),
        "skip_radius": W.FloatSlider(value=values["skip_radius"], min=0.0, max=2.0, step=0.01,
                                     description="ρ(W_d)", style=style, layout=wide),
        "spectral_radius": W.FloatSlider(value=values["spectral_radius"], min=0.0, max=2.0,
                                         step=0.01, description="ρ(W_s)", style=style,
                                         layout=wide),
        "T": W.IntSlider(value=values["T"], min=1, max=500, description="T", style=style,
                         layout=wide),
        "seed": W.BoundedIntText(value=values["seed"], min=0, max=2**31 - 1, description="seed",
                                 style=style, layout=W.Layout(width="160px")),
    }
    figure = go.FigureWidget([
        go.Scatter(mode="lines", name="tanh RNN",
                   line=dict(color=_viz.MODEL_COLORS["rnn"], width=2.5)),
        go.Scatter(mode="lines", name="with a skip from s<sub>t−d</sub>",
                   line=dict(color=_viz.MODEL_COLORS["irnn"], width=2.5)),
    ])
    figure.update_layout(
        template=_viz.TEMPLATE, height=460, xaxis_title=_viz.DISTANCE_TITLE,
        yaxis_title=_viz.DECAY_Y_TITLE, margin=dict(l=70, r=20, t=40, b=40),
        legend=dict(x=0.99, xanchor="right", y=0.99),
    )

    def redraw(fig, *, d, skip_radius, spectral_radius, T, seed):
        common = dict(spectral_radius=spectral_radius, T=T, seed=seed)
        for trace, (dd, r) in zip(fig.data, ((1, 0.0), (d, skip_radius))):
            y = _skip.skip_decay_curve(d=dd, skip_radius=r, **common)[::-1]
            keep = np.isfinite(y)
            trace.update(x=np.arange(T + 1)[keep], y=y[keep])

    explorer = Explorer(controls, figure, redraw)
    explorer.children[0].layout.flex_flow = "row wrap"
    return explorer
