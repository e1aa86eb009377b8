"""Build-time pictures of the figures: a page shows every figure at once, live a moment later.

plotly takes 50-250 ms to draw one figure on a two-core laptop, so a page with ten figures was
not all drawn until two seconds after it opened. After the HTML build this step opens every
page with figures in headless Chromium (the browser tests' own; skipped, with a note in the
log, when Chromium or playwright is missing: the pages then draw as before), lets
``gtt-plotly.js`` draw each figure at a desktop width (1280 px window), and exports it with
plotly's own ``Plotly.toImage`` as SVG, once on the light theme and once on the dark one
(``gtt-theme.js`` recolours it as it does for a reader). Each figure's div then holds two
``<picture class="gtt-snap">``, ``_images/gtt-snap/<figure id>-light.svg`` and ``-dark.svg``;
``gtt-reader.css`` shows the one of the reader's theme, and ``gtt-plotly.js`` draws the live
figure over it after the page's ``load`` (viewport first, at once under the pointer) and
removes the pictures. A phone (viewport under 600 px) fetches no picture and draws its figures
at once (its stacked layout differs from the desktop picture).

Two builds give byte-identical pictures: the traces get fixed uids for the export,
``Math.random`` is seeded while plotly draws the exported copy, and the figure's uid in the
SVG's ids (clip paths, defs) is replaced.

Run by Sphinx (``build-finished``, after the math is typeset and the assets are copied) as a
subprocess, ``python -m gtt_sphinx.snapshots OUTDIR CHROMIUM``: playwright's sync API does not
run inside an asyncio loop, and the build's notebook execution may leave one behind.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

FOLDER = "_images/gtt-snap"
MODES = ("light", "dark")
WINDOW = {"width": 1280, "height": 900}
TIMEOUT_S = 1200
# A figure's div, with the pictures an earlier build put in it (an incremental build keeps a
# page it did not rewrite): replaced, not added to.
_DIV = re.compile(r'(?P<div><div class="gtt-plotly" id="(?P<id>[\w-]+)"[^>]*>)'
                  r'(?:<picture class="gtt-snap".*?</picture>)*')
# Where a phone's viewport starts (gtt-reader.css, gtt-plotly.js): it fetches no picture.
PHONE = "(max-width: 599px)"
NOTHING = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

# Every figure on the page, exported as plotly exports it, with the traces' uids fixed and
# Math.random seeded while plotly draws the copy it exports (the ids it makes from it).
EXPORT_JS = """async () => {
  const seeded = (seed) => () => {  // mulberry32
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [];
  for (const gd of document.querySelectorAll('.gtt-plotly')) {
    const L = gd._fullLayout;
    const data = gd.data.map((t, i) => Object.assign({}, t, {uid: 't' + i}));
    const random = Math.random;
    let url;
    try {
      Math.random = seeded(1);
      url = await Plotly.toImage({data, layout: gd.layout, config: {}},
                                 {format: 'svg', width: L.width, height: L.height});
    } finally {
      Math.random = random;
    }
    out.push({id: gd.id, width: L.width, height: L.height,
              svg: decodeURIComponent(url.slice(url.indexOf(',') + 1))});
  }
  return out;
}"""
# Every figure drawn at its div's width, in the theme ``mode`` (gtt-theme.js marks each figure
# when it has recoloured it), and no redraw under way.
SETTLED_JS = """(mode) => {
  const figs = [...document.querySelectorAll('.gtt-plotly')];
  return figs.length === document.querySelectorAll('script.gtt-plotly-data').length &&
    figs.every(gd => gd.dataset.gttRendered === '1' && !gd.__gttBusy &&
      (gd.dataset.gttTheme || 'light') === mode && gd._fullLayout &&
      Math.abs(gd._fullLayout.width - gd.clientWidth) <= 1);
}"""


def chromium() -> str | None:
    """Debian's Chromium (``tools/system-deps.sh`` installs it for the browser tests), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def enabled(app: Sphinx) -> str | None:
    """The Chromium to take the pictures with, or None (and why, in the log) to skip them."""
    if not app.config.gtt_figure_snapshots:
        return None
    exe = chromium()
    if exe is None:
        logger.info("gtt_sphinx: no Chromium here, so the figures have no build-time pictures")
        return None
    try:
        import playwright  # noqa: F401
    except ImportError:
        logger.info("gtt_sphinx: no playwright here, so the figures have no build-time pictures")
        return None
    return exe


def fixed_uid(svg: str) -> str:
    """``svg`` with plotly's random figure uid made ``"f"``.

    plotly names the figure's defs ``defs-<uid>`` and builds the ids of its clip paths and
    legend from it (``clip<uid>xyplot``, ``legend<uid>``); only those uses are replaced, never
    the same six hex digits elsewhere (a colour ``#<hex>``).
    """
    if not isinstance(svg, str):
        raise TypeError(f"svg: expected the SVG text, got {type(svg).__name__}")
    match = re.search(r'<defs id="defs-([0-9a-f]{6})"', svg)
    if match is None:
        raise ValueError("svg: no plotly defs-<uid> in the exported figure")
    return re.sub(rf"(?<=[a-z-]){match.group(1)}(?![0-9a-f])", "f", svg)


def image_tags(figure_id: str, depth: int, sizes: dict[str, tuple[int, int]]) -> str:
    """The two ``<img>`` of one figure's pictures, for a page ``depth`` folders deep.

    ``sizes`` maps each mode to its picture's ``(width, height)``: the theme pads a cell's
    output on the dark theme, so the dark figure is drawn 16 px narrower.

    The light one loads at once; the dark one only when it is shown (``loading="lazy"``: an
    image that is not displayed is not fetched), so a reader on the light theme downloads
    one picture per figure (one on the dark theme downloads both). A phone fetches neither:
    each is a ``<picture>`` whose source there is an inline 1-pixel GIF. The text alternative is the figure's own (``describe``): the
    pictures are decorative (``alt=""``).
    """
    prefix = "../" * depth + FOLDER
    lazy = {"light": "", "dark": ' loading="lazy"'}
    return "".join(
        f'<picture class="gtt-snap"><source media="{PHONE}" srcset="{NOTHING}">'
        f'<img class="gtt-snap gtt-snap-{mode}" src="{prefix}/{html.escape(figure_id)}-{mode}.svg"'
        f' width="{int(sizes[mode][0])}" height="{int(sizes[mode][1])}" alt=""'
        f' decoding="async"{lazy[mode]}></picture>'
        for mode in MODES)


def insert_images(page: str, sizes: dict[str, dict[str, tuple[int, int]]], depth: int) -> str:
    """``page`` with each figure div of ``sizes`` (figure id -> mode -> picture size) holding
    its pictures, first thing inside."""
    seen = set()

    def add(match: re.Match) -> str:
        fid = match.group("id")
        if fid not in sizes:
            return match.group("div")
        seen.add(fid)
        return match.group("div") + image_tags(fid, depth, sizes[fid])

    out = _DIV.sub(add, page)
    missing = set(sizes) - seen
    if missing:
        raise ValueError(f"page: no figure div for {sorted(missing)}")
    return out


def figure_pages(outdir: Path) -> list[Path]:
    """The HTML pages of ``outdir`` that carry a plotly figure, in a stable order."""
    return sorted(p for p in outdir.rglob("*.html")
                  if 'class="gtt-plotly-data"' in p.read_text(encoding="utf-8"))


def export(outdir: Path, exe: str) -> dict[str, dict[str, dict[str, tuple[int, int]]]]:
    """Write every figure's pictures under ``outdir/_images/gtt-snap``;
    ``{page: {figure id: {mode: (width, height)}}}``."""
    import http.server
    import threading
    from functools import partial

    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    folder = outdir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(outdir)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    # Nothing but the local server: every other address goes to a closed port.
    flags = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1"]
    result: dict[str, dict[str, dict[str, tuple[int, int]]]] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, headless=True, args=flags)
            for path in figure_pages(outdir):
                rel = path.relative_to(outdir).as_posix()
                context = browser.new_context(viewport=WINDOW, color_scheme="light")
                page = context.new_page()
                errors: list[str] = []
                # the loader's own errors (a figure it could not draw); the browser tests check
                # every page for any console error
                page.on("console", lambda m: errors.append(m.text)
                        if m.type == "error" and "gtt-" in m.text else None)
                try:
                    page.goto(f"{base}/{rel}", wait_until="load")
                    page.wait_for_function(SETTLED_JS, arg="light", timeout=120_000)
                    shots = {"light": page.evaluate(EXPORT_JS)}
                    page.evaluate("() => { document.documentElement.dataset.theme = 'dark'; }")
                    page.wait_for_function(SETTLED_JS, arg="dark", timeout=60_000)
                    shots["dark"] = page.evaluate(EXPORT_JS)
                except Exception as err:
                    raise RuntimeError(f"{rel}: {err}; the loader logged {errors[:3]}") from err
                finally:
                    context.close()
                if errors:
                    raise RuntimeError(f"{rel}: console errors while drawing: {errors[:3]}")
                sizes: dict[str, dict[str, tuple[int, int]]] = {}
                for mode, figures in shots.items():
                    for fig in figures:
                        svg = fixed_uid(fig["svg"])
                        (folder / f"{fig['id']}-{mode}.svg").write_text(svg, encoding="utf-8")
                        sizes.setdefault(fig["id"], {})[mode] = (fig["width"], fig["height"])
                result[rel] = sizes
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return result


def take_snapshots(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: export the pictures, then put them into the pages."""
    if exception is not None or app.builder.format != "html":
        return
    exe = enabled(app)
    if exe is None:
        return
    outdir = Path(app.builder.outdir)
    shutil.rmtree(outdir / FOLDER, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])}
    try:  # about 40 s for the book's 47 figures on the two-core machine
        proc = subprocess.run([sys.executable, "-m", "gtt_sphinx.snapshots", str(outdir), exe],
                              capture_output=True, text=True, env=env, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as err:
        raise ExtensionError(f"gtt_sphinx: figure pictures took over {TIMEOUT_S} s:\n"
                             f"{(err.stderr or '')[-4000:]}") from err
    if proc.returncode != 0:
        raise ExtensionError(f"gtt_sphinx: figure pictures failed:\n{proc.stderr[-4000:]}")
    manifest = json.loads(proc.stdout)
    for rel, sizes in manifest.items():
        path = outdir / rel
        page = path.read_text(encoding="utf-8")
        sizes = {fid: {mode: tuple(size) for mode, size in modes.items()}
                 for fid, modes in sizes.items()}
        path.write_text(insert_images(page, sizes, rel.count("/")), encoding="utf-8")
    logger.info(f"gtt_sphinx: build-time pictures of "
                f"{sum(len(s) for s in manifest.values())} figures")


def setup(app: Sphinx) -> dict:
    app.add_config_value("gtt_figure_snapshots", True, "html")
    # after the assets are copied and the math typeset (both at the default priority, 500)
    app.connect("build-finished", take_snapshots, priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    print(json.dumps(export(Path(sys.argv[1]), sys.argv[2]), sort_keys=True))
