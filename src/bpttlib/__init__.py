"""Gradients Through Time: exact kernels for backpropagation through time.

``import bpttlib`` loads only numpy-based kernels (no plotly, no ipywidgets, no sympy):
``bpttlib.rnn.bptt``, ``bpttlib.jacobians.decay_curve`` and friends. Figure and widget
modules are imported explicitly (``from bpttlib import viz``).
"""

from . import activations, gradcheck, jacobians, losses, matrices, rnn

__version__ = "0.1.0"

__all__ = [
    "activations",
    "gradcheck",
    "jacobians",
    "losses",
    "matrices",
    "rnn",
]
