"""bpttlib.widgets, Part III: the gated-cell and skip-connection dashboards, driven by controls."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import skip, viz, widgets


@pytest.fixture
def gated_ex():
    return widgets.gated_decay_explorer(forget_bias=1.0, T=40, n_hidden=8)


def test_gated_explorer_draws_the_three_curves(gated_ex):
    assert set(gated_ex.controls) == {"forget_bias", "T", "n_hidden", "seed", "input_scale",
                                      "spectral_radius"}
    assert [t.name for t in gated_ex.figure.data] == ["tanh RNN", "GRU", "LSTM"]
    want = viz.gated_decay_curves(1.0, T=40, n_hidden=8)
    for trace, key in zip(gated_ex.figure.data, ("rnn", "gru", "lstm")):
        assert_allclose(trace.y, want[key], atol=1e-12)
        assert_allclose(trace.x, np.arange(41))
    assert "LSTM 10<sup>" in gated_ex.figure.layout.title.text


def test_the_forget_bias_moves_only_the_lstm(gated_ex):
    before = [np.array(t.y) for t in gated_ex.figure.data]
    gated_ex.controls["forget_bias"].value = 3.0
    after = [np.array(t.y) for t in gated_ex.figure.data]
    assert_allclose(after[0], before[0])
    assert_allclose(after[1], before[1])
    assert after[2][-1] > before[2][-1] + 0.5  # a larger bias keeps more at distance T
    assert_allclose(after[2], viz.gated_decay_curves(3.0, T=40, n_hidden=8)["lstm"])


def test_gated_explorer_follows_T_and_seed(gated_ex):
    gated_ex.controls["T"].value = 25
    gated_ex.controls["seed"].value = 4
    assert len(gated_ex.figure.data[2].x) == 26
    assert_allclose(gated_ex.figure.data[1].y,
                    viz.gated_decay_curves(1.0, T=25, n_hidden=8, seed=4)["gru"])


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(forget_bias=7.0), ValueError, "forget_bias"),
    (dict(T=0), ValueError, "T"),
    (dict(n_hidden=1.5), TypeError, "n_hidden"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(spectral_radius="1"), TypeError, "spectral_radius"),
])
def test_gated_explorer_validates(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        widgets.gated_decay_explorer(**kwargs)


def test_skip_explorer_recomputes_the_skip_curve():
    ex = widgets.skip_explorer(d=5, T=60)
    plain = skip.skip_decay_curve(1.0, 1, skip_radius=0.0, T=60)[::-1]
    assert_allclose(ex.figure.data[0].y, plain, atol=1e-12)
    assert_allclose(ex.figure.data[1].y, skip.skip_decay_curve(1.0, 5, skip_radius=0.5,
                                                               T=60)[::-1], atol=1e-12)
    ex.controls["d"].value = 12
    assert_allclose(ex.figure.data[1].y, skip.skip_decay_curve(1.0, 12, skip_radius=0.5,
                                                               T=60)[::-1], atol=1e-12)
    ex.controls["skip_radius"].value = 0.0
    assert_allclose(ex.figure.data[1].y, plain, atol=1e-12)  # no skip: the plain RNN


@pytest.mark.parametrize("kwargs, match", [(dict(d=0), "d"), (dict(skip_radius=3.0), "skip"),
                                           (dict(T=600), "T")])
def test_skip_explorer_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        widgets.skip_explorer(**kwargs)
