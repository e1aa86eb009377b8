"""Sphinx extension that makes the book render offline.

- Copies the vendored partial plotly.js bundle (``assets/plotly.min.js``: the trace types the
  book draws, the plotly.js version the pinned Python plotly bundles; ``tools/vendor-plotly.sh``
  refreshes it), the book's plotly template (``gtt-template.js``, written from
  ``bpttlib.viz._style``) and the small figure loader into ``_static/vendor/`` of the HTML
  output. The mime renderer in :mod:`gtt_sphinx.plotly_mime` asks for them only on pages that
  have figures.
- Typesets the math at build time with the MathJax 3 tree shipped in the
  ``sphinx-mathjax-offline`` wheel, run by Node.js (:mod:`gtt_sphinx.mathtex`): the pages load
  no MathJax. Without Node.js it copies that tree into ``_static/mathjax/`` instead
  (``mathjax_path`` in ``_config.yml`` points there; Sphinx loads it only on pages with math,
  and ``mathjax3_config`` loads only the components the book needs).
- Replaces the theme's 1.5 MB Font Awesome script by ``_static/gtt-icons.css`` (the icons the
  pages use, :mod:`gtt_sphinx.icons`), its solid icon font by a subset (the glyphs its
  stylesheets name, ``assets/fa-solid-900.woff2``, ``tools/vendor-icon-font.py``) and keeps the search index off every page but the search
  page (``templates/layout.html``), and sphinx-design's stylesheet off pages that use none of it.
- Highlights code without a ``<span>`` around the tokens drawn in the code's own colour
  (:mod:`gtt_sphinx.code`): a fifth fewer elements on a chapter page.
- Gives each figure two build-time pictures (light and dark, :mod:`gtt_sphinx.snapshots`,
  when Chromium and playwright are here), shown until plotly draws the live figure after load.

The vendored files are copied *after* the build, into the output only: Jupyter Book adds every
``*.js`` of a source ``_static`` folder to every page, which is exactly what we must avoid.
"""

from __future__ import annotations

import re
import shutil
from importlib import metadata
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

from . import icons, mathtex, plotly_mime
from .lean import write_lean_js

ASSETS = Path(__file__).parent / "assets"
TEMPLATES = Path(__file__).parent / "templates"
MATHJAX_DIST = "sphinx-mathjax-offline"


def plotly_js(name: str = "plotly.min.js") -> Path:
    """A vendored partial plotly.js bundle (see ``tools/vendor-plotly.sh``)."""
    path = ASSETS / name
    if not path.is_file():
        raise ExtensionError(f"gtt_sphinx: {path} missing: run tools/vendor-plotly.sh")
    return path


def plotly_js_version(text: str | None = None) -> str:
    """The version in the banner of the vendored bundle, e.g. ``"4.1.1"``."""
    import re

    head = (text if text is not None else plotly_js().read_text(encoding="utf-8"))[:300]
    match = re.search(r"plotly\.js \([^)]*\) v(\d+\.\d+\.\d+)", head)
    if match is None:
        raise ExtensionError("gtt_sphinx: no version banner in the vendored plotly.js")
    return match.group(1)


def mathjax_tree() -> Path:
    """The MathJax 3 ``es5`` tree inside the sphinx-mathjax-offline wheel."""
    dist = metadata.distribution(MATHJAX_DIST)
    for file in dist.files or []:
        if file.name == "tex-chtml.js" and "mathjax" in file.parts:
            return Path(dist.locate_file(file)).parent
    raise ExtensionError(f"gtt_sphinx: no MathJax tree in the {MATHJAX_DIST} wheel")


def copy_assets(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.builder.outdir) / "_static"
    vendor = static / "vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plotly_js(), vendor / "plotly.min.js")
    shutil.copyfile(plotly_js("plotly-scatter.min.js"), vendor / "plotly-scatter.min.js")
    write_lean_js(ASSETS / "gtt-plotly.js", vendor / "gtt-plotly.js")
    (vendor / "gtt-template.js").write_text(plotly_mime.templates_script(), encoding="utf-8")
    target = static / "mathjax"
    if not mathtex.prerendering(app) and not (target / "tex-chtml.js").is_file():
        shutil.copytree(mathjax_tree(), target, dirs_exist_ok=True)
    icons.write_stylesheet(Path(app.builder.outdir))
    # The theme's solid icon font, subset to the glyphs its stylesheets name (156 kB -> 2 kB;
    # tools/vendor-icon-font.py).
    webfonts = static / "vendor" / "fontawesome" / "webfonts"
    if webfonts.is_dir():
        shutil.copyfile(ASSETS / "fa-solid-900.woff2", webfonts / "fa-solid-900.woff2")


def check_plotly_version(app: Sphinx, config) -> None:
    """The vendored bundle must be the plotly.js that the installed Python plotly bundles."""
    import plotly.offline

    wanted = plotly.offline.get_plotlyjs_version()
    for name in ("plotly.min.js", "plotly-scatter.min.js"):
        shipped = plotly_js_version(plotly_js(name).read_text(encoding="utf-8"))
        if shipped != wanted:
            break
    if shipped != wanted:
        raise ExtensionError(
            f"gtt_sphinx: vendored plotly.js is {shipped}, Python plotly bundles {wanted}: "
            "run tools/vendor-plotly.sh"
        )


def check_mathjax_path(app: Sphinx, config) -> None:
    path = str(config.mathjax_path or "")
    if "://" in path or path.startswith("//"):
        raise ExtensionError(
            f"gtt_sphinx: mathjax_path must be a local path (the book renders offline), got {path!r}"
        )


def add_templates(app: Sphinx, config) -> None:
    """Our ``layout.html`` (no fontawesome.js, no search index outside the search page)."""
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path.insert(0, str(TEMPLATES))


_DESIGN = re.compile(r'class="[^"]*\bsd-')


def drop_unused_design_assets(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """sphinx-design's stylesheet (55 kB) and tab script only on pages that use its directives."""
    if _DESIGN.search(context.get("body") or ""):
        return
    for key, needle in (("css_files", "sphinx-design"), ("script_files", "design-tabs")):
        files = context.get(key, [])
        files[:] = [f for f in files if needle not in str(getattr(f, "filename", f) or "")]


def dedupe_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Drop repeated ``<script>`` entries from a page.

    sphinx-thebe and sphinx-togglebutton register their inline configuration on every
    ``env-before-read-docs``/``builder-inited``, which Jupyter Book triggers twice; the second
    ``const THEBE_JS_URL`` is a console error.
    """
    files = context.get("script_files", [])
    seen, unique = set(), []
    for script in files:
        # Inline scripts come with filename None or "" depending on who added them.
        key = (
            str(getattr(script, "filename", script) or ""),
            tuple(sorted(getattr(script, "attributes", {}).items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(script)
    files[:] = unique  # in place: it is the builder's own list, which later handlers extend


def _exact_stream_merge(coalesce):
    """Wrap myst-nb's ``coalesce_streams`` so that merging stream chunks is exact.

    myst-nb strips each chunk before joining it with a newline. ``print(x)`` writes ``x`` and
    the newline in two calls; when the kernel flushes between them (it does so on a timer, more
    often on a loaded machine) a blank line appears in the page, and two builds differ. Joining
    the chunks of each stream verbatim first makes the result independent of where the kernel
    split it; myst-nb's own clean-up (carriage returns, backspaces, stderr order) still runs.
    """

    def merged(outputs):
        joined, order = {}, []
        for out in outputs or []:
            if out.get("output_type") == "stream":
                if out["name"] in joined:
                    joined[out["name"]]["text"] += out["text"]
                    continue
                out = type(out)(out)  # a copy: the notebook itself stays as executed
                joined[out["name"]] = out
            order.append(out)
        return coalesce(order)

    merged.__wrapped__ = coalesce
    return merged


def setup(app: Sphinx) -> dict:
    from myst_nb.core import render

    if not hasattr(render.coalesce_streams, "__wrapped__"):
        render.coalesce_streams = _exact_stream_merge(render.coalesce_streams)
    app.connect("config-inited", check_mathjax_path)
    app.connect("config-inited", check_plotly_version)
    app.connect("config-inited", add_templates)
    app.add_css_file(icons.CSS_NAME)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("html-page-context", drop_unused_design_assets, priority=900)
    # after myst-nb has added the page's scripts (the loader names its plotly.js bundle)
    app.connect("html-page-context", plotly_mime.preload_bundle, priority=950)
    app.connect("build-finished", copy_assets)
    app.setup_extension("gtt_sphinx.mathtex")  # the math typeset at build time (mathtex.py)
    app.setup_extension("gtt_sphinx.reader")  # dark figures, keyboard controls (reader.py)
    app.setup_extension("gtt_sphinx.code")  # no span around plain code tokens (code.py)
    app.setup_extension("gtt_sphinx.snapshots")  # build-time figure pictures (snapshots.py)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
