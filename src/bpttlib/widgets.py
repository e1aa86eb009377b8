"""Live dashboards for JupyterLab, Binder and Colab: ipywidgets controls + a plotly FigureWidget.

This is the only bpttlib module that imports ipywidgets. Each dashboard is an :class:`Explorer`:
a widget whose ``controls`` dict holds its named ipywidgets controls and whose ``figure`` is the
``plotly.graph_objects.FigureWidget`` it redraws, so tests and benchmarks can drive it without a
browser (``ex.controls["w"].value = 1.1`` recomputes and updates ``ex.figure``).

Every dashboard starts from the figure of its :mod:`bpttlib.viz` builder and updates through that
builder's traces function (the same function whose outputs are the static figure's slider
states), with its data from ``bpttlib.sweeps`` or a kernel. Each control is stated once, as a
:class:`Control` (label, range, step): it validates the value (a NaN, an infinity or a value out
of range raises ``ValueError`` naming the control, and the control goes back to its last good
value) and builds the ipywidgets control.

In the static book these cells are tagged ``remove-output``: callbacks need a kernel. A
kernel-free plotly slider (:mod:`bpttlib.viz`) stands in for them there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from . import activations as _activations
from . import clipping as _clipping
from . import jacobians as _jacobians
from . import sweeps as _sweeps
from . import viz as _viz
from ._checks import check_int, check_name, check_real, check_seed

__all__ = ["Control", "Explorer", "power_explorer", "decay_explorer", "truncation_explorer",
           "cliff_explorer", "gated_decay_explorer", "skip_explorer"]

_KINDS = ("float", "log", "int", "seed", "choice")
_SEED_MAX = 2**31 - 1


@dataclass(frozen=True)
class Control:
    """One control of a dashboard, stated once: what it shows, which values it takes.

    Parameters
    ----------
    label : str
        The control's description (plain text).
    low, high : float, optional
        The closed range of a ``"float"``, ``"log"`` or ``"int"`` control.
    step : float, optional
        Slider step (for ``"log"``: the step of the exponent).
    kind : {"float", "log", "int", "seed", "choice"}
        A slider (``"log"``: a base-10 log slider), an integer slider (a dropdown when
        ``options`` are given), a seed box (integers ``0 … 2³¹−1``) or a dropdown.
    options : tuple, optional
        ``"choice"``: the values, or ``(label, value)`` pairs. ``"int"``: the values offered
        in a dropdown (the initial value is added when missing).
    continuous : bool, optional
        Recompute while a slider is dragged (else on release).
    width : str, optional
        CSS width of a slider.
    """

    label: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    kind: str = "float"
    options: tuple = ()
    continuous: bool = True
    width: str = "330px"

    def __post_init__(self) -> None:
        check_name(self.kind, "kind", _KINDS)
        if self.kind in ("float", "log", "int") and not (
                self.low is not None and self.high is not None and self.low <= self.high):
            raise ValueError(f"low, high: a {self.kind} control needs low <= high, got "
                             f"{self.low}, {self.high}")
        if self.kind == "log" and self.low <= 0:
            raise ValueError(f"low: a log control needs low > 0, got {self.low}")
        if self.kind == "choice" and not self.options:
            raise ValueError("options: a choice control needs at least one option")

    def choices(self) -> tuple:
        """The values a ``"choice"`` control takes."""
        return tuple(o[1] if isinstance(o, tuple) else o for o in self.options)

    def validate(self, name: str, value: object) -> object:
        """``value`` if the control ``name`` can take it, else an error naming ``name``.

        Parameters
        ----------
        name : str
            The control's key in its dashboard (the start of every error message).
        value : object

        Returns
        -------
        float, int or str
            The value, as ``float`` or ``int`` for numeric controls.

        Raises
        ------
        TypeError
            Wrong type (a string for a number, a float for an integer).
        ValueError
            NaN, an infinity, a value out of ``[low, high]``, an unknown choice or a negative seed.
        """
        if self.kind == "choice":
            return check_name(value, name, self.choices())
        if self.kind == "seed":
            seed = check_seed(check_int(value, name), name)
            if seed > _SEED_MAX:
                raise ValueError(f"{name}: expected a seed in [0, {_SEED_MAX}], got {seed}")
            return seed
        if self.kind == "int":
            value = check_int(value, name)
            what = "an integer"
        else:
            value = check_real(value, name)  # NaN and ±inf: ValueError
            what = "a number"
        if not self.low <= value <= self.high:
            raise ValueError(f"{name}: expected {what} in [{self.low:g}, {self.high:g}], "
                             f"got {value}")
        return value

    def build(self, name: str, value: object) -> W.ValueWidget:
        """The ipywidgets control for ``name``, showing ``value`` (validated first).

        Parameters
        ----------
        name : str
        value : object

        Returns
        -------
        ipywidgets.ValueWidget
        """
        value = self.validate(name, value)
        common = dict(description=self.label, style={"description_width": "initial"})
        slider = dict(common, layout=W.Layout(width=self.width),
                      continuous_update=self.continuous)
        if self.kind == "choice":
            return W.Dropdown(options=list(self.options), value=value, **common)
        if self.kind == "seed":
            return W.BoundedIntText(value=value, min=0, max=_SEED_MAX,
                                    layout=W.Layout(width="160px"), **common)
        if self.kind == "int" and self.options:
            return W.Dropdown(options=sorted({*self.options, value}), value=value, **common)
        if self.kind == "int":
            return W.IntSlider(value=value, min=int(self.low), max=int(self.high),
                               step=int(self.step or 1), **slider)
        if self.kind == "log":
            return W.FloatLogSlider(value=value, base=10, min=math.log10(self.low),
                                    max=math.log10(self.high), step=self.step, **slider)
        return W.FloatSlider(value=value, min=self.low, max=self.high, step=self.step,
                             **slider)


def _validated(specs: Mapping[str, Control], values: Mapping[str, object]) -> dict:
    """Every control's value from ``values`` (a factory's ``locals()``), validated, in order."""
    return {name: spec.validate(name, values[name]) for name, spec in specs.items()}


class Explorer(W.VBox):
    """Controls plus a figure that ``redraw`` refreshes whenever a control changes.

    Parameters
    ----------
    specs : mapping of str to Control
        The knobs, by name, in display order.
    values : mapping of str to object
        Their initial values (validated).
    figure : plotly.graph_objects.Figure or FigureWidget
        The builder's figure for these values; shown as a FigureWidget.
    redraw : callable
        ``redraw(**values) -> (traces, layout)``: the builder's traces function's output
        (trace index -> new properties) and layout properties. Only what changed since the last
        redraw is sent to the figure.

    Attributes
    ----------
    controls : dict of str to ipywidgets.ValueWidget
    figure : plotly.graph_objects.FigureWidget
    """

    def __init__(
        self,
        specs: Mapping[str, Control],
        values: Mapping[str, object],
        figure: go.Figure,
        redraw: Callable[..., tuple[Mapping[int, Mapping], Mapping]],
    ) -> None:
        self.specs = dict(specs)
        values = _validated(self.specs, values)
        self.controls = {name: spec.build(name, values[name]) for name, spec in self.specs.items()}
        self.figure = figure if isinstance(figure, go.FigureWidget) else go.FigureWidget(figure)
        self._redraw = redraw
        self._shown: dict = {}
        self._reverting = False
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._on_change(name, change),
                            names="value")
        controls = W.HBox(list(self.controls.values()))
        controls.layout.flex_flow = "row wrap"
        super().__init__([controls, self.figure])
        self.update()

    def values(self) -> dict:
        """The controls' current values, by name."""
        return {name: c.value for name, c in self.controls.items()}

    def update(self) -> None:
        """Recompute from the controls' current values; send what changed to the figure."""
        traces, layout = self._redraw(**self.values())
        with self.figure.batch_update():
            _viz.apply_state(self.figure, traces, layout, shown=self._shown)

    def _on_change(self, name: str, change: dict) -> None:
        if self._reverting:
            return
        try:
            self.specs[name].validate(name, change["new"])
        except (TypeError, ValueError) as exc:
            self._reverting = True
            try:
                self.controls[name].value = change["old"]  # the dashboard keeps working
            finally:
                self._reverting = False
            raise ValueError(str(exc)) from exc
        self.update()


# ---- Part II: the scalar chain and gradient decay ------------------------------------------------

POWER_CONTROLS = {
    "w": Control("w", *_viz.POWER_W_RANGE, step=0.01),
    "T": Control("T", 5, 200, step=1, kind="int"),
}


def power_explorer(w: float = 0.9, T: int = 50) -> Explorer:
    """The scalar linear RNN's gradient factor ``|∂s_T/∂s_k| = |w|^(T-k)``, live.

    Parameters
    ----------
    w, T
        Initial recurrent weight and sequence length (ranges: ``POWER_CONTROLS``).

    Returns
    -------
    Explorer
        Controls ``"w"`` and ``"T"``; the figure (:func:`bpttlib.viz.power_figure`) plots log10
        of the factor against ``T - k`` on a y axis fixed for every ``w``, so each change of
        ``w`` moves the line.

    Notes
    -----
    For ``s_t = w s_{t-1} + x_t`` the step Jacobian is ``w``, so the chain from ``s_k`` to
    ``s_T`` multiplies ``T - k`` copies of it (book label: eq-jacobian-product).
    """
    values = _validated(POWER_CONTROLS, locals())

    def redraw(*, w, T):
        return _viz.power_traces(w, T), _viz.power_layout(T)

    return Explorer(POWER_CONTROLS, values, _viz.power_figure(**values), redraw)


#: W_s kinds offered by :func:`decay_explorer`, as (label, value).
DECAY_KINDS = (("Gaussian", "gaussian"), ("orthogonal", "orthogonal"), ("non-normal", "nonnormal"))
#: Hidden sizes offered by :func:`decay_explorer` (another size given as default is added).
DECAY_HIDDEN = (4, 8, 16, 32, 64, 128, 256)

DECAY_CONTROLS = {
    "spectral_radius": Control("ρ(W_s)", 0.0, 3.0, step=0.01),
    "activation": Control("activation φ", kind="choice", options=_activations.ACTIVATIONS),
    "kind": Control("W_s", kind="choice", options=DECAY_KINDS),
    "T": Control("T", 1, 1000, step=1, kind="int"),
    "n_hidden": Control("hidden size H", 1, 512, kind="int", options=DECAY_HIDDEN),
    "input_scale": Control("input scale", 0.0, 5.0, step=0.05),
    "seed": Control("seed", kind="seed"),
}


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
    spectral_radius, activation, n_hidden, T, seed, input_scale, kind
        Initial values (ranges and choices: ``DECAY_CONTROLS``): ``ρ(W_s)``, ``φ``, the
        hidden size ``H``, the sequence length, the seed of the weights and of the inputs, the
        inputs' standard deviation (large values saturate tanh and sigmoid), the kind of ``W_s``.

    Returns
    -------
    Explorer
        ``controls`` has the keys ``"spectral_radius"``, ``"activation"``, ``"n_hidden"``,
        ``"T"``, ``"seed"``, ``"input_scale"`` and ``"kind"``; ``figure`` (a FigureWidget of
        :func:`bpttlib.viz.decay_curve_figure`) holds the curve (trace 0) and the bound of
        eq-jacobian-bound (trace 1, dashed). Where the curve passes float64's range a dotted
        line and a note say so; exact zeros are left out; the figure never holds NaN or inf.

    Notes
    -----
    Each change calls :func:`bpttlib.jacobians.decay_curve` (log space, ``O(T·H²)``): about
    5 ms at H = 128, T = 200. Book label: eq-grad-decay.
    """
    values = _validated(DECAY_CONTROLS, locals())

    def curve(*, spectral_radius, activation, kind, T, n_hidden, input_scale, seed):
        return _jacobians.decay_curve(spectral_radius, activation, n_hidden=n_hidden, T=T,
                                      kind=kind, seed=seed, input_scale=input_scale)

    def redraw(**v):
        c = curve(**v)
        return _viz.decay_curve_traces(c, v["activation"]), _viz.decay_curve_layout(c)

    figure = _viz.decay_curve_figure(curve(**values), values["activation"])
    return Explorer(DECAY_CONTROLS, values, figure, redraw)


# ---- Part III: truncated BPTT and the cliff ------------------------------------------------------

#: W_s kinds offered by :func:`truncation_explorer`, as (label, value).
TRUNCATION_KINDS = (("Gaussian", "gaussian"), ("orthogonal", "orthogonal"))

_W = "300px"
TRUNCATION_CONTROLS = {
    "k": Control("truncation k", 1, 199, step=1, kind="int", width=_W),
    "T": Control("length T", 3, 200, step=1, kind="int", continuous=False, width=_W),
    "spectral_radius": Control("ρ(W_s)", 0.0, 2.0, step=0.05, continuous=False, width=_W),
    "activation": Control("activation φ", kind="choice", options=_activations.ACTIVATIONS),
    "kind": Control("W_s", kind="choice", options=TRUNCATION_KINDS),
    "seed": Control("seed", kind="seed"),
}


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
    k, T, spectral_radius, activation, kind, seed
        Initial values (ranges and choices: ``TRUNCATION_CONTROLS``): the truncation
        length (``k >= T`` shows exact BPTT, ``k = T − 1``), the agreement task's length,
        ``ρ(W_s)``, ``φ``, the kind of ``W_s``, the seed of the network and the batch (32
        sequences).

    Returns
    -------
    Explorer
        ``controls`` has the keys ``"k"``, ``"T"``, ``"spectral_radius"``, ``"activation"``,
        ``"kind"`` and ``"seed"``; ``figure`` is :func:`bpttlib.viz.truncation_figure` without
        its slider (a FigureWidget), updated through :func:`bpttlib.viz.truncation_traces`.

    Notes
    -----
    A change of ``k`` only re-splits a cached sweep (``bpttlib.sweeps.agreement_sweep``); any
    other change recomputes the sweep: ``T − 1`` truncated backward passes, ``O(T³·H²)`` with
    ``H = 16`` (about 0.2 s at T = 30, a few seconds at T = 200). The loss is the
    cross-entropy of the verb at the last step (many-to-one). Book label: eq-truncated-bptt.
    """
    values = _validated(TRUNCATION_CONTROLS, locals())
    cache: dict = {}

    def sweep_for(T, spectral_radius, activation, kind, seed):
        key = (T, spectral_radius, activation, kind, seed)
        if key not in cache:
            cache.clear()
            cache[key] = _sweeps.agreement_sweep(T, spectral_radius=spectral_radius,
                                                 activation=activation, kind=kind, seed=seed)
        return cache[key]

    def redraw(*, k, T, **setting):
        sweep = sweep_for(T, **setting)
        kk = min(k, T - 1)
        i = int(np.flatnonzero(sweep.ks == kk)[0])
        note = " (k ≥ T − 1: exact BPTT)" if k >= T - 1 else ""
        title = (f"k = {kk}{note}: cosine {sweep.cosine[i]:.4f}, norm ratio "
                 f"{sweep.norm_ratio[i]:.3f} ({setting['activation']}, ρ(W<sub>s</sub>) = "
                 f"{setting['spectral_radius']:.2f})")
        traces = {**_viz.truncation_traces(sweep, kk), **_viz.truncation_sweep_traces(sweep)}
        return traces, {**_viz.truncation_layout(sweep), "title_text": title}

    first = sweep_for(values["T"], values["spectral_radius"], values["activation"],
                      values["kind"], values["seed"])
    figure = _viz.truncation_figure(first, k=min(values["k"], values["T"] - 1), slider=False,
                                    title=" ")  # room for the title
    return Explorer(TRUNCATION_CONTROLS, values, figure, redraw)


CLIFF_CONTROLS = {
    "lr": Control("learning rate", 0.01, 100.0, step=0.05, kind="log", continuous=False, width=_W),
    "clip": Control("threshold θ", 0.001, 100.0, step=0.05, kind="log", continuous=False,
                    width=_W),
    "w0": Control("start w", -2.0, 14.0, step=0.1, continuous=False, width=_W),
    "b0": Control("start b", -8.0, 4.0, step=0.1, continuous=False, width=_W),
    "steps": Control("steps", 1, 300, step=1, kind="int", continuous=False, width=_W),
}
#: The cliff dashboard's map: the grid of ``(w, b)`` (the ranges of ``w0`` and ``b0``).
CLIFF_WS, CLIFF_BS = np.linspace(-2.0, 14.0, 481), np.linspace(-8.0, 4.0, 385)


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
    lr, clip, w0, b0, steps
        Initial values (ranges: ``CLIFF_CONTROLS``): learning rate, clipping threshold
        ``θ``, starting point (within the map), number of descent steps.

    Returns
    -------
    Explorer
        ``controls`` has the keys ``"lr"``, ``"clip"``, ``"w0"``, ``"b0"`` and ``"steps"``;
        ``figure`` is :func:`bpttlib.viz.cliff_figure` without its slider (a FigureWidget, the
        legend under the plots and the title above them): trace 1 the unclipped path, trace 2
        the clipped one, traces 4 and 5 their losses.

    Notes
    -----
    A change of ``clip`` runs :func:`bpttlib.clipping.cliff_descent` once (the unclipped path
    is cached) and sends only the clipped path; the loss map is computed once. Book labels:
    eq-cliff-model, eq-clip-norm.
    """
    values = _validated(CLIFF_CONTROLS, locals())
    ws, bs = CLIFF_WS, CLIFF_BS
    raws: dict = {}

    def paths(lr, clip, w0, b0, steps):
        key = (lr, w0, b0, steps)
        if key not in raws:
            raws.clear()
            raws[key] = _clipping.cliff_descent(w0, b0, lr=lr, steps=steps)
        return raws[key], _clipping.cliff_descent(w0, b0, lr=lr, steps=steps, clip=clip)

    raw, clipped = paths(**values)
    figure = _viz.cliff_figure(ws, bs, _clipping.cliff_loss(ws[None, :], bs[:, None]), raw,
                               [clipped], [values["clip"]], active=0, slider=False, title=" ")
    titles = [a.to_plotly_json() for a in figure.layout.annotations[:2]]  # the subplot titles

    def redraw(*, lr, clip, w0, b0, steps):
        try:
            raw, clipped = paths(lr, clip, w0, b0, steps)
        except ValueError as exc:  # an unclipped step overflowed float64: say so, keep going
            return {}, {"title_text": f"no clipping: {exc}"[:160]}
        traces = {**_viz.cliff_raw_traces(raw), **_viz.cliff_traces(clipped, clip)}
        layout = _viz.cliff_layout(ws, bs, raw, [clipped], titles=titles)
        layout["title_text"] = (
            f"lr = {lr:.3g}: final E without clipping {raw.loss[-1]:.3g}, with θ = {clip:.3g} "
            f"{clipped.loss[-1]:.3g} ({int(clipped.clipped.sum())} of {steps} steps clipped)"
        )
        return traces, layout

    return Explorer(CLIFF_CONTROLS, values, figure, redraw)


# ---- Part III: gated cells and skip connections ------------------------------------------------

GATED_CONTROLS = {
    "forget_bias": Control("LSTM forget bias b_f", -3.0, 6.0, step=0.1),
    "T": Control("T", 1, 500, step=1, kind="int"),
    "n_hidden": Control("hidden size H", 1, 128, step=1, kind="int"),
    "spectral_radius": Control("RNN ρ(W_s)", 0.0, 3.0, step=0.01),
    "input_scale": Control("input scale", 0.0, 5.0, step=0.05),
    "seed": Control("seed", kind="seed"),
}


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
    forget_bias, T, n_hidden, seed, input_scale, spectral_radius
        Initial values (ranges: ``GATED_CONTROLS``): the LSTM's forget-gate bias, the
        sequence length, ``H``, the seed of the three networks and their shared inputs, the
        inputs' standard deviation, ``ρ(W_s)`` of the tanh RNN.

    Returns
    -------
    Explorer
        ``controls``: ``"forget_bias"``, ``"T"``, ``"n_hidden"``, ``"seed"``, ``"input_scale"``,
        ``"spectral_radius"``; ``figure`` (:func:`bpttlib.viz.gated_decay_figure` without its
        slider) traces 0, 1, 2: tanh RNN, GRU, LSTM (by distance, full precision).

    Notes
    -----
    Each change calls ``bpttlib.sweeps.gated_decay_curves`` (log space, no underflow) and
    applies :func:`bpttlib.viz.gated_decay_traces`. Book labels: eq-grad-decay, eq-lstm,
    eq-gru.
    """
    values = _validated(GATED_CONTROLS, locals())

    def redraw(*, forget_bias, T, **common):
        curves = _sweeps.gated_decay_curves(forget_bias, T=T, **common)
        title = (f"at distance {T}: tanh RNN 10<sup>{curves['rnn'][-1]:.1f}</sup>, GRU "
                 f"10<sup>{curves['gru'][-1]:.1f}</sup>, LSTM "
                 f"10<sup>{curves['lstm'][-1]:.1f}</sup>")
        return (_viz.gated_decay_traces(curves, digits=None),
                {**_viz.gated_decay_layout(curves), "title_text": title})

    figure = _viz.gated_decay_figure([values["forget_bias"]], T=values["T"],
                                     n_hidden=values["n_hidden"], seed=values["seed"],
                                     spectral_radius=values["spectral_radius"],
                                     input_scale=values["input_scale"], slider=False)
    return Explorer(GATED_CONTROLS, values, figure, redraw)


SKIP_CONTROLS = {
    "d": Control("skip length d", 1, 100, step=1, kind="int"),
    "skip_radius": Control("ρ(W_d)", 0.0, 2.0, step=0.01),
    "spectral_radius": Control("ρ(W_s)", 0.0, 2.0, step=0.01),
    "T": Control("T", 1, 500, step=1, kind="int"),
    "seed": Control("seed", kind="seed"),
}


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
    d, skip_radius, spectral_radius, T, seed
        Initial values (ranges: ``SKIP_CONTROLS``): the skip length, ``ρ(W_d)``,
        ``ρ(W_s)``, the sequence length, the seed.

    Returns
    -------
    Explorer
        ``controls``: ``"d"``, ``"skip_radius"``, ``"spectral_radius"``, ``"T"``, ``"seed"``;
        ``figure`` (:func:`bpttlib.viz.skip_figure` without its slider) trace 0 the plain RNN,
        trace 1 the skip-connected one (by distance, full precision).

    Notes
    -----
    ``bpttlib.sweeps.skip_curves`` (H = 32) and :func:`bpttlib.viz.skip_traces`. Book label:
    eq-grad-decay.
    """
    values = _validated(SKIP_CONTROLS, locals())

    def redraw(*, d, **common):
        plain, curves = _sweeps.skip_curves([d], **common)
        return _viz.skip_traces(plain, curves[0], digits=None), _viz.skip_layout(plain, curves)

    figure = _viz.skip_figure([values["d"]], skip_radius=values["skip_radius"],
                              spectral_radius=values["spectral_radius"], T=values["T"],
                              seed=values["seed"], slider=False)
    return Explorer(SKIP_CONTROLS, values, figure, redraw)
