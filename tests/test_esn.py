"""bpttlib.esn: reservoirs, the closed-form ridge readout and the memory capacity."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from bpttlib import esn, matrices, rnn


@pytest.mark.parametrize("rho", [0.0, 0.5, 1.3])
def test_reservoir_has_the_spectral_radius(rho):
    W, W_in = esn.reservoir(20, rho, n_in=2, input_scale=0.3, seed=4)
    assert_allclose(matrices.spectral_radius(W), rho, atol=1e-12)
    assert W_in.shape == (20, 2) and np.abs(W_in).max() <= 0.3


def test_states_are_the_rnn_states():
    W, W_in = esn.reservoir(6, 0.9, seed=1)
    u = np.random.default_rng(1).uniform(-1, 1, (15, 1))
    p = rnn.RNNParams(W_in, W, np.zeros(6), np.zeros((1, 6)), np.zeros(1))
    assert_allclose(esn.esn_states(W, W_in, u), rnn.forward(p, u).states[1:], rtol=0, atol=0)


@pytest.mark.parametrize("reg", [0.0, 1e-6, 0.1, 10.0])
@pytest.mark.parametrize("scale", [1.0, 1e3])
def test_ridge_is_least_squares_on_the_stacked_system(reg, scale):
    rng = np.random.default_rng(2)
    S, Y = scale * rng.standard_normal((50, 7)), rng.standard_normal((50, 3))
    W = esn.ridge_readout(S, Y, reg)
    X = np.vstack([np.hstack([S, np.ones((50, 1))]), np.sqrt(reg) * np.eye(7, 8)])
    ref = np.linalg.lstsq(X, np.vstack([Y, np.zeros((7, 3))]), rcond=None)[0].T
    assert_allclose(W, ref, rtol=1e-8, atol=1e-10)


def test_ridge_singular_without_reg_is_refused():
    S = np.ones((10, 3))
    with pytest.raises(ValueError, match="^reg: "):
        esn.ridge_readout(S, np.ones((10, 1)), 0.0)


def test_recall_of_a_linear_delay_line_is_perfect():
    """A shift register (W_s shifts unit i into i+1, input into unit 0) with linear-ish
    small inputs holds u_{t−1} … u_{t−H+1} exactly: r² = 1 for those delays."""
    H = 8
    W = np.eye(H, k=-1)
    W_in = np.zeros((H, 1)); W_in[0] = 1e-4
    u = np.random.default_rng(3).uniform(-1, 1, 600)
    S = esn.esn_states(W, W_in, u[:, None])
    r2 = esn.recall_r2(S, u, np.arange(1, H + 3), train=slice(50, 400), reg=0.0)
    assert_allclose(r2[:H - 1], 1.0, atol=1e-6)
    assert r2[H:].max() < 0.1


@given(rho=st.floats(0.05, 1.5), H=st.integers(3, 12), seed=st.integers(0, 50))
def test_in_sample_memory_is_bounded_by_H(rho, H, seed):
    """Exact finite-sample form of Jaeger's MC ≤ H: the in-sample squared correlations of
    the least-squares recalls sum to at most H · λ_max(C), C the correlation matrix of the
    delayed inputs (λ_max → 1 as they decorrelate)."""
    W, W_in = esn.reservoir(H, rho, input_scale=0.5, seed=seed)
    rng = np.random.default_rng(seed)
    u = rng.uniform(-1, 1, 400)
    S = esn.esn_states(W, W_in, u[:, None])[40:]
    D = 2 * H
    U = np.stack([u[40 - d:400 - d] for d in range(1, D + 1)], axis=1)
    Wout = esn.ridge_readout(S, U, 1e-12)
    Yhat = S @ Wout[:, :-1].T + Wout[:, -1]
    Yc, Uc = Yhat - Yhat.mean(0), U - U.mean(0)
    r2 = np.sum(Yc * Uc, 0) ** 2 / (np.sum(Yc**2, 0) * np.sum(Uc**2, 0))
    lam = np.linalg.eigvalsh(np.corrcoef(U.T)).max()
    assert r2.sum() <= H * lam * (1 + 1e-6)


@given(rho=st.floats(0.05, 1.6), seed=st.integers(0, 20))
def test_held_out_memory_capacity_stays_below_H(rho, seed):
    curve = esn.memory_curve(rho, n_hidden=10, max_delay=30, T_train=600, T_test=300,
                             washout=50, seed=seed)
    assert curve.shape == (30,) and np.all((curve >= 0) & (curve <= 1 + 1e-12))
    assert curve.sum() <= 10


def test_memory_peaks_between_the_extremes():
    """Median over three reservoirs: ρ = 0.9 remembers far more than ρ = 0.1 or ρ = 3."""
    mc = {r: np.median([esn.memory_curve(r, n_hidden=20, max_delay=40, T_train=800,
                                         T_test=400, seed=s).sum() for s in range(3)])
          for r in (0.1, 0.9, 3.0)}
    assert mc[0.9] > 2 * mc[0.1] and mc[0.9] > 2 * mc[3.0]


@pytest.mark.parametrize("kwargs, name", [
    (dict(delays=[0]), "delays"), (dict(delays=[1], train=slice(0, 2)), "delays"),
    (dict(delays=[1.5]), "delays"), (dict(train=[0, 100]), "train")])
def test_recall_bad_arguments_are_named(kwargs, name):
    S, u = np.zeros((200, 3)), np.zeros(200)
    args = {"delays": [1, 2], "train": slice(10, 100), **kwargs}
    with pytest.raises((TypeError, ValueError), match=f"^{name}"):
        esn.recall_r2(S, u, args.pop("delays"), **args)
