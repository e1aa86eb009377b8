"""Highlighted code in fewer elements: no ``<span>`` around a token drawn in the code's own colour.

Pygments wraps every token of a code cell in a ``<span class="…">``. In the two code styles the
theme ships (its ``pygments_light_style`` and ``pygments_dark_style``, which ``pygments.css``
switches between), names, punctuation and whitespace have exactly the colour of the code block
itself, so their spans draw nothing. They were 2,950 of the 13,800 elements of the gated
chapter, and a page's elements are what its first layout costs.

The highlighter's formatter leaves those token types (:func:`plain_token_types`, read from the
styles, so a change of style keeps every span that draws) without a span. Their text then takes
the colour of its ``<pre>``; the theme gives ``pre`` a colour of its own, and ``gtt-reader.css``
makes it inherit the block's (``.highlight pre { color: inherit }``), the colour of the code
style's plain text: the page looks as before.
"""

from __future__ import annotations

from pygments.formatters.html import HtmlFormatter
from pygments.token import Text, _TokenType
from sphinx.application import Sphinx

#: The theme's two code styles: the theme option that names each, and what the theme falls
#: back to (pydata-sphinx-theme's ``theme.conf``).
STYLE_OPTIONS = {"pygments_light_style": "a11y-high-contrast-light",
                 "pygments_dark_style": "a11y-high-contrast-dark"}


def plain_token_types(*styles: str) -> frozenset[_TokenType]:
    """The token types that every one of ``styles`` draws exactly as its plain text.

    Parameters
    ----------
    *styles : str or pygments.style.Style subclass
        Pygments styles, by name or class.

    Returns
    -------
    frozenset of pygments token types
        Those whose CSS declarations (colour, weight, slant, background, border) equal the
        style's ``Text`` in every style, ``Text`` itself excluded (it has no span anyway).
    """
    if not styles:
        raise TypeError("plain_token_types: expected at least one style name")
    plain = None
    for name in styles:
        formatter = HtmlFormatter(style=name)
        css = {t: formatter.class2style[c][0] for t, c in formatter.ttype2class.items() if c}
        text = formatter.class2style.get(formatter.ttype2class.get(Text, ""), ("",))[0]
        same = {t for t, declarations in css.items() if declarations == text}
        plain = same if plain is None else plain & same
    return frozenset(plain)


def theme_styles(app: Sphinx) -> tuple[str, str]:
    """The light and dark code styles of the HTML theme, read as pydata-sphinx-theme reads them."""
    options = getattr(app.builder, "theme_options", None) or app.config.html_theme_options or {}
    theme = getattr(app.builder, "theme", None)
    defaults = theme.get_options() if theme is not None else {}
    return tuple(options.get(k) or defaults.get(k) or fallback
                 for k, fallback in STYLE_OPTIONS.items())


def lean_formatter(base: type[HtmlFormatter], plain: frozenset) -> type[HtmlFormatter]:
    """``base`` whose tokens of the ``plain`` types get no ``<span>`` (their text stays)."""

    class LeanHtmlFormatter(base):
        def _get_css_classes(self, ttype):
            return "" if ttype in plain else super()._get_css_classes(ttype)

    return LeanHtmlFormatter


def use_lean_formatter(app: Sphinx) -> None:
    highlighter = getattr(app.builder, "highlighter", None)
    if app.builder.format != "html" or highlighter is None:
        return
    highlighter.formatter = lean_formatter(highlighter.formatter, plain_token_types(
        *theme_styles(app)))


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", use_lean_formatter)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
