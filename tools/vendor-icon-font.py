"""Subset the theme's solid icon font to the glyphs the book's stylesheets can show.

pydata-sphinx-theme draws a few icons (admonition titles, external links, breadcrumbs) as
pseudo-elements in its "Font Awesome 6 Free" solid webfont, 156 kB. This keeps only the glyphs
that the theme's, sphinx-book-theme's and gtt_sphinx's stylesheets name, and writes
``sphinx_ext/gtt_sphinx/assets/fa-solid-900.woff2`` (a few kB; gtt_sphinx copies it over the
theme's file in the built book). Needs fontTools and brotli (``pip install fonttools brotli``),
only when re-run: after a theme upgrade. Usage: ``.venv/bin/python tools/vendor-icon-font.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

from fontTools import subset

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "sphinx_ext" / "gtt_sphinx" / "assets" / "fa-solid-900.woff2"


def main() -> None:
    import pydata_sphinx_theme
    import sphinx_book_theme

    pst = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    sbt = Path(sphinx_book_theme.__file__).parent / "theme" / "sphinx_book_theme" / "static"
    css = [p for root in (pst, sbt) for p in sorted(root.rglob("*.css"))]
    codepoints = set()
    for path in css:
        text = path.read_text(encoding="utf-8")
        # Drop the .fa-<name>:before rules gtt_sphinx strips; keep variables and other rules.
        text = re.sub(r'[^{}@]*\.fa-[a-z0-9-]+:(?:before|after)[^{}]*\{content:"[^"]*"\}', "", text)
        codepoints |= {int(h, 16) for h in re.findall(r'\\([ef][0-9a-f]{3})', text)}
        codepoints |= {ord(c) for c in text if 0xE000 <= ord(c) <= 0xF8FF}  # literal glyphs
    source = pst / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.woff2"
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    subset.save_font(font, str(OUT), options)
    print(f"{OUT.relative_to(ROOT)}: {len(codepoints)} glyphs, {OUT.stat().st_size} bytes "
          f"(from {source.stat().st_size})")


if __name__ == "__main__":
    main()
