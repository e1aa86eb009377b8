"""The package's layering: kernels stay light, only viz draws, only widgets uses ipywidgets.

Layers, bottom to top: kernels (every module not named below) -> ``sweeps`` (figure data, runs
the kernels) -> ``viz`` (figures; no rnn/gated of its own) -> ``widgets`` (dashboards).
``experiments`` (long runs) sits beside ``sweeps``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib

import pytest

from book_support import ROOT

SRC = ROOT / "src" / "bpttlib"
#: Every module of the package by dotted name below ``bpttlib`` (``viz.decay``, ``rnn``, …).
MODULES = sorted(".".join(p.relative_to(SRC).with_suffix("").parts)
                 for p in SRC.rglob("*.py") if p.name != "__init__.py" or p.parent != SRC)
UPPER = {"sweeps", "viz", "widgets", "experiments", "memorization", "regularizer_study"}


def path_of(module: str):
    parts = module.split(".")
    path = SRC.joinpath(*parts)
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def top(module: str) -> str:
    return module.split(".")[0].removesuffix(".__init__")


def imports(module: str) -> tuple[set[str], set[str]]:
    """(third-party top-level names, bpttlib modules) that ``module`` imports."""
    package = module.split(".")[:-1] if not path_of(module).name == "__init__.py" \
        else module.split(".")
    outside, inside = set(), set()
    for node in ast.walk(ast.parse(path_of(module).read_text())):
        if isinstance(node, ast.Import):
            for a in node.names:
                (inside if a.name.startswith("bpttlib.") else outside).add(
                    a.name.split(".")[1] if a.name.startswith("bpttlib.") else a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module.startswith("bpttlib"):
                    inside |= ({node.module.split(".")[1]} if "." in node.module
                               else {a.name for a in node.names})
                else:
                    outside.add(node.module.split(".")[0])
                continue
            base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
            if node.module:
                target = [*base, *node.module.split(".")]
                inside.add(target[0] if target else node.module)
                if target[0] == "viz" or not base:
                    inside.add(".".join(target))
            else:
                inside |= {".".join([*base, a.name]) for a in node.names}
    return outside, {t.split(".")[0] if not t.startswith("viz") else t for t in inside}


def test_import_bpttlib_loads_no_plotting_widgets_or_sympy():
    code = "import sys, bpttlib; print(sorted(m for m in ('plotly', 'ipywidgets', 'sympy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("module", MODULES)
def test_layering(module):
    outside, inside = imports(module)
    first = top(module)
    if first not in {"viz", "widgets"}:
        assert "plotly" not in outside, f"{module}: kernels and sweeps never import plotly"
    if first != "widgets":
        assert not {"ipywidgets", "anywidget"} & outside, \
            f"{module}: only widgets imports ipywidgets and anywidget"
    if module != "symbolic":
        assert "sympy" not in outside, f"{module}: sympy stays in the symbolic tier"
    if first not in UPPER:
        assert not {top(m) for m in inside} & UPPER, \
            f"{module}: a kernel imports {sorted({top(m) for m in inside} & UPPER)}"
    if first == "viz":
        assert not {top(m) for m in inside} & {"rnn", "gated", "widgets"}, \
            f"{module}: viz draws; its data come from sweeps (which may run rnn and gated)"
    if first == "sweeps":
        assert not {top(m) for m in inside} & {"viz", "widgets"}, f"{module}: sweeps draw nothing"


def test_the_layering_check_sees_relative_imports():
    sweeps = {top(m) for s in MODULES if top(s) == "sweeps" for m in imports(s)[1]}
    assert {"rnn", "gated", "tasks"} <= sweeps
    assert "sweeps" in imports("viz.decay")[1] and "jacobians" in imports("viz.decay")[1]
    assert "experiments" in imports("viz.experiments")[1]


def test_viz_never_shows_a_figure():
    for path in (SRC / "viz").glob("*.py"):
        tree = ast.parse(path.read_text())
        calls = [n.func.attr for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
        assert "show" not in calls, path.name


@pytest.mark.parametrize("path", [*(SRC / "viz").glob("*.py"), *(SRC / "sweeps").glob("*.py"),
                                  *(SRC / "widgets").glob("*.py")],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_figure_modules_stay_short(path):
    assert len(path.read_text().splitlines()) <= 600


def test_the_wheel_carries_bpttlib_only():
    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "entry-points" not in config["project"], "the Sphinx plumbing is sphinx_ext/'s"
    assert set(config["tool"]["setuptools"]["package-data"]) == {"bpttlib"}
    found = find_packages(where=str(ROOT / "src"),
                          include=config["tool"]["setuptools"]["packages"]["find"]["include"])
    assert found and all(p == "bpttlib" or p.startswith("bpttlib.") for p in found)
    assert not (ROOT / "src" / "gtt_sphinx").exists()


def test_the_book_plumbing_is_its_own_distribution():
    from importlib import metadata

    mime = {e.name: e for e in metadata.entry_points(group="myst_nb.mime_renderers")}
    renderers = {e.name: e for e in metadata.entry_points(group="myst_nb.renderers")}
    assert mime["plotly"].dist.name == "gtt-sphinx"
    assert renderers["gtt-offline"].dist.name == "gtt-sphinx"
    assert "gtt_sphinx" not in (metadata.distribution("bpttlib").read_text("top_level.txt") or "")
    requirements = (ROOT / "requirements.txt").read_text().splitlines()
    assert "-e ./sphinx_ext" in requirements


def test_every_public_module_has_one_place_in_the_api_reference():
    """Each module or package directly under bpttlib whose name has no leading underscore is
    documented by exactly one ``automodule`` of the API reference's pages (book/api/), and the
    reference's index lists every page of it."""
    import re

    public = sorted(p.stem if p.is_file() else p.name for p in SRC.iterdir()
                    if not p.name.startswith("_") and
                    (p.suffix == ".py" or (p / "__init__.py").is_file()))
    pages = sorted((ROOT / "book" / "api").glob("*.md"))
    documented = [m for page in pages
                  for m in re.findall(r"^\.\. automodule:: bpttlib\.(\w+)$", page.read_text(), re.M)]
    assert sorted(documented) == public
    index = (ROOT / "book" / "api.md").read_text()
    assert sorted(re.findall(r"<api/(\w+)>`", index)) == sorted(p.stem for p in pages)


def test_viz_reference_leaves_the_sweeps_it_re_exports_to_the_sweeps_section():
    """bpttlib.viz re-exports some figure data from bpttlib.sweeps; the API reference documents
    each once, under sweeps: viz's ``:exclude-members:`` are exactly those names."""
    import re

    from bpttlib import sweeps, viz

    page = (ROOT / "book" / "api" / "figures.md").read_text()
    block = re.search(r"automodule:: bpttlib\.viz\n(.*?)```", page, re.S).group(1)
    excluded = re.search(r":exclude-members:(.*?)(?:\n\s*:|\Z)", block, re.S).group(1)
    re_exported = {n for n in viz.__all__ if getattr(viz, n) is getattr(sweeps, n, None)}
    assert set(re.findall(r"\w+", excluded)) == re_exported
