"""No Thebe ("Live Code") in the book: the button is off and no page loads a thebe script, style
or configuration (sphinx-thebe adds them to every page otherwise; ``gtt_sphinx.no_thebe``
removes them). Why: README "Launch a chapter" and ``sphinx_ext/gtt_sphinx/no_thebe.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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


def test_a_small_book_with_our_config_has_no_thebe(tmp_path):
    """The same check on a one-page book built with the project's ``_config.yml`` (fast, and
    independent of the chapters)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"] = {"execute_notebooks": "off"}
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: index\n")
    shutil.copy(ROOT / "references.bib", tmp_path)
    (tmp_path / "index.md").write_text(
        "---\njupytext: {text_representation: {extension: .md, format_name: myst}}\n"
        "kernelspec: {display_name: Python 3, language: python, name: python3}\n---\n"
        "# Probe\n\n```{code-cell} ipython3\n1 + 1\n```\n"
    )
    jb = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run([str(jb), "build", str(tmp_path), "--all", "-W", "-n", "-q"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    html = (tmp_path / "_build" / "html" / "index.html").read_text()
    assert "mybinder.org" in html  # the other launch buttons are still there
    assert "thebe" not in html.lower()
