"""The static book for every reader: dark figures, keyboard controls, text alternatives' style.

- ``gtt-theme.js`` follows the theme's light/dark switch and relayouts every plotly figure with
  the book's dark values, which live with the rest of the figure style in
  :mod:`bpttlib.viz._style` (``DARK``, ``DARK_COLORS``); they are written into the script at
  build time, so there is one owner of every colour.
- ``gtt-a11y.js`` makes the figures' kernel-free sliders and dropdowns keyboard-operable, and
  gives three of the theme's controls names that contain their visible text (every page).
- ``gtt-reader.css`` hides the figures' text alternatives visually (``gtt_sphinx.describe``),
  draws the focus ring, and is on every page.

``gtt-theme.js`` is asked for only by pages with plotly figures; all three files are copied into the
output after the build, as the rest of ``gtt_sphinx``'s assets are.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from .lean import write_lean_js

ASSETS = Path(__file__).parent / "assets"
THEME_JS = "vendor/gtt-theme.js"
A11Y_JS = "vendor/gtt-a11y.js"
READER_CSS = "vendor/gtt-reader.css"


def dark_values() -> dict:
    """The figures' dark values, from the one place the book's figure style is stated."""
    from bpttlib.viz import _style

    return _style.dark_theme()


def theme_script() -> str:
    """``gtt-theme.js`` with the dark values prepended as ``window.GTT_DARK``."""
    values = json.dumps(dark_values(), sort_keys=True, separators=(",", ":"))
    return (f"// Written by gtt_sphinx.reader from bpttlib.viz._style.dark_theme().\n"
            f"window.GTT_DARK = {values};\n" + (ASSETS / "gtt-theme.js").read_text())


def add_page_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    if 'class="gtt-plotly"' in context.get("body", ""):
        app.add_js_file(THEME_JS)


def copy_assets(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    vendor = Path(app.builder.outdir) / "_static" / "vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    write_lean_js(theme_script(), vendor / "gtt-theme.js")
    write_lean_js(ASSETS / "gtt-a11y.js", vendor / "gtt-a11y.js")
    shutil.copyfile(ASSETS / "gtt-reader.css", vendor / "gtt-reader.css")


def setup(app: Sphinx) -> dict:
    app.add_css_file(READER_CSS)
    app.add_js_file(A11Y_JS)  # every page: it also names some of the theme's controls
    app.connect("html-page-context", add_page_scripts)
    app.connect("build-finished", copy_assets)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
