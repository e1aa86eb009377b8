"""Tests for the live dashboards in bpttlib.widgets, driven through their ``controls``."""

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose
from plotly.io.json import to_json_plotly

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


# ---- the control spec: one statement of label, range and step; bad values rejected --------------

FACTORIES = {
    "power": (widgets.power_explorer, widgets.POWER_CONTROLS, {}),
    "decay": (widgets.decay_explorer, widgets.DECAY_CONTROLS, dict(n_hidden=8, T=30)),
    "truncation": (widgets.truncation_explorer, widgets.TRUNCATION_CONTROLS, dict(T=6, k=2)),
    "cliff": (widgets.cliff_explorer, widgets.CLIFF_CONTROLS, dict(steps=10)),
    "gated": (widgets.gated_decay_explorer, widgets.GATED_CONTROLS, dict(T=20, n_hidden=4)),
    "skip": (widgets.skip_explorer, widgets.SKIP_CONTROLS, dict(T=20, d=3)),
}
FLOAT_CONTROLS = [(dash, name) for dash, (_, specs, _) in FACTORIES.items()
                  for name, spec in specs.items() if spec.kind in ("float", "log")]


def figure_data(ex):
    return [(np.array(t.x, dtype=float).copy(), np.array(t.y, dtype=float).copy())
            for t in ex.figure.data if t.type == "scatter"]


@pytest.mark.parametrize("dash, name", FLOAT_CONTROLS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_value_is_rejected_and_the_dashboard_keeps_working(dash, name, bad):
    make, specs, kwargs = FACTORIES[dash]
    ex = make(**kwargs)
    control = ex.controls[name]
    value, before = control.value, figure_data(ex)
    raised = None
    try:
        control.value = bad
    except ValueError as exc:
        raised = exc
    if np.isnan(bad):  # NaN passes a slider's own bounds: the control spec catches it
        assert raised is not None and str(raised).startswith(f"{name}: expected a finite")
    if raised is not None:
        assert control.value == value, "the control is back at its last good value"
        for (x0, y0), (x1, y1) in zip(before, figure_data(ex)):
            assert_allclose(x1, x0, rtol=0, atol=0)
            assert_allclose(y1, y0, rtol=0, atol=0)
    assert np.isfinite(control.value)  # a bounded slider clamps ±inf to its end instead
    for x, y in figure_data(ex):
        assert not np.isnan(x).any()
    # ... and every later change still redraws
    other = next(n for n, s in specs.items() if n != name and s.kind in ("int", "float"))
    spec = specs[other]
    target = spec.low if ex.controls[other].value != spec.low else spec.high
    before = figure_data(ex)
    ex.controls[other].value = int(target) if spec.kind == "int" else float(target)
    after = figure_data(ex)
    assert any(a[1].shape != b[1].shape or not np.array_equal(a[1], b[1])
               for a, b in zip(before, after)), f"changing {other} redraws the figure"


@pytest.mark.parametrize("spec, value, exc, match", [
    (widgets.Control("w", 0.5, 1.5, step=0.01), float("nan"), ValueError, "^w: expected a finite"),
    (widgets.Control("w", 0.5, 1.5, step=0.01), 1.6, ValueError,
     r"^w: expected a number in \[0.5, 1.5\]"),
    (widgets.Control("w", 0.5, 1.5, step=0.01), "1", TypeError, "^w"),
    (widgets.Control("T", 5, 200, kind="int"), 4, ValueError,
     r"^w: expected an integer in \[5, 200\]"),
    (widgets.Control("T", 5, 200, kind="int"), 7.0, TypeError, "^w"),
    (widgets.Control("seed", kind="seed"), -1, ValueError, "^w"),
    (widgets.Control("seed", kind="seed"), 2**31, ValueError, "^w"),
    (widgets.Control("φ", kind="choice", options=("tanh", "relu")), "elu", ValueError, "^w"),
    (widgets.Control("θ", 0.001, 100.0, step=0.05, kind="log"), 0.0, ValueError, "^w"),
])
def test_control_validate_names_the_control(spec, value, exc, match):
    with pytest.raises(exc, match=match):
        spec.validate("w", value)


@pytest.mark.parametrize("spec, value, widget", [
    (widgets.Control("w", 0.5, 1.5, step=0.01), 0.9, "FloatSlider"),
    (widgets.Control("θ", 0.001, 100.0, step=0.05, kind="log"), 0.2, "FloatLogSlider"),
    (widgets.Control("T", 5, 200, kind="int"), 50, "IntSlider"),
    (widgets.Control("H", 1, 512, kind="int", options=(4, 8)), 48, "Dropdown"),
    (widgets.Control("seed", kind="seed"), 3, "BoundedIntText"),
    (widgets.Control("W_s", kind="choice", options=(("Gaussian", "gaussian"),)), "gaussian",
     "Dropdown"),
])
def test_control_builds_its_widget(spec, value, widget):
    built = spec.build("x", value)
    assert type(built).__name__ == widget and built.value == pytest.approx(value)
    assert built.description == spec.label
    if widget in ("FloatSlider", "IntSlider"):
        assert (built.min, built.max) == (spec.low, spec.high)


@pytest.mark.parametrize("kwargs", [dict(low=2.0, high=1.0), dict(kind="dial"),
                                    dict(kind="log", low=0.0, high=1.0),
                                    dict(kind="choice")])
def test_a_control_spec_is_checked_when_stated(kwargs):
    with pytest.raises(ValueError):
        widgets.Control("x", **{"low": 0.0, "high": 1.0, **kwargs})


def test_power_explorer_keeps_its_y_axis_so_every_w_is_visible():
    ex = widgets.power_explorer(w=0.90, T=50)
    y_range = tuple(ex.figure.layout.yaxis.range)
    end = ex.figure.data[0].y[-1]
    ex.controls["w"].value = 0.91
    assert tuple(ex.figure.layout.yaxis.range) == y_range
    assert ex.figure.data[0].y[-1] - end == pytest.approx(50 * np.log10(0.91 / 0.90), rel=1e-12)
    lo, hi = y_range  # every w of the slider fits
    assert lo <= 50 * np.log10(0.5) and 50 * np.log10(1.5) <= hi
    ex.controls["T"].value = 100  # a new T rescales once, to fit every w again
    assert ex.figure.layout.yaxis.range[0] <= 100 * np.log10(0.5)


@pytest.mark.parametrize("dash", sorted(FACTORIES))
def test_every_dashboard_starts_from_its_builders_figure(dash):
    make, specs, kwargs = FACTORIES[dash]
    ex = make(**kwargs)
    assert list(ex.controls) == list(specs)
    assert not ex.figure.layout.sliders, "a live dashboard needs no kernel-free slider"
    assert ex.figure.layout.template.layout.colorway == viz.PALETTE


def test_cliff_dashboard_title_and_legend_do_not_overlap():
    ex = widgets.cliff_explorer()
    legend = ex.figure.layout.legend
    assert ex.figure.layout.title.text and "steps clipped" in ex.figure.layout.title.text
    assert legend.y < 0 and legend.yanchor == "top", "the legend sits under the plots"
    assert ex.figure.layout.margin.b >= 80


def sent_messages(ex):
    """Record each change ``ex.view`` sends to the front end (its channel's ``changes``), parsed."""
    sent = []
    ex.view.channel.observe(lambda change: sent.append(json.loads(change["new"])),
                            names="changes")
    return sent


def follow(figure: dict, sent: list) -> dict:
    """Apply the sent changes to a figure's JSON the way ``plotview.js`` does."""
    for changes in sent:
        for i, trace in changes["data"].items():
            figure["data"][int(i)] = trace
        if changes["layout"] is not None:
            figure["layout"] = changes["layout"]
    return figure


def test_a_threshold_step_sends_only_the_clipped_path():
    ex = widgets.cliff_explorer(steps=20)
    raw = [list(ex.figure.data[i].x) for i in (1, 3, 4)]
    sent = sent_messages(ex)
    ex.controls["clip"].value = 1.0
    (changes,) = sent
    assert changes["data"] and set(changes["data"]) <= {"2", "5"}
    assert [list(ex.figure.data[i].x) for i in (1, 3, 4)] == raw


def as_json(figure) -> dict:
    """A figure as JSON with its arrays as lists, trace by trace."""
    return json.loads(to_json_plotly({"data": [t.to_plotly_json() for t in figure.data],
                                      "layout": figure.layout.to_plotly_json()}))


def some_value(spec, rng):
    """A value of a control in the lower part of its range (the dashboards stay quick)."""
    if spec.kind == "choice":
        return spec.choices()[rng.integers(len(spec.choices()))]
    if spec.kind == "seed":
        return int(rng.integers(1, 100))
    if spec.kind == "int" and spec.options:
        return int(rng.choice([o for o in spec.options if o <= 32]))
    target = spec.low + (spec.high - spec.low) * rng.uniform(0.05, 0.3)
    if spec.kind == "int":
        return int(round(target))
    if spec.kind == "log":
        return target
    return float(np.clip(np.round(target / spec.step) * spec.step, spec.low, spec.high))


@pytest.mark.parametrize("dash", sorted(FACTORIES))
def test_the_view_starts_from_the_first_state_and_follows_every_change(dash):
    """What the front end draws (its first figure, then each change applied as plotview.js
    applies it) is the kernel's figure, whichever controls move."""
    make, specs, kwargs = FACTORIES[dash]
    ex = make(**kwargs)
    shown = json.loads(ex.view.channel.figure)
    assert shown == as_json(ex.figure)
    sent = sent_messages(ex)
    rng = np.random.default_rng(7)
    for name in rng.permutation(list(specs)):
        ex.controls[name].value = some_value(specs[name], rng)
    assert sent, "moving the controls sent nothing"
    assert follow(shown, sent) == as_json(ex.figure)


def resends(ex) -> list:
    """Count the view's whole-figure resends."""
    calls = []
    resend = ex.view._resend
    ex.view._resend = lambda: (calls.append(1), resend())
    return calls


def test_a_new_view_gets_the_current_figure():
    ex = widgets.power_explorer()
    calls = resends(ex)
    ex.view.channel._handle_custom_msg({"type": "shown"}, [])  # what a new view sends
    assert calls == [], "nothing changed: nothing resent"
    first = ex.view.channel.figure
    ex.controls["w"].value = 1.1
    assert ex.view.channel.figure == first, "a change goes as a change, not as the whole figure"
    ex.view.channel._handle_custom_msg({"type": "shown"}, [])
    assert calls == [1] and json.loads(ex.view.channel.figure) == as_json(ex.figure)


def test_added_traces_resend_the_whole_figure():
    ex = widgets.power_explorer()
    sent, calls = sent_messages(ex), resends(ex)
    ex.figure.add_scatter(x=[0, 1], y=[0, 1])
    ex.view.send_changes([1])
    assert sent == [] and calls == [1]
    assert json.loads(ex.view.channel.figure) == as_json(ex.figure)


def test_the_view_sends_nothing_when_nothing_changed():
    ex = widgets.power_explorer()
    sent = sent_messages(ex)
    ex.view.send_changes([], layout=False)
    ex.update()  # same values: same state
    assert sent == []


@pytest.mark.parametrize("traces, layout, exc, word", [
    ([3], False, ValueError, "traces"), ([-1], False, ValueError, "traces"),
    ([0.5], False, TypeError, "traces"), (["0"], False, TypeError, "traces"),
    ([0], 1, TypeError, "layout"), ([], None, TypeError, "layout"),
    (0, False, TypeError, "traces"), (None, False, TypeError, "traces"),
    ("0", False, TypeError, "traces"),
])
def test_send_changes_rejects(traces, layout, exc, word):
    ex = widgets.power_explorer()  # one trace
    with pytest.raises(exc, match=word):
        ex.view.send_changes(traces, layout)


@pytest.mark.parametrize("figure", [None, {"data": []}, "figure"])
def test_a_plot_view_needs_a_figure(figure):
    with pytest.raises(TypeError, match="figure"):
        widgets.PlotView(figure)


def test_the_view_brings_plotly_js_of_the_installed_plotly():
    from plotly.offline import get_plotlyjs_version

    ex = widgets.power_explorer()
    assert f"plotly.js v{get_plotlyjs_version()}" in ex.view._plotly_js[:200]
    assert "window.Plotly" in ex.view._plotly_js
    assert "export default" in ex.view._esm and len(ex.view._esm) < 10_000