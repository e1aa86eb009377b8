"""bpttlib.params: the one walk over parameter containers (fields, flat, global_norm, ...)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from bpttlib import clipping, gated, gradcheck, params, rnn


@dataclasses.dataclass(frozen=True)
class WithDerived:
    """A user container with a derived ``init=False`` field (issue 16: leaked dataclasses)."""

    W: np.ndarray
    b: np.ndarray
    size: int = dataclasses.field(init=False, default=0)

    def __post_init__(self):
        object.__setattr__(self, "size", np.size(self.W) + np.size(self.b))


@pytest.mark.parametrize("make", [lambda: rnn.init(2, 3, 1), lambda: gated.lstm_init(2, 3, 1),
                                  lambda: gated.gru_init(2, 3, 1)])
def test_fields_are_the_init_fields_in_order(make):
    p = make()
    assert params.names(p) == tuple(f.name for f in dataclasses.fields(p))
    for (name, a), b in zip(params.fields(p), p.arrays()):
        assert a is getattr(p, name) and a is b


def test_fields_skip_derived_fields_and_name_the_culprit():
    c = WithDerived(np.ones((2, 2)), np.zeros(2))
    assert params.names(c, "grads") == ("W", "b")
    loose = WithDerived(np.ones(2) + 1j, np.zeros(2))
    with pytest.raises(TypeError, match=r"^grads\.W: expected an array of real numbers"):
        params.fields(loose, "grads")
    with pytest.raises(TypeError, match=r"^grads\.W: expected a numpy array, got list"):
        params.fields(WithDerived([1.0], np.zeros(1)), "grads")
    kept = params.fields(WithDerived([1.0], np.zeros(1)), skip_non_arrays=True)
    assert [name for name, _ in kept] == ["b"]
    with pytest.raises(TypeError, match=r"^p: expected a parameter container"):
        params.fields({"W": np.ones(2)}, "p")


def test_flat_concatenates_fields_in_order():
    p = rnn.init(2, 3, 1, seed=4)
    assert_array_equal(params.flat(p), np.concatenate([a.ravel() for a in p.arrays()]))
    assert params.flat(p).shape == (3 * 2 + 9 + 3 + 3 + 1,)


@given(hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e3, 1e3)),
       st.sampled_from([1e-300, 1.0, 1e150, 1e300]))
def test_global_norm_is_the_norm_of_flat_at_any_scale(values, scale):
    """Invariant: ‖g‖ = s · ‖g/s‖ whatever s (a naive sum of squares overflows at 1e154)."""
    g = rnn.RNNParams(values[:, None] * 0 + 1.0, np.eye(values.size), values, values[None, :],
                      np.zeros(1))
    expected = np.linalg.norm(params.flat(g))
    assert_allclose(params.global_norm(g.map(lambda a: a * scale)), expected * scale,
                    rtol=1e-12)


def test_global_norm_beyond_float64_is_inf_and_arrays_work():
    big = rnn.init(2, 3, 1).map(lambda a: np.full(a.shape, 1.7e308))
    assert params.global_norm(big) == np.inf
    assert params.global_norm(np.array([3.0, 4.0])) == pytest.approx(5.0, rel=1e-15)
    assert params.global_norm(np.array([np.nan, 1.0])) == np.inf
    assert params.global_norm({"a": np.zeros(3)}) == 0.0


def test_apply_replace_and_check_like():
    p = rnn.init(2, 3, 1, seed=1)
    doubled = params.replace(p, params.apply(lambda a: 2 * a, p))
    assert_allclose(params.flat(doubled), 2 * params.flat(p), rtol=0)
    assert params.check_like(doubled, p, "objective") is doubled
    with pytest.raises(TypeError, match=r"^objective: expected a RNNParams like params, got "
                                        r"LSTMParams"):
        params.check_like(gated.lstm_init(2, 3, 1), p, "objective")
    with pytest.raises(ValueError, match=r"^objective: expected W_x of shape \(3, 2\)"):
        params.check_like(rnn.init(1, 3, 1), p, "objective")


def test_containers_with_derived_fields_clip_and_gradcheck():
    """Issue 16: clip_by_norm/clip_by_value leaked dataclasses' init=False error."""
    g = WithDerived(np.full((2, 2), 3.0), np.full(2, 4.0))
    clipped, norm = clipping.clip_by_norm(g, 1.0)
    assert_allclose(norm, np.sqrt(4 * 9 + 2 * 16), rtol=1e-15)
    assert_allclose(params.global_norm(clipped), 1.0, rtol=1e-15)
    assert clipped.size == 6
    assert clipping.clip_by_value(g, 3.5).b.max() == 3.5
    assert gradcheck.max_rel_error(g, g) == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cosine_matches_the_formula_for_arrays_and_containers(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    want = float(np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    assert_allclose(params.cosine(a, b), want, rtol=1e-13)
    p = rnn.init(2, 3, 1, seed=seed)
    q = p.map(lambda w: w * 2.0 + 1.0)
    assert_allclose(params.cosine(p, q), np.dot(params.flat(p), params.flat(q))
                    / (np.linalg.norm(params.flat(p)) * np.linalg.norm(params.flat(q))),
                    rtol=1e-13)
    assert_allclose(params.cosine(p, p), 1.0, rtol=0, atol=1e-15)


def test_cosine_without_direction_and_bad_input():
    assert params.cosine(np.zeros(3), np.ones(3)) == 0.0
    assert params.cosine([1e300, 1e300], [1e300, -1e300]) == 0.0   # no overflow
    with pytest.raises(ValueError, match="^b: expected 2 entries"):
        params.cosine([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="^a: "):
        params.cosine([np.nan, 1.0], [1.0, 1.0])
