"""bpttlib.viz.decay: the decay-grid figure, decay lines, float64 marks and the by-lag figure."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from bpttlib import activations, jacobians, rnn, viz


@pytest.fixture
def grid(small_decay_grid):
    """The shared small grid (tests/conftest.py)."""
    return small_decay_grid


def as_array(values):
    """A figure's list (``None`` for gaps) as a float array with NaN for the gaps."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def apply_restyle(fig_state, args):
    """Apply plotly's ``restyle`` semantics (update dict, trace indices) to a list of dicts."""
    update, indices = args
    for attr, values in update.items():
        for idx, value in zip(indices, values):
            fig_state[idx][attr] = value


def strict_json(fig: go.Figure) -> str:
    """The figure as JSON; fails on NaN or inf anywhere (``allow_nan=False``)."""
    return json.dumps(fig.to_plotly_json(), allow_nan=False, default=lambda o: o.tolist())


ACTS = activations.ACTIVATIONS
SMALL = dict(T=30, n_hidden=8)


def test_grid_figure_structure(grid):
    fig = viz.decay_grid_figure(grid, radius=1.0, activation="relu")
    assert len(fig.data) == 2 * len(ACTS)
    visible = [t.visible for t in fig.data]
    assert visible == [k // 2 == ACTS.index("relu") for k in range(8)]
    slider, menu = fig.layout.sliders[0], fig.layout.updatemenus[0]
    assert len(slider.steps) == 4 and slider.active == 1
    assert [b.label for b in menu.buttons] == list(ACTS) and menu.active == 2
    assert [s.label for s in slider.steps] == ["0.50", "1.00", "1.50", "3.00"]
    meta = fig.layout.meta
    assert meta["gtt"] == "decay-grid" and meta["radii"] == [0.5, 1.0, 1.5, 3.0]
    assert meta["activations"] == list(ACTS) and meta["T"] == 30 and meta["n_hidden"] == 8
    # the y axis is fixed and holds every state
    lo, hi = fig.layout.yaxis.range
    finite = grid.log10_norm[np.isfinite(grid.log10_norm)]
    assert lo < finite.min() and hi > finite.max()


@pytest.mark.parametrize("order", ["dropdown first", "slider first"])
def test_every_control_combination_shows_the_right_curve(grid, order):
    """Whatever the reader does in whichever order, the visible curve is the grid's state for
    the dropdown's activation and the slider's radius (to the kept digits)."""
    fig = viz.decay_grid_figure(grid)
    steps, buttons = fig.layout.sliders[0].steps, fig.layout.updatemenus[0].buttons
    digits = fig.layout.meta["digits"]
    for i, button in enumerate(buttons):
        for j, step in enumerate(steps):
            state = [dict(y=list(t.y), visible=t.visible) for t in fig.data]
            first, second = (button, step) if order == "dropdown first" else (step, button)
            apply_restyle(state, first.args)
            apply_restyle(state, second.args)
            shown = [k for k, t in enumerate(state) if t["visible"]]
            assert shown == [2 * i, 2 * i + 1]
            expected = grid.log10_norm[i, j]
            assert_allclose(as_array(state[2 * i]["y"]), expected, rtol=10.0 ** (1 - digits),
                            atol=1e-12)
            # the bound starts at the curve and falls or rises at log10(gamma sigma_max)
            b0, b1 = state[2 * i + 1]["y"]
            assert_allclose([b0, b1], [expected[0], expected[0] + 30 * grid.log10_rate[i, j]],
                            rtol=10.0 ** (1 - digits))


def test_grid_figure_states_are_rounded_and_nan_free(grid):
    fig = viz.decay_grid_figure(grid, digits=4)
    text = strict_json(fig)
    numbers = [v for step in fig.layout.sliders[0].steps for ys in step.args[0]["y"]
               for v in ys if v is not None]
    assert all(len(f"{abs(v):.10g}".replace(".", "").lstrip("0").split("e")[0]) <= 4
               for v in numbers)
    assert "NaN" not in text and "Infinity" not in text


def test_grid_figure_gaps_for_exact_zeros():
    g = viz.decay_grid([0.0, 1.0], ("relu",), **SMALL)
    fig = viz.decay_grid_figure(g, radius=0.0, activation="relu")
    y = fig.data[0].y
    assert y[0] is not None and all(v is None for v in y[1:])
    strict_json(fig)


def test_book_sized_grid_stays_small():
    """The chapter's grid (66 radii x 4 activations x 101 points) stays far below 1.5 MiB."""
    radii = np.round(np.r_[np.arange(0.5, 1.5001, 0.02), np.arange(1.6, 3.0001, 0.1)], 2)
    assert radii.size == 66
    g = viz.decay_grid(radii, ACTS, T=100, n_hidden=32)
    size = len(strict_json(viz.decay_grid_figure(g)))
    assert size < 300_000, size


def test_grid_figure_rejects_bad_input(grid):
    with pytest.raises(ValueError, match="activation"):
        viz.decay_grid_figure(grid, activation="softplus")
    with pytest.raises(TypeError, match="grid"):
        viz.decay_grid_figure({"radii": [1.0]})
    with pytest.raises(TypeError, match="radius"):
        viz.decay_grid_figure(grid, radius="1.0")


@pytest.mark.parametrize("act", ACTS)
def test_decay_line_at_the_extremes_is_finite_and_annotated(act):
    curve = jacobians.decay_curve(3.0, act, T=1000)
    line = viz.decay_line(curve)
    assert np.isfinite(line.x).all() and np.isfinite(line.y).all()
    assert np.isfinite(line.bound_y).all() and line.bound_x.tolist() == [0.0, 1000.0]
    assert line.overflow == bool(curve.overflow.any())
    assert line.underflow == bool(curve.underflow.any())
    assert any("float64" in n for n in line.notes) == (line.overflow or line.underflow)
    assert_allclose(line.y, curve.log10_norm[::-1])


def test_decay_line_flags_the_known_extremes():
    assert viz.decay_line(jacobians.decay_curve(3.0, "linear", T=1000)).overflow
    assert viz.decay_line(jacobians.decay_curve(3.0, "sigmoid", T=1000)).underflow
    calm = viz.decay_line(jacobians.decay_curve(1.0, "tanh", T=100))
    assert not calm.overflow and not calm.underflow and calm.notes == ()


def test_decay_line_leaves_out_exact_zeros():
    curve = jacobians.decay_curve(0.0, "tanh", T=20)      # W_s = 0: nothing reaches back
    line = viz.decay_line(curve)
    assert line.x.tolist() == [0.0] and line.bound_x.size == 0
    assert any("exactly 0" in n for n in line.notes)


def test_decay_line_rejects_other_types():
    with pytest.raises(TypeError, match="curve"):
        viz.decay_line(np.zeros(5))


def test_float64_limit_marks():
    assert viz.float64_limit_marks(overflow=False, underflow=False) == ([], [])
    shapes, notes = viz.float64_limit_marks(overflow=True, underflow=True)
    assert [s["y0"] for s in shapes] == [jacobians.LOG10_MAX, jacobians.LOG10_TINY]
    assert len(notes) == 2 and "308" in notes[0]["text"]


def test_decay_figure_marks_float64_where_passed():
    curves = {act: jacobians.decay_curve(3.0, act, T=1000) for act in ACTS}
    fig = viz.decay_figure(curves, bounds=True)
    strict_json(fig)
    ys = {round(s.y0, 2) for s in fig.layout.shapes}
    assert ys == {round(jacobians.LOG10_MAX, 2), round(jacobians.LOG10_TINY, 2)}
    assert any("linear:" in a.text for a in fig.layout.annotations)
    calm = viz.decay_figure({"tanh": jacobians.decay_curve(0.9, "tanh", T=50)})
    assert len(calm.layout.shapes) == 0 and len(calm.layout.annotations) == 0


def test_decay_figure_rejects_an_empty_mapping():
    with pytest.raises(TypeError, match="curves"):
        viz.decay_figure({})


def test_by_lag_figure_plots_the_parts_and_their_sum():
    p = rnn.init(2, 6, 1, spectral_radius=0.9, seed=0)
    rng = np.random.default_rng(0)
    xs, d = rng.standard_normal((12, 2)), rng.standard_normal((12, 1))
    parts = rnn.bptt_by_lag(p, xs, d)
    fig = viz.by_lag_figure({"m2m": parts, "norms": np.linalg.norm(parts, axis=(1, 2))})
    y = as_array(fig.data[0].y)
    expected = np.log10(np.linalg.norm(parts, axis=(1, 2))[:-1])
    assert_allclose(y[:-1], expected, rtol=1e-5)
    assert fig.data[0].y[-1] is None                   # the longest chain meets s_0 = 0
    assert len(fig.layout.shapes) == 1                 # one total line (the 3-D entry only)
    assert_allclose(fig.layout.shapes[0].y0, np.log10(np.linalg.norm(parts.sum(0))))
    strict_json(fig)
    with pytest.raises(ValueError, match="terms"):
        viz.by_lag_figure({"bad": np.zeros((2, 2))})
