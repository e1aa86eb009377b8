"""Sphinx extension that makes the book render offline.

- Copies ``plotly.min.js`` out of the installed plotly package (so it always matches plotly.py)
  and the small figure loader into ``_static/vendor/`` of the HTML output. The mime renderer in
  :mod:`gtt_sphinx.plotly_mime` asks for them only on pages that have figures.
- Copies the MathJax 3 tree shipped in the ``sphinx-mathjax-offline`` wheel into
  ``_static/mathjax/`` (``mathjax_path`` in ``_config.yml`` points there).

Both are copied *after* the build, into the output only: Jupyter Book adds every ``*.js`` of a
source ``_static`` folder to every page, which is exactly what we must avoid.
"""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

ASSETS = Path(__file__).parent / "assets"
MATHJAX_DIST = "sphinx-mathjax-offline"


def plotly_js() -> Path:
    """The plotly.js bundle inside the installed plotly wheel."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ExtensionError(f"gtt_sphinx: plotly.min.js not found at {path}")
    return path


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
    shutil.copyfile(ASSETS / "gtt-plotly.js", vendor / "gtt-plotly.js")
    target = static / "mathjax"
    if not (target / "tex-chtml.js").is_file():
        shutil.copytree(mathjax_tree(), target, dirs_exist_ok=True)


def check_mathjax_path(app: Sphinx, config) -> None:
    path = str(config.mathjax_path or "")
    if "://" in path or path.startswith("//"):
        raise ExtensionError(
            f"gtt_sphinx: mathjax_path must be a local path (the book renders offline), got {path!r}"
        )


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
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("build-finished", copy_assets)
    app.setup_extension("gtt_sphinx.reader")  # dark figures, keyboard controls (reader.py)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
