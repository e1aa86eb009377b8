"""gtt_sphinx.code: highlighted code without a span around the tokens drawn in the block's colour."""

from __future__ import annotations

import re
import sys
from html import unescape
from pathlib import Path

import pytest
from pygments import highlight
from pygments.formatters.html import HtmlFormatter
from pygments.lexers import PythonLexer
from pygments.style import Style
from pygments.token import Keyword, Name, Number, Operator, Punctuation, Text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "sphinx_ext"))

from gtt_sphinx.code import STYLE_OPTIONS, lean_formatter, plain_token_types  # noqa: E402

THEME = tuple(STYLE_OPTIONS.values())
SOURCE = "import numpy as np\nx = np.tanh(2 * w)  # one step\nprint(f'{x:.3f}', x[0])\n"


class _NamesBlue(Style):
    """A style that draws names in blue and punctuation as plain text."""
    styles = {Text: "#222222", Name: "#0000ff", Punctuation: "#222222"}


def test_the_theme_styles_draw_names_punctuation_and_spaces_as_plain_text():
    plain = plain_token_types(*THEME)
    assert {Name, Punctuation, Text.Whitespace} <= plain
    assert not {Keyword, Operator, Number.Integer, Text} & plain


def test_a_token_is_plain_only_if_it_is_plain_in_every_style():
    assert Name not in plain_token_types(_NamesBlue)
    assert Punctuation in plain_token_types(_NamesBlue)
    assert Name not in plain_token_types(THEME[0], _NamesBlue)


def test_no_style_is_a_type_error():
    with pytest.raises(TypeError, match="style"):
        plain_token_types()


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


@pytest.mark.parametrize("style", [*THEME, "tango"])
def test_the_lean_formatter_keeps_the_text_and_every_span_that_draws(style):
    plain = plain_token_types(*THEME)
    lean = highlight(SOURCE, PythonLexer(), lean_formatter(HtmlFormatter, plain)(style=style))
    full = highlight(SOURCE, PythonLexer(), HtmlFormatter(style=style))
    assert _text(lean) == _text(full) and _text(full).strip() == SOURCE.strip()
    kept = re.findall(r'<span class="([^"]+)">', lean)
    dropped = {HtmlFormatter()._get_css_classes(t) for t in plain}
    assert kept and not set(kept) & dropped
    assert sorted(c for c in re.findall(r'<span class="([^"]+)">', full) if c not in dropped) \
        == sorted(kept)
    assert len(kept) < len(re.findall(r"<span", full)) / 2  # names and punctuation dominate


def test_the_built_book_ships_those_types_in_the_blocks_colour(book):
    """In the pygments.css the book ships, every dropped class is drawn in the colour of its
    code block (light and dark), and the chapters carry none of those spans."""
    css = (book.html / "_static" / "pygments.css").read_text()
    dropped = {HtmlFormatter()._get_css_classes(t) for t in plain_token_types(*THEME)}
    for mode in ("light", "dark"):
        prefix = re.escape(f'html[data-theme="{mode}"] .highlight')
        block = re.search(prefix + r" \{[^}]*color: (#[0-9A-Fa-f]+)", css).group(1)
        for cls in dropped:
            rule = re.search(prefix + r" \." + cls + r" \{([^}]*)\}", css)
            assert rule is None or rule.group(1).strip() == f"color: {block}", (mode, cls)
    pages = sorted((book.html / "book").glob("*.html"))
    spans = re.compile(r'<span class="(?:%s)">' % "|".join(sorted(dropped)))
    assert pages and not [p.name for p in pages if spans.search(p.read_text())]
    assert all('<span class="k">' in p.read_text() for p in pages if "highlight-ipython3" in
               p.read_text())
