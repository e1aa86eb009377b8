"""Tests for bpttlib.clipping: norm and value clipping on every container, the cliff model's
exact gradient against central differences (also right at the cliff), and descent on it."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose

from bpttlib import clipping, gated, rnn
from bpttlib.clipping import cliff_grad, cliff_loss, clip_by_norm, clip_by_value

CONTAINERS = {
    "rnn": lambda: rnn.init(2, 3, 2, seed=1),
    "lstm": lambda: gated.lstm_init(2, 3, 2, seed=1),
    "gru": lambda: gated.gru_init(2, 3, 2, seed=1),
}


def flat(g):
    if isinstance(g, np.ndarray):
        return g.ravel()
    return np.concatenate([getattr(g, f.name).ravel() for f in dataclasses.fields(g)])


def scaled(kind, factor):
    p = CONTAINERS[kind]()
    return p.map(lambda a: factor * a)


# ---- clip_by_norm -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(CONTAINERS))
@pytest.mark.parametrize("factor", [1e-3, 1.0, 50.0, 1e150])
def test_clip_by_norm_on_containers(kind, factor):
    g = scaled(kind, factor)
    norm_in = np.linalg.norm(flat(g) / factor) * factor  # the reference, without overflow
    clipped, norm = clip_by_norm(g, 1.0)
    assert type(clipped) is type(g)
    assert_allclose(norm, norm_in, rtol=1e-14)
    if norm_in >= 1.0:
        assert_allclose(flat(clipped), flat(g) / norm_in, rtol=1e-14, atol=1e-300)
        assert_allclose(np.linalg.norm(flat(clipped)), 1.0, rtol=1e-14)
    else:
        assert_allclose(flat(clipped), flat(g), rtol=0, atol=0)


def test_clip_by_norm_threshold_is_inclusive_and_zero_is_kept():
    g = np.array([3.0, 4.0])
    clipped, norm = clip_by_norm(g, 5.0)
    assert norm == 5.0
    assert_allclose(clipped, g, rtol=1e-15)
    z, zn = clip_by_norm(np.zeros(3), 1.0)
    assert zn == 0.0 and not z.any()


@given(
    g=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                 elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)),
    threshold=st.floats(1e-3, 1e3),
)
def test_clip_by_norm_properties(g, threshold):
    clipped, norm = clip_by_norm(g, threshold)
    assert clipped.shape == g.shape
    new = np.linalg.norm(clipped)
    assert new <= norm * (1 + 1e-12)  # never raises the norm
    assert new <= threshold * (1 + 1e-12) or norm < threshold
    if norm > 0:  # keeps the direction (cosine on max-scaled copies: tiny entries underflow)
        u, v = clipped.ravel() / np.abs(clipped).max(), g.ravel() / np.abs(g).max()
        cosine = np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))
        assert abs(cosine - 1.0) < 1e-12


def test_clip_by_norm_beyond_float_range_is_exact_and_reports_inf():
    g = np.full(4, 1e308)  # true norm 2e308 > float max
    clipped, norm = clip_by_norm(g, 2.0)
    assert norm == np.inf
    assert_allclose(clipped, np.full(4, 1.0), rtol=1e-15)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_clip_by_norm_rejects_non_finite_naming_the_field(bad):
    g = np.ones(3)
    g[1] = bad
    with pytest.raises(ValueError, match=r"^grads"):
        clip_by_norm(g, 1.0)

    @dataclasses.dataclass(frozen=True)
    class Grads:  # a container that, unlike RNNParams, accepts non-finite values
        a: np.ndarray
        b: np.ndarray

    with pytest.raises(ValueError, match=r"^grads\.b"):
        clip_by_norm(Grads(np.ones(2), g), 1.0)


@pytest.mark.parametrize("threshold", [0.0, -1.0, np.inf, np.nan])
def test_clip_thresholds_must_be_finite_and_positive(threshold):
    with pytest.raises(ValueError, match=r"^threshold"):
        clip_by_norm(np.ones(2), threshold)
    with pytest.raises(ValueError, match=r"^limit"):
        clip_by_value(np.ones(2), threshold)


def test_clip_type_errors_name_the_argument():
    with pytest.raises(TypeError, match=r"^grads"):
        clip_by_norm([1.0, 2.0], 1.0)
    with pytest.raises(TypeError, match=r"^grads"):
        clip_by_value({"W": np.ones(2)}, 1.0)
    with pytest.raises(TypeError, match=r"^threshold"):
        clip_by_norm(np.ones(2), "1")
    with pytest.raises(TypeError, match=r"^limit"):
        clip_by_value(np.ones(2), None)


# ---- clip_by_value ------------------------------------------------------------------------------

@given(
    g=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=8),
                 elements=st.floats(allow_nan=False)),
    limit=st.floats(1e-6, 1e6),
)
def test_clip_by_value_bounds_every_element(g, limit):
    clipped = clip_by_value(g, limit)
    assert clipped.shape == g.shape
    assert (np.abs(clipped) <= limit).all()
    inside = np.abs(g) <= limit
    assert_allclose(clipped[inside], g[inside], rtol=0, atol=0)
    assert_allclose(clipped[~inside], limit * np.sign(g[~inside]), rtol=0, atol=0)


@pytest.mark.parametrize("kind", sorted(CONTAINERS))
def test_clip_by_value_on_containers(kind):
    g = scaled(kind, 10.0)
    clipped = clip_by_value(g, 1.0)
    assert type(clipped) is type(g)
    assert_allclose(flat(clipped), np.clip(flat(g), -1.0, 1.0), rtol=0, atol=0)


def test_clip_by_value_rejects_nan():
    with pytest.raises(ValueError, match=r"^grads"):
        clip_by_value(np.array([1.0, np.nan]), 1.0)


# ---- the cliff model ----------------------------------------------------------------------------

def naive_cliff(w, b, steps=50, x0=0.5, target=0.7):
    x = x0
    for _ in range(steps):
        x = w / (1 + np.exp(-x)) + b
    return (1 / (1 + np.exp(-x)) - target) ** 2


def central(w, b, h, **kw):
    return ((cliff_loss(w + h, b, **kw) - cliff_loss(w - h, b, **kw)) / (2 * h),
            (cliff_loss(w, b + h, **kw) - cliff_loss(w, b - h, **kw)) / (2 * h))


def cliff_location(b=-3.0, lo=5.5, hi=6.0):
    """The w where E jumps (bisection on E > 0.2), with b = -3."""
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cliff_loss(mid, b) > 0.2 else (lo, mid)
    return 0.5 * (lo + hi)


def test_cliff_loss_matches_plain_loop_and_is_bounded():
    rng = np.random.default_rng(0)
    w, b = rng.uniform(-10, 20, 50), rng.uniform(-10, 6, 50)
    assert_allclose(cliff_loss(w, b), [naive_cliff(*p) for p in zip(w, b)], rtol=1e-12)
    grid = cliff_loss(np.linspace(-1e3, 1e3, 101)[None, :], np.linspace(-1e3, 1e3, 101)[:, None])
    assert grid.shape == (101, 101)
    assert ((0 <= grid) & (grid <= 0.7 ** 2)).all()
    assert isinstance(cliff_loss(1.0, 0.0), float)


@pytest.mark.parametrize("w, b", [(1.0, 0.0), (-3.0, 1.0), (5.0, -3.0), (10.0, -4.0),
                                  (15.0, -9.0), (-8.0, 5.0), (3.0, 2.0)])
def test_cliff_grad_matches_central_differences(w, b):
    gw, gb = cliff_grad(w, b)
    nw, nb = central(w, b, 1e-6)
    assert_allclose([gw, gb], [nw, nb], rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("distance", [1e-2, 1e-4, 1e-6, 1e-8])
@pytest.mark.parametrize("side", [-1, 1])
def test_cliff_grad_matches_central_differences_at_the_cliff(distance, side):
    w = cliff_location() + side * distance
    gw, gb = cliff_grad(w, -3.0)
    nw, nb = central(w, -3.0, 1e-3 * distance)  # the step must be far below the distance
    assert_allclose([gw, gb], [nw, nb], rtol=1e-4)
    if distance <= 1e-6:
        assert np.hypot(gw, gb) > 1e4  # the wall is steep


def test_cliff_grad_on_a_grid_is_pointwise_and_finite():
    ws, bs = np.linspace(-10, 20, 41), np.linspace(-10, 6, 37)
    gw, gb = cliff_grad(ws[None, :], bs[:, None])
    assert gw.shape == gb.shape == (37, 41)
    for i, j in [(0, 0), (5, 30), (20, 17), (36, 40)]:
        assert_allclose((gw[i, j], gb[i, j]), cliff_grad(ws[j], bs[i]), rtol=1e-15)
    wide = cliff_grad(np.linspace(-1e6, 1e6, 201)[None, :], np.linspace(-1e6, 1e6, 201)[:, None])
    assert all(np.isfinite(a).all() for a in wide)


def test_cliff_grad_scalar_path_equals_the_vectorised_one():
    w = np.array([1.0, 5.0, cliff_location() + 1e-7, 15.0, -8.0, 1e9])
    b = np.array([0.0, -3.0, -3.0, -9.0, 5.0, 0.5 - 1e9 / (1 + np.exp(-0.5))])
    gw, gb = cliff_grad(w, b)  # arrays: the vectorised pass
    for k in range(w.size):  # floats: the plain-float pass
        assert_allclose(cliff_grad(float(w[k]), float(b[k])), (gw[k], gb[k]), rtol=1e-12)


def test_cliff_grad_saturates_instead_of_overflowing():
    # b puts x0 = 0.5 on a fixed point: the chain sits where |w σ'| = 2.4e8 per step
    w = 1e9
    b = 0.5 - w / (1 + np.exp(-0.5))
    gw, gb = cliff_grad(w, b)
    assert np.isfinite(gw) and np.isfinite(gb) and abs(gb) > 1e299


def test_cliff_options_and_errors():
    assert_allclose(cliff_loss(2.0, -1.0, steps=3, x0=0.1, target=0.2),
                    naive_cliff(2.0, -1.0, steps=3, x0=0.1, target=0.2), rtol=1e-14)
    gw, gb = cliff_grad(2.0, -1.0, steps=3, x0=0.1, target=0.2)
    assert_allclose([gw, gb], central(2.0, -1.0, 1e-6, steps=3, x0=0.1, target=0.2), rtol=1e-7)
    with pytest.raises(ValueError, match=r"^b"):
        cliff_loss(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"^w"):
        cliff_grad(np.nan, 0.0)
    with pytest.raises(ValueError, match=r"^steps"):
        cliff_loss(1.0, 0.0, steps=0)
    with pytest.raises(TypeError, match=r"^target"):
        cliff_loss(1.0, 0.0, target="0.7")


# ---- descent on the cliff -----------------------------------------------------------------------

def test_cliff_descent_clipping_bounds_every_step():
    w0 = cliff_location() - 1e-3  # at the foot of the wall
    raw = clipping.cliff_descent(w0, -3.0, lr=0.5, steps=20)
    clip = clipping.cliff_descent(w0, -3.0, lr=0.5, steps=20, clip=0.1)
    for path in (raw, clip):
        assert path.w.shape == path.b.shape == path.loss.shape == (21,)
        assert path.grad_norm.shape == path.clipped.shape == (20,)
        assert_allclose(path.loss, cliff_loss(path.w, path.b), rtol=1e-15)
    steps_clip = np.hypot(np.diff(clip.w), np.diff(clip.b))
    assert (steps_clip <= 0.5 * 0.1 * (1 + 1e-12)).all()
    assert_allclose(steps_clip[clip.clipped], 0.05, rtol=1e-12)
    assert_allclose(raw.grad_norm[0], np.hypot(*cliff_grad(w0, -3.0)), rtol=1e-15)
    assert not raw.clipped.any() and clip.clipped.any()


def test_cliff_descent_reports_an_overflowing_step():
    w = 1e9
    b = 0.5 - w / (1 + np.exp(-0.5))
    with pytest.raises(ValueError, match=r"^lr"):
        clipping.cliff_descent(w, b, lr=1e10, steps=1)
    with pytest.raises(ValueError, match=r"^lr"):
        clipping.cliff_descent(1.0, 0.0, lr=0.0, steps=1)


def test_cliff_target_is_checked_instead_of_returning_inf():
    """Issue 16: cliff_grad(target=1e308) returned (-inf, -inf), documented "always finite",
    and cliff_descent then blamed lr."""
    with pytest.raises(ValueError, match=r"^target: expected a number in \[0, 1\]"):
        cliff_grad(1.0, 0.0, target=1e308)
    with pytest.raises(ValueError, match=r"^target: expected a number in \[0, 1\]"):
        clipping.cliff_descent(1.0, 0.0, lr=0.1, steps=2, target=-0.5)
    gw, gb = cliff_grad(1e6, 1e6, target=1.0)
    assert np.isfinite([gw, gb]).all()


def test_cliff_sizes_have_a_clear_limit():
    with pytest.raises(ValueError, match=r"^steps: expected a size giving at most"):
        cliff_loss(np.zeros(10_000), np.zeros((10_000, 1)), steps=50)


# ---- curvature of the cliff model ---------------------------------------------------------------

@pytest.mark.parametrize("w, b", [(4.0, -4.0), (6.0, -3.0), (1.5, 0.3), (-2.0, 1.0)])
def test_cliff_hessian_gradient_matches_cliff_grad(w, b):
    grad, _ = clipping.cliff_hessian(w, b)
    assert_allclose(grad, clipping.cliff_grad(w, b), rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("w, b, steps", [(4.0, -4.0, 50), (6.0, -3.0, 50), (1.5, 0.3, 20),
                                         (5.0, -2.0, 10)])
def test_cliff_hessian_matches_differences_of_the_gradient(w, b, steps):
    _, hess = clipping.cliff_hessian(w, b, steps=steps)
    eps = 1e-6
    cols = [(np.array(clipping.cliff_grad(w + eps * e[0], b + eps * e[1], steps=steps))
             - np.array(clipping.cliff_grad(w - eps * e[0], b - eps * e[1], steps=steps)))
            / (2 * eps) for e in ((1, 0), (0, 1))]
    assert_allclose(hess, np.array(cols).T, rtol=1e-6, atol=1e-9)
    assert_allclose(hess, hess.T, rtol=0, atol=0)


def test_cliff_hessian_matches_sympy_for_few_steps():
    sp = pytest.importorskip("sympy")
    w, b = sp.symbols("w b")
    x = sp.Rational(1, 2)
    sig = lambda z: 1 / (1 + sp.exp(-z))  # noqa: E731
    for _ in range(3):
        x = w * sig(x) + b
    E = (sig(x) - sp.Rational(7, 10)) ** 2
    point = {w: 2.5, b: -1.2}
    want = np.array([[float(sp.diff(E, u, v).evalf(subs=point)) for v in (w, b)] for u in (w, b)])
    assert_allclose(clipping.cliff_hessian(2.5, -1.2, steps=3)[1], want, rtol=1e-12)


def test_gradient_aligns_with_top_curvature_near_the_wall():
    lo, hi = 4.0, 8.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cliff_loss(mid, -3.0) > 0.25 else (lo, mid)
    angles = [clipping.curvature_alignment(lo - d, -3.0)[0] for d in (1e-2, 1e-4, 1e-6)]
    assert angles[-1] < 0.1 and angles[0] > angles[-1]


@pytest.mark.parametrize("kw, exc, name", [
    (dict(w=float("nan"), b=0.0), ValueError, "w:"),
    (dict(w=1.0, b="x"), TypeError, "b:"),
    (dict(w=1.0, b=0.0, steps=0), ValueError, "steps:"),
    (dict(w=1.0, b=0.0, target=2.0), ValueError, "target:"),
])
def test_cliff_hessian_bad_arguments(kw, exc, name):
    with pytest.raises(exc, match=name):
        clipping.cliff_hessian(**kw)


def test_cliff_hessian_overflow_raises():
    with pytest.raises(FloatingPointError, match="w:"):
        clipping.cliff_hessian(1e8, -5e7, steps=50, x0=0.0)   # x stays 0, slope w/4
