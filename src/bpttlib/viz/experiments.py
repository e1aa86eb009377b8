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
    stopped: Mapping[str, object] | None = None,
    threshold: float | None = None,
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Loss and gradient norm of training runs, both on log axes; several seeds per name.

    Parameters
    ----------
    runs : mapping of str to History or sequence of History
        Run name -> an object with arrays ``loss`` and ``grad_norm`` of one length
        (:class:`bpttlib.train.History`), or a list of them (one per seed): then each run is
        drawn faint and their step-wise median bold.
    stopped : mapping of str to (str or None, or a sequence of them), optional
        Run name -> why it stopped early (``FitResult.stopped``), one per run; such a run ends
        in a cross.
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
    groups = []  # (name, color, several, series, whys) per run name

    def color_of(i, name):
        return colors.get(name, _style.PALETTE[i % len(_style.PALETTE)])

    for i, (name, group) in enumerate(runs.items()):
        several = isinstance(group, (list, tuple)) and len(group) > 1
        hists = list(group) if isinstance(group, (list, tuple)) else [group]
        whys = stopped.get(name)
        whys = list(whys) if isinstance(whys, (list, tuple)) else [whys] * len(hists)
        if len(whys) != len(hists):
            raise ValueError(f"stopped[{name!r}]: expected one entry per run ({len(hists)}), "
                             f"got {len(whys)}")
        series = [_history_arrays(name, h) for h in hists]
        groups.append((name, color_of(i, name), several, series, whys))
    tops = _tops(groups)
    for name, color, several, series, whys in groups:
        for j, (arrays, why) in enumerate(zip(series, whys)):
            for col, arr in ((1, arrays[0]), (2, arrays[1])):
                _add_run(fig, arr, why, name=str(name), color=color, col=col,
                         first=j == 0, faint=several, top=tops[col - 1])
        if several and all(a[0].size > 1 for a in series):
            n = min(a[0].size for a in series)
            for col in (1, 2):
                med = np.median(np.stack([a[col - 1][:n] for a in series]), axis=0)
                fig.add_trace(go.Scatter(
                    x=list(range(n)), y=rounded(med, SLIDER_DIGITS), mode="lines",
                    name=f"{name} (median of {len(series)} seeds)", legendgroup=str(name),
                    showlegend=col == 1, line=dict(color=color, width=2.2)), row=1, col=col)
    if threshold is not None:
        threshold = check_real(threshold, "threshold", positive=True)
        fig.add_hline(y=threshold, line=dict(color="#444", dash="dash", width=1.2), row=1, col=2,
                      annotation_text=f"θ = {threshold:g}", annotation_position="bottom right")
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(type="log", exponentformat="power")
    for col, top in enumerate(tops, start=1):
        if top is not None:  # runs that blew up are cut at the top edge (hover: real value)
            fig.update_yaxes(range=[math.floor(math.log10(top[1])), math.log10(top[0])],
                             row=1, col=col)
    _style.frame(fig, title=title, height=460, top=50, left=60,
                 legend=dict(orientation="h", x=0, y=1.08, yanchor="bottom"))
    return fig


def _tops(groups: list) -> list:
    """Per panel (loss, gradient norm): ``None``, or ``(top, bottom)`` when some run stopped
    early: the axis then ends 3 decades above the largest value of the runs that did not stop,
    so that an overflowing run does not squash the others into a flat line."""
    tops = []
    for col in (0, 1):
        kept = [a[col] for _, _, _, series, whys in groups for a, why in zip(series, whys)
                if not why and a[col].size]
        stopped = any(why for _, _, _, _, whys in groups for why in whys)
        positive = [v[v > 0] for v in kept if (v > 0).any()]
        if not stopped or not positive:
            tops.append(None)
            continue
        high = max(float(v.max()) for v in positive)
        low = min(float(v.min()) for v in positive)
        tops.append((10.0 ** (math.ceil(math.log10(high)) + 3), low))
    return tops


def _add_run(fig: go.Figure, arr: np.ndarray, why: str | None, *, name: str, color: str,
             col: int, first: bool, faint: bool, top: tuple | None = None) -> None:
    """One run's curve on panel ``col`` (faint when it is one of several seeds), and a cross
    at its end when it stopped early; values above ``top[0]`` are drawn at it."""
    steps = list(range(arr.size))
    shown = arr if top is None else np.minimum(arr, top[0])
    fig.add_trace(go.Scatter(
        x=steps, y=rounded(shown, SLIDER_DIGITS), mode="lines",
        name=f"{name}, each seed" if faint else name, legendgroup=name,
        showlegend=col == 1 and first and not faint, opacity=0.35 if faint else 1.0,
        line=dict(color=color, width=1.0 if faint else 1.8)), row=1, col=col)
    if why and arr.size:
        last = rounded(arr[-1:], SLIDER_DIGITS)[0]
        fig.add_trace(go.Scatter(
            x=[steps[-1]], y=rounded(shown[-1:], SLIDER_DIGITS), mode="markers",
            name=f"{name}: stopped", legendgroup=name, showlegend=col == 1 and first,
            marker=dict(symbol="x", size=11 if faint else 13, color=color, line=dict(width=1)),
            hovertext=[f"last value {last:.3g}; {why[:120]}"], hoverinfo="text"),
            row=1, col=col)


def _history_arrays(name: str, hist: object) -> tuple[np.ndarray, np.ndarray]:
    """A History's loss and grad_norm as checked 1-d arrays of one length."""
    arrays = []
    for attr in ("loss", "grad_norm"):
        if not hasattr(hist, attr):
            raise TypeError(f"runs[{name!r}]: expected a History with .loss and .grad_norm, "
                            f"got {type(hist).__name__}")
        arrays.append(check_ndim(as_float_array(getattr(hist, attr), f"runs[{name!r}].{attr}"),
                                 f"runs[{name!r}].{attr}", (1,), "(n,)"))
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(f"runs[{name!r}]: expected loss and grad_norm of one length, got "
                         f"{arrays[0].size} and {arrays[1].size}")
    return arrays[0], arrays[1]


def _seed_curves(runs: list[dict]) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """Steps and the held-out loss's lowest, highest and median value over seeds (up to the
    shortest run)."""
    n = min(len(r["steps"]) for r in runs)
    curves = np.array([r["eval"][:n] for r in runs])
    return runs[0]["steps"][:n], curves.min(axis=0), curves.max(axis=0), np.median(curves, axis=0)


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
        Log-scale y; the memoryless baseline of each ``T`` is the dashed grey line. Each model
        has three traces: the lowest and the highest seed (a shaded band) and the step-wise
        median over seeds. With a single length there is no slider.
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
    states = []  # per T: (x, y) per trace: each model's band (lowest, highest) and median,
    for T in lengths:  # then the baseline
        traces = []
        for m in models:
            steps, *curves = _seed_curves(by_key[(m, T)])
            traces += [(steps, rounded(c, _experiments.DIGITS)) for c in curves]
        last = max(max(by_key[(m, T)][0]["steps"]) for m in models)
        base = _experiments.baseline(data["task"], T)
        traces.append(([0, last], [rounded([base], _experiments.DIGITS)[0]] * 2))
        states.append(traces)
    n_seeds = len(config["seeds"])
    fig = go.Figure()
    for i, m in enumerate(models):
        color = _style.MODEL_COLORS.get(m, _style.PALETTE[i])
        label = _style.MODEL_LABELS[m]
        for j, part in enumerate(("lowest", "highest")):  # the range over seeds, a band
            x, y = states[active][3 * i + j]
            fig.add_trace(go.Scatter(
                x=x, y=y, mode="lines", legendgroup=m, showlegend=False,
                name=f"{label}, {part} seed", line=dict(width=0, color=color),
                fill="tonexty" if part == "highest" else None,
                fillcolor=_style.translucent(color, 0.18)))
        x, y = states[active][3 * i + 2]
        fig.add_trace(go.Scatter(
            x=x, y=y, mode="lines", legendgroup=m, line=dict(color=color, width=2.5),
            name=label if n_seeds == 1 else f"{label} (median of {n_seeds} seeds)"))
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
    # The x axis plotly's autorange chose (0 to the last training step of any T), stated so that
    # it stays put while the slider moves.
    fig.update_xaxes(range=[0, max(x[-1] for st in states for x, _ in st)])
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
        learned the long-range part of the task, on it it has not. Markers are the median over
        seeds, error bars the lowest and highest seed.
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
            med = np.array([r["ratio"].median for r in rows])
            low = np.array([r["ratio"].low for r in rows])
            high = np.array([r["ratio"].high for r in rows])
            fig.add_trace(go.Scatter(
                x=[r["T"] for r in rows], y=rounded(med, 4),
                error_y=dict(type="data", symmetric=False, array=rounded(high - med, 4),
                             arrayminus=rounded(med - low, 4), thickness=1.5, width=4),
                customdata=[[lo, hi, r["seeds"]] for lo, hi, r in
                            zip(rounded(low, 3), rounded(high, 3), rows)],
                mode="lines+markers", name=_style.MODEL_LABELS[m], legendgroup=m,
                showlegend=col == 1, line=dict(color=_style.MODEL_COLORS.get(m), width=2.5),
                hovertemplate="T = %{x}: median %{y:.3g} × baseline<br>range "
                              "%{customdata[0]:.3g}–%{customdata[1]:.3g} over "
                              "%{customdata[2]} seeds",
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
