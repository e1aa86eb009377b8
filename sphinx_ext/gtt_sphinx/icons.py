"""The theme's Font Awesome icons as a small stylesheet instead of a 1.5 MB script.

pydata-sphinx-theme puts ``<i class="fa-solid fa-bars">``-style icons in every page and loads
Font Awesome's whole SVG-with-JS bundle (``_static/scripts/fontawesome.js``, 1.5 MB) to draw
them. Our ``layout.html`` drops that script; at the end of the build this module reads the
icons the written pages actually use out of that same bundle (same artwork, same version) and
writes ``_static/gtt-icons.css``: one CSS mask per icon, painted in ``currentColor`` (so the
light and dark modes colour them as before). Their webfont glyphs are switched off, so the
theme's icon fonts (~270 kB) are not downloaded either.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from sphinx.errors import ExtensionError

CSS_NAME = "gtt-icons.css"

# Style class -> the prefix under which fontawesome.js registers its icon set.
STYLES = {"fa-solid": "fas", "fas": "fas", "fa-regular": "far", "far": "far",
          "fa-brands": "fab", "fab": "fab"}
# Classes that are not icon names.
MODIFIERS = {"fa-fw", "fa-lg", "fa-xs", "fa-sm", "fa-xl", "fa-2x", "fa-spin", "fa-pulse",
             "fa-ul", "fa-li", "fa-border", "fa-inverse", "fa-stack", "fa-layers"}

_CLASS = re.compile(r'class="([^"]*\bfa[-a-z]*[^"]*)"')
# A definition in fontawesome.js: name:[width,height,[aliases],"unicode","path"].
_ICON = re.compile(r'(?:"([a-z0-9-]+)"|\b([a-z0-9_$]+)):\[(\d+),(\d+),\[([^\]]*)\],"[0-9a-f]+","([^"]+)"\]')


def icons_in_html(html: str) -> set[tuple[str, str]]:
    """``(prefix, name)`` of every icon element in ``html``, e.g. ``("fas", "bars")``."""
    found = set()
    for classes in _CLASS.findall(html):
        words = classes.split()
        styles = [STYLES[w] for w in words if w in STYLES]
        names = [w[3:] for w in words
                 if w.startswith("fa-") and w not in STYLES and w not in MODIFIERS]
        if styles and names:
            found.add((styles[0], names[-1]))
    return found


def icon_sets(bundle: str) -> dict[str, dict[str, tuple[int, int, str]]]:
    """Every icon of fontawesome.js by prefix and name (aliases included): (w, h, path)."""
    sets, start = {}, 0
    for match in re.finditer(r'\bd\("(fa[bsr])",', bundle):
        icons = {}
        for m in _ICON.finditer(bundle, start, match.start()):
            name = m.group(1) or m.group(2)
            value = (int(m.group(3)), int(m.group(4)), m.group(6))
            icons[name] = value
            for alias in re.findall(r'"([a-z0-9-]+)"', m.group(5)):
                icons.setdefault(alias, value)
        sets[match.group(1)] = icons
        start = match.end()
    if set(sets) != {"fab", "far", "fas"}:
        raise ExtensionError(f"gtt_sphinx: unexpected fontawesome.js layout (sets {sorted(sets)})")
    return sets


def stylesheet(wanted: set[tuple[str, str]], bundle: str) -> str:
    """CSS that draws each wanted icon as a ``currentColor`` mask of its SVG path."""
    sets = icon_sets(bundle)
    rules = [
        "/* Font Awesome Free icons (CC BY 4.0, https://fontawesome.com/license/free), written by"
        " gtt_sphinx.icons: each one a currentColor mask; its webfont glyph is switched off so"
        " the theme's icon fonts are never downloaded */",
        ".fa-fw{width:1.25em!important}",
    ]
    missing = []
    for prefix, name in sorted(wanted):
        icon = sets[prefix].get(name)
        if icon is None:
            missing.append(f"{prefix} {name}")
            continue
        w, h, path = icon
        svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}"><path d="{path}"/></svg>'
        styles = [k for k, v in STYLES.items() if v == prefix]
        selector = ",".join(f".{s}.fa-{name}" for s in styles)
        # display without specificity: the theme hides some icons (e.g. its mode switch's)
        rules.append(f":where({selector}){{display:inline-block}}")
        rules.append(f'{selector}{{height:1em;width:{w / h:.4g}em;'
                     "vertical-align:-.125em;background-color:currentColor;"
                     f'--gtt-icon:url("data:image/svg+xml,{quote(svg, safe=" /=:.,-")}");'
                     "-webkit-mask:var(--gtt-icon) no-repeat center/contain;"
                     "mask:var(--gtt-icon) no-repeat center/contain}")
        rules.append(",".join(f"{one}::before" for one in selector.split(",")) + "{content:none}")
    if missing:
        raise ExtensionError(f"gtt_sphinx: icons not in fontawesome.js: {', '.join(missing)}")
    return "\n".join(rules) + "\n"


def theme_bundle() -> Path:
    """The theme's fontawesome.js (the artwork we copy)."""
    import pydata_sphinx_theme

    path = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / \
        "static" / "scripts" / "fontawesome.js"
    if not path.is_file():
        raise ExtensionError(f"gtt_sphinx: fontawesome.js not found at {path}")
    return path


def write_stylesheet(outdir: Path) -> Path:
    """Scan the written pages of ``outdir`` and write ``_static/gtt-icons.css``."""
    wanted = set()
    for page in sorted(outdir.rglob("*.html")):
        wanted |= icons_in_html(page.read_text(encoding="utf-8"))
    target = outdir / "_static" / CSS_NAME
    target.write_text(stylesheet(wanted, theme_bundle().read_text(encoding="utf-8")),
                      encoding="utf-8")
    # The theme copies the script into every build; nothing links to it any more.
    for leftover in (outdir / "_static" / "scripts").glob("fontawesome.js*"):
        leftover.unlink()
    strip_glyph_rules(outdir / "_static" / "styles" / "pydata-sphinx-theme.css")
    return target


_GLYPH_RULE = re.compile(r'(?<=[}])[^{}@]*\.fa-[a-z0-9-]+:(?:before|after)[^{}]*\{content:"[^"]*"\}')


def strip_glyph_rules(css_file: Path) -> int:
    """Drop the theme stylesheet's ~1900 ``.fa-<name>:before{content:"\\f..."}`` rules (86 kB).

    They map icon names to webfont glyphs; the icons the pages use are drawn by
    ``gtt-icons.css`` instead. Returns the number of bytes removed.
    """
    if not css_file.is_file():
        return 0
    text = css_file.read_text(encoding="utf-8")
    lean = _GLYPH_RULE.sub("", text)
    css_file.write_text(lean, encoding="utf-8")
    return len(text) - len(lean)
