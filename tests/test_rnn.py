"""Tests for bpttlib.rnn: forward, exact and truncated BPTT, the chain-sum oracle, by-lag split."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from bpttlib import activations, gradcheck, matrices, rnn

ACTS = activations.ACTIVATIONS
LOSSES = ("mse", "xent")
I, H, O = 2, 4, 3


def make_case(activation="tanh", loss="mse", batched=False, masked=False, with_s0=False,
              T=5, B=3, seed=0, rho=1.1):
    """Small random problem; params get non-zero biases so every field is exercised."""
    rng = np.random.default_rng(seed)
    p = rnn.init(I, H, O, spectral_radius=rho, seed=seed)
    p = dataclasses.replace(p, b_s=0.3 * rng.standard_normal(H), b_y=0.3 * rng.standard_normal(O))
    lead = (T, B) if batched else (T,)
    xs = rng.standard_normal((*lead, I))
    if loss == "mse":
        targets = rng.standard_normal((*lead, O))
    else:
        targets = rng.integers(0, O, size=lead)
    mask = rng.uniform(0.2, 1.5, size=lead) if masked else None
    s0 = 0.5 * rng.standard_normal((B, H) if batched else (H,)) if with_s0 else None
    kw = dict(activation=activation, loss=loss, mask=mask, s0=s0)
    return p, xs, targets, kw


def loss_of(xs, targets, kw):
    return lambda q: rnn.loss_fn(q, xs, targets, **kw)


def naive_forward(p, xs, act, s0=None):
    s = np.zeros(p.n_hidden) if s0 is None else s0
    states, outs = [s], []
    for x in xs:
        s = activations.get(act).value(p.W_s @ s + p.W_x @ x + p.b_s)
        states.append(s)
        outs.append(p.W_y @ s + p.b_y)
    return np.array(states), np.array(outs)


# ---- forward ------------------------------------------------------------------------------------

@pytest.mark.parametrize("act", ACTS)
def test_forward_matches_naive_loop(act):
    p, xs, _, _ = make_case(act)
    s0 = np.linspace(-0.5, 0.5, H)
    tr = rnn.forward(p, xs, activation=act, s0=s0)
    states, outs = naive_forward(p, xs, act, s0)
    assert tr.states.shape == (6, H) and tr.preacts.shape == (5, H) and tr.outputs.shape == (5, O)
    assert_allclose(tr.states, states, rtol=1e-13, atol=1e-15)
    assert_allclose(tr.outputs, outs, rtol=1e-13, atol=1e-15)
    assert_allclose(tr.states[1:], activations.get(act).value(tr.preacts), rtol=1e-15)


def test_forward_batch_keeps_batch_axis_and_s0_broadcast():
    p, xs, _, _ = make_case(batched=True)
    tr = rnn.forward(p, xs, s0=np.ones(H))
    assert tr.states.shape == (6, 3, H) and tr.outputs.shape == (5, 3, O)
    assert_allclose(tr.states[0], np.ones((3, H)), rtol=0)
    single = rnn.forward(p, xs[:, 1], s0=np.ones(H))
    assert_allclose(tr.states[:, 1], single.states, rtol=1e-13, atol=1e-15)


def test_forward_overflow_raises_instead_of_returning_inf():
    p = rnn.init(1, 8, 1, spectral_radius=3.0, seed=0)
    xs = np.ones((1000, 1))
    with pytest.raises(FloatingPointError, match="overflowed"):
        rnn.forward(p, xs, activation="linear")


@pytest.mark.parametrize("fn", [rnn.bptt, rnn.bptt_by_lag])
def test_exploding_gradients_raise_instead_of_inf(fn):
    """Linear units, ρ = 3, T = 700, zero inputs: the states and the loss are tame, but
    ∂L_T/∂a_1 ~ 3^700 ≈ 1e334 is not a float64."""
    p = rnn.init(1, 4, 1, spectral_radius=3.0, seed=0, kind="orthogonal")
    xs, targets = np.zeros((700, 1)), np.ones((700, 1))
    assert np.isfinite(rnn.loss_fn(p, xs, targets, activation="linear"))
    with pytest.raises(FloatingPointError, match="gradients overflowed"):
        fn(p, xs, targets, activation="linear")


def test_loss_overflow_raises():
    from bpttlib import losses
    with pytest.raises(FloatingPointError,
                       match="outputs: expected values small enough for a finite loss"):
        losses.mse(np.full((2, 1), 1e200), np.zeros((2, 1)))


# ---- gradients = central differences ------------------------------------------------------------

@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("with_s0", [False, True])
def test_bptt_matches_central_differences(act, loss, batched, masked, with_s0):
    p, xs, targets, kw = make_case(act, loss, batched, masked, with_s0, T=5, B=2, seed=1)
    if act == "relu":  # stay away from the kink: no pre-activation within 1e-4 of 0
        tr = rnn.forward(p, xs, activation=act, s0=kw["s0"])
        assert np.min(np.abs(tr.preacts)) > 1e-4
    value, grads = rnn.bptt(p, xs, targets, **kw)
    assert_allclose(value, loss_of(xs, targets, kw)(p), rtol=1e-14)
    num = gradcheck.numerical_grads(loss_of(xs, targets, kw), p, eps=1e-6)
    assert gradcheck.max_rel_error(grads, num) < 1e-7


# ---- bptt = chain sum = sum over lags -----------------------------------------------------------

@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("truncate", [None, 1, 2, 4])
def test_bptt_equals_chain_sum(act, loss, batched, truncate):
    p, xs, targets, kw = make_case(act, loss, batched, masked=True, with_s0=True, T=6, seed=2)
    v1, g1 = rnn.bptt(p, xs, targets, truncate=truncate, **kw)
    v2, g2 = rnn.bptt_chain_sum(p, xs, targets, truncate=truncate, **kw)
    assert_allclose(v1, v2, rtol=1e-15)
    assert gradcheck.max_rel_error(g1, g2) < 1e-10


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("batched", [False, True])
def test_by_lag_sums_to_bptt(act, batched):
    p, xs, targets, kw = make_case(act, "mse", batched, masked=True, T=7, seed=3)
    lags = rnn.bptt_by_lag(p, xs, targets, **kw)
    assert lags.shape == (7, H, H)
    _, g = rnn.bptt(p, xs, targets, **kw)
    assert_allclose(lags.sum(axis=0), g.W_s, rtol=1e-12, atol=1e-12 * np.abs(g.W_s).max())
    for K in (1, 3):  # partial sums are the truncated gradients
        _, gk = rnn.bptt(p, xs, targets, truncate=K, **kw)
        assert_allclose(lags[: K + 1].sum(axis=0), gk.W_s, rtol=1e-12,
                        atol=1e-12 * np.abs(gk.W_s).max())


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("batched", [False, True])
def test_truncate_at_least_T_minus_1_is_exact(act, batched):
    p, xs, targets, kw = make_case(act, "xent", batched, masked=True, with_s0=True, T=6, seed=4)
    _, exact = rnn.bptt(p, xs, targets, **kw)
    for k in (5, 6, 7, 100):
        _, g = rnn.bptt(p, xs, targets, truncate=k, **kw)
        assert gradcheck.max_rel_error(g, exact) < 1e-13
    _, g1 = rnn.bptt(p, xs, targets, truncate=1, **kw)
    assert gradcheck.max_rel_error(g1, exact) > 1e-6  # truncation really changes something


def seed_style_truncated_bptt(p, xs, targets, truncate, act_name):
    """The loop of Britz's RNN tutorial (part 3), made general: for every t, walk back from t to max(0, t - truncate)."""
    act = activations.get(act_name)
    T = len(xs)
    s = np.zeros((T + 1, p.n_hidden))  # s[0] = s_0, s[t+1] the state after input t
    for t in range(T):
        s[t + 1] = act.value(p.W_s @ s[t] + p.W_x @ xs[t] + p.b_s)
    y = s[1:] @ p.W_y.T + p.b_y
    delta_o = 2 * (y - targets)
    dW_x, dW_s, db_s = np.zeros_like(p.W_x), np.zeros_like(p.W_s), np.zeros_like(p.b_s)
    for t in range(T)[::-1]:
        delta_t = (p.W_y.T @ delta_o[t]) * act.deriv_from_value(s[t + 1])
        for step in range(max(0, t - truncate), t + 1)[::-1]:
            dW_s += np.outer(delta_t, s[step])
            dW_x += np.outer(delta_t, xs[step])
            db_s += delta_t
            delta_t = (p.W_s.T @ delta_t) * act.deriv_from_value(s[step])
    return dW_x, dW_s, db_s


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("truncate", [1, 2, 3, 5, 9])
def test_truncate_matches_seed_tutorial_loop(act, truncate):
    p, xs, targets, _ = make_case(act, "mse", T=9, seed=5)
    _, g = rnn.bptt(p, xs, targets, activation=act, truncate=truncate)
    ref = seed_style_truncated_bptt(p, xs, targets, truncate, act)
    for got, want in zip((g.W_x, g.W_s, g.b_s), ref):
        assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("truncate", [None, 2])
def test_batch_is_mean_of_single_runs(loss, truncate):
    p, xs, targets, kw = make_case("tanh", loss, batched=True, masked=True, with_s0=True,
                                   B=4, seed=6)
    value, g = rnn.bptt(p, xs, targets, truncate=truncate, **kw)
    singles = [
        rnn.bptt(p, xs[:, b], targets[:, b], activation="tanh", loss=loss,
                 mask=kw["mask"][:, b], s0=kw["s0"][b], truncate=truncate)
        for b in range(4)
    ]
    assert_allclose(value, np.mean([v for v, _ in singles]), rtol=1e-13)
    for name in ("W_x", "W_s", "b_s", "W_y", "b_y"):
        mean = np.mean([getattr(gs, name) for _, gs in singles], axis=0)
        assert_allclose(getattr(g, name), mean, rtol=1e-12, atol=1e-15)


def test_many_to_one_mask_only_last_step():
    p, xs, targets, _ = make_case("tanh", "mse", T=6, seed=7)
    mask = np.zeros(6)
    mask[-1] = 1.0
    value, g = rnn.bptt(p, xs, targets, mask=mask)
    tr = rnn.forward(p, xs)
    assert_allclose(value, np.sum((tr.outputs[-1] - targets[-1]) ** 2), rtol=1e-14)
    num = gradcheck.numerical_grads(lambda q: rnn.loss_fn(q, xs, targets, mask=mask), p)
    assert gradcheck.max_rel_error(g, num) < 1e-7


@settings(max_examples=25, deadline=None)
@given(
    act=st.sampled_from(ACTS),
    T=st.integers(1, 7),
    B=st.one_of(st.none(), st.integers(1, 3)),
    rho=st.floats(0.0, 2.0),
    truncate=st.one_of(st.none(), st.integers(1, 8)),
    seed=st.integers(0, 2**16),
)
def test_property_bptt_equals_chain_sum(act, T, B, rho, truncate, seed):
    rng = np.random.default_rng(seed)
    p = rnn.init(2, 3, 2, spectral_radius=rho, seed=seed)
    lead = (T,) if B is None else (T, B)
    xs, targets = rng.standard_normal((*lead, 2)), rng.standard_normal((*lead, 2))
    v1, g1 = rnn.bptt(p, xs, targets, activation=act, truncate=truncate)
    v2, g2 = rnn.bptt_chain_sum(p, xs, targets, activation=act, truncate=truncate)
    assert_allclose(v1, v2, rtol=1e-14)
    assert gradcheck.max_rel_error(g1, g2) < 1e-10


# ---- params and init ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", matrices.KINDS)
@pytest.mark.parametrize("rho", [0.5, 0.9, 1.0, 2.5])
def test_init_spectral_radius_exact(kind, rho):
    p = rnn.init(3, 16, 2, spectral_radius=rho, seed=11, kind=kind)
    assert_allclose(matrices.spectral_radius(p.W_s), rho, rtol=1e-12)
    assert (p.n_in, p.n_hidden, p.n_out) == (3, 16, 2)
    assert_allclose(p.b_s, 0.0, atol=0) and np.all(p.b_y == 0)


def test_init_is_seeded():
    a, b, c = rnn.init(2, 5, 2, seed=1), rnn.init(2, 5, 2, seed=1), rnn.init(2, 5, 2, seed=2)
    assert gradcheck.max_rel_error(a, b) < 1e-300 + 1e-16
    assert gradcheck.max_rel_error(a, c) > 0.1


def test_params_are_immutable_and_copied():
    W = np.eye(2)
    p = rnn.RNNParams(np.ones((2, 1)), W, np.zeros(2), np.ones((1, 2)), np.zeros(1))
    W[0, 0] = 5.0
    assert_allclose(p.W_s, np.eye(2), rtol=0)
    with pytest.raises(ValueError, match="read-only"):
        p.W_s[0, 0] = 3.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.W_s = np.eye(2)


def test_params_map_and_zip_map():
    p = rnn.init(2, 3, 1, seed=0)
    q = p.map(lambda a: 2 * a)
    assert_allclose(q.W_x, 2 * p.W_x, rtol=1e-15)
    r = q.zip_map(lambda a, b: a - b, p)
    assert gradcheck.max_rel_error(r, p) < 1e-15
    with pytest.raises(TypeError, match="other"):
        p.zip_map(np.add, {"W_x": 1})


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("W_s", np.zeros((3, 2)), r"W_s: expected shape \(3, 3\)"),
        ("b_s", np.zeros(2), r"b_s: expected shape \(3,\)"),
        ("W_y", np.zeros((2, 2)), r"W_y: expected shape"),
        ("b_y", np.zeros(3), r"b_y: expected shape \(2,\)"),
        ("W_x", np.zeros(3), r"W_x: expected shape \(H, I\)"),
        ("W_s", np.full((3, 3), np.nan), "W_s: expected finite values"),
        ("W_x", [[1.0, 2.0], [3.0]], "W_x"),
    ],
)
def test_params_validation(field, value, match):
    good = dict(W_x=np.zeros((3, 2)), W_s=np.zeros((3, 3)), b_s=np.zeros(3),
                W_y=np.zeros((2, 3)), b_y=np.zeros(2))
    with pytest.raises(ValueError, match=match):
        rnn.RNNParams(**(good | {field: value}))


def test_params_type_error():
    with pytest.raises(TypeError, match="W_x"):
        rnn.RNNParams("a", np.zeros((1, 1)), np.zeros(1), np.zeros((1, 1)), np.zeros(1))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(n_in=0), ValueError, "n_in"),
        (dict(n_hidden=2.5), TypeError, "n_hidden"),
        (dict(n_out=-1), ValueError, "n_out"),
        (dict(spectral_radius=-1.0), ValueError, "spectral_radius"),
        (dict(spectral_radius=np.inf), ValueError, "spectral_radius"),
        (dict(spectral_radius="big"), TypeError, "spectral_radius"),
        (dict(seed=-3), ValueError, "seed"),
        (dict(kind="random"), ValueError, "kind"),
    ],
)
def test_init_bad_input(kwargs, exc, match):
    args = dict(n_in=2, n_hidden=3, n_out=1) | kwargs
    with pytest.raises(exc, match=match):
        rnn.init(args.pop("n_in"), args.pop("n_hidden"), args.pop("n_out"), **args)


# ---- bad input for forward / bptt / bptt_by_lag / bptt_chain_sum --------------------------------

BAD = [
    (dict(params={"W_s": 1}), TypeError, "params: expected RNNParams"),
    (dict(xs=np.zeros((5, 4))), ValueError,
     r"xs: expected shape \(T, I\) or \(T, B, I\) with I=2, got \(5, 4\)"),
    (dict(xs=np.zeros(5)), ValueError, "xs"),
    (dict(xs=np.zeros((0, 2))), ValueError, "xs"),
    (dict(xs=[[1.0, 2.0], [3.0]]), ValueError, "xs"),
    (dict(xs=np.full((5, 2), np.nan)), ValueError, "xs: expected finite values"),
    (dict(xs="hello"), TypeError, "xs"),
    (dict(activation="softplus"), ValueError,
     "activation: expected one of 'tanh', 'sigmoid', 'relu', 'linear', got 'softplus'"),
    (dict(activation=None), TypeError, "activation"),
    (dict(s0=np.zeros(3)), ValueError, r"s0: expected shape \(H,\) = \(4,\)"),
    (dict(s0=np.full(4, np.inf)), ValueError, "s0: expected finite"),
]
BAD_BPTT = BAD + [
    (dict(loss="hinge"), ValueError, "loss: expected one of 'mse', 'xent'"),
    (dict(targets=np.zeros((5, 2))), ValueError, r"targets: expected shape \(5, 3\)"),
    (dict(targets=np.zeros((4, 3))), ValueError, "targets"),
    (dict(targets=np.full((5, 3), np.nan)), ValueError, "targets: expected finite"),
    (dict(loss="xent", targets=np.zeros((5, 3))), TypeError, "targets"),
    (dict(loss="xent", targets=np.full(5, 3)), ValueError, r"targets: expected class indices"),
    (dict(mask=np.ones(4)), ValueError, "mask"),
    (dict(mask=-np.ones(5)), ValueError, "mask"),
    (dict(mask=np.full(5, np.nan)), ValueError, "mask"),
]
BAD_TRUNC = [
    (dict(truncate=0), ValueError, "truncate: expected an integer >= 1"),
    (dict(truncate=-2), ValueError, "truncate"),
    (dict(truncate=2.0), TypeError, "truncate: expected an integer"),
    (dict(truncate="3"), TypeError, "truncate"),
    (dict(truncate=True), TypeError, "truncate"),
]


def _good_args():
    p = rnn.init(I, H, O, seed=0)
    rng = np.random.default_rng(0)
    return dict(params=p, xs=rng.standard_normal((5, I)), targets=rng.standard_normal((5, O)))


@pytest.mark.parametrize("kwargs, exc, match", BAD)
def test_forward_bad_input(kwargs, exc, match):
    args = _good_args() | kwargs
    args.pop("targets")
    with pytest.raises(exc, match=match):
        rnn.forward(args.pop("params"), args.pop("xs"), **args)


@pytest.mark.parametrize("fn", [rnn.bptt, rnn.bptt_by_lag, rnn.bptt_chain_sum])
@pytest.mark.parametrize("kwargs, exc, match", BAD_BPTT)
def test_backward_bad_input(fn, kwargs, exc, match):
    args = _good_args() | kwargs
    with pytest.raises(exc, match=match):
        fn(args.pop("params"), args.pop("xs"), args.pop("targets"), **args)


@pytest.mark.parametrize("fn", [rnn.bptt, rnn.bptt_chain_sum])
@pytest.mark.parametrize("kwargs, exc, match", BAD_TRUNC)
def test_truncate_bad_input(fn, kwargs, exc, match):
    args = _good_args() | kwargs
    with pytest.raises(exc, match=match):
        fn(args.pop("params"), args.pop("xs"), args.pop("targets"), **args)


def test_batched_s0_and_mask_shapes_checked():
    p, xs, targets, _ = make_case(batched=True, B=3)
    with pytest.raises(ValueError, match=r"s0: expected shape \(H,\) = \(4,\) or \(B, H\)"):
        rnn.bptt(p, xs, targets, s0=np.zeros((2, H)))
    with pytest.raises(ValueError, match=r"mask: expected shape \(T,\) or \(T, B\)"):
        rnn.bptt(p, xs, targets, mask=np.ones((5, 2)))


def test_by_lag_has_no_truncate():
    a = _good_args()
    with pytest.raises(TypeError, match="truncate"):
        rnn.bptt_by_lag(a["params"], a["xs"], a["targets"], truncate=2)


# ---- issue 16: no silent Inf/NaN in preacts/outputs; errors blame what caused them --------------

def test_forward_reports_overflowing_preacts_and_outputs():
    """Was: finite states (tanh saturates) beside ±inf/NaN preacts and outputs."""
    p = rnn.init(2, 3, 2, seed=0)
    xs = np.full((4, 2), 1.5e308)
    with pytest.raises(FloatingPointError, match=r"^forward: the pre-activations a_t .* xs"):
        rnn.forward(p, xs)
    huge_out = rnn.RNNParams(p.W_x, p.W_s, p.b_s, np.full(p.W_y.shape, 1.7e308), p.b_y)
    with pytest.raises(FloatingPointError, match=r"^forward: the outputs y_t .* params"):
        rnn.forward(huge_out, np.ones((4, 2)))


@pytest.mark.parametrize("culprit", ["targets", "mask", "params"])
def test_loss_overflow_blames_the_argument_that_caused_it(culprit):
    """Was: huge targets or mask blamed "outputs", an argument bptt does not have."""
    p = rnn.init(2, 3, 2, seed=0)
    xs, targets, mask = np.ones((4, 2)), np.zeros((4, 2)), np.ones(4)
    if culprit == "targets":
        targets = np.full((4, 2), 1e300)
    elif culprit == "mask":
        mask = np.full(4, 1.7e308)
        targets = np.full((4, 2), 10.0)
    else:
        p = rnn.RNNParams(p.W_x, p.W_s, p.b_s, np.full(p.W_y.shape, 1e300), p.b_y)
    with pytest.raises(FloatingPointError, match=rf"^{culprit}: expected values small enough"):
        rnn.bptt(p, xs, targets, mask=mask)


def test_init_blames_the_spectral_radius():
    """Was: rnn.init(spectral_radius=1.7e308) blamed W_s, an argument of RNNParams."""
    with pytest.raises(ValueError, match=r"^spectral_radius: expected a spectral radius"):
        rnn.init(2, 4, 1, spectral_radius=1.7e308)
    with pytest.raises(ValueError, match=r"^n_hidden: expected an integer <= 10_000_000"):
        rnn.init(2, 10**12, 1)
    with pytest.raises(ValueError, match=r"^n_hidden: expected a size giving at most"):
        rnn.init(2, 100_000, 1)


def test_public_validation_and_unchecked_forward_agree_with_forward():
    p = rnn.init(2, 3, 1, seed=2)
    xs = np.random.default_rng(0).standard_normal((5, 2))
    q, arr, B, s0 = rnn.check_inputs(p, xs.tolist(), None)
    assert q is rnn.check_params(p) and B is None and s0 is None
    a, b = rnn.forward_validated(q, arr, activations.get("tanh"), None), rnn.forward(p, xs)
    for f in ("states", "preacts", "outputs"):
        assert_allclose(getattr(a, f), getattr(b, f), rtol=0, atol=0)
