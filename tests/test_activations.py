"""Tests for bpttlib.activations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from bpttlib import activations

ACTS = activations.ACTIVATIONS
NAIVE = {
    "tanh": np.tanh,
    "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
    "relu": lambda a: np.maximum(a, 0.0),
    "linear": lambda a: a,
}


def grid():
    a = np.linspace(-6, 6, 241)
    return a[np.abs(a) > 1e-3]  # away from relu's kink


@pytest.mark.parametrize("name", ACTS)
def test_value_matches_naive_formula(name):
    a = grid()
    assert_allclose(activations.get(name).value(a), NAIVE[name](a), rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("name", ACTS)
def test_derivatives_match_central_differences(name):
    act, a, eps = activations.get(name), grid(), 1e-6
    num = (act.value(a + eps) - act.value(a - eps)) / (2 * eps)
    assert_allclose(act.deriv(a), num, rtol=1e-8, atol=1e-9)
    assert_allclose(act.deriv_from_value(act.value(a)), act.deriv(a), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ACTS)
def test_log_deriv_is_log_of_deriv(name):
    act = activations.get(name)
    a = np.concatenate([grid(), [-30.0, 25.0]])
    d = act.deriv(a)
    pos = d > 0
    assert_allclose(act.log_deriv(a)[pos], np.log(d[pos]), rtol=1e-12, atol=1e-14)
    assert np.all(np.isneginf(act.log_deriv(a)[~pos]))


@pytest.mark.parametrize("name, gamma", [("tanh", 1.0), ("sigmoid", 0.25), ("relu", 1.0),
                                         ("linear", 1.0)])
def test_gamma(name, gamma):
    assert_allclose(activations.gamma(name), gamma, rtol=0)
    assert_allclose(activations.get(name).gamma, gamma, rtol=0)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(ACTS),
       a=st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=20))
def test_derivative_bounded_by_gamma(name, a):
    act = activations.get(name)
    a = np.array(a)
    assert np.all(act.deriv(a) <= act.gamma * (1 + 1e-15))
    assert np.all(act.deriv(a) >= 0)
    assert np.all(act.deriv_from_value(act.value(a)) <= act.gamma * (1 + 1e-15))


def test_sigmoid_is_stable_at_extremes():
    a = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    s = activations.sigmoid.value(a)  # RuntimeWarnings are errors in this suite
    assert np.all(np.isfinite(s))
    assert_allclose(s[[0, 2, 4]], [0.0, 0.5, 1.0], rtol=0, atol=0)
    assert_allclose(s[1], np.exp(-40.0) / (1 + np.exp(-40.0)), rtol=1e-14)


def test_saturated_derivatives_keep_relative_accuracy():
    # tanh'(20) = 1 - tanh(20)^2 is 0 in float64, but sech^2(20) = 1.7e-17
    assert_allclose(activations.tanh.deriv(np.array(20.0)), 1 / np.cosh(20.0) ** 2, rtol=1e-14)
    assert_allclose(activations.sigmoid.deriv(np.array(-50.0)), np.exp(-50.0), rtol=1e-14)
    assert np.isfinite(activations.tanh.log_deriv(np.array(1e6)))
    assert_allclose(activations.tanh.log_deriv(np.array(1000.0)), np.log(4) - 2000, rtol=1e-15)


def test_relu_derivative_at_zero_is_zero():
    assert_allclose(activations.relu.deriv(np.array([0.0, 1e-300, -1e-300])), [0, 1, 0], rtol=0)


@pytest.mark.parametrize("bad, exc", [("softplus", ValueError), ("Tanh", ValueError),
                                      (None, TypeError), (np.tanh, TypeError)])
def test_unknown_name(bad, exc):
    msg = "activation: expected one of 'tanh', 'sigmoid', 'relu', 'linear'"
    with pytest.raises(exc, match=msg):
        activations.get(bad)
    with pytest.raises(exc, match="activation"):
        activations.gamma(bad)


@pytest.mark.parametrize("name", ACTS)
def test_out_arguments_match_allocating_calls(name):
    act, a = activations.get(name), grid().reshape(4, -1)
    buf = np.full_like(a, np.nan)
    assert act.value(a, out=buf) is buf
    assert_allclose(buf, act.value(a), rtol=0, atol=0)
    s = act.value(a)
    buf2 = np.full_like(a, np.nan)
    assert act.deriv_from_value(s, out=buf2) is buf2
    assert_allclose(buf2, act.deriv_from_value(s), rtol=0, atol=0)
