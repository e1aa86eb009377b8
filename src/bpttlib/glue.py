"""Hand a number that a cell computed to the prose of the book, so that no result is typed twice.

A chapter writes ``glue("key", value)`` in a cell and ``{glue:text}`key:.3f``` in a sentence;
when the book is built, myst-nb puts the value into the sentence, and a key that no cell glued
fails the build (it warns, and the build treats warnings as errors). Outside the book's build
(Colab, a plain Jupyter kernel without myst-nb) ``glue`` only returns the value.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["glue"]


def glue(name: str, value):
    """Store ``value`` under ``name`` for ``{glue:text}`` roles in the same chapter.

    Parameters
    ----------
    name : str
        The key that the prose uses, e.g. ``"rho-grows-tanh"``. Letters, digits, ``-`` and ``_``.
    value : int, float or str
        A scalar: numpy scalars and 0-d arrays are converted to Python numbers first, so that a
        format spec such as ``:.3f`` in the role applies to the number (numpy 2 displays
        ``np.float64(0.5)``, which no format spec can read).

    Returns
    -------
    The converted value, so that a cell can write ``x = glue("x", compute())``.

    Notes
    -----
    A thin wrapper of ``myst_nb.glue(name, value, display=False)``; nothing is displayed.
    """
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "-_" for c in name):
        raise ValueError(f"name: expected a non-empty key of letters, digits, '-' or '_', got {name!r}")
    if isinstance(value, np.ndarray) and value.ndim == 0 or isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, (numbers.Number, str)) or isinstance(value, complex):
        raise TypeError(f"value: expected an int, float or str, got {type(value).__name__}")
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab or a plain kernel: the prose is not rendered there
        return value
    myst_glue(name, value, display=False)
    return value
