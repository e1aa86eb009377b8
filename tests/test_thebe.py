"""No Thebe ("Live Code") in the book: the button is off and no page loads a thebe script, style
or configuration (sphinx-thebe adds them to every page otherwise; ``gtt_sphinx.no_thebe``
removes them). Why: README "Launch a chapter" and ``src/gtt_sphinx/no_thebe.py``.
"""

from __future__ import annotations

import pytest
import yaml

from book_support import ROOT

pytestmark = [pytest.mark.book, pytest.mark.slow]


def test_the_live_code_button_is_off():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["launch_buttons"].get("thebe") is False
    assert "gtt_sphinx.no_thebe" in config["sphinx"]["extra_extensions"]


def test_no_page_mentions_thebe(book):
    pages = sorted(book.html.rglob("*.html"))
    assert pages
    offenders = [p.relative_to(book.html) for p in pages if "thebe" in p.read_text().lower()]
    assert not offenders, f"thebe leftovers in {offenders}"
    static = [p.name for p in (book.html / "_static").rglob("*") if "thebe" in p.name.lower()]
    assert not static, static
