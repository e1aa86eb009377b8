"""Sphinx extension: no Thebe ("Live Code") anything in the book's pages.

Jupyter Book 1 always loads ``sphinx_thebe``, and sphinx-thebe 0.3.1 adds to *every* page a
``sphinx-thebe.js``/``.css`` pair and a script that points at thebe 0.8.2 on a CDN, whether or
not the launch button is on. The book turns the button off (``launch_buttons.thebe: false``):
clicking it requested the CDN and, offline, hung on "Loading thebe from CDN…"; and thebe's
widget front-end (``@jupyter-widgets/base`` 4, the ipywidgets 7 protocol) cannot draw the
ipywidgets 8 + anywidget dashboards even online. Binder (JupyterLab) and Colab are the live
paths. This extension drops the leftover assets, so no page loads anything thebe-related.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx


def _is_thebe(asset) -> bool:
    name = getattr(asset, "filename", None) or str(asset)
    body = (getattr(asset, "attributes", None) or {}).get("body", "")
    return "thebe" in (name or "").lower() or "thebe" in (body or "").lower()


def _drop_assets(app: Sphinx, pagename, templatename, context, doctree) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if not _is_thebe(a)]


def _drop_config_nodes(app: Sphinx, doctree, docname) -> None:
    """sphinx-thebe appends a ``text/x-thebe-config`` block and a ``kernelName`` script."""
    for node in list(doctree.findall(nodes.raw)):
        if "x-thebe-config" in node.astext() or "kernelName = " in node.astext():
            node.parent.remove(node)


def _drop_static_path(app: Sphinx) -> None:
    app.config.html_static_path = [
        p for p in app.config.html_static_path if "sphinx_thebe" not in str(p)
    ]


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", _drop_static_path, priority=900)  # after sphinx_thebe's
    app.connect("doctree-resolved", _drop_config_nodes, priority=900)
    app.connect("html-page-context", _drop_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
