"""Tests for bpttlib.glue: numpy scalars reach the prose as Python numbers."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

from bpttlib.glue import glue


@pytest.mark.parametrize("value, expected", [(np.float64(0.25), 0.25), (np.int64(3), 3),
                                             (np.array(1.5), 1.5), (7, 7), ("ρ", "ρ")])
def test_glue_returns_python_scalars(value, expected):
    out = glue("key", value)
    assert type(out) is type(expected) and out == expected


def test_glue_hands_the_value_to_myst_nb(monkeypatch):
    calls = []

    def fake(name, value, display=True):
        calls.append((name, value, display))

    monkeypatch.setattr("myst_nb.glue", fake)
    glue("rate-tanh", np.float64(1.9))
    assert calls == [("rate-tanh", 1.9, False)]


def test_glue_without_myst_nb_only_returns(monkeypatch):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import fails, as on Colab
    assert glue("x", np.float64(2.0)) == 2.0


@pytest.mark.parametrize("name", ["", "a b", "x:y", 3])
def test_glue_rejects_bad_keys(name):
    with pytest.raises(ValueError, match="name"):
        glue(name, 1.0)


@pytest.mark.parametrize("value", [np.zeros(2), [1, 2], None, 1j])
def test_glue_rejects_non_scalars(value):
    with pytest.raises(TypeError, match="value"):
        glue("x", value)


# ---- the chapters: every {glue:...} role names a key that a cell of the same chapter glues ----

from book_support import ROOT, is_notebook, toc_pages  # noqa: E402

ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`:]+)")         # {glue:text}`key:.3f` -> key
CALL = re.compile(r"""\bglue\(\s*["']([^"']+)["']""")   # glue("key", value)


@pytest.mark.parametrize("page", [p for p in toc_pages() if is_notebook(p)])
def test_every_glue_role_has_its_key_glued_in_the_same_chapter(page):
    text = (ROOT / f"{page}.md").read_text()
    used, glued = set(ROLE.findall(text)), set(CALL.findall(text))
    assert used <= glued, f"{page}: keys used in the prose but never glued: {sorted(used - glued)}"
