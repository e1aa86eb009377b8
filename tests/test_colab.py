"""The chapters' ``.ipynb`` twins (``tools/colab.py``): up to date, plain notebook Markdown (no
MyST left for Colab or a JupyterLab without jupyterlab-myst), solutions collapsed, and an
install cell that readies Colab for the dashboards.

The converter is also checked on made-up MyST, so it stays general while the chapters change.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys

import nbformat
import pytest
import yaml

from book_support import ROOT

spec = importlib.util.spec_from_file_location("colab", ROOT / "tools" / "colab.py")
colab = importlib.util.module_from_spec(spec)
sys.modules["colab"] = colab
spec.loader.exec_module(colab)

TWINS = [md.with_suffix(".ipynb") for md in colab.chapters()]

# MyST that CommonMark/Jupyter/Colab show as raw text, outside code spans and code blocks.
LEFTOVERS = {
    "target": re.compile(r"^\s*\([^()\s]+\)=\s*$", re.M),
    "role": re.compile(r"\{[A-Za-z][\w:.+-]*\}`"),
    "directive": re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\s*\{[\w:.-]+\}", re.M),
    "colon fence": re.compile(r"^\s*:{3,}", re.M),
    "directive option": re.compile(r"^\s*:(label|class|tags|name|nowrap|style|open):", re.M),
    "substitution": re.compile(r"\{\{\s*[\w.-]+\s*\}\}"),
    "comment": re.compile(r"^%", re.M),
}


def prose(markdown: str) -> str:
    """Markdown without fenced code blocks and inline code spans."""
    out, fence = [], None
    for line in markdown.splitlines():
        m = re.match(r"^\s*(`{3,}|~{3,})", line)
        if fence is None and m:
            fence = m[1]
            continue
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
            continue
        out.append(re.sub(r"(`+).+?\1", "", line))
    return "\n".join(out)


def leftovers(markdown: str) -> list[str]:
    text = prose(markdown)
    return [f"{name}: {m.group(0).strip()!r}" for name, rx in LEFTOVERS.items()
            for m in rx.finditer(text)]


def test_twins_are_up_to_date():
    assert colab.main(["--check"]) == 0, "run `make colab`"


@pytest.mark.parametrize("path", TWINS, ids=lambda p: p.stem)
def test_twin_has_no_raw_myst(path):
    nb = nbformat.read(path, as_version=4)
    found = [f"cell {i}: {hit}" for i, cell in enumerate(nb.cells)
             if cell.cell_type == "markdown" for hit in leftovers(cell.source)]
    assert not found, "\n".join(found)
    # Display math: every $$ opens and closes within its cell.
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            assert prose(cell.source).count("$$") % 2 == 0, f"cell {i}: unbalanced $$"


@pytest.mark.parametrize("path", TWINS, ids=lambda p: p.stem)
def test_twin_collapses_solutions(path):
    nb = nbformat.read(path, as_version=4)
    hidden = [c for c in nb.cells if c.cell_type == "code"
              and {"hide-cell", "hide-input"} & set(c.metadata.get("tags", []))]
    for cell in hidden:
        assert cell.metadata["jupyter"]["source_hidden"] is True
        assert cell.metadata["cellView"] == "form"
        assert cell.source.startswith("#@title ")
        if "hide-cell" in cell.metadata["tags"]:
            assert cell.metadata["jupyter"]["outputs_hidden"] is True


@pytest.mark.parametrize("path", TWINS, ids=lambda p: p.stem)
def test_twin_install_cell(path):
    nb = nbformat.read(path, as_version=4)
    install = nb.cells[1].source
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert f"bpttlib[widgets] @ git+{url}" in install
    assert "enable_custom_widget_manager()" in install and "except ImportError" in install
    compile(install.replace("%pip", "pass  #"), "install", "exec")  # valid Python otherwise


def test_twins_are_valid_notebooks():
    for path in TWINS:
        nbformat.validate(nbformat.read(path, as_version=4))
        assert json.loads(path.read_text())["nbformat"] == 4


# ------------------------------------------------------------------- the converter, on made-up MyST
SAMPLE = r"""(sample-page)=
# A made-up page

% a comment the reader never sees

::::{admonition} Learning goals
:class: tip
You will see {eq}`eq-a` and {eq}`eq-b`, read {ref}`sample-section`,
and {ref}`the other page <other-page>`.

:::{note}
Nested, with ``{eq}`literal` `` kept as code.
:::
::::

```{math}
:label: eq-a
x_t = W x_{t-1} \\
y_t = x_t
```

$$ z = 1 $$ (eq-b)

(sample-section)=
## A section

As {cite:t}`smith2000,doe2001` and {cite:p}`smith2000` showed; see {doc}`other`,
{math}`\alpha`, {sub}`i`, {py:func}`~bpttlib.rnn.bptt`, {glue:text}`my_value:.2f`, {abbr}`RNN`.

```{warning}
Careful.
```

```{code-block} python
x = {eq}`not-a-role-here`
```

```{tableofcontents}
```

```{weird-directive} Odd
body
```
"""


@pytest.fixture
def book():
    return _book()


def _book():
    b = colab.Book(config={"repository": {"url": "https://example.org/r", "branch": "main"},
                           "html": {"baseurl": "https://book.example.org"}},
                   pages=["book/sample", "book/other"])
    b.titles = {"book/sample": "A made-up page", "book/other": "The other page"}
    b.targets = {
        "sample-page": colab.Target("book/sample", "A made-up page", None),
        "sample-section": colab.Target("book/sample", "A section", "sample-section"),
        "other-page": colab.Target("book/other", "The other page", None),
        "eq-a": colab.Target("book/sample", "(1)", "equation-eq-a", 1),
        "eq-b": colab.Target("book/sample", "(2)", "equation-eq-b", 2),
        "eq-c": colab.Target("book/other", "(1)", "equation-eq-c", 1),
    }
    b.bib = {"smith2000": {"names": "Smith and Jones", "year": "2000"},
             "doe2001": {"names": "Doe et al.", "year": "2001"}}
    return b


def test_converter_on_made_up_myst(book):
    page = colab.Page(book, "book/sample")
    out = page.convert(SAMPLE)
    assert not leftovers(out), leftovers(out)
    assert "> **Learning goals**" in out and ">\n> > **Note**" in out and ">\n>\n" not in out
    assert "``{eq}`literal` ``" in out                      # code spans are left alone
    assert "You will see (1) and (2)" in out
    assert "[A section](https://book.example.org/book/sample.html#sample-section)" in out
    assert "[the other page](https://book.example.org/book/other.html)" in out
    assert "\\begin{aligned}" in out and "\\tag{1}" in out and "z = 1 \\tag{2} $$" in out
    assert "Smith and Jones (2000); Doe et al. (2001)" in out and "(Smith and Jones, 2000)" in out
    assert "[The other page](https://book.example.org/book/other.html)" in out
    assert "$\\alpha$" in out and "<sub>i</sub>" in out and "`bpttlib.rnn.bptt`" in out
    assert "`my_value`" in out and "RNN" in out
    assert "> **Warning**" in out and "a comment" not in out
    assert "```python\nx = {eq}`not-a-role-here`\n```" in out
    assert "book's page" in out and "> **Odd**" in out
    assert any("weird-directive" in w for w in page.warnings)
    assert page.role("eq", "eq-c") == "[(1)](https://book.example.org/book/other.html#equation-eq-c)"


def test_converter_links_to_the_repository_without_baseurl(book):
    book.config.pop("html")
    assert book.url("book/other") == "https://example.org/r/blob/main/book/other.ipynb"


def test_collapse_metadata():
    cell = nbformat.v4.new_code_cell("print(1)", metadata={"tags": ["hide-cell"]})
    colab._collapse(cell)
    assert cell.metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    assert cell.metadata["cellView"] == "form" and cell.metadata["collapsed"] is True
    assert cell.source.splitlines()[0].startswith("#@title ")
    again = nbformat.v4.new_code_cell("print(1)", metadata={"tags": ["hide-output"]})
    colab._collapse(again)
    assert again.metadata["jupyter"] == {"outputs_hidden": True} and "cellView" not in again.metadata
