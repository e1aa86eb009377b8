"""The static book for every reader, in headless Chromium with the network cut.

- **axe-core** (pinned, installed by ``tools/system-deps.sh``) audits every page, in the light
  and in the dark theme: no violation of impact "serious" or "critical".
- **Keyboard**: a kernel-free slider steps with the arrow keys, Home and End (the plotted data
  change, ``aria-valuenow`` follows); a dropdown changes with Enter (the shown curve changes).
- **Dark mode**: switching the theme live turns every figure's background into the book's dark
  one and back; a reader whose stored choice is dark gets dark figures on first load.
- **Phones** (390 x 844): no figure's legend overlaps its dropdowns, sliders or title.

Screenshots (light, dark, phone) go to ``_build/screenshots/``.
"""

from __future__ import annotations

import json
import pytest

from book_support import ROOT, toc_pages
from test_browser import (  # noqa: F401  (shared set-up)
    FLAGS, SETTLE_JS, SHOT_TIMEOUT_MS, SHOTS, served_browser)

from bpttlib.viz import _style

pytestmark = [pytest.mark.book, pytest.mark.slow]

AXE = ROOT / "tools" / "node" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# axe on the whole document; violations of impact serious/critical, with where they are.
AXE_JS = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' +
                                                  (n.failureSummary || '').slice(0, 200))}));
}"""

# Every drawn figure's background and the first trace's colour (the dark-mode checks).
COLORS_JS = """() => [...document.querySelectorAll('.gtt-plotly[data-gtt-rendered="1"]')].map(gd => ({
  id: gd.id, paper: gd._fullLayout.paper_bgcolor, plot: gd._fullLayout.plot_bgcolor,
  font: gd._fullLayout.font.color,
  line: gd._fullData.length && gd._fullData[0].line ? gd._fullData[0].line.color : null}))"""

# Waits until every figure follows the theme (gtt-theme.js marks each one it relayouted).
THEMED_JS = """async (mode) => {
  for (let i = 0; i < 100; i++) {
    const gds = [...document.querySelectorAll('.gtt-plotly[data-gtt-rendered="1"]')];
    if (gds.every(gd => (gd.dataset.gttTheme || 'light') === mode)) return true;
    await new Promise(r => setTimeout(r, 50));
  }
  return false;
}"""

# Screen boxes of each figure's legend, dropdowns, sliders and title (SVG bounding boxes).
BOXES_JS = """() => [...document.querySelectorAll('.gtt-plotly[data-gtt-rendered="1"]')].map(gd => {
  const box = el => { const r = el.getBoundingClientRect();
                      return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const all = sel => [...gd.querySelectorAll(sel)].filter(el => el.getBoundingClientRect().width > 0).map(box);
  return {id: gd.id, width: gd.getBoundingClientRect().width, box: box(gd),
          legend: all('g.legend .bg'), menus: all('.updatemenu-header-group'),
          sliders: all('.slider-group'), title: all('.gtitle'),
          plot: all('.draglayer .nsewdrag'),
          texts: [...gd.querySelectorAll('.gtitle, .annotation-text-g, text[class$="title"]')]
            .filter(el => el.getBoundingClientRect().width > 0 && el.textContent.trim())
            .map(el => ({...box(el), text: el.textContent})),
          ticks: [...gd.querySelectorAll('g[class$="tick"] text')]
            .filter(el => el.getBoundingClientRect().width > 0 && el.style.display !== 'none')
            .map(el => ({...box(el), text: el.textContent}))};
})"""


# The text colour of a code block's <pre> and of the block (the code style's plain text): the
# same, since gtt_sphinx.code leaves names and punctuation to the colour of their <pre>.
CODE_JS = """() => { const pre = document.querySelector('div.highlight pre');
  return pre ? [getComputedStyle(pre).color, getComputedStyle(pre.closest('.highlight')).color]
             : null; }"""


def overlap(a: dict, b: dict, slack: float = 1.0) -> bool:
    """Whether two screen boxes overlap by more than ``slack`` pixels both ways."""
    dx = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    dy = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    return dx > slack and dy > slack


def shot(page, name: str, full: bool = True) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full, timeout=SHOT_TIMEOUT_MS)


def figure_shots(page, name: str, most: int = 4) -> None:
    """Screenshots of a page's first figures (a whole long page at 390 px is slow to take)."""
    figures = page.locator(".gtt-plotly")
    for i in range(min(most, figures.count())):
        figures.nth(i).screenshot(path=str(SHOTS / f"{name}-{i}.png"), timeout=SHOT_TIMEOUT_MS)


def set_theme(page, mode: str) -> None:
    """Switch the theme as the pydata theme's own button does (and store the choice)."""
    page.evaluate("""(mode) => { document.documentElement.dataset.mode = mode;
        document.documentElement.dataset.theme = mode; localStorage.setItem('mode', mode); }""",
                  mode)


def open_page(browser, server, name: str, *, viewport=DESKTOP, dark: bool = False):
    context = browser.new_context(viewport=viewport)
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        (server.url, "data:", "blob:")) else r.abort())
    if dark:
        context.add_init_script("localStorage.setItem('mode', 'dark')")
    page = context.new_page()
    page.goto(f"{server.url}/{name}.html", wait_until="load")
    page.evaluate(SETTLE_JS)
    page.evaluate(THEMED_JS, "dark" if dark else "light")
    return context, page


def audit(page) -> list:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_JS)


@pytest.fixture(scope="module")
def reader(book):
    """Every page in light and dark (switched live); pages with figures also loaded dark and on
    a phone. What the tests assert on."""

    if not AXE.is_file():
        pytest.fail("axe-core is missing: run `make system-deps` (tools/system-deps.sh)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    results = {}
    with served_browser(book.html) as (server, browser):
        for name in toc_pages():
            stem = name.replace("/", "_")
            info = {}
            context, page = open_page(browser, server, name)
            info["axe_light"] = audit(page)
            shot(page, f"{stem}-light", full=False)
            info["light"] = page.evaluate(COLORS_JS)
            info["desktop"] = page.evaluate(BOXES_JS)
            info["code_light"] = page.evaluate(CODE_JS)
            set_theme(page, "dark")  # live, no reload
            info["themed_live"] = page.evaluate(THEMED_JS, "dark")
            info["dark_live"] = page.evaluate(COLORS_JS)
            info["code_dark"] = page.evaluate(CODE_JS)
            if info["light"]:
                shot(page, f"{stem}-dark", full=False)
                figure_shots(page, f"{stem}-dark")
            # The dark theme's own colours are the same on every page: audit them where the
            # figures are (axe on the long API pages twice would add a minute to every run).
            info["axe_dark"] = page.evaluate(AXE_JS) if info["light"] else []
            set_theme(page, "light")
            page.evaluate(THEMED_JS, "light")
            info["back"] = page.evaluate(COLORS_JS)
            context.close()
            info["dark_load"], info["phone"] = [], []
            if info["light"]:  # the dark and phone loads check figures: pages that have some
                context, page = open_page(browser, server, name, dark=True)
                info["dark_load"] = page.evaluate(COLORS_JS)
                context.close()
                context, page = open_page(browser, server, name, viewport=PHONE)
                info["phone"] = page.evaluate(BOXES_JS)
                shot(page, f"{stem}-phone", full=False)
                figure_shots(page, f"{stem}-phone")
                context.close()
            results[name] = info
    return results


@pytest.mark.parametrize("page_name", toc_pages())
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_violation(reader, page_name, theme):
    violations = reader[page_name][f"axe_{theme}"]
    assert violations == [], json.dumps(violations, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("page_name", toc_pages())
def test_figures_follow_the_dark_switch_live_and_back(reader, page_name):
    info = reader[page_name]
    assert info["themed_live"]
    for light, dark, back in zip(info["light"], info["dark_live"], info["back"], strict=True):
        assert dark["paper"] == _style.DARK["paper_bgcolor"], dark
        assert dark["plot"] == _style.DARK["plot_bgcolor"], dark
        assert dark["font"] == _style.DARK["font_color"], dark
        assert light["paper"] != dark["paper"]
        assert back == light, "switching back restores the light figure exactly"
        if light["line"] in _style.DARK_COLORS:
            assert dark["line"] == _style.DARK_COLORS[light["line"]]


@pytest.mark.parametrize("page_name", toc_pages())
def test_figures_are_dark_on_first_load_when_the_reader_chose_dark(reader, page_name):
    for fig in reader[page_name]["dark_load"]:
        assert fig["paper"] == _style.DARK["paper_bgcolor"], fig


@pytest.mark.parametrize("page_name", toc_pages())
def test_on_a_phone_every_title_fits_and_none_covers_another(reader, page_name):
    """Figure, panel and axis titles and notes at 390 px: inside the figure, apart (side-by-side
    panels are stacked by gtt-plotly.js, a long title is wrapped)."""
    for fig in reader[page_name]["phone"]:
        edge, texts = fig["box"], fig["texts"]
        for t in texts:
            assert edge["x"] - 1 <= t["x"] and t["x"] + t["w"] <= edge["x"] + edge["w"] + 1, \
                f"{fig['id']}: {t['text']!r} runs past the figure's edge"
        for i, a in enumerate(texts):
            for b in texts[i + 1:]:
                assert not overlap(a, b), f"{fig['id']}: {a['text']!r} over {b['text']!r}"


@pytest.mark.parametrize("page_name", toc_pages())
@pytest.mark.parametrize("mode", ["light", "dark"])
def test_code_is_drawn_in_the_colour_of_its_style(reader, page_name, mode):
    colours = reader[page_name][f"code_{mode}"]
    assert colours is None or colours[0] == colours[1], colours


@pytest.mark.parametrize("page_name", toc_pages())
@pytest.mark.parametrize("view", ["desktop", "phone"])
def test_every_tick_label_is_inside_its_figure(reader, page_name, view):
    """The template lets tick labels cross the figure's edge (``ticklabeloverflow="allow"``,
    which spares plotly measuring each one): the margins must keep them inside."""
    for fig in reader[page_name][view]:
        edge = fig["box"]
        for t in fig["ticks"]:
            assert edge["x"] - 1 <= t["x"] and t["x"] + t["w"] <= edge["x"] + edge["w"] + 1 \
                and edge["y"] - 1 <= t["y"] and t["y"] + t["h"] <= edge["y"] + edge["h"] + 1, \
                f"{fig['id']}: tick label {t['text']!r} crosses the figure's edge"


@pytest.mark.parametrize("page_name", toc_pages())
def test_on_a_phone_no_legend_covers_a_control_or_a_title(reader, page_name):
    for fig in reader[page_name]["phone"]:
        for legend in fig["legend"]:
            for kind in ("menus", "sliders", "title"):
                for box in fig[kind]:
                    assert not overlap(legend, box), f"{fig['id']}: legend over its {kind}"
        for menu in fig["menus"]:
            for box in fig["title"]:
                assert not overlap(menu, box), f"{fig['id']}: dropdown over the title"


def test_every_figure_has_a_text_alternative(book):
    """Each figure div is a named role="figure" described by a hidden paragraph."""
    import re

    for name in toc_pages():
        page = (book.html / f"{name}.html").read_text()
        for div in re.findall(r'<div class="gtt-plotly"[^>]*>', page):
            assert 'role="figure"' in div and 'aria-label="' in div, div
            desc = re.search(r'aria-describedby="([^"]+)"', div).group(1)
            text = re.search(fr'<p class="gtt-sr-only" id="{desc}">([^<]+)</p>', page).group(1)
            assert len(text.split()) >= 8 and ("axis" in text or "Diagram" in text), text


# ---- keyboard ------------------------------------------------------------------------------

STATE_JS = """(index) => { const gd = document.querySelectorAll('.gtt-plotly')[index];
  const el = gd.querySelector('[role=slider]');
  return {y: JSON.stringify(gd.data.map(t => t.y)), visible: JSON.stringify(gd.data.map(t => t.visible)),
          slider: gd.layout.sliders ? gd.layout.sliders[0].active : null,
          menu: gd.layout.updatemenus ? gd.layout.updatemenus[0].active : null,
          now: el && el.getAttribute('aria-valuenow'), text: el && el.getAttribute('aria-valuetext'),
          n: gd.layout.sliders ? gd.layout.sliders[0].steps.length : 0,
          focused: gd.contains(document.activeElement) ? document.activeElement.getAttribute('role') : null};
}"""

FIND_JS = """(what) => [...document.querySelectorAll('.gtt-plotly')].findIndex(gd => what === 'menu'
  ? gd.layout.updatemenus && gd.layout.updatemenus.length
  : gd.layout.sliders && gd.layout.sliders.length)"""


@pytest.fixture(scope="module")
def keyboard(book):
    """Drive a slider (the pilot chapter's) and a dropdown (the front page's) with keys only."""

    out = {}
    with served_browser(book.html) as (server, browser):
        context, page = open_page(browser, server, "book/how-to-use")
        index = page.evaluate(FIND_JS, "slider")
        states = [page.evaluate(STATE_JS, index)]
        page.locator(".gtt-plotly").nth(index).locator("[role=slider]").focus()
        for key in ("Home", "ArrowRight", "ArrowRight", "End", "ArrowLeft"):
            page.keyboard.press(key)
            page.wait_for_timeout(150)
            states.append(page.evaluate(STATE_JS, index))
        shot(page, "keyboard-slider-focused", full=False)
        out["slider"] = states
        context.close()

        context, page = open_page(browser, server, "book/intro")
        index = page.evaluate(FIND_JS, "menu")
        states = [page.evaluate(STATE_JS, index)]
        button = page.locator(".gtt-plotly").nth(index).locator("[role=button]").first
        button.focus()
        for key in ("Enter", " ", "ArrowUp"):
            page.keyboard.press(key)
            page.wait_for_timeout(150)
            states.append(page.evaluate(STATE_JS, index))
        out["menu"] = states
        out["menu_label"] = button.get_attribute("aria-label")
        context.close()
    return out


def test_the_keyboard_steps_a_slider(keyboard):
    s = keyboard["slider"]
    n = s[0]["n"]
    assert [x["slider"] for x in s[1:]] == [0, 1, 2, n - 1, n - 2]
    assert [x["now"] for x in s[1:]] == [str(k) for k in (0, 1, 2, n - 1, n - 2)]
    assert len({x["y"] for x in s[1:]}) == 5, "every step (Home, →, →, End, ←) changes the data"
    assert s[1]["text"] != s[4]["text"]
    assert all(x["focused"] == "slider" for x in s[1:]), "the focus stays on the slider"


def test_the_keyboard_changes_a_dropdown(keyboard):
    s = keyboard["menu"]
    start = s[0]["menu"]
    assert s[1]["menu"] == start + 1 and s[2]["menu"] == start + 2 and s[3]["menu"] == start + 1
    assert s[1]["visible"] != s[0]["visible"], "Enter shows another curve"
    assert s[3]["visible"] == s[1]["visible"]
    assert ":" in keyboard["menu_label"]
