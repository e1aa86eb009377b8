"""Tests for bpttlib.jacobians: step Jacobians, log-space products, the bound, decay curves."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from bpttlib import activations, jacobians, matrices, rnn

ACTS = activations.ACTIVATIONS


def case(act="tanh", rho=1.2, T=12, H=4, seed=0, kind="gaussian"):
    p = rnn.init(2, H, 3, spectral_radius=rho, seed=seed, kind=kind)
    xs = np.random.default_rng(seed).standard_normal((T, 2))
    return p, xs, rnn.forward(p, xs, activation=act)


def direct_products(Js, t):
    """∂s_t/∂s_k for k = 0 … t by plain matrix products (no rescaling)."""
    H = Js.shape[1]
    P, out = np.eye(H), [np.eye(H)]
    for k in range(t - 1, -1, -1):
        P = P @ Js[k]
        out.append(P)
    return out[::-1]


@pytest.mark.parametrize("act", ACTS)
def test_step_jacobians_match_finite_differences(act):
    p, xs, tr = case(act, seed=1)
    Js = jacobians.step_jacobians(p, tr, activation=act)
    assert Js.shape == (12, 4, 4)
    phi, eps = activations.get(act).value, 1e-6
    for t in (1, 6, 12):
        s_prev, x = tr.states[t - 1], xs[t - 1]
        num = np.empty((4, 4))
        for j in range(4):
            e = np.zeros(4)
            e[j] = eps
            up = phi(p.W_s @ (s_prev + e) + p.W_x @ x + p.b_s)
            dn = phi(p.W_s @ (s_prev - e) + p.W_x @ x + p.b_s)
            num[:, j] = (up - dn) / (2 * eps)
        assert_allclose(Js[t - 1], num, rtol=1e-7, atol=1e-9)


def test_products_are_state_sensitivities():
    """∂s_t/∂s_k from the Jacobian chain equals perturbing s_k and re-running the RNN."""
    p, xs, tr = case("tanh", rho=0.9, T=8, seed=2)
    P = direct_products(jacobians.step_jacobians(p, tr), 8)
    k, eps = 3, 1e-6
    num = np.empty((4, 4))
    for j in range(4):
        e = np.zeros(4)
        e[j] = eps
        up = rnn.forward(p, xs[k:], s0=tr.states[k] + e).states[-1]
        dn = rnn.forward(p, xs[k:], s0=tr.states[k] - e).states[-1]
        num[:, j] = (up - dn) / (2 * eps)
    assert_allclose(P[k], num, rtol=1e-7, atol=1e-10)
    norms = jacobians.product_norms(p, tr, 8)
    assert_allclose(norms[k], np.linalg.norm(num, 2), rtol=1e-7)


@settings(max_examples=40, deadline=None)
@given(act=st.sampled_from(ACTS), rho=st.floats(0.1, 3.0), T=st.integers(1, 40),
       H=st.integers(1, 6), seed=st.integers(0, 2**16),
       kind=st.sampled_from(matrices.KINDS))
def test_log_norms_equal_direct_norms_and_respect_the_bound(act, rho, T, H, seed, kind):
    p, xs, tr = case(act, rho=rho, T=T, H=H, seed=seed, kind=kind)
    t = T
    logs = jacobians.log_product_norms(p, tr, t, activation=act)
    assert logs.shape == (t + 1,) and not np.isnan(logs).any()
    assert logs[t] == pytest.approx(0.0, abs=1e-15)
    direct = np.array([np.linalg.norm(P, 2) for P in
                       direct_products(jacobians.step_jacobians(p, tr, activation=act), t)])
    ok = direct > 1e-250  # compare wherever the plain product is safely representable
    assert_allclose(logs[ok], np.log10(direct[ok]), rtol=0, atol=1e-10)
    assert np.all(np.isneginf(logs[direct == 0]))
    bound = jacobians.jacobian_bound(p, t, np.arange(t + 1), activation=act, log10=True)
    assert np.all(logs <= bound + 1e-9)  # ‖∂s_t/∂s_k‖ ≤ (γ σ_max)^(t−k)


def test_product_norms_last_entry_is_one_and_intermediate_t():
    p, _, tr = case(T=10)
    norms = jacobians.product_norms(p, tr, 6)
    assert norms.shape == (7,)
    assert_allclose(norms[-1], 1.0, rtol=1e-15)
    assert_allclose(jacobians.product_norms(p, tr, 0), [1.0], rtol=0)


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_log_norms_far_beyond_float_range(act):
    """T = 1000 at ρ = 3: the plain product leaves float64, the log-space one does not."""
    p = rnn.init(1, 8, 1, spectral_radius=3.0, seed=0)
    xs = 0.1 * np.random.default_rng(0).standard_normal((1000, 1))
    tr = rnn.forward(p, xs, activation=act)
    logs = jacobians.log_product_norms(p, tr, 1000, activation=act)
    assert not np.isnan(logs).any()
    assert np.all(np.isfinite(logs) | np.isneginf(logs))
    lin = jacobians.product_norms(p, tr, 1000, activation=act)
    assert not np.isnan(lin).any()
    assert np.isfinite(logs[0])
    if act == "sigmoid":  # γ = 1/4 wins here: far below 1, still finite in log space
        assert logs[0] < -200


def test_log_norms_below_float_range_are_finite():
    p = rnn.init(1, 8, 1, spectral_radius=1.0, seed=0)
    xs = np.random.default_rng(0).standard_normal((1000, 1))
    tr = rnn.forward(p, xs, activation="sigmoid")
    logs = jacobians.log_product_norms(p, tr, 1000, activation="sigmoid")
    lin = jacobians.product_norms(p, tr, 1000, activation="sigmoid")
    assert logs[0] < -330 and np.isfinite(logs[0])  # below even the smallest subnormal ...
    assert lin[0] < 1e-300 and not np.isnan(lin).any()  # ... so linear space says 0


def test_jacobian_bound_values():
    p, _, _ = case(rho=0.9)
    sigma = np.linalg.norm(p.W_s, 2)
    assert_allclose(jacobians.jacobian_bound(p, 5, 2), sigma ** 3, rtol=1e-13)
    assert_allclose(jacobians.jacobian_bound(p, 5, 2, activation="sigmoid"), (sigma / 4) ** 3,
                    rtol=1e-13)
    assert_allclose(jacobians.jacobian_bound(p, 5, [5, 4], log10=True), [0, np.log10(sigma)],
                    rtol=1e-13, atol=1e-15)
    assert np.isinf(jacobians.jacobian_bound(p, 10**6, 0, activation="linear")) or sigma < 1


def test_spectral_radius_of_params_and_matrix():
    p, _, _ = case(rho=1.7)
    assert_allclose(jacobians.spectral_radius(p), 1.7, rtol=1e-12)
    assert_allclose(jacobians.spectral_radius(p.W_s), 1.7, rtol=1e-12)


# ---- gradient decay -----------------------------------------------------------------------------

def direct_decay(p, xs, targets, act, loss):
    """‖∂L_T/∂s_k‖₂ by plain products, for comparison."""
    tr = rnn.forward(p, xs, activation=act)
    T = len(xs)
    mask = np.zeros(T)
    mask[-1] = 1
    from bpttlib import losses
    _, dy = losses.loss_and_grad(loss, tr.outputs, targets, mask)
    g = dy[-1] @ p.W_y
    Js = jacobians.step_jacobians(p, tr, activation=act)

    def norm(v):  # ‖v‖₂ without squaring huge entries
        m = np.abs(v).max()
        return 0.0 if m == 0 else m * np.linalg.norm(v / m)

    out = [norm(g)]
    for k in range(T - 1, -1, -1):
        g = g @ Js[k]
        out.append(norm(g))
    return np.array(out[::-1])


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("loss", ["mse", "xent"])
@pytest.mark.parametrize("rho", [0.6, 1.3])
def test_grad_decay_matches_direct_products(act, loss, rho):
    p, xs, _ = case(act, rho=rho, T=30, H=5, seed=3)
    rng = np.random.default_rng(3)
    targets = rng.standard_normal((30, 3)) if loss == "mse" else rng.integers(0, 3, 30)
    curve = jacobians.grad_decay(p, xs, targets, activation=act, loss=loss)
    direct = direct_decay(p, xs, targets, act, loss)
    ok = direct > 1e-250
    assert_allclose(curve.log10_norm[ok], np.log10(direct[ok]), rtol=0, atol=1e-10)
    assert np.all(np.isneginf(curve.log10_norm[direct == 0]))
    assert_allclose(curve.k, np.arange(31), rtol=0)
    assert np.all(curve.log10_norm <= curve.log10_bound + 1e-9)


def test_grad_decay_equals_bptt_state_gradient():
    """With only the last step weighted, ∂L/∂s_0 from the decay curve is BPTT's ∂L/∂s_0."""
    p, xs, _ = case("tanh", rho=1.1, T=10, seed=4)
    targets = np.random.default_rng(4).standard_normal((10, 3))
    mask = np.zeros(10)
    mask[-1] = 1
    eps, s0 = 1e-6, np.zeros(4)
    num = np.empty(4)
    for j in range(4):
        e = np.zeros(4)
        e[j] = eps
        num[j] = (rnn.loss_fn(p, xs, targets, mask=mask, s0=s0 + e)
                  - rnn.loss_fn(p, xs, targets, mask=mask, s0=s0 - e)) / (2 * eps)
    curve = jacobians.grad_decay(p, xs, targets)
    assert_allclose(curve.log10_norm[0], np.log10(np.linalg.norm(num)), atol=1e-7)


@pytest.mark.parametrize("act", ["relu", "linear"])
@pytest.mark.parametrize("loss", ["mse", "xent"])
def test_grad_decay_rescaled_forward_matches_plain_products(act, loss):
    """ρ = 3, T = 230: the states reach ~1e110, so the rescaled forward pass of relu/linear
    units really rescales, while the plain computation still fits in float64."""
    p = rnn.init(2, 5, 3, spectral_radius=3.0, seed=6, kind="orthogonal")
    rng = np.random.default_rng(6)
    xs = rng.standard_normal((230, 2))
    tr = rnn.forward(p, xs, activation=act)
    assert np.abs(tr.states[-1]).max() > 1e100
    if loss == "mse":
        targets = rng.standard_normal((230, 3))
    else:  # softmax is one-hot at these logits: aim at another class so the gradient is not 0
        targets = np.full(230, (int(np.argmax(tr.outputs[-1])) + 1) % 3)
    curve = jacobians.grad_decay(p, xs, targets, activation=act, loss=loss)
    direct = direct_decay(p, xs, targets, act, loss)
    ok = direct > 0
    assert ok.sum() > 100
    assert_allclose(curve.log10_norm[ok], np.log10(direct[ok]), rtol=0, atol=1e-9)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("kind", matrices.KINDS)
@pytest.mark.parametrize("loss", ["mse", "xent"])
def test_decay_curve_extreme_never_nan(act, kind, loss):
    c = jacobians.decay_curve(3.0, act, n_hidden=16, T=1000, kind=kind, seed=1, loss=loss,
                              n_out=3)
    v = c.log10_norm
    assert v.shape == (1001,) and not np.isnan(v).any()
    assert np.all(np.isfinite(v) | np.isneginf(v))
    assert np.array_equal(c.overflow, v > jacobians.LOG10_MAX)
    assert np.array_equal(c.underflow, v < jacobians.LOG10_TINY)
    assert np.all(c.underflow[np.isneginf(v)])
    assert not np.isnan(c.log10_bound).any()
    assert np.all(v <= c.log10_bound + 1e-8)
    assert_allclose(c.spectral_radius, 3.0, rtol=1e-12)


def test_decay_curve_explodes_for_linear_units_beyond_float_range():
    c = jacobians.decay_curve(3.0, "linear", n_hidden=16, T=1000, kind="orthogonal")
    assert c.overflow.all() and c.log10_norm[0] > 400
    # orthogonal W: ‖∂s_T/∂s_k‖ = 3^(T−k) exactly, so the curve is a line of slope log10 3
    assert_allclose(np.diff(c.log10_norm), -np.log10(3.0), atol=1e-9)


def test_decay_curve_vanishes_for_sigmoid():
    c = jacobians.decay_curve(0.9, "sigmoid", n_hidden=32, T=600)
    assert c.log10_norm[0] < c.log10_norm[-1] - 100 and c.underflow[0]
    assert np.all(np.diff(c.log10_norm) > 0)


def test_decay_curve_matches_grad_decay_on_same_model():
    c = jacobians.decay_curve(1.2, "tanh", n_hidden=8, T=50, seed=5, input_scale=0.5)
    p = rnn.init(1, 8, 1, spectral_radius=1.2, seed=5)
    rng = np.random.default_rng([5, 2])
    xs = 0.5 * rng.standard_normal((50, 1))
    targets = rng.standard_normal((50, 1))
    d = jacobians.grad_decay(p, xs, targets)
    assert_allclose(c.log10_norm, d.log10_norm, rtol=0, atol=1e-12)
    assert_allclose(c.sigma_max, d.sigma_max, rtol=1e-12)


def test_decay_curve_xent_and_zero_radius():
    c = jacobians.decay_curve(0.0, "tanh", n_hidden=4, T=5, loss="xent", n_out=3)
    assert np.isfinite(c.log10_norm[-1]) and np.all(np.isneginf(c.log10_norm[:-1]))


# ---- bad input ----------------------------------------------------------------------------------

def test_bad_input_step_and_products():
    p, xs, tr = case()
    pb = rnn.init(2, 4, 3)
    trb = rnn.forward(pb, np.zeros((3, 2, 2)))
    with pytest.raises(TypeError, match="params"):
        jacobians.step_jacobians("p", tr)
    with pytest.raises(TypeError, match="trace"):
        jacobians.step_jacobians(p, tr.states)
    with pytest.raises(ValueError, match="trace: expected an unbatched trace"):
        jacobians.step_jacobians(pb, trb)
    with pytest.raises(ValueError, match="trace"):
        jacobians.log_product_norms(rnn.init(2, 5, 3), tr, 3)
    with pytest.raises(ValueError, match="activation"):
        jacobians.product_norms(p, tr, 3, activation="elu")
    with pytest.raises(ValueError, match=r"t: expected an integer in 0\.\.T = 0\.\.12"):
        jacobians.log_product_norms(p, tr, 13)
    with pytest.raises(ValueError, match="t"):
        jacobians.product_norms(p, tr, -1)
    with pytest.raises(TypeError, match="t"):
        jacobians.product_norms(p, tr, 2.0)


def test_bad_input_bound():
    p, _, _ = case()
    with pytest.raises(ValueError, match="k: expected 0 <= k <= t"):
        jacobians.jacobian_bound(p, 3, 5)
    with pytest.raises(ValueError, match="k"):
        jacobians.jacobian_bound(p, 3, -1)
    with pytest.raises(TypeError, match="k"):
        jacobians.jacobian_bound(p, 3, 1.5)
    with pytest.raises(TypeError, match="params"):
        jacobians.jacobian_bound(np.eye(2), 3, 1)


def test_bad_input_grad_decay():
    p, xs, _ = case()
    targets = np.zeros((12, 3))
    with pytest.raises(ValueError, match="xs: expected one sequence"):
        jacobians.grad_decay(p, np.zeros((12, 2, 2)), np.zeros((12, 2, 3)))
    with pytest.raises(ValueError, match="xs"):
        jacobians.grad_decay(p, np.zeros((12, 3)), targets)
    with pytest.raises(ValueError, match="targets"):
        jacobians.grad_decay(p, xs, np.zeros((11, 3)))
    with pytest.raises(ValueError, match="loss"):
        jacobians.grad_decay(p, xs, targets, loss="l1")
    with pytest.raises(ValueError, match="xs: expected finite"):
        jacobians.grad_decay(p, np.full((12, 2), np.nan), targets)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(spectral_radius=-1.0), ValueError, "spectral_radius"),
        (dict(activation="gelu"), ValueError, "activation"),
        (dict(n_hidden=0), ValueError, "n_hidden"),
        (dict(T=0), ValueError, "T"),
        (dict(T=10.0), TypeError, "T"),
        (dict(kind="circulant"), ValueError, "kind"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(input_scale=np.nan), ValueError, "input_scale"),
        (dict(loss="hinge"), ValueError, "loss"),
    ],
)
def test_bad_input_decay_curve(kwargs, exc, match):
    args = dict(spectral_radius=1.0, activation="tanh") | kwargs
    with pytest.raises(exc, match=match):
        jacobians.decay_curve(args.pop("spectral_radius"), args.pop("activation"), **args)


# ---- issue 16: finite or -inf for huge but finite inputs; hand-built traces ---------------------

@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("rho", [1e200, 1e300])
def test_decay_curve_stays_in_log_space_for_huge_radii(act, rho):
    """Was: NaN in log10_norm/log10_bound and +inf from sqrt(u @ u) overflowing."""
    curve = jacobians.decay_curve(rho, act, n_hidden=4, T=30, kind="orthogonal")
    for logs in (curve.log10_norm, curve.log10_bound):
        assert not np.isnan(logs).any() and not (logs == np.inf).any()
    assert np.isfinite(curve.log10_norm[-1])
    # W_s = rho · Q exactly: the slope per step of the bound is log10(γ rho)
    slope = np.diff(curve.log10_bound)
    assert_allclose(-slope, np.log10(activations.gamma(act) * rho), rtol=1e-12)


@pytest.mark.parametrize("rho", [2.0, 1e300])
def test_decay_curve_is_exact_for_huge_orthogonal_linear_rnns(rho):
    """Linear units, ``W_s = ρ Q``: ``‖g Q^{T−k}‖ ρ^{T−k}`` gives exactly
    ``log10_norm[k] − log10_norm[T] = (T − k) log10 ρ``, also where ρ^{T−k} is far beyond
    float64 (the products are taken with ``W_s / max |W_s|``)."""
    curve = jacobians.decay_curve(rho, "linear", n_hidden=4, T=20, kind="orthogonal")
    assert_allclose(curve.log10_norm - curve.log10_norm[-1], (20 - curve.k) * np.log10(rho),
                    rtol=1e-12, atol=1e-9)


def test_decay_curve_blames_the_radius_when_nothing_is_representable():
    with pytest.raises(ValueError, match=r"^spectral_radius: expected a spectral radius"):
        jacobians.decay_curve(1.7e308, n_hidden=4, T=5)
    with pytest.raises(FloatingPointError, match=r"^spectral_radius: 1\.7e\+308"):
        jacobians.decay_curve(1.7e308, n_hidden=4, T=5, kind="orthogonal")
    with pytest.raises(ValueError, match=r"^input_scale: expected a scale"):
        jacobians.decay_curve(0.9, n_hidden=4, T=5, input_scale=1.7e308)


def test_grad_decay_with_huge_output_weights_has_no_nan():
    p = rnn.init(2, 3, 2, seed=1)
    p = rnn.RNNParams(p.W_x, p.W_s, p.b_s, p.W_y * 1e300, p.b_y)
    xs = np.random.default_rng(0).standard_normal((6, 2))
    try:
        curve = jacobians.grad_decay(p, xs, np.zeros((6, 2)))
    except FloatingPointError as exc:  # allowed: the outputs 1e300 · s overflow the loss
        assert str(exc).startswith("params:")
    else:
        assert not np.isnan(curve.log10_norm).any()


def hand_built(trace, **fields):
    return rnn.Trace(**{**dataclasses.asdict(trace), **fields})


@pytest.mark.parametrize("fn", [jacobians.step_jacobians,
                                lambda p, tr: jacobians.product_norms(p, tr, 3),
                                lambda p, tr: jacobians.log_product_norms(p, tr, 3)])
@pytest.mark.parametrize("field, value, exc, pattern", [
    ("states", None, TypeError, r"^trace\.states: expected an array of real numbers, got None"),
    ("preacts", "abc", TypeError, r"^trace\.preacts: expected an array of real numbers, got str"),
    ("preacts", "object", ValueError, r"^trace\.preacts: .*dtype object"),
    ("preacts", "complex", TypeError, r"^trace\.preacts: expected an array of real numbers, "
                                      r"got dtype complex128"),
])
def test_hand_built_traces_are_checked_field_by_field(fn, field, value, exc, pattern):
    """Was: AttributeError for None/str, numpy's ufunc error for objects, and complex preacts
    silently losing their imaginary part."""
    p = rnn.init(2, 3, 1, seed=0)
    trace = rnn.forward(p, np.ones((4, 2)))
    if value == "object":
        value = trace.preacts.astype(object)
    elif value == "complex":
        value = trace.preacts + 1j
    with pytest.raises(exc, match=pattern):
        fn(p, hand_built(trace, **{field: value}))


def test_hand_built_trace_from_lists_equals_the_real_one():
    p = rnn.init(2, 3, 1, seed=0)
    trace = rnn.forward(p, np.ones((4, 2)))
    listed = hand_built(trace, states=trace.states.tolist(), preacts=trace.preacts.tolist())
    assert_allclose(jacobians.log_product_norms(p, listed, 4),
                    jacobians.log_product_norms(p, trace, 4), rtol=0, atol=0)
