"""Gradients Through Time: exact kernels for backpropagation through time."""
