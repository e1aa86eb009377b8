"""Kernel-free controls and the small numeric helpers every figure shares.

A static figure carries its precomputed states in plotly's ``sliders``/``updatemenus``: each
state is the output of a builder's *traces function* (trace index -> new properties), the same
function the live dashboard applies, and ``restyle_steps`` turns a list of such states into
slider steps. Values are rounded once, by :func:`rounded`; axis ranges come from
``finite_span``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

#: Significant digits kept for the precomputed states of kernel-free sliders (keeps pages small;
#: far finer than a screen pixel).
SLIDER_DIGITS = 6


def rounded(values: object, digits: int = SLIDER_DIGITS) -> list:
    """Round to ``digits`` significant digits; non-finite values become ``None`` (a gap).

    Parameters
    ----------
    values : array_like, any shape
        Flattened.
    digits : int, optional

    Returns
    -------
    list of float or None
    """
    return [
        float(f"{v:.{digits}g}") if math.isfinite(v) else None
        for v in np.asarray(values, dtype=float).ravel().tolist()
    ]


def log10(values: object) -> np.ndarray:
    """``log10`` of non-negative values, ``-inf`` for exact zeros (no warning)."""
    with np.errstate(divide="ignore"):
        return np.log10(np.asarray(values, dtype=float))


def finite_span(*arrays: object) -> tuple[float, float] | None:
    """``(min, max)`` of the finite entries of all ``arrays``, ``None`` if there are none."""
    flat = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])
    flat = flat[np.isfinite(flat)]
    return (float(flat.min()), float(flat.max())) if flat.size else None


def log_range(values: object, pad: float = 0.3) -> tuple[float, float]:
    """A log10 axis range (whole decades) around the positive entries of ``values``."""
    span = finite_span(log10(values))
    if span is None:
        return (-1.0, 1.0)
    return (math.floor(span[0] - pad), math.ceil(span[1] + pad))


def decay_range(*arrays: object, pad: float = 0.5) -> tuple[float, float]:
    """A y range for log10 curves: whole units around the finite values, always including 0."""
    lo, hi = finite_span(*arrays)
    return float(math.floor(lo - pad)), float(math.ceil(max(hi, 0.0) + pad))


def restyle_steps(
    states: Sequence[Mapping[int, Mapping]],
    labels: Sequence[str],
    keys: Sequence[str],
) -> list[dict]:
    """Kernel-free slider steps, one per state of a traces function.

    Parameters
    ----------
    states : sequence of mapping of int to mapping
        One state per step: trace index -> the trace's new properties (the output of a builder's
        traces function; every state names the same traces).
    labels : sequence of str
        The label of each step.
    keys : sequence of str
        Which properties the steps restyle (``"x"``, ``"y"``, ``"name"``, …).

    Returns
    -------
    list of dict
        plotly ``restyle`` steps for ``layout.sliders[...].steps``.
    """
    steps = []
    for state, label in zip(states, labels):
        order = list(state)
        steps.append(dict(method="restyle", label=label, args=[
            {key: [state[i][key] for i in order] for key in keys}, order]))
    return steps


def slider(steps: list[dict], *, active: int, prefix: str, pad: int = 50) -> dict:
    """A kernel-free slider over ``steps`` that jumps (no animation) to the chosen state.

    Parameters
    ----------
    steps : list of dict
        From ``restyle_steps`` (or hand-made ``restyle`` steps).
    active : int
        Index of the state shown first.
    prefix : str
        The slider's label (plotly HTML subset), e.g. ``"w = "``.
    pad : int, optional
        Space above the slider, in pixels.

    Returns
    -------
    dict
        For ``layout.sliders``.
    """
    return dict(active=int(active), currentvalue=dict(prefix=prefix),
                transition=dict(duration=0), pad=dict(t=pad), steps=steps)


def check_mapping(value: object, name: str) -> Mapping:
    """``value`` if it is a non-empty mapping, else a TypeError naming ``name``."""
    if not isinstance(value, Mapping) or not value:
        raise TypeError(
            f"{name}: expected a non-empty mapping of names to arrays, got "
            f"{type(value).__name__}" + (" (empty)" if isinstance(value, Mapping) else "")
        )
    return value


def check_active(active: object, size: int) -> int:
    """The index of the state shown first: ``size // 2`` when ``None``, else in ``[0, size)``."""
    active = size // 2 if active is None else active
    if isinstance(active, (bool, np.bool_)) or not isinstance(active, (int, np.integer)) \
            or not 0 <= active < size:
        raise ValueError(f"active: expected an index in [0, {size - 1}], got {active!r}")
    return int(active)


def _same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.shape == b.shape and bool(np.array_equal(a, b)))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def apply_state(
    fig,
    traces: Mapping[int, Mapping],
    layout: Mapping | None = None,
    *,
    shown: dict | None = None,
) -> tuple[list[int], bool]:
    """Apply a traces function's output (and layout properties) to a figure, in place.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure or FigureWidget
    traces : mapping of int to mapping
        Trace index -> new properties (``x``, ``y``, ``name``, ``line_color``, …).
    layout : mapping, optional
        ``layout`` properties by (magic-underscore) name, e.g. ``{"title_text": "…"}``; arrays
        (``shapes``, ``annotations``) replace the figure's.
    shown : dict, optional
        What was applied before, updated in place: only properties whose value changed are
        sent (a live dashboard keeps one per figure, so a slider step sends only its traces).

    Returns
    -------
    traces : list of int
        The indices of the traces that changed, ascending (without ``shown``: every index
        in ``traces``).
    layout : bool
        Whether the layout changed.
    """
    if shown is None:
        shown = {}
        changed, fresh = traces, dict(layout or {})
    else:
        changed = {}
        for i, props in traces.items():
            new = {k: v for k, v in props.items() if not _same(shown.get((i, k), _NOTHING), v)}
            if new:
                changed[i] = new
                shown.update({(i, k): v for k, v in new.items()})
        fresh = {k: v for k, v in (layout or {}).items()
                 if not _same(shown.get(k, _NOTHING), v)}
        shown.update(fresh)
    for i, props in changed.items():
        fig.data[i].update(props)
    if fresh:
        fig.update_layout(overwrite=True, **fresh)
    return sorted(changed), bool(fresh)


_NOTHING = object()
