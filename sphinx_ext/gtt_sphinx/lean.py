"""The book's own scripts as shipped: their comment lines stay in the sources, not in each page.

Every chapter page loads ``gtt-plotly.js``, ``gtt-theme.js`` and ``gtt-a11y.js``; their
explanatory comments are a fifth of the page weight a reader would otherwise download for
nothing. Only whole comment lines (``//`` after indentation) and blank lines are dropped, so no
string or code can be touched.
"""

from __future__ import annotations

from pathlib import Path


def lean_js(text: str) -> str:
    """``text`` without its whole-line ``//`` comments and blank lines."""
    kept = [line for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("//")]
    return "\n".join(kept) + "\n"


def write_lean_js(source: Path | str, target: Path, *, prefix: str = "") -> None:
    """Write ``prefix`` + the lean form of ``source`` (a path, or the script's text) to ``target``."""
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    target.write_text(prefix + lean_js(text), encoding="utf-8")
