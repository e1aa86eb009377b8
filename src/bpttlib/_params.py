"""The field-wise helpers every parameter container shares (RNNParams, LSTMParams, GRUParams).

Parameters and gradients travel in frozen dataclasses of arrays; these three methods are all
the arithmetic the library needs on them (an update is ``p.zip_map(lambda w, g: w - lr * g, g)``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from . import _checks


class Params:
    """Mixin for frozen dataclasses whose fields are all numpy arrays."""

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays in field order."""
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    def map(self, fn: Callable[[np.ndarray], np.ndarray]):
        """A new container of the same type with ``fn`` applied to every array."""
        return type(self)(*(fn(a) for a in self.arrays()))

    def zip_map(self, fn: Callable[[np.ndarray, np.ndarray], np.ndarray], other):
        """Field-wise ``fn(self.f, other.f)``, e.g. ``p.zip_map(lambda w, g: w - 0.1 * g, g)``."""
        _checks.check_instance(other, "other", type(self))
        return type(self)(*(fn(a, b) for a, b in zip(self.arrays(), other.arrays())))
