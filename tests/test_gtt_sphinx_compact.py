"""gtt_sphinx.compact: leaner figure JSON that draws the same figure."""

import base64
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sphinx_ext"))
from gtt_sphinx.compact import MIN_F4, compact  # noqa: E402


def values(spec_or_list):
    """A trace array as plotly reads it: list (null = gap = NaN) or typed-array spec."""
    if isinstance(spec_or_list, dict):
        arr = np.frombuffer(base64.b64decode(spec_or_list["bdata"]), "<f4").astype(float)
        shape = spec_or_list.get("shape")
        return arr.reshape([int(s) for s in shape.split(",")]) if shape else arr
    return np.array([np.nan if v is None else v for v in np.ravel(spec_or_list)], float)


def points(trace, key):
    """The coordinates plotly draws for ``key`` of a scatter trace with ``n`` points."""
    other = "y" if key == "x" else "x"
    n = len(values(trace[other]))
    if key in trace:
        return values(trace[key])[:n]
    return trace[f"{key}0"] + np.arange(n) * trace[f"d{key}"]


@pytest.mark.parametrize("start,step,n", [(0, 1, 101), (0.0, 0.5, 7), (-3, 2, 3), (10, -1, 50)])
def test_evenly_spaced_x_becomes_x0_dx_and_draws_the_same_points(start, step, n):
    x = [start + i * step for i in range(n)]
    y = list(np.random.default_rng(n).random(n).round(4))
    trace = compact({"data": [{"type": "scatter", "x": x, "y": y}]})["data"][0]
    assert "x" not in trace and (trace["x0"], trace["dx"]) == (start, step)
    assert_array_equal(points(trace, "x"), x)


@pytest.mark.parametrize("x", [[0, 1, 3, 4], [0.0, 0.1, 0.2, 0.3000001], [0, 0, 0], [1, 2]])
def test_uneven_or_short_x_stays(x):
    trace = compact({"data": [{"x": x, "y": [1] * len(x)}]})["data"][0]
    assert trace["x"] == x


def test_x_stays_when_a_slider_changes_the_number_of_points():
    fig = {"data": [{"x": [0, 1, 2], "y": [5, 6, 7]}],
           "layout": {"sliders": [{"steps": [
               {"method": "restyle", "args": [{"y": [[1, 2, 3, 4]]}, [0]]}]}]}}
    assert compact(fig)["data"][0]["x"] == [0, 1, 2]  # with x0/dx plotly would draw 4 points
    fig["layout"]["sliders"][0]["steps"][0]["args"][0]["y"] = [[1, 2, 3]]
    assert "x" not in compact(fig)["data"][0]


def test_x_stays_when_a_control_restyles_it():
    fig = {"data": [{"x": [0, 1, 2], "y": [5, 6, 7]}],
           "layout": {"updatemenus": [{"buttons": [
               {"method": "update", "args": [{"x": [[0, 2, 4]]}, {}, [0]]}]}]}}
    assert compact(fig)["data"][0]["x"] == [0, 1, 2]


def test_large_float_arrays_become_float32_with_gaps_kept():
    rng = np.random.default_rng(1)
    y = list(rng.normal(size=MIN_F4 + 5).round(4))
    y[3] = None
    z = rng.random((8, MIN_F4 // 4)).round(4).tolist()
    fig = compact({"data": [{"x": list(rng.random(MIN_F4 + 5)), "y": y},
                            {"type": "heatmap", "z": z}]})
    trace, heat = fig["data"]
    assert trace["y"]["dtype"] == "f4" and heat["z"]["shape"] == f"8, {MIN_F4 // 4}"
    got = values(trace["y"])
    assert np.isnan(got[3]) and np.isnan(got).sum() == 1
    assert_allclose(np.delete(got, 3), np.delete(values(y), 3), rtol=1e-7)  # float32: 7 digits
    assert_allclose(values(heat["z"]), np.array(z), rtol=1e-7)


@pytest.mark.parametrize("bad", [1e-300, 1e300, float("inf")])
def test_values_outside_float32_stay_as_they_are(bad):
    y = [1.0] * MIN_F4
    y[5] = bad
    assert compact({"data": [{"y": y, "x": [0.5, 7.0] * (MIN_F4 // 2)}]})["data"][0]["y"] == y


def test_slider_arrays_become_float32_and_the_input_is_unchanged():
    long = list(np.linspace(-3, 3, MIN_F4).round(4))
    fig = {"data": [{"x": [0, 1], "y": [0, 1]}],
           "layout": {"sliders": [{"steps": [
               {"method": "restyle", "args": [{"y": [long, [1, 2]], "name": ["a", "b"]}, [0, 1]]},
               {"method": "relayout", "args": [{"title": "t"}]}]}]}}
    before = json.dumps(fig, sort_keys=True)
    steps = compact(fig)["layout"]["sliders"][0]["steps"]
    assert json.dumps(fig, sort_keys=True) == before
    ys = steps[0]["args"][0]["y"]
    assert ys[0]["dtype"] == "f4" and ys[1] == [1, 2] and steps[0]["args"][1] == [0, 1]
    assert_allclose(values(ys[0]), long, rtol=1e-7)
    assert steps[1] == fig["layout"]["sliders"][0]["steps"][1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=3, max_size=80), st.integers(-3, 3),
       st.integers(1, 4))
def test_drawn_points_never_change(ys, start, step):
    """Invariant: whatever compact does, plotly draws the same (x, y) points (to float32)."""
    x = [start + i * step for i in range(len(ys))]
    trace = {"type": "scatter", "x": x, "y": [float(v) for v in ys]}
    new = compact({"data": [trace]})["data"][0]
    assert_array_equal(points(new, "x"), x)
    assert_array_equal(values(new["y"]), ys)
