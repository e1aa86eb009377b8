"""bpttlib.skip: the skip-connected RNN's forward pass and gradient decay, checked exactly."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import jacobians, matrices, rnn, skip


def network(H=4, seed=0, rho=0.9, skip_rho=0.6):
    params = rnn.init(2, H, 3, spectral_radius=rho, seed=seed)
    W_d = matrices.gaussian(H, skip_rho, seed + 7)
    return params, W_d


def reference_final_loss(params, W_d, d, xs, targets, act, k=None, nudge=None):
    """Loop-by-loop forward; ``nudge`` is added to the node s_k once it is computed.

    Analytic in ``nudge`` (no abs, no max), so a complex nudge gives the complex-step derivative.
    """
    T, H = xs.shape[0], params.n_hidden
    states = [np.zeros(H, dtype=complex)]
    if k == 0:
        states[0] = states[0] + nudge
    for t in range(1, T + 1):
        a = params.W_s @ states[t - 1] + params.W_x @ xs[t - 1] + params.b_s
        if t - d >= 0:
            a = a + W_d @ states[t - d]
        s = act(a)
        if t == k:
            s = s + nudge
        states.append(s)
    y = params.W_y @ states[-1] + params.b_y
    return np.sum((y - targets[-1]) ** 2)


@pytest.mark.parametrize("d", [1, 2, 3, 7])
def test_forward_matches_a_plain_loop(d):
    params, W_d = network()
    xs = np.random.default_rng(1).standard_normal((9, 2))
    trace = skip.skip_forward(params, W_d, d, xs)
    s = [np.zeros(4)]
    for t in range(1, 10):
        a = params.W_s @ s[-1] + params.W_x @ xs[t - 1] + (W_d @ s[t - d] if t >= d else 0)
        s.append(np.tanh(a))
    assert_allclose(trace.states, np.array(s), rtol=0, atol=1e-14)
    assert_allclose(trace.outputs, trace.states[1:] @ params.W_y.T, atol=1e-14)


@pytest.mark.parametrize("activation, fn", [("tanh", np.tanh),
                                            ("sigmoid", lambda a: 1 / (1 + np.exp(-a)))])
@pytest.mark.parametrize("d", [1, 3, 5])
def test_decay_is_the_total_derivative_by_complex_steps(activation, fn, d):
    """Complex-step derivatives: Im f(s_k + i h e)/h, exact to rounding even where tiny."""
    params, W_d = network(seed=2, rho=1.1, skip_rho=0.8)
    rng = np.random.default_rng(3)
    T = 12
    xs, targets = rng.standard_normal((T, 2)), rng.standard_normal((T, 3))
    logs = skip.skip_decay(params, W_d, d, xs, targets, activation=activation)
    h = 1e-30
    for k in (0, 1, 4, 8, 11, 12):
        grad = np.array([
            reference_final_loss(params, W_d, d, xs, targets, fn, k, 1j * h * e).imag / h
            for e in np.eye(4)
        ])
        assert_allclose(logs[k], np.log10(np.linalg.norm(grad)), atol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_without_a_skip_it_is_the_plain_decay_curve(activation):
    plain = jacobians.decay_curve(0.95, activation, T=80, seed=4)
    mine = skip.skip_decay_curve(0.95, 6, skip_radius=0.0, activation=activation, T=80, seed=4)
    finite = np.isfinite(plain.log10_norm)
    assert (np.isfinite(mine) == finite).all()
    assert_allclose(mine[finite], plain.log10_norm[finite], atol=1e-9)


def test_long_sequences_do_not_underflow():
    logs = skip.skip_decay_curve(0.5, 1, skip_radius=0.3, T=1000, seed=0)
    assert np.isfinite(logs).all() and logs[0] < -300  # beyond float64's smallest normal


def test_a_skip_shortens_the_decay():
    """With d = 10 the chain from s_T to s_{T-100} needs about 10 factors instead of 100."""
    plain = skip.skip_decay_curve(1.0, 1, skip_radius=0.0, T=100)
    skipped = skip.skip_decay_curve(1.0, 10, skip_radius=0.5, T=100)
    assert plain[0] < -15 and skipped[0] > -6, (plain[0], skipped[0])


def test_relu_dead_units_give_exact_zeros_not_nan():
    params = rnn.RNNParams(np.ones((2, 1)), np.zeros((2, 2)), -10.0 * np.ones(2),
                           np.ones((1, 2)), np.zeros(1))
    logs = skip.skip_decay(params, np.zeros((2, 2)), 2, np.ones((5, 1)), np.ones((5, 1)),
                           activation="relu")
    assert np.isfinite(logs[5])  # dL_5/ds_5 comes straight from the output layer
    assert np.isneginf(logs[:5]).all()  # every earlier path passes a unit with relu' = 0


@pytest.mark.parametrize("call, exc, match", [
    (lambda p, W: skip.skip_forward(p, W[:2], 2, np.zeros((5, 2))), ValueError, "W_d"),
    (lambda p, W: skip.skip_forward(p, W, 0, np.zeros((5, 2))), ValueError, "d"),
    (lambda p, W: skip.skip_forward(p, W, 1.5, np.zeros((5, 2))), TypeError, "d"),
    (lambda p, W: skip.skip_forward(p, W, 2, np.zeros((5, 3, 2))), ValueError, "xs"),
    (lambda p, W: skip.skip_forward(p, W, 2, np.zeros((5, 3))), ValueError, "xs"),
    (lambda p, W: skip.skip_forward({}, W, 2, np.zeros((5, 2))), TypeError, "params"),
    (lambda p, W: skip.skip_decay(p, W, 2, np.zeros((5, 2)), np.zeros((5, 3)), loss="l1"),
     ValueError, "loss"),
    (lambda p, W: skip.skip_decay(p, W, 2, np.zeros((5, 2)), np.zeros((4, 3))),
     ValueError, "targets"),
    (lambda p, W: skip.skip_decay_curve(1.0, 2, skip_radius=-1.0), ValueError, "skip_radius"),
])
def test_bad_arguments_are_named(call, exc, match):
    params, W_d = network()
    with pytest.raises(exc, match=match):
        call(params, W_d)


def test_skip_forward_reports_overflowing_outputs_and_blames_the_radius():
    """Issue 16: only the states were checked; outputs could be ±inf."""
    p = rnn.init(1, 3, 1, seed=0)
    p = rnn.RNNParams(p.W_x, p.W_s, p.b_s, np.full(p.W_y.shape, 1.7e308), p.b_y)
    with pytest.raises(FloatingPointError, match=r"^skip_forward: the outputs overflowed"):
        skip.skip_forward(p, np.zeros((3, 3)), 2, np.ones((5, 1)))
    with pytest.raises(FloatingPointError, match=r"^spectral_radius, skip_radius, input_scale: "
                                                 r"too large for float64"):
        skip.skip_decay_curve(0.9, 2, skip_radius=1.7e308, n_hidden=3, T=5, kind="orthogonal")
