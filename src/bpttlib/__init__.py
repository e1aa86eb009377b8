"""Gradients Through Time: exact kernels for backpropagation through time.

``import bpttlib`` loads only the numpy kernels (no plotly, no ipywidgets, no sympy):
``bpttlib.rnn.bptt``, ``bpttlib.gated.lstm_bptt``, ``bpttlib.jacobians.decay_curve`` and
friends. The symbolic tier, figures and live widgets are imported explicitly:
``from bpttlib import symbolic, viz, widgets``.
"""

from . import (
    activations,
    clipping,
    connectivity,
    esn,
    gated,
    gradcheck,
    jacobians,
    leaky,
    latching,
    losses,
    matrices,
    orthogonal,
    params,
    regularizer,
    rnn,
    rtrl,
    seeds,
    tasks,
    train,
    truncated,
)

__version__ = "0.1.0"

__all__ = [
    "activations",
    "clipping",
    "connectivity",
    "esn",
    "gated",
    "gradcheck",
    "jacobians",
    "leaky",
    "latching",
    "losses",
    "matrices",
    "orthogonal",
    "params",
    "regularizer",
    "rnn",
    "rtrl",
    "seeds",
    "tasks",
    "train",
    "truncated",
]
