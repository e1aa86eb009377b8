"""A myst-nb mime renderer for plotly figures in the static book.

plotly >= 6 displays a figure under a kernel as ``application/vnd.plotly.v1+json`` only, which
myst-nb has no renderer for (it drops the figure with a warning). This plugin turns that JSON
into an empty ``<div>`` plus the figure JSON in a ``<script type="application/json">`` tag, and
asks for the book's plotly template and our tiny loader (``defer``) on the pages that have
figures, and preloads the local ``plotly.min.js`` there, which the loader runs before it draws
its first figure. A figure drawn with one of the book's templates
(``bpttlib.viz._style``) has it stripped from its JSON and named in ``data-template`` instead:
the template ships once, in ``_static/vendor/gtt-template.js``, not in every figure. The
notebooks themselves keep plotly's default renderer, so JupyterLab, Binder and Colab show the
figures natively.

Registered through the ``myst_nb.mime_renderers`` entry point in ``pyproject.toml``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from docutils import nodes

from . import compact, describe

PLOTLY_MIME = "application/vnd.plotly.v1+json"

# Relative to the HTML static path: Sphinx writes them as ``_static/vendor/...``.
PLOTLY_JS = "vendor/plotly.min.js"
#: plotly.js's core alone (scatter traces only), for pages whose figures need nothing else.
PLOTLY_SCATTER_JS = "vendor/plotly-scatter.min.js"
LOADER_JS = "vendor/gtt-plotly.js"
TEMPLATE_JS = "vendor/gtt-template.js"
DEFER = {"defer": "defer"}


@functools.cache
def shared_templates() -> dict[str, Any]:
    """The book's plotly templates by name, as a figure's JSON carries them.

    Their owner is :mod:`bpttlib.viz._style` (``TEMPLATE``, and every name in its
    ``SHARED_TEMPLATES`` if it defines one); encoded by plotly's own JSON encoder, as the
    notebook outputs are, so a figure's ``layout.template`` compares equal to its template.
    """
    import plotly.io as pio
    from plotly.io.json import to_json_plotly

    from bpttlib.viz import _style

    names = getattr(_style, "SHARED_TEMPLATES", (_style.TEMPLATE,))
    return {name: json.loads(to_json_plotly(pio.templates[name])) for name in names}


def templates_script() -> str:
    """``gtt-template.js``: the shared templates, defined once for the loader."""
    payload = json.dumps(shared_templates(), sort_keys=True, separators=(",", ":"))
    return f"window.gttPlotlyTemplates = {payload};\n"


def strip_template(figure: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``figure`` without its ``layout.template`` if that is one of the book's, and its name.

    A figure with any other template (or none) is returned unchanged, with ``None``.
    """
    layout = figure.get("layout") or {}
    template = layout.get("template")
    for name, shared in shared_templates().items():
        if template == shared:
            layout = {k: v for k, v in layout.items() if k != "template"}
            return {**figure, "layout": layout}, name
    return figure, None


def figure_div(figure: dict[str, Any], div_id: str) -> str:
    """Return the HTML for one figure: a placeholder div and its JSON (template stripped,
    data compacted by :func:`gtt_sphinx.compact.compact`)."""
    figure, template = strip_template(figure)
    payload = json.dumps(compact.compact(figure), sort_keys=True, separators=(",", ":"))
    payload = payload.replace("</", "<\\/")  # keep a "</script>" inside strings harmless
    height = (figure.get("layout") or {}).get("height") or 450
    return describe.with_text_alternative(figure, div_id, (  # aria text (gtt_sphinx.describe)
        f'<div class="gtt-plotly" id="{div_id}" style="width:100%;height:{int(height)}px"></div>\n'
        f'<script type="application/json" class="gtt-plotly-data" data-target="{div_id}"'
        + (f' data-template="{template}"' if template else "")
        + ">"
        f"{payload}</script>"
    ))


def preload_bundle(app, pagename, templatename, context, doctree) -> None:
    """``html-page-context``: a page whose loader names a plotly.js bundle fetches it at once
    (``<link rel="preload">``); the loader runs it only when a figure is to be drawn."""
    for script in context.get("script_files", []):
        if str(getattr(script, "filename", script) or "").endswith(LOADER_JS):
            name = getattr(script, "attributes", {}).get("data-plotly")
            if name:
                href = context["pathto"](f"_static/vendor/{name}", 1)
                context["metatags"] = (context.get("metatags") or "") + (
                    f'\n<link rel="preload" href="{href}" as="script">')
            return


class PlotlyMimeRenderer:
    """myst-nb mime renderer plugin: ``application/vnd.plotly.v1+json`` -> static HTML."""

    # Prefer plotly's JSON over its text/html and image fallbacks in every HTML builder.
    mime_priority_overrides = [
        ("html", PLOTLY_MIME, 1),
        ("dirhtml", PLOTLY_MIME, 1),
        ("singlehtml", PLOTLY_MIME, 1),
        ("readthedocs", PLOTLY_MIME, 1),
    ]

    @staticmethod
    def handle_mime(renderer, data, inline: bool):
        if inline or data.mime_type != PLOTLY_MIME:
            return None
        figure = data.content
        if isinstance(figure, (str, bytes)):
            figure = json.loads(figure)
        document = renderer.renderer.document
        count = document.get("gtt_plotly_count", 0)
        document["gtt_plotly_count"] = count + 1
        # A deterministic id: the same notebook output gives byte-identical HTML.
        digest = hashlib.sha1(
            json.dumps(figure, sort_keys=True).encode() + str(count).encode()
        ).hexdigest()[:12]
        # The smaller bundle while every figure so far is scatter-only (a later call with the
        # same key replaces the earlier one: the page gets the bundle its figures need).
        types = document.get("gtt_plotly_types", set()) | {
            trace.get("type", "scatter") for trace in figure.get("data") or []}
        document["gtt_plotly_types"] = types
        bundle = PLOTLY_SCATTER_JS if types <= {"scatter"} else PLOTLY_JS
        renderer.add_js_file("gtt-plotly-template", TEMPLATE_JS, DEFER)
        # The loader runs plotly.js when it draws the first figure; preload_bundle has the
        # page fetch it from the start.
        renderer.add_js_file("gtt-plotly-loader", LOADER_JS,
                             {**DEFER, "data-plotly": bundle.rsplit("/", 1)[-1]})
        html = figure_div(figure, f"gtt-plotly-{digest}")
        return [nodes.raw(text=html, format="html", classes=["output", "text_html"])]
