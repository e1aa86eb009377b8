"""Part III: what trained networks remember, as connectivity heatmaps.

:func:`connectivity_figure` draws the rows of :func:`bpttlib.sweeps.connectivity_rows` (each
model before and after training, ``log10`` of the connectivity over the input positions
``t``, normalised to its maximum) as one heatmap per length ``T``, stacked, with the marked
input positions drawn as triangles above each heatmap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._checks import check_instance
from ..sweeps import connectivity_rows
from . import _style

#: Colour range of the heatmaps: ``log10(C/max C)`` from ``−FLOOR`` to 0.
FLOOR = 4.0
_STAGE = {"init": "at init", "trained": "trained"}
TASK_TITLES = {"adding": "adding problem: ‖∂y<sub>T</sub>/∂x<sub>t</sub>‖",
               "copy": "copy task: mean over the recall steps of ‖∂y<sub>s</sub>/∂x<sub>t</sub>‖"}


def connectivity_figure(study: Mapping, task: str, *, marks: Mapping[int, Sequence[int]],
                        models: Sequence[str] = ("rnn", "lstm", "gru"),
                        title: str | None = None) -> go.Figure:
    """Connectivity heatmaps of the stored study, one per length, marked positions on top.

    Parameters
    ----------
    study : dict
        :func:`bpttlib.memorization.load`.
    task : {"adding", "copy"}
    marks : mapping of int to sequence of int
        For each length ``T`` of the task, the marked input positions (1-based) to draw.
    models : sequence of str, optional
        The models' rows, bottom to top in this order.
    title : str, optional
        Default: the task's ``TASK_TITLES`` entry.

    Returns
    -------
    plotly.graph_objects.Figure
        One heatmap per ``T``; x is the input position ``t``, rows are the models at
        initialisation and trained; colour ``log10(C(t)/max_t C(t))`` clipped at ``−FLOOR``;
        the marked positions outlined in red.

    Notes
    -----
    The connectivity of :func:`bpttlib.connectivity.connectivity` (eq-lstm, eq-gru,
    eq-rnn-state), median over the study's seeds of each seed's normalised curve.
    """
    check_instance(study, "study", dict)
    check_instance(marks, "marks", Mapping)
    lengths = list(study["config"]["tasks"][task]["lengths"])
    if sorted(marks) != sorted(lengths):
        raise ValueError(f"marks: expected one entry per length {lengths}, got {sorted(marks)}")
    fig = make_subplots(rows=len(lengths), cols=1, vertical_spacing=0.16,
                        subplot_titles=[f"T = {T}" for T in lengths])
    for k, T in enumerate(lengths, start=1):
        labels, z = connectivity_rows(study, task, T, models=models)
        t = np.arange(1, z.shape[1] + 1)
        names = [f"{_style.MODEL_LABELS[m]} {_STAGE[s]}" for m, s in labels]
        fig.add_trace(go.Heatmap(
            z=np.maximum(z, -FLOOR), x=t, y=names, zmin=-FLOOR, zmax=0.0,
            colorscale="Viridis", showscale=k == 1, name=f"T = {T}",
            colorbar=dict(title=dict(text="log<sub>10</sub> C/max", side="right"), len=0.8,
                          thickness=12),
            hovertemplate="t = %{x}<br>%{y}<br>log10 C/max = %{z:.2f}<extra></extra>"),
            row=k, col=1)
        for lo, hi in _runs(marks[T]):  # the marked positions, outlined
            fig.add_vrect(x0=lo - 0.5, x1=hi + 0.5, row=k, col=1, fillcolor="rgba(0,0,0,0)",
                          line=dict(color=_style.RED, width=2))
        fig.update_xaxes(title_text="input position t" if k == len(lengths) else None,
                         range=[0.5, z.shape[1] + 0.5], row=k, col=1)
        fig.update_yaxes(title_text="model", row=k, col=1)
    _style.frame(fig, title=title or TASK_TITLES[task], height=250 * len(lengths) + 60,
                 left=130, right=10, top=60)
    return fig


def _runs(positions):
    """Contiguous runs ``(first, last)`` of sorted integer positions."""
    pos = sorted(int(p) for p in positions)
    if not pos:
        raise ValueError("marks: expected at least one marked position per length")
    out = [[pos[0], pos[0]]]
    for p in pos[1:]:
        if p == out[-1][1] + 1:
            out[-1][1] = p
        else:
            out.append([p, p])
    return [tuple(r) for r in out]
