"""bpttlib.seeds: study seeds, summaries over seeds, and the knife-edge mode."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from bpttlib import clipping, rnn, seeds, train


@pytest.fixture
def mode(monkeypatch):
    def set_mode(value):
        if value is None:
            monkeypatch.delenv(seeds.ENV, raising=False)
        else:
            monkeypatch.setenv(seeds.ENV, value)
    return set_mode


@pytest.mark.parametrize("value, expected", [
    (None, frozenset()), ("", frozenset()), ("perturb", {"perturb"}), ("seeds", {"seeds"}),
    (" perturb , seeds ", {"perturb", "seeds"}),
])
def test_knife_edge_reads_the_environment(mode, value, expected):
    mode(value)
    assert seeds.knife_edge() == frozenset(expected)


def test_knife_edge_rejects_unknown_modes(mode):
    mode("perturb,bits")
    with pytest.raises(ValueError, match=seeds.ENV):
        seeds.knife_edge()


@pytest.mark.parametrize("n, start", [(1, 0), (5, 0), (3, 7)])
def test_study_seeds_and_the_disjoint_set(mode, n, start):
    mode(None)
    plain = seeds.study(n, start=start)
    assert plain == tuple(range(start, start + n))
    mode("seeds")
    other = seeds.study(n, start=start)
    assert len(other) == n and not set(other) & set(plain)
    assert not set(other) & set(range(1000))  # far from every seed the book names


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-1, ValueError), (2.5, TypeError),
                                      ("3", TypeError)])
def test_study_rejects_bad_counts(bad, exc):
    with pytest.raises(exc, match="^n: "):
        seeds.study(bad)


def test_perturb_start_is_identity_when_off(mode):
    mode(None)
    p = rnn.init(2, 4, 1, seed=0)
    assert seeds.perturb_start(p) is p
    assert seeds.perturb_start((1.0, 2.0)) == (1.0, 2.0)


def test_perturb_start_moves_every_entry_by_about_1e_10(mode):
    mode("perturb")
    p = rnn.init(2, 4, 1, seed=0)
    q = seeds.perturb_start(p)
    for a, b in zip(p.arrays(), q.arrays()):
        nz = a != 0
        if not nz.any():                      # zero biases stay zero
            continue
        rel = np.abs(b[nz] / a[nz] - 1)
        assert rel.max() < 10 * seeds.RELATIVE and rel.max() > 0
    again = seeds.perturb_start(p)           # a fixed generator: repeatable
    for a, b in zip(q.arrays(), again.arrays()):
        np.testing.assert_array_equal(a, b)
    w, b = seeds.perturb_start((4.0, -4.0))
    assert 0 < abs(w / 4.0 - 1) < 10 * seeds.RELATIVE


def test_training_entry_points_start_from_the_perturbed_point(mode):
    p = rnn.init(2, 4, 1, seed=0)
    data = train.task_data("adding", batch_size=4, T=5, seed=0)
    mode(None)
    plain = train.fit(p, train.rnn_objective(), data, steps=1, optimizer=train.SGD(1e-12))
    path = clipping.cliff_descent(4.0, -4.0, lr=0.0001, steps=1)
    mode("perturb")
    moved = train.fit(p, train.rnn_objective(), data, steps=1, optimizer=train.SGD(1e-12))
    moved_path = clipping.cliff_descent(4.0, -4.0, lr=0.0001, steps=1)
    # a negligible step: the returned parameters are the start, perturbed or not
    diff = np.abs(moved.params.W_s - plain.params.W_s).max()
    assert 0 < diff < 1e-8
    assert 0 < abs(moved_path.w[0] - path.w[0]) < 1e-8
    assert plain.start is p and moved.start is not p       # the start the run really took
    assert 0 < np.abs(moved.start.W_s - p.W_s).max() < 1e-8


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20))
def test_summary_is_median_and_range(values):
    s = seeds.summarize(values)
    assert_allclose(s.median, np.median(values), rtol=0, atol=0)
    assert s.low == min(values) and s.high == max(values) and s.n == len(values)
    assert s.low <= s.median <= s.high
    assert s.count(lambda v: v <= s.median) >= s.n / 2


def test_summary_allows_inf_and_formats():
    s = seeds.summarize([1.0, np.inf, 3.0])
    assert s.median == 3.0 and s.high == np.inf
    assert s.count(np.isinf) == 1
    assert "median 3" in str(s) and "n = 3" in str(s)


@pytest.mark.parametrize("bad, exc, match", [
    ([], ValueError, "at least one"), ([1.0, np.nan], ValueError, "NaN at 1"),
    ([1.0, "2"], TypeError, "str at 1"), ([True], TypeError, "bool at 0"),
])
def test_summarize_rejects_bad_values(bad, exc, match):
    with pytest.raises(exc, match=f"^values: .*{match}"):
        seeds.summarize(bad)
