"""The README's code snippet runs as printed (the front door stays true)."""

from __future__ import annotations

import re

from book_support import ROOT


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_snippet_runs_and_its_gradient_check_holds(capsys):
    blocks = python_blocks((ROOT / "README.md").read_text())
    assert blocks, "the README shows how to use bpttlib"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    loss, error = capsys.readouterr().out.split()[-2:]
    assert float(loss) > 0
    assert float(error) < 1e-7  # the README promises "around 1e-9 or less"
