"""Leaner figure JSON for the static book: the same picture in fewer bytes.

Applied by :mod:`gtt_sphinx.plotly_mime` to each figure after its text alternative is written
(so the description reads the data as the notebook produced it). Two rewrites, each drawing the
same figure:

- **Evenly spaced coordinates** (``x = 0, 1, 2, …``: a training step, a distance, a grid) become
  plotly's ``x0``/``dx`` (``y0``/``dy``), which plotly expands to the same points. Only when
  every element equals ``x0 + i·dx`` exactly in float64 and every state of the trace's other
  coordinate that a slider or menu can restyle has the same length (plotly draws as many points
  as the longer array gives with ``x0``/``dx``, as many as the shorter with an array).
- **Large float arrays** (``≥ MIN_F4`` elements: a heat map's ``z``, a 1001-point curve) become
  plotly's binary typed arrays as float32, when every value is finite (or a gap: null becomes
  NaN, which plotly also leaves out) and within float32's normal range: 7 significant digits, where the figure resolves 3 and the book rounds the values
  it shows to 4 (``bpttlib.viz._controls.rounded``). The same goes for the per-trace arrays
  a slider step or menu button restyles (plotly decodes them as it decodes a trace's).
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

#: Arrays shorter than this stay as they are (the binary form's header outweighs the saving).
MIN_F4 = 64
_F4 = np.finfo(np.float32)
_DTYPES = {"f8": np.float64, "f4": np.float32, "i1": np.int8, "u1": np.uint8, "i2": np.int16,
           "u2": np.uint16, "i4": np.int32, "u4": np.uint32}
#: Trace types whose x/y may be given as x0/dx (y0/dy) and whose z may be a typed array.
_SPACED = {"scatter": ("x", "y"), "heatmap": ("x", "y"), "contour": ("x", "y")}


def _decode(value: Any) -> np.ndarray | None:
    """``value`` as a float64 array if it is a numeric array (list or typed-array spec)."""
    if isinstance(value, dict) and {"dtype", "bdata"} <= value.keys():
        dtype = _DTYPES.get(value["dtype"])
        if dtype is None:
            return None
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=dtype).astype(float)
        shape = value.get("shape")
        if shape is not None:
            arr = arr.reshape([int(s) for s in str(shape).split(",")])
        return arr
    if isinstance(value, list) and value:
        flat = value if not isinstance(value[0], list) else [v for row in value for v in row]
        if any(isinstance(v, bool) or not isinstance(v, (int, float, type(None))) for v in flat):
            return None
        if isinstance(value[0], list) and len({len(row) for row in value}) != 1:
            return None
        return np.asarray([np.nan if v is None else v for v in flat], dtype=float).reshape(
            (len(value), -1) if isinstance(value[0], list) else (-1,))
    return None


def _spacing(arr: np.ndarray) -> tuple[float, float] | None:
    """``(start, step)`` if ``arr`` is exactly ``start + i·step`` in float64, else None."""
    if arr.ndim != 1 or arr.size < 3 or not np.isfinite(arr).all():
        return None
    start, step = float(arr[0]), float(arr[1] - arr[0])
    if step == 0 or not np.array_equal(start + np.arange(arr.size) * step, arr):
        return None
    return start, step


def _restyled_lengths(figure: dict[str, Any], index: int, key: str) -> set[int]:
    """Lengths that the controls' restyle/update steps give ``key`` of trace ``index``."""
    layout = figure.get("layout") or {}
    steps = [s for slider in layout.get("sliders") or [] for s in slider.get("steps") or []]
    steps += [b for menu in layout.get("updatemenus") or [] for b in menu.get("buttons") or []]
    lengths: set[int] = set()
    n = len(figure.get("data") or [])
    for step in steps:
        args = step.get("args") or []
        if step.get("method") not in ("restyle", "update") or not args or \
                not isinstance(args[0], dict) or key not in args[0]:
            continue
        traces = args[2] if step["method"] == "update" and len(args) > 2 else \
            args[1] if step["method"] == "restyle" and len(args) > 1 else None
        traces = list(range(n)) if traces is None else \
            [traces] if isinstance(traces, int) else list(traces)
        values = args[0][key]
        for j, t in enumerate(traces):
            if t != index:
                continue
            value = values[j] if isinstance(values, list) and values and \
                isinstance(values[0], (list, dict)) else values
            arr = _decode(value)
            lengths.add(-1 if arr is None else len(arr))
    return lengths


def _f4(arr: np.ndarray) -> dict[str, str] | None:
    """``arr`` as a float32 typed-array spec if every value survives the conversion."""
    known = arr[~np.isnan(arr)]  # NaN: a gap, as JSON's null is
    if arr.size < MIN_F4 or not known.size or not np.isfinite(known).all():
        return None
    mags = np.abs(known[known != 0])
    if mags.size and (mags.min() < _F4.tiny or mags.max() > _F4.max):
        return None
    spec = {"dtype": "f4", "bdata": base64.b64encode(arr.astype("<f4").tobytes()).decode()}
    if arr.ndim > 1:
        spec["shape"] = ", ".join(str(s) for s in arr.shape)
    return spec


def _compact_args(control: dict[str, Any]) -> dict[str, Any]:
    """A slider step or menu button with its restyled x/y/z arrays as float32 where they fit."""
    args = control.get("args")
    if control.get("method") not in ("restyle", "update") or not args or \
            not isinstance(args[0], dict):
        return control
    update = dict(args[0])
    for key in ("x", "y", "z"):
        values = update.get(key)
        if isinstance(values, list) and values and isinstance(values[0], (list, dict)):
            update[key] = [spec if (arr := _decode(v)) is not None and
                           (spec := _f4(arr)) is not None else v for v in values]
    return {**control, "args": [update, *args[1:]]}


def compact(figure: dict[str, Any]) -> dict[str, Any]:
    """``figure`` (plotly JSON) with evenly spaced coordinates and large float arrays compacted.

    The input is not modified. See the module docstring for when each rewrite applies.
    """
    data = []
    for index, trace in enumerate(figure.get("data") or []):
        trace = dict(trace)
        kind = trace.get("type", "scatter")
        for key in _SPACED.get(kind, ()):
            arr = _decode(trace.get(key))
            if arr is None or f"{key}0" in trace or f"d{key}" in trace:
                continue
            spaced = _spacing(arr)
            if kind == "scatter":  # the other coordinate always has this many points
                other = "y" if key == "x" else "x"
                partner = _decode(trace.get(other))
                lengths = _restyled_lengths(figure, index, other) | \
                    {-1 if partner is None else len(partner)}
                moved = lengths != {len(arr)}
            else:                  # the grid never changes under a control
                moved = bool(_restyled_lengths(figure, index, "z"))
            if moved or _restyled_lengths(figure, index, key):
                spaced = None
            if spaced is not None:
                del trace[key]
                trace[f"{key}0"], trace[f"d{key}"] = spaced
        for key in ("x", "y", "z"):
            arr = _decode(trace.get(key))
            spec = None if arr is None else _f4(arr)
            if spec is not None:
                trace[key] = spec
        data.append(trace)
    layout = dict(figure.get("layout") or {})
    for name, items in (("sliders", "steps"), ("updatemenus", "buttons")):
        if layout.get(name):
            layout[name] = [{**c, items: [_compact_args(s) for s in c.get(items) or []]}
                            for c in layout[name]]
    return {**figure, "data": data, "layout": layout}
