"""bpttlib.sweeps: the figure data, checked against the kernels they run."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import activations, gated, jacobians, rnn, skip, sweeps, tasks, viz


ACTS = activations.ACTIVATIONS
SMALL = dict(T=30, n_hidden=8)


@pytest.fixture
def grid(small_decay_grid):
    return small_decay_grid


def flat_recurrent(g):
    return np.concatenate([g.W_x.ravel(), g.W_s.ravel(), g.b_s.ravel()])


@pytest.fixture(scope="module")
def problem():
    T = 12
    xs, verbs = tasks.agreement_task(8, T, seed=0, attractors=False)
    targets, mask = tasks.many_to_one(verbs, T)
    params = rnn.init(xs.shape[-1], 6, 2, spectral_radius=1.0, seed=0, kind="orthogonal")
    return params, xs, targets, mask


@pytest.fixture(scope="module")
def sweep(problem):
    params, xs, targets, mask = problem
    return sweeps.truncation_sweep(params, xs, targets, loss="xent", mask=mask)


def test_agreement_sweep_is_truncation_sweep_on_the_agreement_task(problem, sweep,
                                                                   small_truncation_sweep):
    assert_allclose(small_truncation_sweep.cosine, sweep.cosine, rtol=0, atol=0)
    assert_allclose(small_truncation_sweep.lag_norms, sweep.lag_norms, rtol=0, atol=0)


def test_the_viz_names_are_the_sweeps():
    assert viz.decay_grid is sweeps.decay_grid and viz.DecayGrid is sweeps.DecayGrid
    assert viz.truncation_sweep is sweeps.truncation_sweep
    assert viz.gated_decay_curves is sweeps.gated_decay_curves


@pytest.mark.parametrize("biases", [[0.0, 2.0], np.array([1.0])])
def test_gated_decay_curves_take_several_forget_biases(biases):
    several = sweeps.gated_decay_curves(biases, T=20, n_hidden=4, seed=1)
    assert several["lstm"].shape == (len(biases), 21) and several["rnn"].shape == (21,)
    for b, row in zip(biases, several["lstm"]):
        one = sweeps.gated_decay_curves(float(b), T=20, n_hidden=4, seed=1)
        assert_allclose(row, one["lstm"], rtol=0, atol=0)
        assert_allclose(several["gru"], one["gru"], rtol=0, atol=0)


def test_cell_path_curves_run_on_the_probe():
    full, direct = sweeps.cell_path_curves([0.0, 3.0], T=15, n_hidden=4, seed=2)
    assert full.shape == direct.shape == (2, 16)
    xs, _ = tasks.probe(15, seed=2)
    params = gated.lstm_init(1, 4, 1, seed=2, forget_bias=3.0)
    trace = gated.lstm_forward(params, xs)
    assert_allclose(direct[1], gated.lstm_cell_jacobian_norms(params, trace, path="direct")[::-1],
                    rtol=0, atol=0)
    assert direct[1, -1] > direct[0, -1], "a larger forget bias keeps the cell path open"


def test_skip_curves_are_the_kernel_by_distance():
    plain, curves = sweeps.skip_curves([2, 5], skip_radius=0.4, T=20, n_hidden=6, seed=1)
    assert_allclose(plain, skip.skip_decay_curve(1.0, 1, skip_radius=0.0, T=20, n_hidden=6,
                                                 seed=1)[::-1], rtol=0, atol=0)
    assert_allclose(curves[1], skip.skip_decay_curve(1.0, 5, skip_radius=0.4, T=20, n_hidden=6,
                                                     seed=1)[::-1], rtol=0, atol=0)
    with pytest.raises(ValueError, match="skips"):
        sweeps.skip_curves([0])
    with pytest.raises(TypeError, match="skips"):
        sweeps.skip_curves("12")


def test_decay_grid_matches_decay_curve_state_by_state(grid):
    assert grid.log10_norm.shape == (4, 4, 31)
    assert grid.activations == ACTS
    assert_allclose(grid.distance, np.arange(31))
    for i, act in enumerate(ACTS):
        for j, rho in enumerate(grid.radii):
            curve = jacobians.decay_curve(rho, act, **SMALL)
            assert_allclose(grid.log10_norm[i, j], curve.log10_norm[::-1], rtol=0, atol=1e-12)
            assert_allclose(grid.log10_rate[i, j], math.log10(curve.gamma * curve.sigma_max),
                            atol=1e-12)
    assert grid.settings == dict(n_hidden=8, T=30, kind="gaussian", seed=0, input_scale=1.0)


def test_decay_grid_rate_is_minus_inf_for_a_zero_matrix():
    g = sweeps.decay_grid([0.0], ("tanh",), **SMALL)
    assert g.log10_rate[0, 0] == -np.inf
    assert np.isneginf(g.log10_norm[0, 0, 1:]).all() and np.isfinite(g.log10_norm[0, 0, 0])


@pytest.mark.parametrize("radii, activations_, exc, word", [
    ([], ACTS, ValueError, "radii"),
    ([-0.5, 1.0], ACTS, ValueError, "radii"),
    ([[1.0]], ACTS, ValueError, "radii"),
    ([1.0], ("tanh", "softplus"), ValueError, "activations"),
    ([1.0], "tanh", TypeError, "activations"),
    ([1.0], (), ValueError, "activations"),
])
def test_decay_grid_rejects_bad_input(radii, activations_, exc, word):
    with pytest.raises(exc, match=word):
        sweeps.decay_grid(radii, activations_, **SMALL)


def test_gated_decay_curves_are_the_kernels_by_distance():
    c = sweeps.gated_decay_curves(2.0, T=40, n_hidden=8, seed=3, spectral_radius=1.1)
    assert set(c) == {"rnn", "gru", "lstm"} and all(v.shape == (41,) for v in c.values())
    assert_allclose(c["rnn"], jacobians.decay_curve(1.1, "tanh", n_hidden=8, T=40,
                                                    seed=3).log10_norm[::-1])
    assert_allclose(c["lstm"], gated.gated_decay_curve("lstm", forget_bias=2.0, n_hidden=8,
                                                       T=40, seed=3)[::-1])
    assert_allclose(c["gru"], gated.gated_decay_curve("gru", n_hidden=8, T=40, seed=3)[::-1])


def test_sweep_matches_direct_cosines_and_ratios(problem, sweep):
    params, xs, targets, mask = problem
    assert_allclose(sweep.ks, np.arange(1, 12))
    assert sweep.T == 12 and sweep.lag_norms.shape == (12,)
    g = flat_recurrent(rnn.bptt(params, xs, targets, loss="xent", mask=mask)[1])
    for i, k in enumerate(sweep.ks):
        gk = flat_recurrent(rnn.bptt(params, xs, targets, loss="xent", mask=mask,
                                     truncate=int(k))[1])
        cos = gk @ g / (np.linalg.norm(gk) * np.linalg.norm(g))
        assert_allclose(sweep.cosine[i], cos, rtol=1e-12)
        assert_allclose(sweep.norm_ratio[i], np.linalg.norm(gk) / np.linalg.norm(g), rtol=1e-12)
    # k = T - 1 is exact BPTT
    assert_allclose(sweep.cosine[-1], 1.0, atol=1e-12)
    assert_allclose(sweep.norm_ratio[-1], 1.0, atol=1e-12)
    lags = rnn.bptt_by_lag(params, xs, targets, loss="xent", mask=mask)
    assert_allclose(sweep.lag_norms, np.linalg.norm(lags, axis=(1, 2)), rtol=1e-12)


def test_sweep_custom_ks_and_errors(problem):
    params, xs, targets, mask = problem
    s = sweeps.truncation_sweep(params, xs, targets, ks=[2, 5], loss="xent", mask=mask)
    assert s.ks.tolist() == [2, 5] and s.cosine.shape == (2,)
    with pytest.raises(ValueError, match=r"^ks"):
        sweeps.truncation_sweep(params, xs, targets, ks=[0, 1], loss="xent", mask=mask)
    with pytest.raises(ValueError, match=r"^ks"):
        sweeps.truncation_sweep(params, xs, targets, ks=[], loss="xent", mask=mask)
    with pytest.raises(ValueError, match=r"^ks"):
        sweeps.truncation_sweep(params, xs, targets, ks=[1.5], loss="xent", mask=mask)
    with pytest.raises(TypeError, match=r"^params"):
        sweeps.truncation_sweep("params", xs, targets)
    zero = rnn.RNNParams(params.W_x, params.W_s, params.b_s, np.zeros_like(params.W_y),
                         params.b_y)  # W_y = 0: no gradient reaches the recurrent weights
    with pytest.raises(ValueError, match=r"^targets: the exact gradient"):
        sweeps.truncation_sweep(zero, xs, targets, loss="xent", mask=mask)
    with pytest.raises(ValueError, match=r"^xs"):
        sweeps.truncation_sweep(params, xs[:1], targets[:1], loss="xent")


def test_recurrent_vector_is_the_truncated_fields_in_order():
    p = rnn.init(3, 4, 2, seed=0)
    v = sweeps.recurrent_vector(p)
    assert v.shape == (4 * 3 + 4 * 4 + 4,)
    assert_allclose(v, np.concatenate([p.W_x.ravel(), p.W_s.ravel(), p.b_s.ravel()]),
                    rtol=0, atol=0)
    with pytest.raises(TypeError, match="^grads"):
        sweeps.recurrent_vector("not a container")


# ---- randomized truncation and the cliff's curvature ---------------------------------------------

@pytest.fixture(scope="module")
def randomized():
    p = rnn.init(2, 4, 1, spectral_radius=1.0, seed=0)
    rng = np.random.default_rng(0)
    xs, d = rng.standard_normal((12, 3, 2)), rng.standard_normal((12, 3, 1))
    return p, xs, d, sweeps.randomized_sweep(p, xs, d, ks=[2, 5, 11], draws=20)


def test_randomized_sweep_fixed_schemes_match_their_kernels(randomized):
    from bpttlib import params, truncated
    p, xs, d, s = randomized
    g = sweeps.recurrent_vector(rnn.bptt(p, xs, d)[1])
    for i, k in enumerate(s.ks):
        win = sweeps.recurrent_vector(rnn.bptt(p, xs, d, truncate=int(k))[1])
        chunk = sweeps.recurrent_vector(truncated.bptt_hh(p, xs, d, int(k), int(k))[1])
        assert_allclose(s.window_cosine[i], params.cosine(win, g), rtol=1e-12)
        assert_allclose(s.chunk_error[i], np.sum((chunk - g) ** 2) / np.sum(g ** 2), rtol=1e-10)
    assert s.window_error[-1] < 1e-20            # k = T - 1: the window is exact
    assert np.all(s.random_error > 0) and s.draws == 20


@pytest.mark.parametrize("kw, exc, name", [
    (dict(ks=[1, 2]), ValueError, "ks:"), (dict(ks=[]), ValueError, "ks:"),
    (dict(ks=[2], draws=0), ValueError, "draws:"),
])
def test_randomized_sweep_bad_arguments(randomized, kw, exc, name):
    p, xs, d, _ = randomized
    with pytest.raises(exc, match=name):
        sweeps.randomized_sweep(p, xs, d, **kw)


def test_cliff_alignment_is_curvature_alignment_along_the_line():
    from bpttlib import clipping
    out = sweeps.cliff_alignment([1e-1, 1e-4])
    assert clipping.cliff_loss(out["wall"] - 1e-9, -3.0) > 0.25 > clipping.cliff_loss(
        out["wall"] + 1e-9, -3.0)
    for i, dist in enumerate(out["distance"]):
        assert_allclose(out["angle"][i],
                        clipping.curvature_alignment(out["wall"] - dist, -3.0)[0], rtol=1e-12)
    with pytest.raises(ValueError, match="distances:"):
        sweeps.cliff_alignment([0.0])
    with pytest.raises(ValueError, match="bracket:"):
        sweeps.cliff_alignment([0.1], bracket=(8.0, 4.0))
# ---- the slides' sentence and the latching data ------------------------------------------------

def test_sentence_sweep_is_the_product_of_the_step_jacobians():
    from bpttlib import jacobians, rnn, sweeps

    data = sweeps.sentence_sweep([0.8, 1.6], n_hidden=6, seed=2)
    assert len(sweeps.SENTENCE) == 15 and data.t.tolist() == list(range(3, 16))
    assert data.step_norms.shape == data.product_norms.shape == data.bound.shape == (2, 13)
    xs = sweeps.sentence_embedding(8, seed=2)
    assert xs.shape == (15, 8) and np.array_equal(xs[6], xs[11])       # "was" twice
    for i, rho in enumerate((0.8, 1.6)):
        p = rnn.init(8, 6, 1, spectral_radius=rho, seed=2)
        tr = rnn.forward(p, xs)
        J = jacobians.step_jacobians(p, tr)
        P = np.linalg.multi_dot(J[14:1:-1])
        assert_allclose(data.product_norms[i, -1], np.linalg.norm(P, 2), rtol=1e-12)
        assert_allclose(data.step_norms[i], np.linalg.norm(J[2:], 2, axis=(1, 2)), rtol=1e-12)
    assert np.all(data.product_norms <= data.bound * (1 + 1e-12))


def test_sentence_sweep_prefixes_match_product_norms():
    from bpttlib import jacobians, rnn, sweeps

    data = sweeps.sentence_sweep([1.1], n_hidden=5, k=4, seed=1)
    p = rnn.init(8, 5, 1, spectral_radius=1.1, seed=1)
    tr = rnn.forward(p, sweeps.sentence_embedding(8, seed=1))
    expected = [jacobians.product_norms(p, tr, t)[4] for t in range(5, 16)]
    assert_allclose(data.product_norms[0], expected, rtol=1e-9)


def test_latching_data_holds_the_map_and_the_trajectories():
    from bpttlib import latching, sweeps

    data = sweeps.latching_data(8.0, -4.0, [3.0, 0.1], steps=10, n=11)
    assert data.x.shape == data.f.shape == (11,)
    assert data.states.shape == data.log10_gain.shape == (2, 11)
    assert_allclose(data.states[1], latching.trajectory(8.0, -4.0, 0.1, steps=10).x, rtol=0)
    assert data.fixed.x.size == 3


@pytest.mark.parametrize("call, exc, name", [
    (lambda: __import__("bpttlib.sweeps").sweeps.sentence_sweep([1.0], k=15), ValueError, "k"),
    (lambda: __import__("bpttlib.sweeps").sweeps.sentence_sweep([[1.0]]), ValueError, "radii"),
    (lambda: __import__("bpttlib.sweeps").sweeps.sentence_embedding(0), ValueError, "n_in"),
    (lambda: __import__("bpttlib.sweeps").sweeps.latching_data(1.0, 0.0, [[1.0]]), ValueError,
     "starts"),
])
def test_sentence_and_latching_errors(call, exc, name):
    with pytest.raises(exc, match=rf"^{name}"):
        call()
