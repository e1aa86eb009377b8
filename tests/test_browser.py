"""Every page of the built book, opened in headless Chromium with the network cut.

Per page: as many plotly figures drawn as the executed notebook shows, every equation typeset
by the local MathJax (no raw TeX left), no console errors, no request leaving 127.0.0.1, and a
cold load (fresh context, no cache) transfers at most 3 MB. On a page with a kernel-free plotly
slider, moving it changes the plotted data (and the repaint time is printed). Every trace type
of every figure is in the shipped plotly.js bundle. Screenshots go to ``_build/screenshots/``.
Ready time and repaint are measured by ``benchmarks/bench_browser.py``, never asserted here.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from urllib.parse import urlparse

import pytest

from book_support import ROOT, Server, shown_plotly_outputs, toc_pages

sys.path.insert(0, str(ROOT / "sphinx_ext"))
from gtt_sphinx.snapshots import chromium  # noqa: E402  (the build's pictures use the same)

pytestmark = [pytest.mark.book, pytest.mark.slow]

CHROMIUM = chromium()
SHOTS = ROOT / "_build" / "screenshots"
#: Bytes a cold load of any page may transfer (HTML, CSS, scripts, fonts: everything).
MAX_COLD_BYTES = 3_000_000
# The flags this machine's closed network needs (no background connections at start-up).
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# Waits until MathJax (if the page loaded it) has typeset and every figure is drawn.
SETTLE_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  // The math comes typeset from the build (gtt_sphinx.mathtex; a book built without Node.js has
  // MathJax typeset it, awaited above); the figures are drawn one per task: wait up to 60 s.
  const want = document.querySelectorAll('script.gtt-plotly-data').length;
  const typeset = () => [...document.querySelectorAll('.math')].every(
    el => el.querySelector('mjx-container'));
  for (let i = 0; i < 1200; i++) {
    if (document.querySelectorAll('.gtt-plotly[data-gtt-rendered="1"]').length >= want &&
        typeset()) break;
    await new Promise(r => setTimeout(r, 50));
  }
}"""

# Screenshots are for people to look at, never a timing check: a long page's full-page shot took
# over playwright's default 30 s on the two-core machine while the second clean build ran.
SHOT_TIMEOUT_MS = 180_000

# Added before any page script runs (``context.add_init_script``): records the time since
# navigation start (ms) at which every equation is typeset and
# - ``window.__gttShown``: every figure shown, drawn live or as its build-time picture of the
#   page's theme (gtt_sphinx.snapshots), loaded -- the moment a reader sees the whole page;
# - ``window.__gttReady``: every figure drawn live by plotly -- every slider works.
READY_INIT_JS = """(() => {
  let observer = null;
  const typeset = () => [...document.querySelectorAll('.math, span.math, div.math')]
    .every(el => el.querySelector('mjx-container'));
  const shown = div => div.dataset.gttRendered === '1' ||
    [...div.querySelectorAll('img.gtt-snap')].some(img =>
      img.complete && img.naturalWidth > 0 && getComputedStyle(img).display !== 'none');
  const check = () => {
    if (window.__gttReady !== undefined || document.readyState === 'loading') return;
    const divs = [...document.querySelectorAll('script.gtt-plotly-data')]
      .map(b => document.getElementById(b.dataset.target));
    if (!typeset()) return;
    if (window.__gttShown === undefined && divs.every(d => d && shown(d)))
      window.__gttShown = performance.now();
    if (divs.some(d => !d || d.dataset.gttRendered !== '1')) return;
    window.__gttReady = performance.now();
    if (window.__gttShown === undefined) window.__gttShown = window.__gttReady;
    if (observer) observer.disconnect();
  };
  observer = new MutationObserver(check);
  observer.observe(document, {subtree: true, childList: true, attributes: true,
                              attributeFilter: ['data-gtt-rendered']});
  document.addEventListener('DOMContentLoaded', check);
  document.addEventListener('load', check, true);  // a picture loaded (load does not bubble)
  window.addEventListener('load', check);
})();"""

# Bytes a cold page load transfers: every finished response's body and headers (the local
# server sends no compression, so this is what a reader's browser downloads).
def count_bytes(page):
    """Start counting the bytes ``page`` receives; returns a function giving the total.

    Calling it waits until no request has started or ended for 750 ms (at most 15 s): late
    font loads count too. (Playwright's "networkidle" never comes on some pages here.)
    """
    done, events = [], []
    page.on("request", lambda r: events.append(r))
    page.on("requestfinished", lambda r: (done.append(r), events.append(r)))
    page.on("requestfailed", lambda r: events.append(r))

    def total():
        quiet, seen = 0, -1
        for _ in range(60):
            quiet = quiet + 1 if len(events) == seen else 0
            if quiet >= 3:
                break
            seen = len(events)
            page.wait_for_timeout(250)
        size = 0
        for r in done:
            s = r.sizes()
            size += s["responseBodySize"] + s["responseHeadersSize"]
        return size

    return total


MATH_JS = """() => {
  const math = [...document.querySelectorAll('.math, span.math, div.math')];
  const untypeset = math.filter(el => !el.querySelector('mjx-container')).map(el => el.textContent.slice(0, 80));
  // A formula drawn from glyphs the page does not define would be blank: each glyph reference
  // must resolve to a path, and the browser must measure a drawn glyph (a path with outline
  // data; invisible operators such as U+2061 have none) as drawn.
  const blank = [...document.querySelectorAll('mjx-container svg use')].filter(use => {
    const ref = (use.getAttribute('href') || use.getAttribute('xlink:href') || '').slice(1);
    const path = document.getElementById(ref);
    if (!path) return true;
    const box = use.getBBox();
    return (path.getAttribute('d') || '').trim() !== '' && !(box.width > 0 || box.height > 0);
  }).map(use => use.closest('.math') ? use.closest('.math').textContent.slice(0, 80) : '?');
  // The prose a reader sees: the article minus code, outputs and typeset math.
  const prose = (document.querySelector('article') || document.querySelector('main') || document.body).cloneNode(true);
  prose.querySelectorAll('pre, code, .highlight, .cell_output, .output, mjx-container, .math, script, style, .gtt-plotly')
       .forEach(el => el.remove());
  const text = prose.textContent;
  const raw = (text.match(/\\$|\\\\[a-zA-Z]+|\\\\[()\\[\\]]|\\^\\{|_\\{/g) || []);
  return {count: math.length, untypeset, raw: raw.slice(0, 10), blank: [...new Set(blank)].slice(0, 10)};
}"""

# Moves the first plotly slider on the page by clicking its rail at 15% and 85% of its width;
# returns the y data of the first trace before/after, and the repaint time of each move.
SLIDER_JS = """async ({index}) => {
  const gd = document.querySelectorAll('.gtt-plotly')[index];
  const before = JSON.stringify(gd.data.map(t => t.y));
  return {before, active: gd.layout.sliders[0].active, n: gd.layout.sliders[0].steps.length};
}"""


FAST_JS = """() => [...document.querySelectorAll('.gtt-plotly')]
  .filter(gd => gd.layout && gd.layout.sliders && gd.layout.sliders.length
                && gd.data.every(t => (t.type || 'scatter') === 'scatter'))
  .map(gd => gd.dataset.gttFastSteps || '0/?')"""


def _launch(playwright):
    if CHROMIUM is None:
        pytest.fail("Chromium is missing: run `make test` (tools/system-deps.sh installs it) "
                    "or `apt-get install -y chromium`")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)


@contextlib.contextmanager
def served_browser(html):
    """The built book ``html`` on loopback and a headless Chromium: ``(server, browser)``."""
    from playwright.sync_api import sync_playwright

    with Server(html) as server, sync_playwright() as p:
        browser = _launch(p)
        try:
            yield server, browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser_pages(book):
    """Open every page once; collect what the tests assert on."""

    SHOTS.mkdir(parents=True, exist_ok=True)
    results = {}
    with served_browser(book.html) as (server, browser):
        for page_name in toc_pages():
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            external, errors, failed = [], [], []

            def route(r, external=external):
                host = urlparse(r.request.url).hostname
                if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
                    r.continue_()
                else:
                    external.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m, errors=errors: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.on("requestfailed", lambda r, failed=failed: failed.append(r.url))
            transferred = count_bytes(page)
            page.goto(f"{server.url}/{page_name}.html", wait_until="load")
            page.evaluate(SETTLE_JS)
            info = {
                "bytes": transferred(),
                "external": external,
                "errors": errors,
                "failed": failed,
                "figures": page.evaluate(
                    "() => [...document.querySelectorAll('.gtt-plotly[data-gtt-rendered]')]"
                    ".filter(gd => gd.querySelector('.main-svg')).length"
                ),
                "figure_divs": page.locator(".gtt-plotly").count(),
                # Per figure with a slider: "fast/all" steps the loader runs without a replot.
                "fast_steps": page.evaluate(FAST_JS),
                "math": page.evaluate(MATH_JS),
            }
            page.screenshot(path=str(SHOTS / f"{page_name.replace('/', '_')}.png"), full_page=True,
                            timeout=SHOT_TIMEOUT_MS)
            info["slider"] = _move_slider(page)
            results[page_name] = info
            context.close()
    return results


def _move_slider(page):
    """Click the first plotly slider's rail far from its current step; report data and timing."""
    index = page.evaluate(
        "() => [...document.querySelectorAll('.gtt-plotly')].findIndex("
        "gd => gd.layout && gd.layout.sliders && gd.layout.sliders.length)"
    )
    if index < 0:
        return None
    gd = page.locator(".gtt-plotly").nth(index)
    gd.scroll_into_view_if_needed()
    before = page.evaluate(SLIDER_JS, {"index": index})
    rail = gd.locator(".slider-rail-rect").first.bounding_box()
    frac = 0.1 if before["active"] > before["n"] / 2 else 0.9
    # Measured in the page: "repaint" from plotly's slider change to the end of its redraw, and
# "click" from the mouse press (including the browser's input handling) to the same point.
    page.evaluate(
        """({index}) => { const gd = document.querySelectorAll('.gtt-plotly')[index];
             document.addEventListener('mousedown', () => { window.__gttDown = performance.now(); },
                                       {capture: true, once: true});
             gd.once('plotly_sliderchange', () => { window.__gttChange = performance.now(); });
             window.__gttPaint = new Promise(res => gd.on('plotly_afterplot', () => res(performance.now()))); }""",
        {"index": index},
    )
    page.mouse.click(rail["x"] + frac * rail["width"], rail["y"] + rail["height"] / 2)
    times = page.evaluate(
        "async () => { const done = await window.__gttPaint;"
        " return {click: done - window.__gttDown, repaint: done - window.__gttChange}; }"
    )
    after = page.evaluate(SLIDER_JS, {"index": index})
    page.screenshot(path=str(SHOTS / f"{page_name_of(page)}-slider-moved.png"),
                    timeout=SHOT_TIMEOUT_MS)
    return {"before": before, "after": after, "ms": times["repaint"], "click_ms": times["click"]}


def page_name_of(page) -> str:
    return urlparse(page.url).path.strip("/").removesuffix(".html").replace("/", "_")


@pytest.mark.parametrize("page_name", toc_pages())
def test_no_request_leaves_the_site(browser_pages, page_name):
    info = browser_pages[page_name]
    assert info["external"] == [], info["external"]
    assert info["failed"] == [], info["failed"]


@pytest.mark.parametrize("page_name", toc_pages())
def test_no_console_errors(browser_pages, page_name):
    assert browser_pages[page_name]["errors"] == []


@pytest.mark.parametrize("page_name", toc_pages())
def test_every_plotly_figure_is_drawn(book, browser_pages, page_name):
    info = browser_pages[page_name]
    expected = shown_plotly_outputs(book, page_name)
    assert info["figure_divs"] == expected
    assert info["figures"] == expected


@pytest.mark.parametrize("page_name", toc_pages())
def test_a_cold_page_load_transfers_at_most_3_mb(browser_pages, page_name):
    size = browser_pages[page_name]["bytes"]
    print(f"{page_name}: {size / 1e6:.2f} MB on a cold load")
    assert 0 < size <= MAX_COLD_BYTES, f"{size / 1e6:.2f} MB"


def _figures_in(html: str) -> list[dict]:
    blobs = re.findall(r'<script type="application/json" class="gtt-plotly-data"[^>]*>(.*?)</script>',
                       html, flags=re.S)
    return [json.loads(b.replace("<\\/", "</")) for b in blobs]


def test_every_trace_type_of_the_book_is_in_the_bundle_its_page_loads(book):
    used, missing = set(), {}
    for page in toc_pages():
        html = (book.html / f"{page}.html").read_text(encoding="utf-8")
        figures = _figures_in(html)
        if not figures:
            continue
        # the bundle the loader runs, which the page preloads (gtt_sphinx.plotly_mime)
        (src,) = re.findall(r'data-plotly="(plotly[a-z-]*\.min\.js)"', html)
        assert re.findall(r'<link rel="preload" href="[./]*_static/vendor/([^"]+)" as="script">',
                          html) == [src], page
        bundle = (book.html / "_static" / "vendor" / src).read_text(encoding="utf-8")
        shipped = set(re.findall(r'moduleType:"trace",name:"([a-z0-9]+)"', bundle))
        types = {trace.get("type", "scatter") for fig in figures for trace in fig.get("data", [])}
        used |= types
        if types - shipped:
            missing[page] = (src, sorted(types - shipped))
    assert {"scatter", "heatmap"} <= used  # the scan sees the figures at all
    assert not missing, f"trace types the page's plotly.js lacks: {missing}"


@pytest.mark.parametrize("page_name", toc_pages())
def test_every_equation_is_typeset(browser_pages, page_name):
    math = browser_pages[page_name]["math"]
    assert math["untypeset"] == [], math["untypeset"]
    assert math["raw"] == [], f"raw TeX visible: {math['raw']}"
    assert math["blank"] == [], f"formulas with undrawn glyphs: {math['blank']}"


def test_pilot_chapter_has_math_figures_and_a_working_slider(browser_pages):
    info = browser_pages["book/how-to-use"]
    assert info["math"]["count"] >= 5  # the labelled equation, sympy output, inline math
    slider = info["slider"]
    assert slider is not None, "the pilot chapter has a kernel-free slider"
    assert slider["after"]["active"] != slider["before"]["active"]
    assert slider["after"]["before"] != slider["before"]["before"], "the plotted data changed"
    print(f"static slider repaint: {slider['ms']:.1f} ms (click to paint {slider['click_ms']:.1f} ms)")


@pytest.mark.parametrize("page_name", toc_pages())
def test_every_slider_step_is_a_fast_one(browser_pages, page_name):
    # Deterministic stand-in for the repaint budget (timed by benchmarks/bench_browser.py): every
    # step of a scatter-only figure's slider qualifies for the loader's redraw-free path
    # (gtt-plotly.js; an autoranged axis or an unexpected property would disqualify it).
    for fast in browser_pages[page_name]["fast_steps"]:
        done, total = fast.split("/")
        assert done == total, f"{page_name}: {fast} slider steps take the fast path"


def test_every_page_with_a_slider_responds(browser_pages):
    moved = {name: info["slider"] for name, info in browser_pages.items() if info["slider"]}
    for name, slider in moved.items():
        assert slider["after"]["before"] != slider["before"]["before"], f"{name}: slider inert"
        print(f"{name}: static slider repaint {slider['ms']:.1f} ms "
              f"(click to paint {slider['click_ms']:.1f} ms)")
