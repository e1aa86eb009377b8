"""Claims over seeds: which seeds a study uses, how its results are summarised, and the
knife-edge mode that checks a claim survives the last bit.

A training run is chaotic: the same code on a CPU whose BLAS picks another kernel (or with
the initial weights moved by one part in 10^10) ends somewhere else after a few hundred steps.
So the book never states what *one* run did. It runs a study over several seeds
(:func:`study`) and states the median, the spread (:class:`Summary`) and how many runs did
what (:meth:`Summary.count`), with thresholds far from where the runs land.

The knife-edge mode re-runs such claims on purpose off their original bits. It is switched on
by the environment variable ``BPTTLIB_KNIFE_EDGE`` (read at every call, so a test can set it
for a chapter's kernel), a comma-separated list of

``perturb``
    every :func:`bpttlib.train.fit` and :func:`bpttlib.clipping.cliff_descent` starts from its
    initial parameters multiplied entry by entry by ``1 + 1e-10 z`` (``z`` standard normal,
    from a fixed generator): :func:`perturb_start`;
``seeds``
    :func:`study` hands out a disjoint set of seeds (shifted by :data:`DISJOINT_OFFSET`).

``tests/test_knife_edge.py`` executes every chapter that trains in both modes and requires
every assert of the chapter to hold there too. A claim that flips is on a knife edge.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Iterable

import numpy as np

from . import _checks
from . import params as ptree

__all__ = [
    "ENV",
    "RELATIVE",
    "DISJOINT_OFFSET",
    "knife_edge",
    "study",
    "perturb_start",
    "Summary",
    "summarize",
]

#: The environment variable that switches the knife-edge mode on.
ENV = "BPTTLIB_KNIFE_EDGE"
#: Relative size of the ``perturb`` mode's change to the initial parameters.
RELATIVE = 1e-10
#: How far the ``seeds`` mode moves a study's seeds (far beyond any seed the book uses).
DISJOINT_OFFSET = 10_000
_MODES = ("perturb", "seeds")


def knife_edge() -> frozenset[str]:
    """The knife-edge modes switched on now (a subset of ``{"perturb", "seeds"}``).

    Raises
    ------
    ValueError
        If ``BPTTLIB_KNIFE_EDGE`` names anything else.
    """
    raw = os.environ.get(ENV, "")
    modes = frozenset(m.strip() for m in raw.split(",") if m.strip())
    unknown = sorted(modes - set(_MODES))
    if unknown:
        raise ValueError(f"{ENV}: expected a comma-separated subset of {', '.join(_MODES)}, "
                         f"got {raw!r}")
    return modes


def study(n: int, *, start: int = 0) -> tuple[int, ...]:
    """The seeds of a study: ``start, start + 1, …, start + n − 1``.

    Parameters
    ----------
    n : int
        How many seeds (at least 1).
    start : int, optional
        The first seed (non-negative).

    Returns
    -------
    tuple of int
        In the knife-edge ``seeds`` mode, the same count shifted by :data:`DISJOINT_OFFSET`:
        a disjoint set.
    """
    n = _checks.check_size(n, "n")
    start = _checks.check_seed(start, "start")
    if "seeds" in knife_edge():
        start += DISJOINT_OFFSET
    return tuple(range(start, start + n))


def perturb_start(params):
    """``params`` as a training run starts from them: unchanged, or in the knife-edge
    ``perturb`` mode multiplied entry by entry by ``1 + RELATIVE · z``.

    Parameters
    ----------
    params : RNNParams, LSTMParams, GRUParams, or a tuple of floats
        A parameter container, or a plain tuple of numbers (the cliff model's ``(w, b)``).

    Returns
    -------
    same type as ``params``
        The generator is fixed (seed 0), so a perturbed run is itself repeatable.
    """
    plain = isinstance(params, tuple) and not dataclasses.is_dataclass(params)
    if plain:
        values = tuple(_checks.check_real(v, f"params[{i}]") for i, v in enumerate(params))
    else:
        ptree.fields(params, "params")
    if "perturb" not in knife_edge():
        return params
    rng = np.random.default_rng(0)
    if plain:
        return tuple(v * (1 + RELATIVE * rng.standard_normal()) for v in values)
    return params.map(lambda a: a * (1 + RELATIVE * rng.standard_normal(a.shape)))


@dataclasses.dataclass(frozen=True)
class Summary:
    """The results of one quantity over the seeds of a study.

    Attributes
    ----------
    values : ndarray, shape (n,)
        One value per seed, in the order of the seeds (``inf`` allowed, e.g. a diverged run).
    median, low, high : float
        The median and the smallest and largest value (the spread the book quotes).
    """

    values: np.ndarray
    median: float
    low: float
    high: float

    @property
    def n(self) -> int:
        """How many seeds."""
        return int(self.values.size)

    def count(self, predicate: Callable[[float], bool]) -> int:
        """How many of the values satisfy ``predicate``."""
        return sum(bool(predicate(float(v))) for v in self.values)

    def __str__(self) -> str:
        return f"median {self.median:.3g} (range {self.low:.3g}–{self.high:.3g}, n = {self.n})"


def summarize(values: Iterable[float]) -> Summary:
    """Median and range of one quantity over the seeds of a study.

    Parameters
    ----------
    values : iterable of float
        One real value per seed; ``+inf``/``-inf`` are allowed (a run that diverged), NaN is
        not.

    Returns
    -------
    Summary

    Raises
    ------
    ValueError
        If ``values`` is empty or holds a NaN.
    TypeError
        If a value is not a real number.
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"values: expected an iterable of real numbers, got "
                        f"{type(values).__name__}")
    items = list(values)
    if not items:
        raise ValueError("values: expected at least one value, got none")
    out = np.empty(len(items))
    for i, v in enumerate(items):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer,
                                                                  np.floating)):
            raise TypeError(f"values: expected real numbers, got {type(v).__name__} at {i}")
        if math.isnan(v):
            raise ValueError(f"values: expected no NaN, got NaN at {i}")
        out[i] = float(v)
    out.setflags(write=False)
    return Summary(values=out, median=float(np.median(out)), low=float(out.min()),
                   high=float(out.max()))
