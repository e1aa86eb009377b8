"""Part III: training runs and the stored experiments.

Builders for book/clipping.md (training runs) and book/gated.md, book/remedies.md (the stored
long runs of ``bpttlib.experiments``: ``experiments.load``). The data come in as histories and
stored experiments; nothing here trains.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import experiments as _experiments
from .._checks import as_float_array, check_ndim, check_real
from . import _controls, _style
from ._controls import SLIDER_DIGITS, check_active, check_mapping, rounded


def training_figure(
    runs: Mapping[str, object],
    *,
    stopped: Mapping[str, str | None] | None = None,
    threshold: float | None = None,
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Loss and gradient norm of several training runs, both on log axes.

    Parameters
    ----------
    runs : mapping of str to History
        Run name -> an object with arrays ``loss`` and ``grad_norm`` of one length
        (:class:`bpttlib.train.History`).
    stopped : mapping of str to str or None, optional
        Run name -> why it stopped early (``FitResult.stopped``); such a run ends in a cross.
    threshold : float, optional
        A clipping threshold, drawn dashed on the gradient-norm panel.
    colors : mapping of str to str, optional
        Run name -> colour.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Left: the training loss per step; right: the gradient norm before clipping.
    """
    runs = check_mapping(runs, "runs")
    stopped = dict(stopped or {})
    colors = dict(colors or {})
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("training loss", "gradient norm ‖g‖ before clipping"))
    for i, (name, hist) in enumerate(runs.items()):
        arrays = []
        for attr in ("loss", "grad_norm"):
            if not hasattr(hist, attr):
                raise TypeError(f"runs[{name!r}]: expected a History with .loss and .grad_norm, "
                                f"got {type(hist).__name__}")
            arrays.append(check_ndim(as_float_array(getattr(hist, attr), f"runs[{name!r}]."
                                                    f"{attr}"), f"runs[{name!r}].{attr}", (1,),
                                     "(n,)"))
        if arrays[0].shape != arrays[1].shape:
            raise ValueError(f"runs[{name!r}]: expected loss and grad_norm of one length, got "
                             f"{arrays[0].size} and {arrays[1].size}")
        color = colors.get(name, _style.PALETTE[i % len(_style.PALETTE)])
        steps = list(range(arrays[0].size))
        for col, arr in ((1, arrays[0]), (2, arrays[1])):
            fig.add_trace(go.Scatter(x=steps, y=rounded(arr, SLIDER_DIGITS), mode="lines",
                                     name=str(name), legendgroup=str(name),
                                     showlegend=col == 1, line=dict(color=color, width=1.8)),
                          row=1, col=col)
            why = stopped.get(name)
            if why and arr.size:
                fig.add_trace(go.Scatter(
                    x=[steps[-1]], y=rounded(arr[-1:], SLIDER_DIGITS), mode="markers",
                    name=f"{name}: stopped", legendgroup=str(name), showlegend=col == 1,
                    marker=dict(symbol="x", size=13, color=color, line=dict(width=1)),
                    hovertext=[why[:120]], hoverinfo="text"), row=1, col=col)
    if threshold is not None:
        threshold = check_real(threshold, "threshold", positive=True)
        fig.add_hline(y=threshold, line=dict(color="#444", dash="dash", width=1.2), row=1, col=2,
                      annotation_text=f"θ = {threshold:g}", annotation_position="bottom right")
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(type="log", exponentformat="power")
    _style.frame(fig, title=title, height=440, top=50, left=60,
                 legend=dict(orientation="h", x=0, y=1.08, yanchor="bottom"))
    return fig


def _mean_curve(runs: list[dict]) -> tuple[list, list]:
    """Steps and the held-out loss averaged over seeds (up to the shortest run)."""
    n = min(len(r["steps"]) for r in runs)
    return runs[0]["steps"][:n], np.mean([r["eval"][:n] for r in runs], axis=0)


def learning_curves_figure(
    data: Mapping,
    *,
    models: Sequence[str] | None = None,
    active: int | None = None,
    title: str | None = None,
    y_range: tuple[float, float] | None = None,
) -> go.Figure:
    """Held-out loss against training steps, one curve per model; a slider picks ``T``.

    Parameters
    ----------
    data : mapping
        A stored experiment (``bpttlib.experiments.load``).
    models : sequence of str, optional
        Which models to draw, in this order (default: all of the experiment's).
    active : int, optional
        Index of the length shown first (default: the middle one).
    title : str, optional
    y_range : (float, float), optional
        log10 range of the y axis (default: from the data, cut one decade above the largest
        baseline so that the first steps' large losses do not squash the plot).

    Returns
    -------
    plotly.graph_objects.Figure
        Log-scale y; the memoryless baseline of each ``T`` is the dashed grey line. With several
        seeds the curve is their mean. With a single length there is no slider.
    """
    data = _experiments.validate(data)
    config = data["config"]
    models = list(config["models"] if models is None else models)
    for m in models:
        if m not in config["models"]:
            raise ValueError(f"models: expected names from {config['models']}, got {m!r}")
    lengths = list(config["lengths"])
    active = check_active(active, len(lengths))
    by_key: dict[tuple, list] = {}
    for run in data["runs"]:
        by_key.setdefault((run["model"], run["T"]), []).append(run)
    states = []  # per T: a list of (x, y) per trace, models then the baseline
    for T in lengths:
        traces = []
        for m in models:
            steps, loss = _mean_curve(by_key[(m, T)])
            traces.append((steps, rounded(loss, _experiments.DIGITS)))
        last = max(max(by_key[(m, T)][0]["steps"]) for m in models)
        base = _experiments.baseline(data["task"], T)
        traces.append(([0, last], [rounded([base], _experiments.DIGITS)[0]] * 2))
        states.append(traces)
    fig = go.Figure()
    for i, m in enumerate(models):
        x, y = states[active][i]
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=_style.MODEL_LABELS[m],
                                 line=dict(color=_style.MODEL_COLORS.get(m, _style.PALETTE[i]),
                                           width=2.5)))
    x, y = states[active][-1]
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name="memoryless baseline",
                             line=dict(color=_style.BASELINE_COLOR, width=2, dash="dash"),
                             hoverinfo="y"))
    if y_range is None:
        values = np.array([v for st in states for _, y in st for v in y if v is not None])
        top = math.log10(max(_experiments.baseline(data["task"], T) for T in lengths)) + 1
        y_range = (math.floor(math.log10(values.min()) * 2) / 2, top)
    steps = _controls.restyle_steps(
        [{i: dict(x=x, y=y) for i, (x, y) in enumerate(st)} for st in states],
        [str(T) for T in lengths], ("x", "y"))
    _style.frame(
        fig, title=title, height=480 if len(lengths) > 1 else 400, top=40, title_room=40,
        xaxis_title="training step", yaxis_title="held-out loss per scored step",
        legend=_style.LEGEND_ABOVE,
        sliders=[_controls.slider(steps, active=active, prefix="T = ")]
        if len(lengths) > 1 else [],
    )
    fig.update_yaxes(type="log", range=list(y_range), exponentformat="power")
    return fig


def final_ratio_figure(
    datasets: Mapping[str, Mapping],
    *,
    models: Sequence[str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Final held-out loss over the memoryless baseline against ``T``, one panel per task.

    Parameters
    ----------
    datasets : mapping of str to mapping
        Panel title -> stored experiment (``bpttlib.experiments.load``).
    models : sequence of str, optional
        Models to draw where an experiment has them (default: every model of any experiment).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Log-scale y shared by the panels; the line at 1 is the baseline: below it a model has
        learned the long-range part of the task, on it it has not.
    """
    datasets = check_mapping(datasets, "datasets")
    tables = {name: _experiments.final_table(d) for name, d in datasets.items()}
    if models is None:
        models = list(dict.fromkeys(r["model"] for t in tables.values() for r in t))
    fig = make_subplots(rows=1, cols=len(tables), subplot_titles=list(tables),
                        horizontal_spacing=0.06, shared_yaxes=True)
    for col, table in enumerate(tables.values(), start=1):
        for m in models:
            rows = [r for r in table if r["model"] == m]
            if not rows:
                continue
            fig.add_trace(go.Scatter(
                x=[r["T"] for r in rows], y=rounded([r["ratio"] for r in rows], 4),
                mode="lines+markers", name=_style.MODEL_LABELS[m], legendgroup=m,
                showlegend=col == 1, line=dict(color=_style.MODEL_COLORS.get(m), width=2.5),
                hovertemplate="T = %{x}: %{y:.3g} × baseline",
            ), row=1, col=col)
        fig.add_hline(y=1.0, line=dict(color=_style.BASELINE_COLOR, dash="dash", width=1.5),
                      row=1, col=col)
        fig.update_xaxes(title_text="T", type="log", row=1, col=col,
                         tickvals=sorted({r["T"] for r in table}))
    fig.update_yaxes(type="log", exponentformat="power", dtick=1)
    fig.update_yaxes(title_text="final held-out loss / baseline", row=1, col=1)
    _style.frame(fig, title=title, height=440, top=50, bottom=50,
                 legend=dict(orientation="h", x=0, y=-0.2, yanchor="top"))
    return fig
