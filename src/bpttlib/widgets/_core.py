"""The dashboards' parts: a control stated once (:class:`Control`), the live figure
(:class:`PlotView`) and the dashboard that joins them (:class:`Explorer`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import anywidget
import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import traitlets
from plotly.io.json import to_json_plotly

from .. import viz as _viz
from .._checks import check_instance, check_int, check_name, check_real, check_seed

__all__ = ["Control", "Explorer", "PlotView", "NARROW"]

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


@cache
def _plotly_js() -> str:
    """plotly.js as the installed plotly package ships it (its version matches plotly.py's)."""
    return (resources.files("plotly") / "package_data" / "plotly.min.js").read_text("utf-8")


def _json(obj) -> str:
    return to_json_plotly(obj)  # numpy arrays as lists of exact float64 reprs


def _whole(figure: go.Figure) -> dict:
    # Trace by trace, as send_changes sends them (a figure's to_plotly_json packs arrays in
    # base64; a trace's keeps them as arrays).
    return {"data": [t.to_plotly_json() for t in figure.data],
            "layout": figure.layout.to_plotly_json()}


class _Channel(W.Widget):
    """The figure and its changes, in a core ipywidgets model (not an anywidget one): anywidget
    drops every kernel message to its own model for good when the model's module took over 2 s
    to start, which a busy page can cause whatever the module's size."""

    figure = traitlets.Unicode().tag(sync=True)
    changes = traitlets.Unicode().tag(sync=True)


class PlotView(anywidget.AnyWidget):
    """A plotly figure drawn live in JupyterLab, Binder and Colab.

    Parameters
    ----------
    figure : plotly.graph_objects.Figure
        The figure to show. Change it in place, then call :meth:`send_changes`: the view shows
        what ``figure`` holds when that is called.

    Attributes
    ----------
    figure : plotly.graph_objects.Figure
        The figure, as the kernel holds it.
    channel : ipywidgets.Widget
        What the front end reads: ``channel.figure`` (the whole figure, JSON) and
        ``channel.changes`` (the last change: changed traces and, if it changed, the layout).

    Notes
    -----
    anywidget 0.11 gives a widget's module 2 s to start and, when it takes longer, drops every
    later kernel message to that widget's model for good. plotly's own ``FigureWidget``, whose
    module is plotly.js (5 MB), missed that window on a busy machine and stayed empty; a busy
    page (a notebook rendering while a cell runs) can make even a small module miss it. So:

    - the front end (``plotview.js``) is a small module, and plotly.js (the installed plotly's
      ``plotly.min.js``, about 4.8 MB) comes in the first state and is evaluated once per page
      by the first view, outside that window;
    - the figure and each change travel on ``channel``, a core ipywidgets model that anywidget
      does not gate. A new view asks for the current figure (a ``"shown"`` message on the
      channel), so a second display of a dashboard is up to date.

    Zoom and legend clicks survive a change (``layout.uirevision``) but stay in the page.
    """

    _esm = Path(__file__).with_name("plotview.js")
    _plotly_js = traitlets.Unicode().tag(sync=True)
    _channel = traitlets.Instance(_Channel).tag(sync=True, **W.widget_serialization)

    def __init__(self, figure: go.Figure) -> None:
        check_instance(figure, "figure", go.Figure)
        channel = _Channel(figure=_json(_whole(figure)))
        super().__init__(_plotly_js=_plotly_js(), _channel=channel)
        self.figure = figure
        self.channel = channel
        self._count = len(figure.data)  # traces the front end has
        self._sent = 0
        self._stale = False
        channel.on_msg(self._on_message)

    def send_changes(self, traces: Iterable[int] = (), layout: bool = False) -> None:
        """Send traces and the layout to the front end as ``figure`` holds them now.

        Parameters
        ----------
        traces : iterable of int
            Indices into ``figure.data`` of the traces that changed. If traces were added or
            removed, the whole figure is sent.
        layout : bool
            Whether the layout changed. Nothing to send sends nothing.

        Raises
        ------
        TypeError
            ``traces`` is not an iterable of integers, or ``layout`` is not a bool.
        ValueError
            An index out of ``range(len(figure.data))``.
        """
        if isinstance(traces, (str, bytes)) or not isinstance(traces, Iterable):
            raise TypeError(f"traces: expected an iterable of trace indices, got "
                            f"{type(traces).__name__}")
        count = len(self.figure.data)
        indices = sorted({check_int(i, "traces", minimum=0) for i in traces})
        if indices and indices[-1] >= count:
            raise ValueError(f"traces: index {indices[-1]} out of range for {count} traces")
        if not isinstance(layout, (bool, np.bool_)):
            raise TypeError(f"layout: expected True or False, got {type(layout).__name__}")
        if count != self._count:
            self._resend()
        elif indices or layout:
            self._sent += 1  # a new value each time, so the front end sees every change
            self.channel.changes = _json({
                "n": self._sent,
                "data": {i: self.figure.data[i].to_plotly_json() for i in indices},
                "layout": self.figure.layout.to_plotly_json() if layout else None})
            self._stale = True

    def _resend(self) -> None:
        self.channel.figure = _json(_whole(self.figure))
        self._count = len(self.figure.data)
        self._stale = False

    def _on_message(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("type") == "shown" and self._stale:
            self._resend()


class Explorer(W.VBox):
    """Controls plus a figure that ``redraw`` refreshes whenever a control changes.

    Parameters
    ----------
    specs : mapping of str to Control
        The knobs, by name, in display order.
    values : mapping of str to object
        Their initial values (validated).
    figure : plotly.graph_objects.Figure
        The builder's figure for these values (updated in place; another plotly figure is
        copied into a ``go.Figure`` first).
    redraw : callable
        ``redraw(**values) -> (traces, layout)``: the builder's traces function's output
        (trace index -> new properties) and layout properties. Only what changed since the last
        redraw is sent to the view.

    Attributes
    ----------
    controls : dict of str to ipywidgets.ValueWidget
    figure : plotly.graph_objects.Figure
    view : PlotView
        The figure as the notebook shows it.
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
        self.figure = figure if isinstance(figure, go.Figure) else go.Figure(figure)
        self._redraw = redraw
        self._shown: dict = {}
        self._reverting = False
        self._apply()  # the view starts from the first state: no message before it is shown
        self.view = PlotView(self.figure)
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._on_change(name, change),
                            names="value")
        controls = W.HBox(list(self.controls.values()))
        controls.layout.flex_flow = "row wrap"
        super().__init__([controls, self.view])

    def values(self) -> dict:
        """The controls' current values, by name."""
        return {name: c.value for name, c in self.controls.items()}

    def _apply(self) -> tuple[list[int], bool]:
        traces, layout = self._redraw(**self.values())
        with self.figure.batch_update():  # one validation pass (about 1.5 ms a cliff step)
            return _viz.apply_state(self.figure, traces, layout, shown=self._shown)

    def update(self) -> None:
        """Recompute from the controls' current values; send what changed to the view."""
        self.view.send_changes(*self._apply())

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


#: The width of a slider in a dashboard with many controls (two fit side by side).
NARROW = "300px"
