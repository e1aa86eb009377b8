"""Tests for bpttlib.truncated: randomized truncation is unbiased (exactly, by enumerating every
cut pattern, and statistically over many draws) and BPTT(h; h′) reduces to the window, the
chunks and exact BPTT where it should."""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import gradcheck, rnn
from bpttlib import truncated as tr


def problem(T=7, batch=None, seed=1, rho=1.1):
    p = rnn.init(3, 5, 2, spectral_radius=rho, seed=seed)
    rng = np.random.default_rng(seed)
    shape = (T,) if batch is None else (T, batch)
    return p, rng.standard_normal((*shape, 3)), rng.standard_normal((*shape, 2))


def assert_params_close(a, b, rtol, atol):
    for x, y in zip(a.arrays(), b.arrays()):
        assert_allclose(x, y, rtol=rtol, atol=atol)


@pytest.mark.parametrize("batch", [None, 3])
@pytest.mark.parametrize("c", [0.3, "varying"])
def test_expectation_over_every_cut_pattern_is_exact(batch, c):
    p, xs, d = problem(T=7, batch=batch)
    c = np.linspace(0.1, 0.7, 6) if c == "varying" else c
    probs = np.broadcast_to(c, (6,))
    exact = rnn.bptt(p, xs, d)[1]
    mean = exact.map(np.zeros_like)
    for bits in itertools.product([False, True], repeat=6):
        cuts = np.array(bits)
        weight = np.prod(np.where(cuts, probs, 1 - probs))
        g = tr.reweighted_bptt(p, xs, d, cuts, c)[1]
        mean = mean.zip_map(lambda m, a: m + weight * a, g)
    assert_params_close(mean, exact, rtol=1e-11, atol=1e-13)


def test_mean_of_many_draws_approaches_exact_within_six_standard_errors():
    # Statistical check, seeded: every coordinate of the mean of N draws must lie within
    # 6 standard errors (sample sd / sqrt(N)) of the exact gradient (a 1e-9 event per
    # coordinate for a normal mean); N = 4000 draws, T = 12, c = 0.25.
    p, xs, d = problem(T=12, rho=0.9)
    exact = np.concatenate([a.ravel() for a in rnn.bptt(p, xs, d)[1].arrays()])
    draws = np.array([np.concatenate([a.ravel() for a in tr.randomized_bptt(
        p, xs, d, cut_prob=0.25, seed=s)[1].arrays()]) for s in range(4000)])
    se = draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(axis=0) - exact) <= 6 * se + 1e-12)
    assert se.max() > 0   # the draws do vary


def test_no_cuts_is_exact_and_all_cuts_is_truncate_zero():
    p, xs, d = problem(T=8)
    exact = rnn.bptt(p, xs, d)[1]
    assert_params_close(tr.reweighted_bptt(p, xs, d, np.zeros(7, bool), 0.0)[1], exact,
                        1e-12, 1e-14)
    all_cut = tr.reweighted_bptt(p, xs, d, np.ones(7, bool), 0.4)[1]
    assert_params_close(all_cut, tr.bptt_hh(p, xs, d, 1, 1)[1], 1e-12, 1e-14)


def test_reweighted_gradient_is_the_gradient_of_the_cut_graph():
    """Without reweighting (c = 0) a fixed cut pattern is the exact gradient of the graph in
    which the state is detached at the cuts: check against central differences."""
    p, xs, d = problem(T=6)
    cuts = np.array([False, True, False, False, True])

    def detached_loss(params):   # run each piece from the carried (constant) state
        states = rnn.forward(p, xs).states
        total, start = 0.0, 0
        for end in [*(np.flatnonzero(cuts) + 1), 6]:
            total += rnn.loss_fn(params, xs[start:end], d[start:end],
                                 s0=states[start] if start else None)
            start = end
        return total

    num = gradcheck.numerical_grads(detached_loss, p)
    ana = tr.reweighted_bptt(p, xs, d, cuts, 0.0)[1]
    for name in ("W_x", "W_s", "b_s"):   # the states fed forward are constants here
        assert_allclose(getattr(ana, name), getattr(num, name), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("k", [1, 2, 5])
@pytest.mark.parametrize("batch", [None, 2])
def test_bptt_hh_with_h_prime_one_is_the_window(k, batch):
    p, xs, d = problem(T=9, batch=batch)
    assert_params_close(tr.bptt_hh(p, xs, d, k + 1, 1)[1],
                        rnn.bptt(p, xs, d, truncate=k)[1], 1e-12, 1e-14)


@pytest.mark.parametrize("h_prime", [1, 2, 3, 4, 9])
def test_bptt_hh_with_h_at_least_T_is_exact(h_prime):
    p, xs, d = problem(T=9)
    exact = rnn.bptt(p, xs, d)[1]
    for h in (9, 12):
        if h >= h_prime:
            assert_params_close(tr.bptt_hh(p, xs, d, h, h_prime)[1], exact, 1e-12, 1e-14)


@pytest.mark.parametrize("chunk", [2, 3, 4])
def test_bptt_hh_with_h_equal_h_prime_is_chunks(chunk):
    p, xs, d = problem(T=12)            # chunk divides T (else the last pass reaches back h)
    states = rnn.forward(p, xs).states
    want = None
    for start in range(0, 12, chunk):
        part = slice(start, start + chunk)
        g = rnn.bptt(p, xs[part], d[part], s0=states[start])[1]
        want = g if want is None else want.zip_map(np.add, g)
    assert_params_close(tr.bptt_hh(p, xs, d, chunk, chunk)[1], want, 1e-12, 1e-14)


def test_bptt_hh_output_weights_and_loss_are_exact():
    p, xs, d = problem(T=9)
    loss, exact = rnn.bptt(p, xs, d)
    value, g = tr.bptt_hh(p, xs, d, 3, 2)
    assert_allclose(value, loss, rtol=1e-14)
    assert_allclose(g.W_y, exact.W_y, rtol=1e-13)


@pytest.mark.parametrize("call, exc, name", [
    (lambda p, x, d: tr.bptt_hh(p, x, d, 2, 3), ValueError, "h:"),
    (lambda p, x, d: tr.bptt_hh(p, x, d, 0, 1), ValueError, "h:"),
    (lambda p, x, d: tr.bptt_hh(p, x, d, 3, 0), ValueError, "h_prime:"),
    (lambda p, x, d: tr.randomized_bptt(p, x, d, cut_prob=1.0), ValueError, "cut_prob:"),
    (lambda p, x, d: tr.randomized_bptt(p, x, d, cut_prob=-0.1), ValueError, "cut_prob:"),
    (lambda p, x, d: tr.randomized_bptt(p, x, d, cut_prob=np.full(3, 0.2)), ValueError,
     "cut_prob:"),
    (lambda p, x, d: tr.randomized_bptt(p, x, d, cut_prob=True), TypeError, "cut_prob:"),
    (lambda p, x, d: tr.reweighted_bptt(p, x, d, np.zeros(6), 0.2), TypeError, "cuts:"),
    (lambda p, x, d: tr.reweighted_bptt(p, x, d, np.zeros(5, bool), 0.2), ValueError,
     "cuts:"),
    (lambda p, x, d: tr.draw_cuts(0, 0.2), ValueError, "T:"),
])
def test_bad_arguments_name_themselves(call, exc, name):
    p, xs, d = problem(T=7)
    with pytest.raises(exc, match=name):
        call(p, xs, d)


def test_draw_cuts_is_seeded_and_has_the_right_rate():
    a, b = tr.draw_cuts(20001, 0.2, seed=3), tr.draw_cuts(20001, 0.2, seed=3)
    assert np.array_equal(a, b)
    # binomial(20000, 0.2): sd 57; 6 sd is 340
    assert abs(a.sum() - 4000) < 340


def test_overflow_raises():
    p, xs, d = problem(T=300, rho=30.0)
    with pytest.raises(FloatingPointError):
        tr.randomized_bptt(p, xs * 0 + 1e-3, d, cut_prob=1e-3, seed=0, activation="linear")


def test_randomized_objective_draws_new_cuts_every_call_and_is_seeded():
    p, xs, d = problem(T=10)
    batch = (xs, d, None)
    a, b = tr.randomized_objective(0.3, seed=4), tr.randomized_objective(0.3, seed=4)
    first, second = a(p, batch)[1], a(p, batch)[1]
    assert not np.allclose(first.W_s, second.W_s)          # fresh cuts on each call
    assert np.array_equal(b(p, batch)[1].W_s, first.W_s)    # same seed, same sequence
    assert np.array_equal(first.W_s, tr.randomized_bptt(p, xs, d, cut_prob=0.3,
                                                        seed=4 * 1_000_003)[1].W_s)
    with pytest.raises(ValueError, match="cut_prob:"):
        tr.randomized_objective(1.0)
    with pytest.raises(TypeError, match="batch:"):
        a(p, [xs, d, None])
