"""The figures' build-time pictures (gtt_sphinx.snapshots) in headless Chromium.

A page shows each figure's picture of the reader's theme from the start, draws the live figure
after the page's ``load`` (or at once under the pointer), and then removes the pictures; a
phone draws its figures at once. The page's ``load`` is held back here (one header image's
response waits) so that what happens before it can be looked at without a race.
"""

from __future__ import annotations

import sys

import pytest

from book_support import ROOT
from test_browser import READY_INIT_JS, SHOT_TIMEOUT_MS, SHOTS, served_browser

sys.path.insert(0, str(ROOT / "sphinx_ext"))
from gtt_sphinx.snapshots import chromium  # noqa: E402

pytestmark = [pytest.mark.book, pytest.mark.slow,
              pytest.mark.skipif(chromium() is None, reason="no Chromium: no pictures")]

PAGE = "book/gated"  # ten figures, most below the first screen
HELD = "**/logo_colab.png"  # a header image: the page's load waits for it
STATE_JS = """() => [...document.querySelectorAll('.gtt-plotly')].map(gd => ({
  live: gd.dataset.gttRendered === '1',
  pictures: gd.querySelectorAll('img.gtt-snap').length,
  shown: [...gd.querySelectorAll('img.gtt-snap')].filter(
    img => getComputedStyle(img).display !== 'none').map(img => ({
      mode: img.classList.contains('gtt-snap-dark') ? 'dark' : 'light',
      loaded: img.complete && img.naturalWidth > 0,
      fits: Math.abs(img.getBoundingClientRect().height - gd.clientHeight) <= 1,
      // drawn as exported: no filter, padding or backing from the theme's image styles
      plain: ['filter', 'paddingTop', 'backgroundColor'].map(k => getComputedStyle(img)[k])
        .join() === 'none,0px,rgba(0, 0, 0, 0)'})),
  inView: gd.getBoundingClientRect().top < innerHeight}))"""


# Whether plotly.js has run, and whether the page has fetched it (its preload).
PLOTLY_JS = """() => [typeof window.Plotly, performance.getEntriesByType('resource').some(
  e => /\\/plotly(-scatter)?\\.min\\.js$/.test(e.name) && e.responseEnd > 0)]"""


def _held_page(browser, server, *, viewport, dark=False):
    context = browser.new_context(viewport=viewport)
    held = []
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        (server.url, "data:", "blob:")) else r.abort())
    context.route(HELD, lambda r: held.append(r))  # the newest route is asked first
    context.add_init_script(READY_INIT_JS)
    if dark:
        context.add_init_script("localStorage.setItem('mode', 'dark')")
    page = context.new_page()
    page.goto(f"{server.url}/{PAGE}.html", wait_until="domcontentloaded")
    return context, page, held


@pytest.fixture(scope="module")
def pictures(book):

    SHOTS.mkdir(parents=True, exist_ok=True)
    out = {}
    with served_browser(book.html) as (server, browser):
        context, page, held = _held_page(browser, server, viewport={"width": 1280, "height": 900})
        page.wait_for_function("() => window.__gttShown !== undefined", timeout=60_000)
        out["before_load"] = page.evaluate(STATE_JS)
        page.wait_for_function(f"() => ({PLOTLY_JS})()[1]", timeout=60_000)  # the preload
        out["plotly_before_load"] = page.evaluate(PLOTLY_JS)
        out["held"] = len(held)
        page.locator(".gtt-plotly").first.screenshot(path=str(SHOTS / "picture-light.png"),
                                                     timeout=SHOT_TIMEOUT_MS)
        target = page.locator(".gtt-plotly").nth(3)
        target.scroll_into_view_if_needed()
        box = target.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function("() => document.querySelectorAll('.gtt-plotly')[3]"
                               ".dataset.gttRendered === '1'", timeout=60_000)
        out["after_hover"] = page.evaluate(STATE_JS)
        for route in held:
            route.continue_()
        page.wait_for_function("() => window.__gttReady !== undefined", timeout=60_000)
        out["after_load"] = page.evaluate(STATE_JS)
        context.close()

        context, page, held = _held_page(browser, server, viewport={"width": 1280, "height": 900},
                                         dark=True)
        # the dark pictures load when they come near the viewport (loading="lazy")
        page.locator(".gtt-plotly").first.scroll_into_view_if_needed()
        page.wait_for_function("""() => { const img = document.querySelector(
            '.gtt-plotly img.gtt-snap-dark'); return img && img.complete && img.naturalWidth; }""",
                               timeout=60_000)
        out["dark"] = page.evaluate(STATE_JS)
        page.locator(".gtt-plotly").first.screenshot(path=str(SHOTS / "picture-dark.png"),
                                                     timeout=SHOT_TIMEOUT_MS)
        for route in held:
            route.continue_()
        context.close()

        context, page, held = _held_page(browser, server, viewport={"width": 390, "height": 844})
        page.wait_for_function("() => window.__gttReady !== undefined", timeout=60_000)
        out["phone"] = page.evaluate(STATE_JS)
        out["plotly_phone"] = page.evaluate(PLOTLY_JS)
        out["phone_pictures_fetched"] = page.evaluate(
            "() => performance.getEntriesByType('resource').filter("
            "e => e.name.includes('/gtt-snap/')).length")
        out["phone_load"] = page.evaluate("() => document.readyState")
        for route in held:
            route.continue_()
        context.close()
    return out


def test_every_figure_shows_its_picture_before_the_page_has_loaded(pictures):
    state = pictures["before_load"]
    assert pictures["held"] == 1 and len(state) == 10
    assert not any(f["live"] for f in state), "plotly waits for the page's load"
    for i, f in enumerate(state):
        assert f["pictures"] == 2 and len(f["shown"]) == 1, (i, f)
        assert f["shown"][0] == {"mode": "light", "loaded": True, "fits": True,
                                     "plain": True}, (i, f)


def test_plotly_js_is_fetched_at_once_and_run_after_load(pictures):
    assert pictures["plotly_before_load"] == ["undefined", True]


def test_the_pointer_draws_a_figure_at_once(pictures):
    state = pictures["after_hover"]
    assert state[3]["live"] and state[3]["pictures"] == 0
    assert sum(f["live"] for f in state) == 1, "only the figure under the pointer"


def test_after_load_every_figure_is_live_and_its_pictures_are_gone(pictures):
    assert all(f["live"] and f["pictures"] == 0 for f in pictures["after_load"])


def test_the_dark_theme_shows_the_dark_picture(pictures):
    first = pictures["dark"][0]
    assert not first["live"] and first["inView"]
    assert first["shown"] == [{"mode": "dark", "loaded": True, "fits": True,
                               "plain": True}]
    assert all(f["shown"][0]["mode"] == "dark" for f in pictures["dark"])


def test_a_phone_draws_every_figure_at_once(pictures):
    assert pictures["phone_load"] != "complete", "drawn while the page's load was held"
    assert pictures["plotly_phone"] == ["object", True]
    assert pictures["phone_pictures_fetched"] == 0
    assert all(f["live"] and f["pictures"] == 0 for f in pictures["phone"])
