"""Write (or check) the runnable ``.ipynb`` beside each MyST chapter.

The book's chapters are MyST notebooks (``book/*.md``). Colab opens only ``.ipynb`` files, and
one at a time, so each chapter gets a generated twin ``book/<name>.ipynb`` whose first cell
installs ``bpttlib`` from the book's repository when it is missing (on Binder and in ``make
lab`` it is already installed, and the cell does nothing). The launch buttons point at the
twin: sphinx-book-theme prefers a same-named ``.ipynb``. The repository URL comes from
``_config.yml``, the one place it is set.

    python tools/colab.py          # write the twins
    python tools/colab.py --check  # exit 1 if any twin is missing or stale (a test runs this)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]

INSTALL_CELL = """\
# Colab or a fresh kernel: install the book's library first (on Binder it is already there).
import importlib.util

if importlib.util.find_spec("bpttlib") is None:
    %pip install --quiet "bpttlib[widgets] @ git+{url}@{branch}"
"""


def chapters() -> list[Path]:
    """The MyST notebooks listed in ``_toc.yml`` (pages with a kernel), in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    out = []
    for name in files:
        path = ROOT / f"{name}.md"
        if "kernelspec:" in path.read_text().split("\n---", 1)[0]:
            out.append(path)
    return out


def twin(md: Path) -> str:
    """The text of the ``.ipynb`` twin of one chapter."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]
    nb = jupytext.read(md)
    nb.metadata.pop("jupytext", None)
    header = nbformat.v4.new_markdown_cell(
        f"*Generated from `{md.relative_to(ROOT)}` by `tools/colab.py`; edit the `.md`, "
        "not this file.*"
    )
    install = nbformat.v4.new_code_cell(
        INSTALL_CELL.format(url=repo["url"], branch=repo.get("branch", "main"))
    )
    nb.cells = [header, install] + list(nb.cells)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"  # stable ids: regenerating gives the same file
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for md in chapters():
        path, text = md.with_suffix(".ipynb"), twin(md)
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.write_text(text)
    if stale:
        verb = "stale or missing" if args.check else "written"
        print(f"{verb}: " + ", ".join(map(str, stale)))
        if args.check:
            print("run: make colab")
    return 1 if (stale and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
