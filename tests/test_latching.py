"""Tests for bpttlib.latching: fixed points, trajectories and gradients of the cliff model."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import activations, clipping, latching

sigmoid = activations.sigmoid.value


@pytest.mark.parametrize("w, b, count", [(8.0, -4.0, 3), (8.0, -2.0, 1), (2.0, 0.0, 1),
                                         (6.0, -3.0, 3), (-6.0, 1.0, 1), (20.0, -10.0, 3)])
def test_fixed_points_are_fixed_and_counted(w, b, count):
    fp = latching.fixed_points(w, b)
    assert fp.x.shape == fp.slope.shape == fp.stable.shape == (count,)
    assert_allclose(w * sigmoid(fp.x) + b, fp.x, rtol=0, atol=1e-11)
    assert_allclose(fp.slope, w * activations.sigmoid.deriv(fp.x), rtol=1e-14)
    assert (np.diff(fp.x) > 0).all()
    if count == 3:  # attractor, repeller, attractor
        assert fp.stable.tolist() == [True, False, True]


@pytest.mark.parametrize("w", [4.5, 6.0, 8.0, 15.0])
def test_bifurcations_bound_the_bistable_range(w):
    lo, hi = latching.bifurcation_biases(w)
    assert lo < hi
    for b, count in ((lo - 1e-3, 1), (0.5 * (lo + hi), 3), (hi + 1e-3, 1)):
        assert latching.fixed_points(w, b).x.size == count
    # at a bifurcation f(x) = x and f'(x) = 1 for some x
    for b in (lo, hi):
        x = np.linspace(-20, 20, 400_001)
        g = w * sigmoid(x) + b - x
        i = np.argmin(np.abs(g))
        assert abs(g[i]) < 1e-6 and abs(w * activations.sigmoid.deriv(x[i]) - 1) < 1e-3


@pytest.mark.parametrize("x0", [-3.0, 0.3, 2.0])
def test_trajectory_gain_matches_finite_differences(x0):
    w, b, steps = 6.0, -3.0, 12
    tr = latching.trajectory(w, b, x0, steps=steps)

    def final(x):
        return latching.trajectory(w, b, x, steps=steps).x[-1]

    h = 1e-6                                   # central difference of x_steps in x_0
    num = (final(x0 + h) - final(x0 - h)) / (2 * h)
    assert_allclose(tr.log10_gain[-1], np.log10(abs(num)), atol=1e-5)


def test_gain_falls_at_the_attractors_rate():
    w, b = 8.0, -4.0
    fp = latching.fixed_points(w, b)
    tr = latching.trajectory(w, b, 1.0, steps=200)
    rate = np.diff(tr.log10_gain)[-20:]
    assert_allclose(rate, np.log10(abs(fp.slope[2])), atol=1e-9)
    assert tr.log10_gain[-1] < -100           # no underflow in log space


def test_noise_flips_only_states_near_the_boundary():
    w, b = 8.0, -4.0                          # symmetric: repeller at 0
    kept = latching.noisy_final_states(w, b, 3.83, steps=200, noise=0.3, n=2000, seed=1)
    split = latching.noisy_final_states(w, b, 0.0, steps=200, noise=0.3, n=2000, seed=1)
    assert (kept > 0).mean() > 0.999
    assert 0.4 < (split > 0).mean() < 0.6


def test_noise_zero_is_the_plain_map():
    out = latching.noisy_final_states(6.0, -3.0, 0.5, steps=30, noise=0.0, n=3)
    assert_allclose(out, latching.trajectory(6.0, -3.0, 0.5, steps=30).x[-1], rtol=1e-15)


def test_cliff_wall_sits_where_the_start_is_on_the_basin_boundary():
    w = 8.0
    b = np.linspace(-6, -1, 5001)
    E = clipping.cliff_loss(np.full_like(b, w), b)
    jump = b[np.argmax(np.abs(np.diff(E)))]
    boundary = 0.5 - w * sigmoid(0.5)         # repeller at x0 = 0.5
    assert abs(jump - boundary) < 2e-3
    lo, hi = latching.bifurcation_biases(w)
    assert lo < boundary < hi


@pytest.mark.parametrize("call, exc, name", [
    (lambda: latching.fixed_points(np.nan, 0.0), ValueError, "w"),
    (lambda: latching.fixed_points(1.0, "a"), TypeError, "b"),
    (lambda: latching.trajectory(0.0, 1.0, 0.0), ValueError, "w"),
    (lambda: latching.trajectory(1.0, 1.0, 0.0, steps=0), ValueError, "steps"),
    (lambda: latching.noisy_final_states(1.0, 0.0, 0.0, steps=3, noise=-1.0, n=2), ValueError,
     "noise"),
    (lambda: latching.bifurcation_biases(3.0), ValueError, "w"),
    (lambda: latching.fixed_points(1e300, 1e300), ValueError, "w"),
    (lambda: latching.noisy_final_states(1.0, 0.0, 0.0, steps=3, noise=1e308, n=50),
     FloatingPointError, "noise"),
])
def test_bad_input_names_the_argument(call, exc, name):
    with pytest.raises(exc, match=rf"^{name}"):
        call()


def test_huge_but_allowed_weights_stay_finite():
    fp = latching.fixed_points(5e299, -4e299)
    assert np.isfinite(fp.x).all() and fp.x.size == 3
    lo, hi = latching.bifurcation_biases(1e300)
    assert np.isfinite([lo, hi]).all() and lo < hi
