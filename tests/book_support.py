"""Shared by the book tests: building the book, reading its pages, serving it on loopback."""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
PLOTLY_MIME = "application/vnd.plotly.v1+json"
JB_FLAGS = ["--all", "-W", "-n", "--keep-going"]
HIDDEN_OUTPUT_TAGS = {"remove-output", "remove-cell"}


@dataclass(frozen=True)
class Build:
    """One clean build of the book: where it went and what it printed."""

    out: Path  # the --path-output folder
    log: str
    seconds: float

    @property
    def html(self) -> Path:
        return self.out / "_build" / "html"

    @property
    def executed(self) -> Path:
        return self.out / "_build" / "jupyter_execute"


def build_book(out: Path) -> Build:
    """Build the whole book from clean into ``out`` with warnings as errors; raise on failure."""
    import time

    jb = Path(sys.executable).parent / "jupyter-book"
    start = time.perf_counter()
    proc = subprocess.run(
        [str(jb), "build", str(ROOT), "--path-output", str(out), *JB_FLAGS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    seconds = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise AssertionError(f"jupyter-book build failed (exit {proc.returncode}):\n{log[-8000:]}")
    return Build(out=out, log=log, seconds=seconds)


def toc_pages() -> list[str]:
    """Docnames of every page in ``_toc.yml``, e.g. ``book/how-to-use`` (tools/colab.py reads
    the table of contents; its sections too)."""
    return _colab().toc_pages()


@functools.cache
def _colab():
    """tools/colab.py, loaded as a module."""
    spec = importlib.util.spec_from_file_location("gtt_colab", ROOT / "tools" / "colab.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def is_notebook(page: str) -> bool:
    head = (ROOT / f"{page}.md").read_text().split("\n---", 1)[0]
    return "kernelspec:" in head


def shown_plotly_outputs(build: Build, page: str) -> int:
    """How many plotly figures the executed notebook of ``page`` shows to a reader."""
    path = build.executed / f"{page}.ipynb"
    if not path.exists():
        return 0
    nb = json.loads(path.read_text())
    count = 0
    for cell in nb["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] != "code" or tags & HIDDEN_OUTPUT_TAGS:
            continue
        count += sum(PLOTLY_MIME in out.get("data", {}) for out in cell.get("outputs", []))
    return count


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


class Server:
    """Serve a folder on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, root: Path):
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()



def execute_chapter(page: str, env: dict[str, str] | None = None, timeout: int = 900):
    """Execute ``page`` (a MyST chapter, e.g. ``book/clipping``) top to bottom in a fresh
    kernel, as the book build does, with ``env`` added to the kernel's environment.

    Returns the executed notebook; raises ``nbclient.exceptions.CellExecutionError`` on the
    first failing cell (an assert of the chapter).
    """
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(ROOT / f"{page}.md")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "book")}})
    client.execute(env={**os.environ, **(env or {})})
    return nb
