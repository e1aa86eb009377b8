"""bpttlib.leaky: leaky units' forward pass, BPTT and gradient decay, checked exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from bpttlib import gradcheck, jacobians, leaky, rnn


def network(H=4, seed=0, rho=1.1):
    return rnn.init(2, H, 3, spectral_radius=rho, seed=seed)


@pytest.mark.parametrize("alpha", [1.0, 0.3, "per-unit"])
@pytest.mark.parametrize("batch", [None, 2])
def test_forward_matches_a_plain_loop(alpha, batch):
    p = network()
    rng = np.random.default_rng(1)
    a = rng.uniform(0.1, 1.0, 4) if alpha == "per-unit" else alpha
    xs = rng.standard_normal((7, 2) if batch is None else (7, batch, 2))
    trace = leaky.leaky_forward(p, a, xs)
    s = np.zeros(xs.shape[1:-1] + (4,))
    for t in range(7):
        s = (1 - np.asarray(a)) * s + np.asarray(a) * np.tanh(s @ p.W_s.T + xs[t] @ p.W_x.T)
        assert_allclose(trace.states[t + 1], s, rtol=0, atol=1e-14)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("batch", [None, 3])
def test_alpha_one_is_the_vanilla_rnn(activation, batch):
    p = network(rho=0.9)
    rng = np.random.default_rng(2)
    shape = (6, 2) if batch is None else (6, batch, 2)
    xs, ys = rng.standard_normal(shape), rng.standard_normal(shape[:-1] + (3,))
    l1, g1 = leaky.leaky_bptt(p, 1.0, xs, ys, activation=activation)
    l0, g0 = rnn.bptt(p, xs, ys, activation=activation)
    assert_allclose(l1, l0, rtol=1e-14)
    for a, b in zip(g1.arrays(), g0.arrays()):
        assert_allclose(a, b, rtol=0, atol=1e-13)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("loss", ["mse", "xent"])
def test_bptt_matches_central_differences(activation, loss):
    p = network(seed=3)
    rng = np.random.default_rng(4)
    alpha = rng.uniform(0.05, 1.0, 4)
    xs = rng.standard_normal((6, 2, 2))
    ys = rng.standard_normal((6, 2, 3)) if loss == "mse" else rng.integers(0, 3, (6, 2))
    mask = rng.uniform(0, 1, (6, 2))
    _, g = leaky.leaky_bptt(p, alpha, xs, ys, activation=activation, loss=loss, mask=mask)
    fd = gradcheck.numerical_grads(
        lambda q: leaky.leaky_loss(q, alpha, xs, ys, activation=activation, loss=loss,
                                   mask=mask), p)
    assert gradcheck.max_rel_error(g, fd) < 1e-6


def test_step_jacobians_match_finite_differences_of_one_step():
    p = network(seed=5)
    alpha = np.array([0.1, 0.5, 0.9, 1.0])
    xs = np.random.default_rng(5).standard_normal((5, 2))
    trace = leaky.leaky_forward(p, alpha, xs)
    J = leaky.leaky_step_jacobians(p, alpha, trace)
    t, eps = 3, 1e-6                                  # J_t: ∂s_t/∂s_{t-1}
    step = lambda s: (1 - alpha) * s + alpha * np.tanh(p.W_s @ s + p.W_x @ xs[t - 1])  # noqa
    fd = np.stack([(step(trace.states[t - 1] + eps * e) - step(trace.states[t - 1] - eps * e))
                   / (2 * eps) for e in np.eye(4)], axis=1)
    assert_allclose(J[t - 1], fd, rtol=0, atol=1e-9)


@pytest.mark.parametrize("alpha", [1.0, 0.2, "per-unit"])
def test_decay_is_the_product_of_the_step_jacobians(alpha):
    p = network(H=5, seed=6, rho=1.0)
    rng = np.random.default_rng(6)
    a = rng.uniform(0.05, 1.0, 5) if alpha == "per-unit" else alpha
    xs, ys = rng.standard_normal((20, 2)), rng.standard_normal((20, 3))
    logs = leaky.leaky_decay(p, a, xs, ys)
    trace = leaky.leaky_forward(p, a, xs)
    J = leaky.leaky_step_jacobians(p, a, trace)
    g = 2 * (trace.outputs[-1] - ys[-1]) @ p.W_y        # ∂L_T/∂s_T
    for k in range(20, -1, -1):
        assert_allclose(logs[k], np.log10(np.linalg.norm(g)), rtol=0, atol=1e-12)
        if k:
            g = g @ J[k - 1]


def test_alpha_one_decay_curve_is_the_vanilla_one():
    assert_allclose(leaky.leaky_decay_curve(1.0, 1.0, T=60, n_hidden=8),
                    jacobians.decay_curve(1.0, "tanh", T=60, n_hidden=8).log10_norm,
                    rtol=0, atol=1e-12)


@given(alpha=st.floats(0.01, 1.0), rho=st.floats(0.1, 3.0))
def test_step_jacobian_norm_is_bounded(alpha, rho):
    """‖J_t‖₂ ≤ (1 − α) + α γ σ_max(W_s) with γ = 1 for tanh (Exercise 4 of the chapter)."""
    p = network(H=6, seed=7, rho=rho)
    xs = np.random.default_rng(7).standard_normal((10, 2))
    J = leaky.leaky_step_jacobians(p, alpha, leaky.leaky_forward(p, alpha, xs))
    bound = (1 - alpha) + alpha * np.linalg.norm(p.W_s, 2)
    assert np.linalg.norm(J, 2, axis=(1, 2)).max() <= bound * (1 + 1e-12)


@given(alpha=st.floats(0.001, 1.0))
def test_tanh_states_move_at_most_two_alpha_per_step(alpha):
    p = network(H=6, seed=8, rho=2.0)
    xs = 5 * np.random.default_rng(8).standard_normal((30, 2))
    s = leaky.leaky_forward(p, alpha, xs).states
    assert np.abs(np.diff(s, axis=0)).max() <= 2 * alpha * (1 + 1e-12)


@pytest.mark.parametrize("alpha, exc", [(0.0, ValueError), (1.5, ValueError),
                                        (-0.1, ValueError), (np.ones(3), ValueError),
                                        ("a", TypeError), (np.nan, ValueError)])
def test_bad_alpha_is_named(alpha, exc):
    with pytest.raises(exc, match="^alpha: "):
        leaky.leaky_forward(network(), alpha, np.zeros((3, 2)))


def test_overflow_raises():
    p = rnn.init(2, 3, 1, spectral_radius=1e300, seed=0)
    with pytest.raises(FloatingPointError, match="^leaky_forward: "):
        leaky.leaky_forward(p, 0.5, np.ones((200, 2)), activation="linear")
