"""Tests for bpttlib.viz.latching and bpttlib.viz.language: traces, slider states, titles."""

import numpy as np
import pytest

from bpttlib import agreement, sweeps, viz


def _titles(fig):
    layout = fig.layout
    return [a.title.text for a in (layout.xaxis, layout.yaxis)]


def test_latching_figure_marks_fixed_points_and_draws_every_start():
    data = sweeps.latching_data(8.0, -4.0, [3.0, 0.5, 1e-6], steps=20, x_range=(-6, 6))
    fig = viz.latching_figure(data, title="latching")
    assert fig.layout.title.text == "latching"
    names = [t.name for t in fig.data]
    assert "attracting fixed point" in names and "repelling fixed point" in names
    attract = fig.data[names.index("attracting fixed point")]
    assert len(attract.x) == 2 and len(fig.data[names.index("repelling fixed point")].x) == 1
    curves = [t for t in fig.data if t.name and t.name.startswith("from x")]
    assert len(curves) == 3 and len(curves[0].y) == 21
    assert len(fig.layout.shapes) == 2                        # two basins shaded
    assert all(_titles(fig)) and fig.layout.xaxis2.title.text and fig.layout.yaxis2.title.text


def test_sentence_figure_slider_states_are_the_sweep():
    radii = [0.5, 1.0, 1.5]
    data = sweeps.sentence_sweep(radii, n_hidden=6)
    fig = viz.sentence_figure(data, active=1, title="sentence")
    assert fig.layout.title.text == "sentence" and all(_titles(fig))
    steps = fig.layout.sliders[0].steps
    assert len(steps) == 3 and fig.layout.sliders[0].active == 1
    product = steps[2].args[0]["y"][1]
    np.testing.assert_allclose(product, np.log10(data.product_norms[2]), rtol=1e-3, atol=1e-3)
    assert list(fig.layout.xaxis.ticktext)[-1] == "15: shepherd"


def test_agreement_figure_draws_bands_and_medians():
    data = agreement.load()
    acc = agreement.accuracy_table(data)
    by_k = agreement.accuracy_table(data, "by_attractors")
    spread = {m: np.array([[s.median, s.low, s.high] for s in acc[m].values()]).T
              for m in acc}
    spread_k = {m: np.array([[s.median, s.low, s.high] for s in by_k[m][40]]).T for m in by_k}
    fig = viz.agreement_figure(data["config"]["distances"], spread,
                               data["config"]["attractors"], spread_k, distance=40,
                               title="agreement")
    assert fig.layout.title.text == "agreement" and len(fig.data) == 12
    medians = [t for t in fig.data if t.name.endswith("(median, range)")]
    np.testing.assert_allclose(medians[0].y, spread["rnn"][0], rtol=1e-3)
    assert all(_titles(fig)) and fig.layout.xaxis2.title.text
    with pytest.raises(ValueError, match=r"^by_distance"):
        viz.agreement_figure([5, 10], {"rnn": np.zeros((3, 3))}, [0], {"rnn": np.zeros((3, 1))},
                             distance=5)
