"""Tests of bpttlib.rtrl: forward-mode gradients equal rnn.bptt; the cost counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from bpttlib import activations, gradcheck, rnn, rtrl

TOL = 1e-10  # relative, field by field (gradcheck.max_rel_error)


def problem(seed, *, T=7, B=None, I=2, H=4, O=3, loss="mse", mask=False, s0=False):
    rng = np.random.default_rng(seed)
    p = rnn.init(I, H, O, spectral_radius=1.1, seed=seed).map(lambda a: a + 0.05)
    lead = (T,) if B is None else (T, B)
    xs = rng.standard_normal((*lead, I))
    targets = (rng.standard_normal((*lead, O)) if loss == "mse"
               else rng.integers(0, O, lead))
    kw = dict(loss=loss)
    if mask:
        kw["mask"] = rng.uniform(0.0, 2.0, lead)
    if s0:
        kw["s0"] = rng.standard_normal((H,) if B is None else (B, H))
    return p, xs, targets, kw


@pytest.mark.parametrize("activation", activations.ACTIVATIONS)
@pytest.mark.parametrize("B", [None, 3])
@pytest.mark.parametrize("loss", ["mse", "xent"])
@pytest.mark.parametrize("mask", [False, True])
@pytest.mark.parametrize("s0", [False, True])
def test_rtrl_equals_bptt(activation, B, loss, mask, s0):
    p, xs, targets, kw = problem(11, B=B, loss=loss, mask=mask, s0=s0)
    value_b, g_b = rnn.bptt(p, xs, targets, activation=activation, **kw)
    value_r, g_r = rtrl.rtrl(p, xs, targets, activation=activation, **kw)
    assert_allclose(value_r, value_b, rtol=1e-12)
    assert gradcheck.max_rel_error(g_r, g_b) < TOL


def test_many_to_one_mask_and_one_step():
    p, xs, targets, _ = problem(3, T=9)
    last = np.zeros(9)
    last[-1] = 1.0
    assert gradcheck.max_rel_error(rtrl.rtrl(p, xs, targets, mask=last)[1],
                                   rnn.bptt(p, xs, targets, mask=last)[1]) < TOL
    assert gradcheck.max_rel_error(rtrl.rtrl(p, xs[:1], targets[:1])[1],
                                   rnn.bptt(p, xs[:1], targets[:1])[1]) < TOL


def test_rtrl_matches_finite_differences():
    p, xs, targets, _ = problem(5, T=6)
    numeric = gradcheck.numerical_grads(lambda q: rnn.loss_fn(q, xs, targets), p)
    assert gradcheck.max_rel_error(rtrl.rtrl(p, xs, targets)[1], numeric) < 1e-6


@pytest.mark.parametrize("B", [None, 2])
def test_online_gives_the_gradient_of_every_prefix(B):
    p, xs, targets, kw = problem(7, T=6, B=B, mask=True)
    steps = list(rtrl.online(p, xs, targets, **kw))
    assert [t for t, _, _ in steps] == list(range(1, 7))
    for t, value, grads in steps:
        ref_value, ref = rnn.bptt(p, xs[:t], targets[:t], mask=kw["mask"][:t])
        assert_allclose(value, ref_value, rtol=1e-12)
        assert gradcheck.max_rel_error(grads, ref) < TOL


def test_online_validates_at_the_call():
    p, xs, targets, _ = problem(0)
    with pytest.raises(ValueError, match="^xs: "):
        rtrl.online(p, xs[:, :1], targets)


def test_inputs_are_not_changed():
    p, xs, targets, kw = problem(2, B=2, mask=True, s0=True)
    before = [xs.copy(), targets.copy(), kw["mask"].copy(), kw["s0"].copy()]
    rtrl.rtrl(p, xs, targets, **kw)
    for a, b in zip([xs, targets, kw["mask"], kw["s0"]], before):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("kwargs, name, exc", [
    (dict(xs=np.ones((5, 3))), "xs", ValueError),
    (dict(targets=np.ones((4, 3))), "targets", ValueError),
    (dict(activation="softplus"), "activation", ValueError),
    (dict(loss="hinge"), "loss", ValueError),
    (dict(mask=-np.ones(7)), "mask", ValueError),
    (dict(s0=np.ones(5)), "s0", ValueError),
    (dict(params="W"), "params", TypeError),
    (dict(xs=np.full((7, 2), np.nan)), "xs", ValueError),
])
def test_bad_input_names_the_argument(kwargs, name, exc):
    p, xs, targets, _ = problem(0)
    call = dict(params=p, xs=xs, targets=targets) | kwargs
    with pytest.raises(exc, match=f"^{name}: "):
        rtrl.rtrl(**call)


def test_overflow_raises():
    p = rnn.init(1, 3, 1, spectral_radius=50.0, seed=0)
    xs = np.ones((400, 1))
    with pytest.raises(FloatingPointError, match="rtrl|params"):
        rtrl.rtrl(p, xs, np.zeros((400, 1)), activation="linear")


def test_sensitivity_size_limit_names_params():
    H = 600  # 600 * 600 * 602 > 2**27 entries
    p = rnn.RNNParams(np.zeros((H, 1)), np.zeros((H, H)), np.zeros(H), np.zeros((1, H)),
                      np.zeros(1))
    with pytest.raises(ValueError, match="^params: "):
        rtrl.rtrl(p, np.ones((2, 1)), np.ones((2, 1)))


# ---- cost counts ---------------------------------------------------------------------------------

def test_cost_floats_are_the_arrays_each_method_holds():
    H, I, O, T = 5, 3, 2, 11
    p = rnn.init(I, H, O, seed=0)
    trace = rnn.forward(p, np.ones((T, I)))
    assert rtrl.cost("bptt", H, I, O, T).floats == trace.states.size + T * I
    # RTRL: one state and one H x P sensitivity, P the number of recurrent parameters
    P = p.W_s.size + p.W_x.size + p.b_s.size
    assert rtrl.cost("rtrl", H, I, O, T).floats == H + H * P


@given(H=st.integers(1, 200), I=st.integers(1, 50))
@settings(max_examples=60, deadline=None)
def test_crossover_is_the_first_T_where_bptt_holds_more(H, I):
    T = rtrl.crossover_T(H, I)
    assert rtrl.cost("bptt", H, I, 1, T).floats > rtrl.cost("rtrl", H, I, 1, T).floats
    if T > 1:
        assert rtrl.cost("bptt", H, I, 1, T - 1).floats <= rtrl.cost("rtrl", H, I, 1, T - 1).floats


@pytest.mark.parametrize("H", [4, 16, 64])
def test_rtrl_costs_about_H_squared_times_more_work(H):
    ratio = (rtrl.cost("rtrl", H, 1, 1, 100).multiply_adds
             / rtrl.cost("bptt", H, 1, 1, 100).multiply_adds)
    # per step H^2 (H^2 + 2H) + ... against about 4 H^2: the ratio grows like H^2 / 4
    assert H**2 / 8 < ratio < H**2


def test_both_costs_are_linear_in_T():
    for m in rtrl.METHODS:
        c1, c2, c3 = (rtrl.cost(m, 8, 2, 2, T).multiply_adds for T in (10, 20, 30))
        assert c3 - c2 == c2 - c1 > 0


@pytest.mark.parametrize("kwargs, name, exc", [
    (dict(method="adjoint"), "method", ValueError),
    (dict(n_hidden=0), "n_hidden", ValueError),
    (dict(n_in=1.5), "n_in", TypeError),
    (dict(T=-1), "T", ValueError),
])
def test_cost_bad_input(kwargs, name, exc):
    call = dict(method="rtrl", n_hidden=4, n_in=2, n_out=1, T=5) | kwargs
    with pytest.raises(exc, match=f"^{name}: "):
        rtrl.cost(**call)
