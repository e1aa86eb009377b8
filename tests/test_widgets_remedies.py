"""Tests for the Part III live dashboards, driven through their ``controls``."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import clipping, rnn, sweeps, tasks, viz, widgets


@pytest.fixture
def trunc():
    return widgets.truncation_explorer(k=3, T=10, spectral_radius=1.0, activation="tanh",
                                       kind="orthogonal")


def expected_sweep(ex):
    v = ex.values()
    xs, verbs = tasks.agreement_task(32, v["T"], seed=v["seed"], attractors=False)
    targets, mask = tasks.many_to_one(verbs, v["T"])
    params = rnn.init(xs.shape[-1], 16, 2, spectral_radius=v["spectral_radius"], seed=v["seed"],
                      kind=v["kind"])
    return viz.truncation_sweep(params, xs, targets, activation=v["activation"], loss="xent",
                                mask=mask)


def test_truncation_explorer_initial_figure(trunc):
    assert isinstance(trunc, widgets.Explorer)
    assert set(trunc.controls) == {"k", "T", "spectral_radius", "activation", "kind", "seed"}
    assert len(trunc.figure.data) == 7 and not trunc.figure.layout.sliders
    sweep = expected_sweep(trunc)
    assert_allclose(trunc.figure.data[3].y, sweep.cosine, rtol=1e-5)
    assert trunc.figure.data[5].x == (3,)
    assert trunc.figure.layout.title.text.startswith(f"k = 3: cosine {sweep.cosine[2]:.4f}")


def test_k_moves_the_cut_without_recomputing(trunc, monkeypatch):
    before = list(trunc.figure.data[0].y)
    calls = []
    real = sweeps.truncation_sweep
    monkeypatch.setattr(sweeps, "truncation_sweep", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    trunc.controls["k"].value = 7
    assert calls == []  # cached
    assert list(trunc.figure.data[0].y) != before
    assert list(trunc.figure.data[2].x) == [7.5, 7.5]
    assert trunc.figure.data[5].x == (7,)


@pytest.mark.parametrize("name, value", [
    ("T", 14),
    ("spectral_radius", 0.5),
    ("activation", "linear"),
    ("kind", "gaussian"),
    ("seed", 3),
])
def test_every_control_recomputes(trunc, name, value):
    before = np.array(trunc.figure.data[3].y, dtype=float)
    trunc.controls[name].value = value
    after = np.array(trunc.figure.data[3].y, dtype=float)
    assert after.shape != before.shape or not np.allclose(after, before)
    assert_allclose(after, expected_sweep(trunc).cosine, rtol=1e-5)


def test_k_beyond_T_shows_exact_bptt(trunc):
    trunc.controls["k"].value = 50
    assert trunc.figure.data[5].x == (9,)
    assert "exact BPTT" in trunc.figure.layout.title.text
    assert trunc.figure.data[5].y[0] == pytest.approx(1.0, abs=1e-6)


def test_truncation_explorer_validates():
    with pytest.raises(ValueError, match=r"^k"):
        widgets.truncation_explorer(k=0)
    with pytest.raises(ValueError, match=r"^T"):
        widgets.truncation_explorer(T=2)
    with pytest.raises(ValueError, match=r"^spectral_radius"):
        widgets.truncation_explorer(spectral_radius=3.0)
    with pytest.raises(ValueError, match=r"^kind"):
        widgets.truncation_explorer(kind="nonnormal")
    with pytest.raises(ValueError, match=r"^activation"):
        widgets.truncation_explorer(activation="softsign")


@pytest.fixture
def cliff():
    return widgets.cliff_explorer(lr=3.0, clip=0.2, w0=4.0, b0=-4.0, steps=30)


def test_cliff_explorer_initial_paths(cliff):
    assert set(cliff.controls) == {"lr", "clip", "w0", "b0", "steps"}
    raw = clipping.cliff_descent(4.0, -4.0, lr=3.0, steps=30)
    clipped = clipping.cliff_descent(4.0, -4.0, lr=3.0, steps=30, clip=0.2)
    assert_allclose(cliff.figure.data[1].x, raw.w, rtol=1e-5)
    assert_allclose(cliff.figure.data[2].x, clipped.w, rtol=1e-5)
    assert_allclose(cliff.figure.data[5].y, clipped.loss, rtol=1e-5)
    assert "steps clipped" in cliff.figure.layout.title.text


@pytest.mark.parametrize("name, value, traces", [
    ("clip", 1.0, (2, 5)),
    ("lr", 1.0, (1, 2, 4, 5)),
    ("w0", 6.0, (1, 2)),
    ("b0", -5.0, (1, 2)),
    ("steps", 40, (4, 5)),
])
def test_cliff_controls_change_the_paths(cliff, name, value, traces):
    before = {i: list(cliff.figure.data[i].x if i < 4 else cliff.figure.data[i].y)
              for i in traces}
    cliff.controls[name].value = value
    v = cliff.values()
    clipped = clipping.cliff_descent(v["w0"], v["b0"], lr=v["lr"], steps=v["steps"], clip=v["clip"])
    assert_allclose(cliff.figure.data[2].y, clipped.b, rtol=1e-5, atol=1e-9)
    for i in traces:
        now = list(cliff.figure.data[i].x if i < 4 else cliff.figure.data[i].y)
        assert now != before[i], (name, i)


def test_cliff_explorer_reports_an_overflowing_descent(cliff, monkeypatch):
    def overflow(*args, **kwargs):
        raise ValueError("lr: the step from (w, b) = (1, 2) overflowed float64")

    before = list(cliff.figure.data[1].x)
    monkeypatch.setattr(clipping, "cliff_descent", overflow)
    cliff.controls["lr"].value = 50.0
    assert cliff.figure.layout.title.text.startswith("no clipping: lr: the step")
    assert list(cliff.figure.data[1].x) == before  # the last good paths stay


def test_cliff_explorer_validates():
    with pytest.raises(ValueError, match=r"^lr"):
        widgets.cliff_explorer(lr=0.0)
    with pytest.raises(ValueError, match=r"^clip"):
        widgets.cliff_explorer(clip=1e3)
    with pytest.raises(ValueError, match=r"^w0"):
        widgets.cliff_explorer(w0=20.0)
    with pytest.raises(ValueError, match=r"^b0"):
        widgets.cliff_explorer(b0=-9.0)
    with pytest.raises(ValueError, match=r"^steps"):
        widgets.cliff_explorer(steps=301)
