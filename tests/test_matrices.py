"""Tests for bpttlib.matrices."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from bpttlib import matrices


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(matrices.KINDS), n=st.integers(1, 40),
       rho=st.floats(1e-3, 5.0), seed=st.integers(0, 2**20))
def test_exact_spectral_radius(kind, n, rho, seed):
    W = matrices.make(kind, n, rho, seed)
    assert W.shape == (n, n)
    assert np.all(np.isfinite(W))
    assert_allclose(matrices.spectral_radius(W), rho, rtol=1e-12)


@pytest.mark.parametrize("n", [1, 7, 64])
def test_orthogonal_has_equal_singular_values(n):
    W = matrices.orthogonal(n, 0.8, seed=3)
    assert_allclose(matrices.singular_values(W), np.full(n, 0.8), rtol=1e-12)
    assert_allclose(W @ W.T, 0.64 * np.eye(n), atol=1e-13)


def test_identity():
    assert_allclose(matrices.identity(3, 1.5), 1.5 * np.eye(3), rtol=0)
    assert_allclose(matrices.make("identity", 3, 1.5, seed=9), 1.5 * np.eye(3), rtol=0)


def test_zero_radius():
    for kind in matrices.KINDS:
        assert_allclose(matrices.spectral_radius(matrices.make(kind, 5, 0.0)), 0.0, atol=1e-300)


def test_seeded():
    assert_allclose(matrices.gaussian(6, 1.0, 4), matrices.gaussian(6, 1.0, 4), rtol=0)
    assert np.abs(matrices.gaussian(6, 1.0, 4) - matrices.gaussian(6, 1.0, 5)).max() > 0.1


def test_gaussian_result_is_writable_copy():
    W = matrices.gaussian(4, 1.0, 0)
    W[0, 0] = 100.0  # must not corrupt the cache
    assert np.abs(matrices.gaussian(4, 1.0, 0)[0, 0]) < 100.0


@settings(max_examples=15, deadline=None)
@given(n=st.integers(16, 48), rho=st.floats(0.5, 0.9), seed=st.integers(0, 2**20))
def test_nonnormal_transient_growth(n, rho, seed):
    W = matrices.nonnormal(n, rho, seed)
    assert_allclose(matrices.spectral_radius(W), rho, rtol=1e-12)
    assert matrices.singular_values(W)[0] > 1.5  # ‖W‖ well above ρ < 1
    norms = matrices.power_norms(W, 600)
    assert norms.max() > 2.0  # transient growth ...
    assert norms[-1] < 1e-2  # ... before the eigenvalues win


def test_nonnormal_at_default_size_grows_a_lot():
    norms = matrices.power_norms(matrices.nonnormal(32, 0.9, seed=0), 400)
    assert norms.max() > 10.0 and norms[0] == pytest.approx(1.0, rel=1e-15)
    assert int(np.argmax(norms)) > 3


def test_power_norms_matches_matrix_power():
    W = matrices.gaussian(5, 1.2, 1)
    got = matrices.power_norms(W, 6)
    want = [np.linalg.norm(np.linalg.matrix_power(W, k), 2) for k in range(7)]
    assert_allclose(got, want, rtol=1e-12)


def test_power_norms_overflow_is_inf_not_nan():
    got = matrices.power_norms(3.0 * np.eye(2), 700)
    assert np.isinf(got[-1]) and not np.isnan(got).any()


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: matrices.gaussian(0, 1.0), ValueError, "n: expected an integer >= 1"),
        (lambda: matrices.gaussian(3.0, 1.0), TypeError, "n"),
        (lambda: matrices.orthogonal(3, -1.0), ValueError, "rho"),
        (lambda: matrices.identity(3, np.nan), ValueError, "rho"),
        (lambda: matrices.nonnormal(3, "a"), TypeError, "rho"),
        (lambda: matrices.nonnormal(3, 0.9, strength=-1), ValueError, "strength"),
        (lambda: matrices.gaussian(3, 1.0, seed=-1), ValueError, "seed"),
        (lambda: matrices.gaussian(3, 1.0, seed=1.5), TypeError, "seed"),
        (lambda: matrices.make("random", 3, 1.0), ValueError, "kind: expected one of"),
        (lambda: matrices.spectral_radius(np.zeros((2, 3))), ValueError,
         r"W: expected a square matrix of shape \(n, n\), got \(2, 3\)"),
        (lambda: matrices.spectral_radius([[1.0, np.inf], [0, 1]]), ValueError,
         "W: expected finite"),
        (lambda: matrices.spectral_radius([[1.0, 2.0], [3.0]]), ValueError, "W"),
        (lambda: matrices.singular_values(np.zeros(3)), ValueError, "W"),
        (lambda: matrices.power_norms(np.eye(2), -1), ValueError, "k_max"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("fn", [matrices.spectral_radius,
                                lambda W: matrices.singular_values(W)[0]])
def test_huge_matrices_are_measured_without_overflow(fn):
    """ρ(cW) = c ρ(W) and σ(cW) = c σ(W): computed on W / max|W|, so entries near 1e300 give the
    exact answer rather than LAPACK's inf."""
    W = np.random.default_rng(0).standard_normal((4, 4))
    assert_allclose(fn(1e300 * W), 1e300 * fn(W), rtol=1e-12)


def test_make_names_the_callers_radius():
    with pytest.raises(ValueError, match=r"^skip_radius: expected a spectral radius"):
        matrices.make("gaussian", 4, 1.7e308, rho_name="skip_radius")
    assert_allclose(matrices.make("nonnormal", 4, 0.9, 3), matrices.nonnormal(4, 0.9, 3),
                    rtol=0, atol=0)
