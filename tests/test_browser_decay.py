"""The kernel-free slider x dropdown of the vanishing-exploding chapter, driven in Chromium.

With the network cut, as in test_browser.py: pick an activation in the figure's dropdown, move
its spectral-radius slider with the mouse, and check that the curve on screen is bpttlib's curve
for that (activation, ρ) — in both orders of use. Prints the repaint time of the slider move.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from test_browser import (  # noqa: F401  (shared set-up)
    FLAGS, SETTLE_JS, SHOT_TIMEOUT_MS, SHOTS, served_browser)

from bpttlib import jacobians, viz

pytestmark = [pytest.mark.book, pytest.mark.slow]

PAGE = "book/vanishing-exploding"

# Index of the decay-grid figure among the page's plotly divs.
FIND_JS = """() => [...document.querySelectorAll('.gtt-plotly')].findIndex(
    gd => gd.layout && gd.layout.meta && gd.layout.meta.gtt === 'decay-grid')"""

# What the reader sees: the visible traces' names and y, the controls' states, the meta.
STATE_JS = """({index}) => {
  const gd = document.querySelectorAll('.gtt-plotly')[index];
  // plotly's own view of the traces: arrays the page ships as float32 come decoded
  const shown = gd._fullData.filter(t => t.visible === true);
  return {names: shown.map(t => t.name), ys: shown.map(t => Array.from(t.y)),
          slider: gd.layout.sliders[0].active, menu: gd.layout.updatemenus[0].active,
          meta: gd.layout.meta};
}"""

# Arms a timer from the next mouse press to the end of plotly's redraw (as test_browser does).
ARM_JS = """({index}) => { const gd = document.querySelectorAll('.gtt-plotly')[index];
  document.addEventListener('mousedown', () => { window.__gttDown = performance.now(); },
                            {capture: true, once: true});
  window.__gttPaint = new Promise(res => gd.once('plotly_afterplot',
                                                 () => res(performance.now()))); }"""


def expected(meta, activation, radius):
    """bpttlib's curve for one state, rounded as the figure rounds it."""
    curve = jacobians.decay_curve(radius, activation, n_hidden=meta["n_hidden"], T=meta["T"],
                                  kind=meta["kind"], seed=meta["seed"],
                                  input_scale=meta["input_scale"])
    return np.array(viz.rounded(curve.log10_norm[::-1], meta["digits"]), dtype=float)


def check_shown(state, activation):
    """The visible curve is bpttlib's for the dropdown's activation and the slider's radius."""
    meta = state["meta"]
    assert meta["activations"][state["menu"]] == activation
    radius = meta["radii"][state["slider"]]
    assert len(state["ys"]) == 2 and state["names"][0].startswith(f"{activation}:")
    shown = np.array(state["ys"][0], dtype=float)
    want = expected(meta, activation, radius)
    assert_allclose(shown, want, rtol=10.0 ** (1 - meta["digits"]), atol=1e-9)
    others = [a for a in meta["activations"] if a != activation]
    for other in others:  # ... and not some other activation's curve
        assert not np.allclose(shown, expected(meta, other, radius), rtol=1e-3)
    return radius


def choose(page, gd, label):
    """Open the figure's dropdown and click the entry ``label``, as a reader would."""
    gd.locator(".updatemenu-header-group").first.click()
    page.wait_for_timeout(100)
    gd.locator(".updatemenu-dropdown-button", has_text=label).first.click()
    page.wait_for_timeout(100)


def click_slider(page, gd, index, frac):
    """Click the slider's rail at ``frac`` of its width; return the repaint time in ms."""
    rail = gd.locator(".slider-rail-rect").first.bounding_box()
    page.evaluate(ARM_JS, {"index": index})
    page.mouse.click(rail["x"] + frac * rail["width"], rail["y"] + rail["height"] / 2)
    return page.evaluate("async () => (await window.__gttPaint) - window.__gttDown")


@pytest.fixture(scope="module")
def decay_page(book):

    SHOTS.mkdir(parents=True, exist_ok=True)
    with served_browser(book.html) as (server, browser):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
            (server.url, "data:", "blob:")) else r.abort())
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server.url}/{PAGE}.html", wait_until="load")
        page.evaluate(SETTLE_JS)
        yield page, errors
        context.close()


def test_dropdown_then_slider_then_dropdown_show_bpttlibs_curves(decay_page):
    page, errors = decay_page
    index = page.evaluate(FIND_JS)
    assert index >= 0, "the decay-grid figure is on the page"
    gd = page.locator(".gtt-plotly").nth(index)
    gd.scroll_into_view_if_needed()
    state = page.evaluate(STATE_JS, {"index": index})
    first = check_shown(state, "tanh")

    choose(page, gd, "sigmoid")                        # 1. switch the activation ...
    state = page.evaluate(STATE_JS, {"index": index})
    assert check_shown(state, "sigmoid") == first

    ms = click_slider(page, gd, index, 0.85)           # 2. ... then move the slider
    state = page.evaluate(STATE_JS, {"index": index})
    moved = check_shown(state, "sigmoid")
    assert moved != first
    page.screenshot(path=str(SHOTS / "book_vanishing-exploding-decay-grid.png"),
                    timeout=SHOT_TIMEOUT_MS)

    choose(page, gd, "relu")                           # 3. switch again: the slider's radius
    state = page.evaluate(STATE_JS, {"index": index})  #    holds for the new activation
    assert check_shown(state, "relu") == moved

    ms2 = click_slider(page, gd, index, 0.1)
    state = page.evaluate(STATE_JS, {"index": index})
    assert check_shown(state, "relu") < 1.0
    assert errors == []
    print(f"decay grid: slider repaint {ms:.1f} ms and {ms2:.1f} ms "
          f"(rho {first} -> {moved} -> {state['meta']['radii'][state['slider']]})")
