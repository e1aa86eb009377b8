"""bpttlib.sweeps: the figure data, checked against the kernels they run."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import activations, gated, jacobians, rnn, sweeps, tasks


ACTS = activations.ACTIVATIONS


SMALL = dict(T=30, n_hidden=8)


@pytest.fixture(scope="module")
def grid():
    return sweeps.decay_grid([0.5, 1.0, 1.5, 3.0], ACTS, **SMALL)


def flat_recurrent(g):
    return np.concatenate([g.W_x.ravel(), g.W_s.ravel(), g.b_s.ravel()])


@pytest.fixture(scope="module")
def problem():
    T = 12
    xs, verbs = tasks.agreement_task(8, T, seed=0, attractors=False)
    targets, mask = tasks.many_to_one(verbs, T)
    params = rnn.init(xs.shape[-1], 6, 2, spectral_radius=1.0, seed=0, kind="orthogonal")
    return params, xs, targets, mask


@pytest.fixture(scope="module")
def sweep(problem):
    params, xs, targets, mask = problem
    return sweeps.truncation_sweep(params, xs, targets, loss="xent", mask=mask)


def test_decay_grid_matches_decay_curve_state_by_state(grid):
    assert grid.log10_norm.shape == (4, 4, 31)
    assert grid.activations == ACTS
    assert_allclose(grid.distance, np.arange(31))
    for i, act in enumerate(ACTS):
        for j, rho in enumerate(grid.radii):
            curve = jacobians.decay_curve(rho, act, **SMALL)
            assert_allclose(grid.log10_norm[i, j], curve.log10_norm[::-1], rtol=0, atol=1e-12)
            assert_allclose(grid.log10_rate[i, j], math.log10(curve.gamma * curve.sigma_max),
                            atol=1e-12)
    assert grid.settings == dict(n_hidden=8, T=30, kind="gaussian", seed=0, input_scale=1.0)


def test_decay_grid_rate_is_minus_inf_for_a_zero_matrix():
    g = sweeps.decay_grid([0.0], ("tanh",), **SMALL)
    assert g.log10_rate[0, 0] == -np.inf
    assert np.isneginf(g.log10_norm[0, 0, 1:]).all() and np.isfinite(g.log10_norm[0, 0, 0])


@pytest.mark.parametrize("radii, activations_, exc, word", [
    ([], ACTS, ValueError, "radii"),
    ([-0.5, 1.0], ACTS, ValueError, "radii"),
    ([[1.0]], ACTS, ValueError, "radii"),
    ([1.0], ("tanh", "softplus"), ValueError, "activations"),
    ([1.0], "tanh", TypeError, "activations"),
    ([1.0], (), ValueError, "activations"),
])
def test_decay_grid_rejects_bad_input(radii, activations_, exc, word):
    with pytest.raises(exc, match=word):
        sweeps.decay_grid(radii, activations_, **SMALL)


def test_gated_decay_curves_are_the_kernels_by_distance():
    c = sweeps.gated_decay_curves(2.0, T=40, n_hidden=8, seed=3, spectral_radius=1.1)
    assert set(c) == {"rnn", "gru", "lstm"} and all(v.shape == (41,) for v in c.values())
    assert_allclose(c["rnn"], jacobians.decay_curve(1.1, "tanh", n_hidden=8, T=40,
                                                    seed=3).log10_norm[::-1])
    assert_allclose(c["lstm"], gated.gated_decay_curve("lstm", forget_bias=2.0, n_hidden=8,
                                                       T=40, seed=3)[::-1])
    assert_allclose(c["gru"], gated.gated_decay_curve("gru", n_hidden=8, T=40, seed=3)[::-1])


def test_sweep_matches_direct_cosines_and_ratios(problem, sweep):
    params, xs, targets, mask = problem
    assert_allclose(sweep.ks, np.arange(1, 12))
    assert sweep.T == 12 and sweep.lag_norms.shape == (12,)
    g = flat_recurrent(rnn.bptt(params, xs, targets, loss="xent", mask=mask)[1])
    for i, k in enumerate(sweep.ks):
        gk = flat_recurrent(rnn.bptt(params, xs, targets, loss="xent", mask=mask,
                                     truncate=int(k))[1])
        cos = gk @ g / (np.linalg.norm(gk) * np.linalg.norm(g))
        assert_allclose(sweep.cosine[i], cos, rtol=1e-12)
        assert_allclose(sweep.norm_ratio[i], np.linalg.norm(gk) / np.linalg.norm(g), rtol=1e-12)
    # k = T - 1 is exact BPTT
    assert_allclose(sweep.cosine[-1], 1.0, atol=1e-12)
    assert_allclose(sweep.norm_ratio[-1], 1.0, atol=1e-12)
    lags = rnn.bptt_by_lag(params, xs, targets, loss="xent", mask=mask)
    assert_allclose(sweep.lag_norms, np.linalg.norm(lags, axis=(1, 2)), rtol=1e-12)


def test_sweep_custom_ks_and_errors(problem):
    params, xs, targets, mask = problem
    s = sweeps.truncation_sweep(params, xs, targets, ks=[2, 5], loss="xent", mask=mask)
    assert s.ks.tolist() == [2, 5] and s.cosine.shape == (2,)
    with pytest.raises(ValueError, match=r"^ks"):
        sweeps.truncation_sweep(params, xs, targets, ks=[0, 1], loss="xent", mask=mask)
    with pytest.raises(ValueError, match=r"^ks"):
        sweeps.truncation_sweep(params, xs, targets, ks=[], loss="xent", mask=mask)
    with pytest.raises(ValueError, match=r"^ks"):
        sweeps.truncation_sweep(params, xs, targets, ks=[1.5], loss="xent", mask=mask)
    with pytest.raises(TypeError, match=r"^params"):
        sweeps.truncation_sweep("params", xs, targets)
    zero = rnn.RNNParams(params.W_x, params.W_s, params.b_s, np.zeros_like(params.W_y),
                         params.b_y)  # W_y = 0: no gradient reaches the recurrent weights
    with pytest.raises(ValueError, match=r"^targets: the exact gradient"):
        sweeps.truncation_sweep(zero, xs, targets, loss="xent", mask=mask)
    with pytest.raises(ValueError, match=r"^xs"):
        sweeps.truncation_sweep(params, xs[:1], targets[:1], loss="xent")
