"""The book's math, typeset once at build time instead of in every reader's browser.

MathJax 3 (the es5 tree of the ``sphinx-mathjax-offline`` wheel, with TeX input, SVG output and
assistive MathML for screen readers) runs in Node.js (``assets/mathjax-node.js``, once per page)
after the build. Each formula's TeX inside its ``math`` element is replaced by MathJax's markup;
the page gets MathJax's small stylesheet in its head and one hidden ``<svg>`` of the glyph paths
its formulas use (each path once) at the top of its body; it no longer loads MathJax (the two
script tags are dropped in ``html-page-context``).

Measured on a cold load in Chromium (bptt, 311 formulas): 3.6 s of main-thread work -> 1.4 s
and 0.2 MB fewer bytes; MathJax's runtime was parsing and typesetting, and HTML output's many
elements took longer to lay out than SVG's (benchmarks/bench_browser.py reports every page).
The SVG is flattened (``assets/mathjax-node.js``: MathJax's one ``<g>`` per MathML node goes
where it only carries a translate), which takes a quarter of bptt's elements and 140 kB away.

A TeX error (an undefined macro included) fails the build and names the page and the formula.
Without Node.js on the machine the pages load MathJax and it typesets in the browser, as before
(said once in the build log).

The size needs no measuring: MathJax's SVG is sized in ``ex`` of the text around it, so a
formula's x-height is the text's (in the browser MathJax's HTML output had to measure the
page's font and scale itself, by 127.3 % for the theme's).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

SCRIPT = Path(__file__).parent / "assets" / "mathjax-node.js"
STYLE_ID = "MJX-SVG-styles"
CACHE_ID = "MJX-SVG-global-cache"

logger = logging.getLogger(__name__)

# An element whose class list has "math" (Sphinx's inline and display math, myst-nb's text/latex
# outputs): MathJax's processHtmlClass. Neither kind nests an element of its own tag.
_ELEMENT = re.compile(
    r'<(?P<tag>span|div) class="(?P<cls>(?:[^"]*\s)?math(?:\s[^"]*)?)"(?P<rest>[^>]*)>'
    r"(?P<inner>.*?)</(?P=tag)>",
    re.S,
)
_BODY = re.compile(r"<body(?:\s[^>]*)?>")
_DELIMS = ((r"\(", r"\)", False), (r"\[", r"\]", True), ("$$", "$$", True))


def node() -> str | None:
    """The Node.js executable, or None."""
    return shutil.which("node")


def prerendering(app: Sphinx) -> bool:
    """Whether this HTML build typesets its math (``gtt_prerender_math`` and Node.js here)."""
    return bool(app.config.gtt_prerender_math) and node() is not None


def split_math(inner: str) -> tuple[str, str, bool] | None:
    """``(prefix, tex, display)`` of one math element's content, or None if it is typeset already.

    The prefix is any markup before the formula (Sphinx puts a display equation's number
    there); the TeX comes back unescaped. The formula's kind is that of the delimiter that opens
    first (a display formula may contain ``\\(``). Bare TeX opening with ``\\begin{`` (Sphinx's
    ``:nowrap:`` math, which MathJax typesets as an environment) is display math. Content with
    text after the closing delimiter, two formulas, or text and no TeX raise ValueError: MathJax
    would not have typeset such an element as one formula.
    """
    if "<mjx-container" in inner:
        return None
    found = [(inner.find(o), o, c, d) for o, c, d in _DELIMS if inner.find(o) >= 0]
    if not found:
        if inner.lstrip().startswith("\\begin{"):
            return "", html.unescape(inner.strip()), True
        raise ValueError(f"math element without TeX delimiters: {inner[:200]!r}")
    start, open_, close, display = min(found)
    end = inner.rfind(close)
    if end <= start or inner[end + len(close):].strip():
        raise ValueError(f"unexpected math markup: {inner[:200]!r}")
    tex = inner[start + len(open_):end]
    if not display and (open_ in tex or close in tex):
        raise ValueError(f"two formulas in one math element: {inner[:200]!r}")
    return inner[:start], html.unescape(tex), display


def find_math(page: str) -> list[tuple[re.Match, str, str, bool]]:
    """Every math element of a page that still holds TeX: ``(match, prefix, tex, display)``."""
    found = []
    for match in _ELEMENT.finditer(page):
        parts = split_math(match["inner"])
        if parts is not None:
            found.append((match, *parts))
    return found


def run_node(
    items: list[tuple[str, bool]], mathjax: Path, exe: str, *, flatten: bool = True
) -> tuple[list[str], str, str]:
    """Typeset ``(tex, display)`` items in one fresh MathJax.

    Returns each item's markup, MathJax's stylesheet and the ``<defs>`` of the glyph paths the
    markup references. ``flatten=False`` keeps MathJax's SVG as it comes, with a ``<g>`` per
    MathML node (the tests compare the two drawings).
    """
    job = {
        "mathjax": str(mathjax),
        "items": [{"tex": tex, "display": display} for tex, display in items],
        "flatten": flatten,
    }
    proc = subprocess.run(
        [exe, str(SCRIPT)], input=json.dumps(job), capture_output=True, text=True,
        encoding="utf-8", timeout=600, check=False,
    )
    if proc.returncode != 0:
        raise ExtensionError(f"gtt_sphinx: MathJax in Node.js failed:\n{proc.stderr}")
    out = json.loads(proc.stdout)
    if out["errors"]:
        lines = [f"  {items[i][0]!r}: {msg}" for i, msg in out["errors"]]
        raise ExtensionError("gtt_sphinx: TeX errors:\n" + "\n".join(lines))
    return out["html"], out["css"], out["defs"]


def typeset_page(text: str, mathjax: Path, exe: str) -> str:
    """A page's HTML with every formula typeset, the stylesheet in its head, the glyphs in its body."""
    found = find_math(text)
    if not found:
        return text
    items = list(dict.fromkeys((tex, display) for _, _, tex, display in found))
    markup, css, defs = run_node(items, mathjax, exe)
    rendered = dict(zip(items, markup))
    pieces, pos = [], 0
    for match, prefix, tex, display in found:
        pieces += [text[pos:match.start("inner")], prefix, rendered[(tex, display)]]
        pos = match.end("inner")
    pieces.append(text[pos:])
    text = "".join(pieces)
    head = text.find("</head>")
    if head < 0:
        raise ExtensionError("gtt_sphinx: a page with math has no </head>")
    style = f'<style id="{STYLE_ID}">\n{css}</style>\n'
    text = text[:head] + style + text[head:]
    body = _BODY.search(text, head)
    if body is None:
        raise ExtensionError("gtt_sphinx: a page with math has no <body>")
    body = body.end()
    cache = f'<svg id="{CACHE_ID}" style="display: none" aria-hidden="true">{defs}</svg>'
    return text[:body] + cache + text[body:]


def is_runtime_mathjax(script, mathjax_path: str) -> bool:
    """Whether a page script is MathJax's loader or its inline configuration."""
    name = str(getattr(script, "filename", script) or "")
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return name.endswith(mathjax_path) or body.lstrip().startswith("window.MathJax")


def drop_runtime_mathjax(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """No MathJax scripts in a page when the build typesets its math (Node.js is here)."""
    if not prerendering(app):
        return
    files = context.get("script_files", [])
    files[:] = [f for f in files if not is_runtime_mathjax(f, app.config.mathjax_path)]


def typeset_build(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: typeset the math of every HTML page of the output."""
    if exception is not None or app.builder.format != "html" or not app.config.gtt_prerender_math:
        return
    exe = node()
    if exe is None:
        logger.info("gtt_sphinx: no Node.js here, so MathJax typesets the math in the browser")
        return
    from . import mathjax_tree

    outdir = Path(app.builder.outdir)
    mathjax = mathjax_tree()
    pages = sorted(outdir.rglob("*.html"))

    def one(path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        try:
            new = typeset_page(text, mathjax, exe)
        except (ExtensionError, ValueError) as err:
            raise ExtensionError(f"gtt_sphinx: {path.relative_to(outdir)}: {err}") from err
        if new != text:  # replaced whole: an interrupted build leaves the old page, not half
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(new, encoding="utf-8")
            os.replace(tmp, path)

    workers = max(1, min(len(pages), os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, pages))


def setup(app: Sphinx) -> dict:
    app.add_config_value("gtt_prerender_math", True, "html", [bool])
    app.connect("html-page-context", drop_runtime_mathjax, priority=900)
    app.connect("build-finished", typeset_build, priority=600)  # after copy_assets (500)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
