"""Figure data: the sweeps behind the book's gradient-flow figures, as plain numpy arrays.

Each function here runs a kernel (:mod:`bpttlib.jacobians`, :mod:`bpttlib.rnn`,
:mod:`bpttlib.gated`, :mod:`bpttlib.skip`) over a grid of settings and returns arrays: decay
curves over spectral radii and activations, truncated against exact gradients over ``k``, gated
and skip-connected decay curves over a slider's values. :mod:`bpttlib.viz` draws them, and the
live dashboards of :mod:`bpttlib.widgets` call the same functions on every change. Nothing here
imports plotly.

Every curve over a distance is indexed by ``T − k`` (entry ``j`` is the value at distance ``j``)
and every network runs on the book's probe (:func:`bpttlib.tasks.probe`).

One module per part of the book, as in :mod:`bpttlib.viz`: ``rtrl`` (Part I), ``decay`` (Part
II), ``truncation``, ``gated`` and ``remedies`` (Part III). Every name is re-exported here.
"""

from __future__ import annotations

from . import decay, gated, remedies, rtrl, truncation
from .decay import *  # noqa: F403
from .gated import *  # noqa: F403
from .remedies import *  # noqa: F403
from .rtrl import *  # noqa: F403
from .truncation import *  # noqa: F403

__all__ = [*rtrl.__all__, *decay.__all__, *truncation.__all__, *gated.__all__, *remedies.__all__]
