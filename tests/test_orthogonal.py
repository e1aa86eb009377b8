"""bpttlib.orthogonal: the Cayley transform, its gradient and the Cayley-parametrised RNN."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from bpttlib import gradcheck, orthogonal, rnn, train


def random_skew(n, seed, scale=1.0):
    M = np.random.default_rng(seed).standard_normal((n, n)) * scale
    return np.triu(M, 1) - np.triu(M, 1).T


@given(n=st.integers(1, 12), seed=st.integers(0, 10**6), scale=st.floats(0, 30))
def test_cayley_is_orthogonal(n, seed, scale):
    W = orthogonal.cayley(random_skew(n, seed, scale))
    assert orthogonal.orthogonality_error(W) < 1e-12 * max(1.0, scale) ** 2


def test_cayley_of_zero_is_the_identity_and_the_formula_holds():
    assert_allclose(orthogonal.cayley(np.zeros((4, 4))), np.eye(4), atol=0)
    A = random_skew(5, 1)
    want = (np.eye(5) - A) @ np.linalg.inv(np.eye(5) + A)
    assert_allclose(orthogonal.cayley(A), want, rtol=0, atol=1e-13)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cayley_grad_matches_central_differences_along_pairs(seed):
    n = 5
    A = random_skew(n, seed)
    G = np.random.default_rng(seed + 10).standard_normal((n, n))
    f = lambda A: float(np.sum(G * orthogonal.cayley(A)))  # noqa: E731  L = <G, W>
    g = orthogonal.cayley_grad(A, G)
    assert_allclose(g, -g.T, atol=0)
    eps = 1e-6
    for i, j in zip(*np.triu_indices(n, 1)):
        E = np.zeros((n, n)); E[i, j], E[j, i] = eps, -eps
        fd = (f(A + E) - f(A - E)) / (2 * eps)
        assert_allclose(g[i, j], fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("activation", ["tanh", "linear"])
@pytest.mark.parametrize("symmetric_part", [0.0, 0.7])
def test_cayley_bptt_matches_central_differences(activation, symmetric_part):
    p = orthogonal.cayley_init(2, 4, 2, seed=3)
    S = np.random.default_rng(9).standard_normal((4, 4))
    p = dataclasses.replace(p, M=p.M + symmetric_part * (S + S.T))   # inert in W_s
    rng = np.random.default_rng(3)
    xs, ys = rng.standard_normal((7, 2, 2)), rng.standard_normal((7, 2, 2))
    _, g = orthogonal.cayley_bptt(p, xs, ys, activation=activation)
    fd = gradcheck.numerical_grads(
        lambda q: rnn.loss_fn(orthogonal.to_rnn(q), xs, ys, activation=activation), p)
    assert gradcheck.max_rel_error(g, fd) < 1e-6
    assert np.array_equal(g.M, -g.M.T)


def test_the_symmetric_part_of_M_is_inert():
    p = orthogonal.cayley_init(2, 4, 2, seed=3)
    S = np.random.default_rng(9).standard_normal((4, 4))
    q = dataclasses.replace(p, M=p.M + (S + S.T))
    assert_allclose(orthogonal.to_rnn(p).W_s, orthogonal.to_rnn(q).W_s, rtol=0, atol=1e-14)


def test_training_keeps_W_orthogonal_even_from_a_perturbed_start():
    p = orthogonal.cayley_init(2, 6, 1, seed=4)
    p = dataclasses.replace(p, M=p.M * (1 + 1e-10 * np.random.default_rng(0).standard_normal(
        (6, 6))))
    data = train.task_data("adding", batch_size=4, T=10, seed=4)
    run = train.fit(p, lambda q, b: orthogonal.cayley_bptt(q, b[0], b[1], mask=b[2]), data,
                    steps=30, optimizer=train.Adam(0.05))
    assert np.abs(run.params.M - p.M).max() > 0.1
    assert orthogonal.orthogonality_error(orthogonal.to_rnn(run.params).W_s) < 1e-13


def test_not_skew_is_refused():
    with pytest.raises(ValueError, match="^A: expected a skew-symmetric"):
        orthogonal.cayley(np.eye(3))
    with pytest.raises(ValueError, match="^A: "):
        orthogonal.cayley_grad(np.eye(3), np.eye(3))
    p = orthogonal.cayley_init(1, 3, 1)
    with pytest.raises(ValueError, match="^M: "):
        dataclasses.replace(p, M=np.zeros((2, 2)))


def test_skew_part():
    M = np.random.default_rng(5).standard_normal((4, 4))
    S = orthogonal.skew(M)
    assert np.array_equal(S, -S.T)
    assert_allclose(S + (M + M.T) / 2, M, atol=1e-15)


def test_orthogonality_error():
    Q = np.linalg.qr(np.random.default_rng(6).standard_normal((5, 5)))[0]
    assert orthogonal.orthogonality_error(Q) < 1e-14
    assert_allclose(orthogonal.orthogonality_error(2 * Q), 3.0, rtol=1e-12)
