"""The package's layering: kernels stay light, only viz draws, only widgets uses ipywidgets."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from book_support import ROOT

SRC = ROOT / "src" / "bpttlib"
MODULES = sorted(p.stem for p in SRC.glob("*.py") if p.stem != "__init__")


def imported_top_level_names(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_import_bpttlib_loads_no_plotting_widgets_or_sympy():
    code = "import sys, bpttlib; print(sorted(m for m in ('plotly', 'ipywidgets', 'sympy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("module", MODULES)
def test_layering(module):
    names = imported_top_level_names(SRC / f"{module}.py")
    if module not in {"viz", "widgets"}:
        assert "plotly" not in names, f"{module}: kernels never import plotly"
    if module != "widgets":
        assert "ipywidgets" not in names, f"{module}: only widgets imports ipywidgets"
    if module != "symbolic":
        assert "sympy" not in names, f"{module}: sympy stays in the symbolic tier"


def test_viz_never_shows_a_figure():
    tree = ast.parse((SRC / "viz.py").read_text())
    calls = [n.func.attr for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert "show" not in calls
