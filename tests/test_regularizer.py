"""Tests for bpttlib.regularizer: δ_t against the exact BPTT gradients, Ω against a direct
evaluation, and ∇Ω (δ frozen, as in the paper) against central differences of Ω with the same
frozen δ."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import gradcheck, rnn, train
from bpttlib import regularizer as reg


def problem(T=6, batch=None, seed=2, rho=1.2):
    p = rnn.init(3, 4, 2, spectral_radius=rho, seed=seed)
    rng = np.random.default_rng(seed)
    shape = (T,) if batch is None else (T, batch)
    return p, rng.standard_normal((*shape, 3)), rng.standard_normal((*shape, 2))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("batch", [None, 3])
def test_deltas_match_bptt(activation, batch):
    p, xs, d = problem(batch=batch, rho=0.9)
    loss, grads, delta = reg.deltas(p, xs, d, activation=activation)
    ref_loss, ref = rnn.bptt(p, xs, d, activation=activation)
    assert_allclose(loss, ref_loss, rtol=1e-14)
    for a, b in zip(grads.arrays(), ref.arrays()):
        assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    trace = rnn.forward(p, xs, activation=activation)    # δ_T = ∂L_T/∂s_T
    dy = 2 * (trace.outputs[-1] - d[-1]) / (1 if batch is None else batch)
    assert_allclose(delta[-1], dy @ p.W_y, rtol=1e-12)


def omega_direct(p, xs, delta, activation="tanh"):
    trace = rnn.forward(p, xs, activation=activation)
    a = trace.preacts
    total = 0.0
    for t in range(xs.shape[0]):
        dphi = {"tanh": 1 - np.tanh(a[t]) ** 2, "linear": np.ones_like(a[t]),
                "sigmoid": (s := 1 / (1 + np.exp(-a[t]))) * (1 - s)}[activation]
        J = dphi[..., :, None] * p.W_s                      # diag(φ') W_s
        v = np.einsum("...ij,...i->...j", J, delta[t])      # J_tᵀ δ_t
        r = np.linalg.norm(v, axis=-1) / np.linalg.norm(delta[t], axis=-1)
        total += np.sum((r - 1) ** 2)
    return total / (1 if xs.ndim == 2 else xs.shape[1])


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("batch", [None, 3])
def test_penalty_value_and_frozen_gradient(activation, batch):
    p, xs, d = problem(batch=batch)
    _, _, delta = reg.deltas(p, xs, d, activation=activation)
    omega, grads = reg.penalty(p, xs, delta, activation=activation)
    assert_allclose(omega, omega_direct(p, xs, delta, activation), rtol=1e-12)
    num = gradcheck.numerical_grads(
        lambda q: reg.penalty(q, xs, delta, activation=activation)[0], p)
    for name in ("W_x", "W_s", "b_s", "W_y", "b_y"):
        assert_allclose(getattr(grads, name), getattr(num, name), rtol=1e-6, atol=1e-8,
                        err_msg=name)


def test_frozen_gradient_differs_from_the_full_one():
    """The approximation matters: Ω with δ recomputed has another gradient."""
    p, xs, d = problem()
    delta = reg.deltas(p, xs, d)[2]
    frozen = reg.penalty(p, xs, delta)[1]
    full = gradcheck.numerical_grads(
        lambda q: reg.penalty(q, xs, reg.deltas(q, xs, d)[2])[0], p)
    assert np.abs(full.W_s - frozen.W_s).max() > 1e-3 * np.abs(frozen.W_s).max()


def test_norm_preserving_steps_give_zero_penalty():
    # linear, orthogonal W_s: ‖J_tᵀ δ‖ = ‖δ‖ for every t
    p = rnn.init(2, 4, 1, spectral_radius=1.0, seed=0, kind="orthogonal")
    rng = np.random.default_rng(0)
    xs, d = rng.standard_normal((5, 2)), rng.standard_normal((5, 1))
    delta = reg.deltas(p, xs, d, activation="linear")[2]
    omega, grads = reg.penalty(p, xs, delta, activation="linear")
    assert omega < 1e-25
    assert max(np.abs(a).max() for a in grads.arrays()) < 1e-12


def test_zero_delta_steps_contribute_nothing():
    p, xs, d = problem()
    delta = reg.deltas(p, xs, d)[2]
    omega_all = reg.penalty(p, xs, delta)[0]
    dphi2 = 1 - np.tanh(rnn.forward(p, xs).preacts[2]) ** 2
    r2 = np.linalg.norm((dphi2 * delta[2]) @ p.W_s) / np.linalg.norm(delta[2])
    delta[2] = 0.0
    omega, grads = reg.penalty(p, xs, delta)
    assert all(np.isfinite(a).all() for a in grads.arrays())
    assert_allclose(omega, omega_all - (r2 - 1) ** 2, rtol=1e-12)


def test_regularized_objective_adds_alpha_times_the_penalty_gradient():
    p, xs, d = problem(batch=4)
    mask = np.ones((6, 4))
    value, g = reg.regularized_objective(0.5)(p, (xs, d, mask))
    loss, plain, delta = reg.deltas(p, xs, d, mask=mask)
    g_omega = reg.penalty(p, xs, delta)[1]
    assert_allclose(value, loss, rtol=1e-14)
    for a, b, c in zip(g.arrays(), plain.arrays(), g_omega.arrays()):
        assert_allclose(a, b + 0.5 * c, rtol=1e-12, atol=1e-15)
    v0, g0 = reg.regularized_objective(0.0)(p, (xs, d, mask))
    for a, b in zip(g0.arrays(), plain.arrays()):
        assert_allclose(a, b, rtol=1e-14)


def test_objective_trains_with_fit():
    p = rnn.init(2, 8, 1, spectral_radius=0.9, seed=0)
    data = train.task_data("adding", batch_size=8, T=10, seed=0)
    fit = train.fit(p, reg.regularized_objective(1.0), data, steps=20,
                    optimizer=train.Adam(0.01), clip_norm=1.0)
    assert fit.stopped is None and np.isfinite(fit.history.loss).all()


@pytest.mark.parametrize("call, exc, name", [
    (lambda p, x, d: reg.penalty(p, x, d[:, :1], activation="tanh"), ValueError, "delta:"),
    (lambda p, x, d: reg.penalty(p, x, np.ones((6, 4)), activation="relu"), ValueError,
     "activation:"),
    (lambda p, x, d: reg.deltas(p, x, d, activation="relu"), ValueError, "activation:"),
    (lambda p, x, d: reg.regularized_objective(-1.0), ValueError, "alpha:"),
    (lambda p, x, d: reg.regularized_objective("1"), TypeError, "alpha:"),
    (lambda p, x, d: reg.regularized_objective(1.0)(p, [x, d, None]), TypeError, "batch:"),
])
def test_bad_arguments_name_themselves(call, exc, name):
    p, xs, d = problem()
    with pytest.raises(exc, match=name):
        call(p, xs, d)
