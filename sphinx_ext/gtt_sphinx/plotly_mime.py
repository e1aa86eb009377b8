"""A myst-nb mime renderer for plotly figures in the static book.

plotly >= 6 displays a figure under a kernel as ``application/vnd.plotly.v1+json`` only, which
myst-nb has no renderer for (it drops the figure with a warning). This plugin turns that JSON
into an empty ``<div>`` plus the figure JSON in a ``<script type="application/json">`` tag, and
asks for the local ``plotly.min.js`` and our tiny loader on the pages that have figures. The
notebooks themselves keep plotly's default renderer, so JupyterLab, Binder and Colab show the
figures natively.

Registered through the ``myst_nb.mime_renderers`` entry point in ``pyproject.toml``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from docutils import nodes

from . import describe

PLOTLY_MIME = "application/vnd.plotly.v1+json"

# Relative to the HTML static path: Sphinx writes them as ``_static/vendor/...``.
PLOTLY_JS = "vendor/plotly.min.js"
LOADER_JS = "vendor/gtt-plotly.js"


def figure_div(figure: dict[str, Any], div_id: str) -> str:
    """Return the HTML for one figure: a placeholder div and its JSON."""
    payload = json.dumps(figure, sort_keys=True, separators=(",", ":"))
    payload = payload.replace("</", "<\\/")  # keep a "</script>" inside strings harmless
    height = (figure.get("layout") or {}).get("height") or 450
    return describe.with_text_alternative(figure, div_id, (  # aria text (gtt_sphinx.describe)
        f'<div class="gtt-plotly" id="{div_id}" style="width:100%;height:{int(height)}px"></div>\n'
        f'<script type="application/json" class="gtt-plotly-data" data-target="{div_id}">'
        f"{payload}</script>"
    ))


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
        renderer.add_js_file("gtt-plotly-lib", PLOTLY_JS, {})
        renderer.add_js_file("gtt-plotly-loader", LOADER_JS, {})
        html = figure_div(figure, f"gtt-plotly-{digest}")
        return [nodes.raw(text=html, format="html", classes=["output", "text_html"])]
