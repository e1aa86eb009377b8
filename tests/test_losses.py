"""Tests for bpttlib.losses (and the shared validation helpers they use)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import _checks, losses


def _central_diff(f, y, eps=1e-6):
    g = np.zeros_like(y)
    for i in np.ndindex(y.shape):
        yp, ym = y.copy(), y.copy()
        yp[i] += eps
        ym[i] -= eps
        g[i] = (f(yp) - f(ym)) / (2 * eps)
    return g


def _case(loss, batched, masked, seed=0):
    rng = np.random.default_rng(seed)
    T, B, O = 5, 3, 4
    shape = (T, B, O) if batched else (T, O)
    ys = rng.normal(size=shape)
    if loss == "mse":
        ds = rng.normal(size=shape)
    else:
        ds = rng.integers(0, O, size=shape[:-1])
    mask = rng.uniform(0.0, 2.0, size=shape[:-1]) if masked else None
    return ys, ds, mask


@pytest.mark.parametrize("loss", losses.LOSSES)
@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_gradient_matches_central_differences(loss, batched, masked):
    ys, ds, mask = _case(loss, batched, masked)
    value, dy = losses.loss_and_grad(loss, ys, ds, mask)
    assert dy.shape == ys.shape
    num = _central_diff(lambda y: losses.loss_and_grad(loss, y, ds, mask)[0], ys)
    # central differences carry a rounding error ~ 1e-16 |L| / eps ~ 1e-9, hence atol
    assert_allclose(dy, num, rtol=1e-7, atol=1e-8)
    assert np.isfinite(value)


def test_mse_value_is_weighted_sum():
    ys = np.array([[1.0, 2.0], [0.0, 0.0], [3.0, -1.0]])
    ds = np.zeros((3, 2))
    m = np.array([1.0, 5.0, 0.5])
    value, _ = losses.mse(ys, ds, m)
    assert_allclose(value, 1 * 5.0 + 5 * 0 + 0.5 * 10.0, rtol=1e-15)


@pytest.mark.parametrize("loss", losses.LOSSES)
def test_batch_is_mean_of_sequence_sums(loss):
    ys, ds, mask = _case(loss, batched=True, masked=True, seed=3)
    value, dy = losses.loss_and_grad(loss, ys, ds, mask)
    singles = [losses.loss_and_grad(loss, ys[:, b], ds[:, b], mask[:, b]) for b in range(3)]
    assert_allclose(value, np.mean([s[0] for s in singles]), rtol=1e-13)
    assert_allclose(dy, np.stack([s[1] for s in singles], axis=1) / 3, rtol=1e-13, atol=1e-16)


def test_time_mask_broadcasts_over_batch():
    ys, ds, _ = _case("xent", batched=True, masked=False)
    m = np.array([0.0, 0, 0, 0, 1.0])
    a = losses.xent(ys, ds, m)
    b = losses.xent(ys, ds, np.repeat(m[:, None], 3, axis=1))
    assert_allclose(a[0], b[0], rtol=1e-15)
    assert_allclose(a[1], b[1], rtol=1e-15)
    assert_allclose(a[1][:4], 0.0, atol=0)


def test_xent_is_stable_for_huge_logits():
    ys = np.array([[1000.0, 0.0, -1000.0], [-800.0, 800.0, 0.0]])
    value, dy = losses.xent(ys, np.array([0, 0]))
    assert_allclose(value, 1600.0, rtol=1e-15)
    assert np.isfinite(dy).all()
    assert_allclose(dy, [[0, 0, 0], [-1, 1, 0]], atol=1e-300)


def test_xent_matches_naive_formula():
    ys, ds, mask = _case("xent", batched=False, masked=True, seed=7)
    p = np.exp(ys) / np.exp(ys).sum(-1, keepdims=True)
    naive = -np.sum(mask * np.log(p[np.arange(5), ds]))
    assert_allclose(losses.xent(ys, ds, mask)[0], naive, rtol=1e-13)


# ---- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(outputs=np.zeros((5,))), ValueError, "outputs"),
        (dict(outputs=[[1.0, 2.0], [3.0]]), ValueError, "outputs"),
        (dict(outputs=np.full((5, 4), np.nan)), ValueError, "outputs: expected finite"),
        (dict(outputs="abc"), TypeError, "outputs"),
        (dict(targets=np.zeros((5, 3))), ValueError, "targets"),
        (dict(targets=np.full((5, 4), np.inf)), ValueError, "targets: expected finite"),
        (dict(mask=np.ones(4)), ValueError, "mask"),
        (dict(mask=-np.ones(5)), ValueError, "mask: expected non-negative"),
        (dict(mask=np.array([1, 1, np.nan, 1, 1])), ValueError, "mask"),
    ],
)
def test_mse_bad_input(kwargs, exc, match):
    args = dict(outputs=np.zeros((5, 4)), targets=np.zeros((5, 4)), mask=None) | kwargs
    with pytest.raises(exc, match=match):
        losses.mse(**args)


@pytest.mark.parametrize(
    "targets, exc, match",
    [
        (np.zeros(5), TypeError, "targets: expected an array of integers"),
        (np.array([0, 1, 2, 3, 4]), ValueError, r"targets: expected class indices in 0\.\.3"),
        (np.array([0, 1, -1, 3, 0]), ValueError, "targets"),
        (np.zeros((5, 2), dtype=int), ValueError, "targets"),
        ([[0], [1, 2]], ValueError, "targets"),
    ],
)
def test_xent_bad_targets(targets, exc, match):
    with pytest.raises(exc, match=match):
        losses.xent(np.zeros((5, 4)), targets)


def test_batched_mask_shape_is_checked():
    with pytest.raises(ValueError, match=r"mask: expected shape \(T,\) or \(T, B\)"):
        losses.mse(np.zeros((5, 2, 3)), np.zeros((5, 2, 3)), np.ones((5, 3)))


@pytest.mark.parametrize("name, exc", [("hinge", ValueError), (None, TypeError), (3, TypeError)])
def test_unknown_loss_name(name, exc):
    with pytest.raises(exc, match="loss: expected one of 'mse', 'xent'"):
        losses.loss_and_grad(name, np.zeros((2, 2)), np.zeros((2, 2)))


# ---- the shared helpers directly --------------------------------------------------------------

def test_sequence_message_matches_contributing_example():
    with pytest.raises(ValueError) as info:
        _checks.as_sequence(np.zeros((5, 4)), "xs", 3)
    assert str(info.value) == "xs: expected shape (T, I) or (T, B, I) with I=3, got (5, 4)"


@pytest.mark.parametrize("value, exc", [(0, ValueError), (-2, ValueError), (2.0, TypeError),
                                        (True, TypeError), ("3", TypeError), (None, TypeError)])
def test_positive_int(value, exc):
    with pytest.raises(exc, match="truncate"):
        _checks.check_positive_int(value, "truncate")


def test_positive_int_accepts_numpy_ints():
    assert _checks.check_positive_int(np.int32(4), "n") == 4


def test_finite_message_names_index():
    msg = r"xs: expected finite values, got NaN/Inf at index \(1, 0\)"
    with pytest.raises(ValueError, match=msg):
        _checks.as_float_array([[0.0, 1.0], [np.inf, 2.0]], "xs")


def test_name_check_message():
    with pytest.raises(ValueError) as info:
        _checks.check_name("foo", "activation", ("tanh", "sigmoid", "relu", "linear"))
    assert str(info.value) == (
        "activation: expected one of 'tanh', 'sigmoid', 'relu', 'linear', got 'foo'"
    )


def test_complex_and_object_arrays_rejected():
    with pytest.raises(TypeError, match="xs"):
        _checks.as_float_array(np.ones(3, dtype=complex), "xs")
    with pytest.raises(TypeError, match="xs"):
        _checks.as_float_array(None, "xs")


def test_dataclass_check():
    with pytest.raises(TypeError, match="params: expected a parameter container"):
        _checks.check_dataclass({"W": np.eye(2)}, "params")


@pytest.mark.parametrize("fn", [losses.softmax, losses.log_softmax])
@pytest.mark.parametrize("z, exc", [(None, TypeError), ([[1.0], [2.0, 3.0]], ValueError),
                                    (np.array([np.nan, 1.0]), ValueError),
                                    (np.zeros((2, 0)), ValueError)])
def test_softmax_checks_its_logits(fn, z, exc):
    """Issue 16 fuzz: AttributeError for lists, NaN results for NaN logits."""
    with pytest.raises(exc, match=r"^z: "):
        fn(z)


def test_check_targets_checks_its_sizes():
    with pytest.raises(TypeError, match=r"^T: expected an integer"):
        losses.check_targets("xent", np.zeros(3, dtype=int), 3.0, None, 2)
