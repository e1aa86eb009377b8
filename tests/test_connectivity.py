"""Connectivity ‖∂y_s/∂x_t‖_F of the tanh RNN, the LSTM and the GRU, against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpttlib import connectivity, gated, rnn

CELLS = {
    "rnn": (lambda s: rnn.init(3, 5, 2, seed=s), lambda p, x: rnn.forward(p, x).outputs),
    "lstm": (lambda s: gated.lstm_init(3, 5, 2, seed=s, forget_bias=1.0),
             lambda p, x: gated.lstm_forward(p, x).outputs),
    "gru": (lambda s: gated.gru_init(3, 5, 2, seed=s), lambda p, x: gated.gru_forward(p, x).outputs),
}


def _fd(outputs, params, xs, s, eps=1e-6):
    """‖∂y_s/∂x_t‖_F by central differences, (s, B)."""
    T, B, I = xs.shape
    out = np.zeros((s, B))
    for t in range(s):
        jac = np.zeros((B, outputs(params, xs).shape[-1], I))
        for i in range(I):
            e = np.zeros_like(xs)
            e[t, :, i] = eps
            jac[:, :, i] = (outputs(params, xs + e)[s - 1] - outputs(params, xs - e)[s - 1]) / (2 * eps)
        out[t] = np.sqrt((jac ** 2).sum(axis=(1, 2)))
    return out


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("at", [1, 4, 7])
def test_connectivity_matches_finite_differences(cell, at):
    make, outputs = CELLS[cell]
    params = make(1)
    xs = np.random.default_rng(0).standard_normal((7, 2, 3))
    got = connectivity.connectivity(params, xs, at=at)
    assert got.shape == (at, 2)
    np.testing.assert_allclose(got, _fd(outputs, params, xs, at), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_unbatched_equals_a_batch_of_one_and_default_is_the_last_step(cell):
    params = CELLS[cell][0](2)
    xs = np.random.default_rng(1).standard_normal((6, 3))
    one = connectivity.connectivity(params, xs)
    assert one.shape == (6,)
    np.testing.assert_allclose(one, connectivity.connectivity(params, xs[:, None, :], at=6)[:, 0],
                               rtol=1e-14)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 1000), st.integers(1, 6))
def test_later_inputs_do_not_reach_an_earlier_output(seed, at):
    """Causality: truncating the sequence after step s changes nothing."""
    params = gated.gru_init(3, 4, 2, seed=seed)
    xs = np.random.default_rng(seed).standard_normal((6, 3))
    np.testing.assert_allclose(connectivity.connectivity(params, xs, at=at),
                               connectivity.connectivity(params, xs[:at]), rtol=1e-13)


def test_copy_connectivity_is_the_mean_over_the_recall_steps():
    params = gated.lstm_init(3, 4, 2, seed=0)
    xs = np.random.default_rng(2).standard_normal((9, 2, 3))
    got = connectivity.copy_connectivity(params, xs, n_recall=3)
    want = np.mean([connectivity.connectivity(params, xs, at=6 + r)[:6] for r in (1, 2, 3)],
                   axis=0)
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_position_ratio():
    conn = np.array([[4.0, 1.0], [1.0, 2.0], [2.0, 8.0], [1.0, 1.0]])
    marked = np.array([[1, 0], [0, 0], [0, 1], [0, 0]], dtype=bool)
    np.testing.assert_allclose(connectivity.position_ratio(conn, marked), [4.0, 8.0])
    assert connectivity.position_ratio(conn[:, 0], marked[:, 0]) == pytest.approx(4.0, rel=1e-15)


@pytest.mark.parametrize("bad, match", [
    (dict(params="weights"), "params"),
    (dict(xs=np.zeros((4, 2))), "xs"),
    (dict(xs=np.zeros((0, 3))), "xs"),
    (dict(at=9), "at"),
    (dict(at=0), "at"),
])
def test_bad_input_names_the_argument(bad, match):
    call = dict(params=rnn.init(3, 4, 1, seed=0), xs=np.zeros((5, 3)), at=None) | bad
    with pytest.raises((TypeError, ValueError), match=match):
        connectivity.connectivity(**call)


def test_position_ratio_rejects_bad_marks():
    with pytest.raises(ValueError, match="marked"):
        connectivity.position_ratio(np.ones(4), np.ones(4, bool))
    with pytest.raises(ValueError, match="marked"):
        connectivity.position_ratio(np.ones(4), np.ones(3, bool))
    with pytest.raises(ValueError, match="n_recall"):
        connectivity.copy_connectivity(rnn.init(3, 4, 1, seed=0), np.zeros((5, 3)), n_recall=5)
