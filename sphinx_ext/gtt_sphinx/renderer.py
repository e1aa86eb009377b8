"""The book's myst-nb element renderer: the default one, minus ipywidgets' static state.

Live dashboards (:mod:`bpttlib.widgets`) need a kernel, so the static book does not embed
their state (each dashboard's figure carries plotly.js, ~5 MB) nor load a widget manager from a CDN.
A widget output that reaches the page anyway is reported as a warning, which fails the
``-W`` build: tag such a cell ``remove-output`` and give the static page a kernel-free
plotly slider instead.
"""

from __future__ import annotations

from myst_nb.core.render import NbElementRenderer


class OfflineRenderer(NbElementRenderer):
    """Selected with ``nb_render_plugin: gtt-offline`` (entry point in ``pyproject.toml``)."""

    def render_nb_finalise(self, metadata: dict) -> None:
        super().render_nb_finalise({k: v for k, v in metadata.items() if k != "widgets"})

    def render_widget_view(self, data):
        self.logger.warning(
            "a live widget output reached the static book; tag its cell 'remove-output' "
            "(widgets need a kernel) and show a kernel-free plotly figure instead",
            subtype="widget",
            line=data.line,
        )
        return []
