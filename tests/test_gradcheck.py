"""Tests for bpttlib.gradcheck."""

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import gradcheck, rnn


@dataclasses.dataclass(frozen=True)
class Pair:
    a: np.ndarray
    b: np.ndarray
    name: str = "pair"


def test_numerical_grads_of_a_known_function():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 3))
    p = Pair(rng.standard_normal(3), rng.standard_normal((2, 2)))

    def f(q):
        return 0.5 * q.a @ A @ q.a + np.sum(np.sin(q.b))

    g = gradcheck.numerical_grads(f, p)
    assert isinstance(g, Pair) and g.name == "pair"
    assert_allclose(g.a, 0.5 * (A + A.T) @ p.a, rtol=1e-8, atol=1e-9)
    assert_allclose(g.b, np.cos(p.b), rtol=1e-8, atol=1e-9)


def test_numerical_grads_on_rnn_params_and_no_mutation():
    p = rnn.init(2, 3, 1, seed=0)
    before = [a.copy() for a in p.arrays()]
    g = gradcheck.numerical_grads(lambda q: float(np.sum(q.W_s ** 2) + q.b_y[0]), p)
    assert isinstance(g, rnn.RNNParams)
    assert_allclose(g.W_s, 2 * p.W_s, rtol=1e-8, atol=1e-10)
    assert_allclose(g.b_y, [1.0], rtol=1e-8)
    assert_allclose(g.W_x, 0.0, atol=1e-12)
    for a, b in zip(before, p.arrays()):
        assert_allclose(a, b, rtol=0)


def test_max_rel_error_definition():
    a = Pair(np.array([1.0, 2.0, -4.0]), np.array([[1e-20, 0.0]]))
    b = Pair(np.array([1.0, 2.0, -4.004]), np.array([[0.0, 0.0]]))
    # field a: max|diff| / max|.| = 0.004 / 4.004; field b: 1e-20 / 1e-20 = 1
    errs = dict(gradcheck.rel_errors(a, b))
    assert_allclose(errs["a"], 0.004 / 4.004, rtol=1e-12)
    assert_allclose(errs["b"], 1.0, rtol=1e-12)
    assert_allclose(gradcheck.max_rel_error(a, b), 1.0, rtol=1e-12)
    assert gradcheck.max_rel_error(a, a) < 1e-300


def test_all_zero_fields_have_zero_error():
    z = Pair(np.zeros(2), np.zeros((1, 1)))
    assert gradcheck.max_rel_error(z, z) < 1e-300


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: gradcheck.numerical_grads("f", rnn.init(1, 1, 1)), TypeError, "loss_fn"),
        (lambda: gradcheck.numerical_grads(lambda q: 0.0, {"a": np.ones(2)}), TypeError,
         "params: expected a parameter container"),
        (lambda: gradcheck.numerical_grads(lambda q: 0.0, rnn.init(1, 1, 1), eps=0.0),
         ValueError, "eps"),
        (lambda: gradcheck.numerical_grads(lambda q: np.nan, rnn.init(1, 1, 1)), ValueError,
         "loss_fn: expected a finite loss"),
        (lambda: gradcheck.numerical_grads(lambda q: np.ones(2), rnn.init(1, 1, 1)), TypeError,
         "loss_fn: expected it to return a real number"),
        (lambda: gradcheck.max_rel_error(rnn.init(1, 1, 1), Pair(np.ones(1), np.ones(1))),
         TypeError, "b: expected RNNParams"),
        (lambda: gradcheck.max_rel_error(rnn.init(1, 1, 1), rnn.init(1, 2, 1)), ValueError,
         "b: expected field W_x"),
        (lambda: gradcheck.max_rel_error(3, 4), TypeError, "a"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_complex_fields_are_refused_not_skipped():
    """Issue 16: rel_errors returned () and max_rel_error 0.0 for complex fields."""
    @dataclasses.dataclass(frozen=True)
    class C:
        W: np.ndarray

    with pytest.raises(TypeError, match=r"^a\.W: expected an array of real numbers"):
        gradcheck.rel_errors(C(np.ones(2) + 1j), C(np.ones(2) + 1j))
    with pytest.raises(TypeError, match=r"^b\.W: expected an array of real numbers"):
        gradcheck.max_rel_error(C(np.ones(2)), C(np.ones(2) + 1j))


def test_rel_errors_of_huge_fields_do_not_overflow():
    p = rnn.init(1, 2, 1, seed=0).map(lambda a: np.full(a.shape, 1.7e308))
    q = p.map(lambda a: -a)
    assert_allclose(gradcheck.max_rel_error(p, q), 2.0, rtol=1e-15)


def test_numerical_grads_blames_loss_fn_and_eps():
    """Issue 16: an overflowing difference quotient blamed W_x (the container's check)."""
    p = rnn.init(1, 2, 1, seed=0)
    # a cliff at p: L jumps from -1.7e308 to +1.7e308, so L(θ+ε) − L(θ−ε) overflows
    cliff = lambda q: 1.7e308 * float(np.tanh(1e9 * (q.W_x[0, 0] - p.W_x[0, 0])))  # noqa: E731
    with pytest.raises(FloatingPointError, match=r"^loss_fn: the central difference"):
        gradcheck.numerical_grads(cliff, p)
    with pytest.raises(ValueError, match=r"^eps: expected a step that keeps params\.W_x finite"):
        gradcheck.numerical_grads(lambda q: 0.0, p.map(lambda a: a + 1.7e308), eps=1e308)
