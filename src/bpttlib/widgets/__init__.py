"""Live dashboards for JupyterLab, Binder and Colab: ipywidgets controls + a live plotly figure.

This is the only bpttlib package that imports ipywidgets (and anywidget). Each dashboard is an
:class:`Explorer`: a widget whose ``controls`` dict holds its named ipywidgets controls and whose
``figure`` is the ``plotly.graph_objects.Figure`` it redraws, so tests and benchmarks can drive it
without a browser (``ex.controls["w"].value = 1.1`` recomputes and updates ``ex.figure``). Its
``view``, a :class:`PlotView`, draws that figure in the notebook and sends only what changed.

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

from ._core import NARROW, Control, Explorer, PlotView
from .clipping import CLIFF_BS, CLIFF_CONTROLS, CLIFF_WS, cliff_explorer
from .decay import DECAY_CONTROLS, DECAY_HIDDEN, DECAY_KINDS, POWER_CONTROLS, decay_explorer, \
    power_explorer
from .gated import GATED_CONTROLS, SKIP_CONTROLS, gated_decay_explorer, skip_explorer
from .truncation import TRUNCATION_CONTROLS, TRUNCATION_KINDS, truncation_explorer

__all__ = ["Control", "Explorer", "PlotView", "power_explorer", "decay_explorer",
           "truncation_explorer", "cliff_explorer", "gated_decay_explorer", "skip_explorer"]
