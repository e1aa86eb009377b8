"""Tests for the live dashboards in bpttlib.widgets, driven through their ``controls``."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import activations, jacobians, viz, widgets

ACTS = activations.ACTIVATIONS
KINDS = [value for _, value in widgets.DECAY_KINDS]


@pytest.fixture
def explorer():
    return widgets.decay_explorer(spectral_radius=1.0, activation="tanh", n_hidden=16, T=60)


def curve_y(ex):
    return np.asarray(ex.figure.data[0].y, dtype=float)


def expected_curve(ex):
    v = ex.values()
    return jacobians.decay_curve(v["spectral_radius"], v["activation"], n_hidden=v["n_hidden"],
                                 T=v["T"], kind=v["kind"], seed=v["seed"],
                                 input_scale=v["input_scale"])


def test_decay_explorer_controls_and_initial_figure(explorer):
    assert set(explorer.controls) == {"spectral_radius", "activation", "n_hidden", "T", "seed",
                                      "input_scale", "kind"}
    assert isinstance(explorer, widgets.Explorer)
    assert len(explorer.figure.data) == 2
    curve = expected_curve(explorer)
    assert_allclose(curve_y(explorer), curve.log10_norm[::-1], atol=1e-12)
    assert_allclose(explorer.figure.data[0].x, np.arange(61))
    bound = explorer.figure.data[1]
    assert_allclose(bound.x, [0, 60])
    assert_allclose(bound.y[1] - bound.y[0], 60 * np.log10(curve.gamma * curve.sigma_max))
    assert "ρ(W<sub>s</sub>) = 1.00" in explorer.figure.layout.title.text


@pytest.mark.parametrize("name, value", [
    ("spectral_radius", 1.3),
    ("activation", "sigmoid"),
    ("n_hidden", 32),
    ("T", 90),
    ("seed", 7),
    ("input_scale", 3.0),
    ("kind", "orthogonal"),
])
def test_every_control_recomputes_the_figure(explorer, name, value):
    before = curve_y(explorer).copy()
    explorer.controls[name].value = value
    after = curve_y(explorer)
    assert after.shape != before.shape or not np.allclose(after, before)
    assert_allclose(after, expected_curve(explorer).log10_norm[::-1], atol=1e-12)


def test_activation_sets_the_colour(explorer):
    explorer.controls["activation"].value = "relu"
    assert explorer.figure.data[0].line.color == viz.ACTIVATION_COLORS["relu"]
    assert explorer.figure.data[1].line.color == viz.ACTIVATION_COLORS["relu"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act", ACTS)
def test_extreme_settings_never_put_nan_in_the_figure(act, kind):
    ex = widgets.decay_explorer(spectral_radius=3.0, activation=act, T=1000, kind=kind,
                                n_hidden=32, input_scale=5.0)
    curve = expected_curve(ex)
    for trace in ex.figure.data:
        assert np.isfinite(np.asarray(trace.y, dtype=float)).all()
        assert np.isfinite(np.asarray(trace.x, dtype=float)).all()
    passed = bool(curve.overflow.any() or curve.underflow.any())
    assert (len(ex.figure.layout.shapes) > 0) == passed
    texts = " ".join(a.text for a in ex.figure.layout.annotations)
    assert ("float64" in texts) == passed


def test_overflow_and_underflow_are_marked():
    ex = widgets.decay_explorer(spectral_radius=3.0, activation="linear", T=1000)
    assert [round(s.y0, 2) for s in ex.figure.layout.shapes] == [round(jacobians.LOG10_MAX, 2)]
    ex.controls["activation"].value = "sigmoid"
    assert [round(s.y0, 2) for s in ex.figure.layout.shapes] == [round(jacobians.LOG10_TINY, 2)]
    ex.controls["spectral_radius"].value = 1.0
    ex.controls["T"].value = 50
    assert len(ex.figure.layout.shapes) == 0 and len(ex.figure.layout.annotations) == 0


@pytest.mark.parametrize("settings", [
    dict(spectral_radius=0.0),
    dict(spectral_radius=0.0, kind="nonnormal"),
    dict(activation="relu", input_scale=0.0),
    dict(T=1),
    dict(n_hidden=1, spectral_radius=3.0, activation="linear", T=1000),
])
def test_degenerate_settings_give_finite_data_and_a_note(settings):
    ex = widgets.decay_explorer(**settings)
    y = curve_y(ex)
    assert y.size >= 1 and np.isfinite(y).all()
    curve = expected_curve(ex)
    if np.isneginf(curve.log10_norm).any():
        assert any("exactly 0" in a.text for a in ex.figure.layout.annotations)


def test_an_unusual_hidden_size_is_offered():
    ex = widgets.decay_explorer(n_hidden=48)
    assert 48 in ex.controls["n_hidden"].options and ex.controls["n_hidden"].value == 48


@pytest.mark.parametrize("kwargs, exc, word", [
    (dict(spectral_radius=3.5), ValueError, "spectral_radius"),
    (dict(spectral_radius="1"), TypeError, "spectral_radius"),
    (dict(activation="softplus"), ValueError, "activation"),
    (dict(n_hidden=0), ValueError, "n_hidden"),
    (dict(n_hidden=1000), ValueError, "n_hidden"),
    (dict(T=1001), ValueError, "T"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(input_scale=-0.1), ValueError, "input_scale"),
    (dict(kind="identity"), ValueError, "kind"),
])
def test_decay_explorer_rejects_bad_defaults(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        widgets.decay_explorer(**kwargs)
