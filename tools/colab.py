"""Write (or check) the runnable ``.ipynb`` beside each MyST chapter.

The book's chapters are MyST notebooks (``book/*.md``). Colab opens only ``.ipynb`` files, and
one at a time, so each chapter gets a generated twin ``book/<name>.ipynb`` whose first cell
installs ``bpttlib`` from the book's repository when it is missing (on Binder and in ``make
lab`` it is already installed, and the cell does nothing) and, on Colab, turns on the custom
widget manager the dashboards need. The launch buttons point at the twin: sphinx-book-theme
prefers a same-named ``.ipynb``. The repository URL comes from ``_config.yml``, the one place
it is set.

The twins are plain notebooks: neither Colab nor a JupyterLab without ``jupyterlab-myst``
understands MyST, so the Markdown cells are rewritten into CommonMark + ``$``-math:

- ``{math}`` directives (and ``$$ … $$ (label)``) become ``$$ … $$`` with ``\\tag{n}``, numbered
  per page in order like the book;
- admonitions (``{admonition}``, ``{note}``, ``{tip}``, …, ``{dropdown}``) become blockquotes
  headed by their title; other directives become plain Markdown where there is an equivalent
  (``{code-block}``, ``{figure}``, ``{image}``) or a pointer to the book's page;
- ``(label)=`` targets and ``%`` comments are dropped;
- roles become text or links: ``{eq}`` → ``(n)`` (a link when the equation is on another
  page), ``{ref}``/``{doc}``/``{numref}`` → a link to the book's page titled like the target,
  ``{cite:p}``/``{cite:t}`` → "(Author, year)"/"Author (year)" from ``references.bib``,
  ``{math}`` → ``$…$``, ``{glue:*}`` → the glued name, any other role → its text;
- cells tagged ``hide-cell``/``hide-input``/``hide-output`` (exercise solutions) are collapsed
  through notebook metadata: ``jupyter.source_hidden``/``outputs_hidden`` for JupyterLab and
  Jupyter Notebook, ``cellView: "form"`` plus a ``#@title`` line for Colab.

Links point at the published book when ``_config.yml`` sets ``html.baseurl``, otherwise at the
twin in the repository.

    python tools/colab.py          # write the twins
    python tools/colab.py --check  # exit 1 if any twin is missing or stale (a test runs this)
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]

INSTALL_CELL = """\
# Colab or a fresh kernel: install the book's library first (on Binder it is already there).
import importlib.util

if importlib.util.find_spec("bpttlib") is None:
    %pip install --quiet "bpttlib[widgets] @ git+{url}@{branch}"

try:  # on Colab, the dashboards (anywidget widgets) need Colab's custom widget manager
    from google.colab import output
except ImportError:
    pass
else:
    output.enable_custom_widget_manager()
"""

SOLUTION_TITLE = {
    "hide-cell": "Solution: double-click to show the code",
    "hide-input": "Code: double-click to show it",
}

ADMONITIONS = {
    "admonition", "note", "tip", "hint", "important", "warning", "caution", "attention",
    "danger", "error", "seealso", "dropdown", "margin", "sidebar", "topic", "card",
}
CODE_DIRECTIVES = {"code-block", "code", "sourcecode", "code-cell"}
PY_ROLES = {"func", "meth", "class", "mod", "attr", "obj", "data", "exc", "const", "any"}

FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE_INFO = re.compile(r"^\{(?P<name>[\w:.-]+)\}\s*(?P<arg>.*)$")
OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*)$")
TARGET = re.compile(r"^\s*\((?P<label>[^()\s]+)\)=\s*$")
HEADING = re.compile(r"^\s*(#{1,6})\s+(.*?)\s*#*\s*$")
DOLLAR_LABEL = re.compile(r"^(?P<body>.*\$\$)\s*\((?P<label>[^()\s]+)\)\s*$")
# A role, or an inline code span (kept verbatim: it may show MyST syntax on purpose).
INLINE = re.compile(
    r"\{(?P<role>[A-Za-z][\w:.+-]*)\}(?P<tick>`+)(?P<content>.+?)(?P=tick)"
    r"|(?P<code>(?P<ctick>`+).+?(?P=ctick))"
)
TITLED = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
MD_LINK = re.compile(r"\]\((?P<path>(?:\.{1,2}/)?[\w./-]+?)\.md(?P<anchor>#[\w-]+)?\)")
SUBSTITUTION = re.compile(r"\{\{\s*(?P<key>[\w.-]+)\s*\}\}")


@dataclass
class Target:
    page: str               # toc path without suffix, e.g. "book/bptt"
    text: str               # what a link to it says
    anchor: str | None      # None: the page itself
    number: int | None = None  # equations: their number on the page


@dataclass
class Book:
    """What the converter needs to know about the whole book."""

    config: dict
    pages: list[str]                                # toc order, e.g. ["book/intro", ...]
    titles: dict[str, str] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    bib: dict[str, dict] = field(default_factory=dict)

    def url(self, page: str, anchor: str | None = None) -> str:
        base = (self.config.get("html") or {}).get("baseurl")
        if base:
            return f"{base.rstrip('/')}/{page}.html" + (f"#{anchor}" if anchor else "")
        repo = self.config["repository"]
        return f"{repo['url'].rstrip('/')}/blob/{repo.get('branch', 'main')}/{page}.ipynb"


# ---------------------------------------------------------------------------- the book's index
def toc_pages() -> list[str]:
    """Every page of ``_toc.yml`` in reading order (a chapter, then its sections), e.g.
    ``book/how-to-use``."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())

    def walk(entries: list[dict]) -> list[str]:
        return [f for e in entries for f in [e["file"], *walk(e.get("sections", []))]]

    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += walk(part.get("chapters", []))
    files += walk(toc.get("chapters", []))
    return [f.removesuffix(".md") for f in files]


def chapters() -> list[Path]:
    """The MyST notebooks listed in ``_toc.yml`` (pages with a kernel), in order."""
    out = []
    for name in toc_pages():
        path = ROOT / f"{name}.md"
        if "kernelspec:" in path.read_text().split("\n---", 1)[0]:
            out.append(path)
    return out


def _strip_inline(text: str) -> str:
    """A heading as plain text: roles reduced to their text, emphasis and code marks removed."""
    text = INLINE.sub(lambda m: (m["content"] if m["role"] else m["code"].strip("`")), text)
    return re.sub(r"[*_]{1,2}(\S(?:.*?\S)?)[*_]{1,2}", r"\1", text).strip()


def _page_lines(path: Path) -> list[str]:
    """The page's Markdown (code cells left out), with plain code blocks' contents blanked."""
    text = path.read_text()
    if text.startswith("---") and "jupytext" in text.split("\n---", 1)[0]:
        nb = jupytext.read(path)
        text = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    out, stack = [], []  # stack of (fence, is_directive)
    for line in text.splitlines():
        m = FENCE.match(line)
        if m:
            s = line.strip()
            if stack and set(s) == {stack[-1][0][0]} and len(s) >= len(stack[-1][0]):
                stack.pop()
                out.append(line)
                continue
            if not stack or stack[-1][1]:
                stack.append((m["fence"], bool(DIRECTIVE_INFO.match(m["info"].strip()))))
                out.append(line)
                continue
        out.append("" if stack and not stack[-1][1] else line)
    return out


def index_book(config: dict) -> Book:
    book = Book(config=config, pages=toc_pages())
    for page in book.pages:
        path = ROOT / f"{page}.md"
        lines = _page_lines(path)
        title = next((_strip_inline(m[2]) for m in map(HEADING.match, lines) if m and m[1] == "#"),
                     PurePosixPath(page).name)
        book.titles[page] = title
        first_heading = True
        eq = 0
        for i, line in enumerate(lines):
            heading = HEADING.match(line)
            if heading:
                first_heading = False
            target = TARGET.match(line)
            if target:
                nxt = next((ln for ln in lines[i + 1:] if ln.strip() and not TARGET.match(ln)), "")
                h = HEADING.match(nxt)
                label = target["label"]
                if h:
                    page_title = first_heading and h[1] == "#"
                    book.targets[label] = Target(page, _strip_inline(h[2]),
                                                 None if page_title else label)
                else:
                    book.targets[label] = Target(page, label, label)
                continue
            opt = OPTION.match(line)
            if opt and opt["key"] == "label" and _inside_math(lines, i):
                eq += 1
                book.targets[opt["value"].strip()] = Target(
                    page, f"({eq})", f"equation-{opt['value'].strip()}", eq)
            dl = DOLLAR_LABEL.match(line)
            if dl:
                eq += 1
                book.targets[dl["label"]] = Target(page, f"({eq})", f"equation-{dl['label']}", eq)
    bib = ROOT / "references.bib"
    if bib.exists():
        book.bib = _read_bib(bib)
    return book


def _inside_math(lines: list[str], i: int) -> bool:
    """Is line ``i`` an option line of a ``{math}`` directive?"""
    for j in range(i - 1, -1, -1):
        if OPTION.match(lines[j]):
            continue
        m = FENCE.match(lines[j])
        return bool(m and m["info"].strip().startswith("{math}"))
    return False


def _read_bib(path: Path) -> dict[str, dict]:
    from pybtex.database import parse_file

    out = {}
    for key, entry in parse_file(str(path)).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        last = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
        if len(last) == 1:
            names = last[0]
        elif len(last) == 2:
            names = f"{last[0]} and {last[1]}"
        elif last:
            names = f"{last[0]} et al."
        else:
            names = key
        out[key] = {"names": names, "year": entry.fields.get("year", "n.d.")}
    return out


# ---------------------------------------------------------------------------- inline roles
class Page:
    """Converts the Markdown of one page."""

    def __init__(self, book: Book, page: str):
        self.book, self.page = book, page
        self.warnings: list[str] = []
        self.subs = {k: str(v) for k, v in
                     ((book.config.get("parse") or {}).get("myst_substitutions") or {}).items()}

    def link(self, text: str, target: Target) -> str:
        return f"[{text}]({self.book.url(target.page, target.anchor)})"

    def role(self, name: str, content: str) -> str:
        domain, _, kind = name.rpartition(":")
        titled = TITLED.match(content)
        explicit, target = (titled["text"], titled["target"]) if titled else (None, content)
        if name == "eq":
            t = self.book.targets.get(target)
            if t is None or t.number is None:
                self.warnings.append(f"unknown equation {target!r}")
                return explicit or f"({target})"
            text = explicit or f"({t.number})"
            return text if t.page == self.page else self.link(text, t)
        if name in ("ref", "numref", "std:ref"):
            t = self.book.targets.get(target)
            if t is None:
                self.warnings.append(f"unknown reference {target!r}")
                return explicit or target
            text = (explicit or t.text).replace("{number}", str(t.number or "")).replace("%s", "")
            return self.link(text, t)
        if name == "doc":
            page = str(PurePosixPath(self.page).parent / target) if not target.startswith("/") \
                else target.lstrip("/")
            page = str(PurePosixPath(page)).removesuffix(".md")
            parts = []
            for part in page.split("/"):  # normalise "../"
                if part == "..":
                    parts and parts.pop()
                elif part != ".":
                    parts.append(part)
            page = "/".join(parts)
            return self.link(explicit or self.book.titles.get(page, page), Target(page, "", None))
        if domain == "cite" or name == "cite":
            return self.cite(kind if domain == "cite" else "p", content)
        if name == "math":
            return f"${content}$"
        if domain == "glue" or name == "glue":
            return f"`{content.split(':')[0]}`"
        if name in ("sub", "sup", "kbd"):
            return f"<{name}>{content}</{name}>"
        if name in ("code", "samp", "file", "command", "envvar", "program"):
            return f"`{content}`"
        if kind in PY_ROLES or domain.startswith("py"):
            return f"`{(explicit or target).lstrip('~.')}`"
        if name == "abbr":
            return content
        if name == "download":
            return explicit or target
        return explicit or content

    def cite(self, kind: str, content: str) -> str:
        keys = [k.strip() for k in content.split(",") if k.strip()]
        entries = []
        for key in keys:
            if key not in self.book.bib:
                self.warnings.append(f"unknown citation {key!r}")
            entries.append(self.book.bib.get(key, {"names": key, "year": "n.d."}))
        if kind in ("t", "ts"):
            return "; ".join(f"{e['names']} ({e['year']})" for e in entries)
        if kind == "author":
            return "; ".join(e["names"] for e in entries)
        if kind == "year":
            return "; ".join(e["year"] for e in entries)
        inner = "; ".join(f"{e['names']}, {e['year']}" for e in entries)
        return inner if kind in ("alp", "alps") else f"({inner})"

    def inline(self, line: str) -> str:
        def sub(m: re.Match) -> str:
            if m["code"]:
                return m["code"]
            return self.role(m["role"], m["content"])

        line = INLINE.sub(sub, line)
        line = SUBSTITUTION.sub(lambda m: self.subs.get(m["key"], m[0]), line)

        def md_link(m: re.Match) -> str:
            rel = PurePosixPath(self.page).parent / m["path"]
            page = "/".join(p for p in rel.parts if p != ".")
            return f"]({self.book.url(page, (m['anchor'] or '#')[1:] or None)})"

        return MD_LINK.sub(md_link, line)

    # ------------------------------------------------------------------------ block structure
    def convert(self, text: str) -> str:
        out = self.block(text.splitlines())
        text = "\n".join(out).strip("\n")
        text = re.sub(r"^((?:> ?)*>)\n(?:\1\n)+", r"\1\n", text, flags=re.M)  # one quoted blank
        return re.sub(r"\n{3,}", "\n\n", text)

    def block(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        i, in_math = 0, False
        while i < len(lines):
            line = lines[i]
            m = FENCE.match(line)
            if m and not in_math:
                end = self._close(lines, i, m["fence"])
                info = m["info"].strip()
                d = DIRECTIVE_INFO.match(info)
                inner = lines[i + 1:end]
                if d:
                    out += self.directive(d["name"], d["arg"], inner, m["indent"])
                else:  # a plain code block: verbatim
                    out += lines[i:end + 1]
                i = end + 1
                continue
            if TARGET.match(line) and not in_math:
                i += 1
                continue
            if line.lstrip().startswith("%") and not in_math:  # a MyST comment
                i += 1
                continue
            dl = DOLLAR_LABEL.match(line)
            if dl:
                t = self.book.targets.get(dl["label"])
                tag = f" \\tag{{{t.number}}}" if t and t.page == self.page and t.number else ""
                line = dl["body"][:-2].rstrip() + tag + " $$"
            if line.count("$$") % 2 == 1:
                in_math = not in_math
            out.append(line if in_math else self.inline(line))
            i += 1
        return out

    @staticmethod
    def _close(lines: list[str], start: int, fence: str) -> int:
        char, n = fence[0], len(fence)
        for j in range(start + 1, len(lines)):
            s = lines[j].strip()
            if s and set(s) == {char} and len(s) >= n:
                return j
        return len(lines) - 1 if len(lines) > start + 1 else start

    @staticmethod
    def _options(body: list[str]) -> tuple[dict, list[str]]:
        opts: dict[str, str] = {}
        if body and body[0].strip() == "---":  # YAML options block
            end = next((k for k in range(1, len(body)) if body[k].strip() == "---"), None)
            if end is not None:
                opts = {str(k): str(v) for k, v in
                        (yaml.safe_load("\n".join(body[1:end])) or {}).items()}
                return opts, body[end + 1:]
        k = 0
        while k < len(body) and OPTION.match(body[k]):
            m = OPTION.match(body[k])
            opts[m["key"]] = m["value"].strip()
            k += 1
        return opts, body[k:]

    def directive(self, name: str, arg: str, body: list[str], indent: str) -> list[str]:
        opts, body = self._options(body)
        if name == "math":
            return self.math(body, opts)
        if name in ADMONITIONS:
            title = arg.strip() or name.capitalize()
            if name == "seealso" and not arg.strip():
                title = "See also"
            inner = self.block(body)
            if name in ("admonition", "dropdown", "card", "topic", "sidebar") or not arg.strip():
                head, content = self.inline(title), inner
            else:  # e.g. {note} A one-line body given as the argument
                head, content = name.capitalize(), [self.inline(arg.strip())] + inner
            quoted = [f"> **{head}**", ">"] + [f"> {ln}".rstrip() for ln in content]
            while quoted and quoted[-1] == ">":
                quoted.pop()
            return [""] + quoted + [""]
        if name in CODE_DIRECTIVES:
            lang = arg.split()[0] if arg.split() else ""
            return ["```" + lang] + body + ["```"]
        if name in ("figure", "image"):
            alt = opts.get("alt", "figure")
            caption = [self.inline(ln) for ln in body if ln.strip()] if name == "figure" else []
            return ["", f"![{alt}]({arg.strip()})", ""] + (["*" + " ".join(caption) + "*", ""]
                                                           if caption else [])
        if name in ("epigraph", "pull-quote", "highlights", "blockquote"):
            return [""] + [f"> {ln}".rstrip() for ln in self.block(body)] + [""]
        if name in ("raw",) and arg.strip() == "html":
            return body
        if name in ("tableofcontents", "bibliography", "eval-rst", "toctree", "glue:figure",
                    "glue:math", "glue"):
            url = self.book.url(self.page)
            return ["", f"*This part is shown on [the book's page]({url}).*", ""]
        self.warnings.append(f"directive {{{name}}} shown as a quote")
        head = f"**{self.inline(arg.strip()) or name}**"
        return [""] + [f"> {head}", ">"] + [f"> {ln}".rstrip() for ln in self.block(body)] + [""]

    def math(self, body: list[str], opts: dict) -> list[str]:
        label = opts.get("label")
        # Blank lines separate equations in a {math} block: one $$ block each.
        groups, cur = [], []
        for ln in body:
            if ln.strip():
                cur.append(ln.rstrip())
            elif cur:
                groups.append(cur)
                cur = []
        if cur:
            groups.append(cur)
        out = []
        t = self.book.targets.get(label) if label else None
        for k, group in enumerate(groups):
            tex = "\n".join(group)
            if "nowrap" not in opts and "\\\\" in tex and "\\begin" not in tex:
                tex = "\\begin{aligned}\n" + tex + "\n\\end{aligned}"
            if t and t.number and k == len(groups) - 1:
                tex += f" \\tag{{{t.number}}}"
            out += ["", "$$", tex, "$$", ""]
        return out


# ---------------------------------------------------------------------------- notebook twin
def _collapse(cell) -> None:
    tags = set(cell.metadata.get("tags", []))
    if not tags & {"hide-cell", "hide-input", "hide-output"}:
        return
    jupyter = cell.metadata.setdefault("jupyter", {})
    if tags & {"hide-cell", "hide-input"}:
        jupyter["source_hidden"] = True
        cell.metadata["cellView"] = "form"  # Colab: the code is hidden behind the #@title form
        title = SOLUTION_TITLE["hide-cell" if "hide-cell" in tags else "hide-input"]
        if not cell.source.lstrip().startswith(("#@title", "# @title")):
            cell.source = f'#@title {title} {{ display-mode: "form" }}\n' + cell.source
    if tags & {"hide-cell", "hide-output"}:
        jupyter["outputs_hidden"] = True
        cell.metadata["collapsed"] = True


def twin(md: Path, book: Book | None = None) -> str:
    """The text of the ``.ipynb`` twin of one chapter."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    book = book or index_book(config)
    repo = config["repository"]
    page = str(md.relative_to(ROOT).with_suffix("").as_posix())
    nb = jupytext.read(md)
    nb.metadata.pop("jupytext", None)
    home = book.url(page) if (config.get("html") or {}).get("baseurl") else repo["url"]
    header = nbformat.v4.new_markdown_cell(
        f"*Generated from `{md.relative_to(ROOT)}` by `tools/colab.py`; edit the `.md`, "
        f"not this file. The book: <{home}>*"
    )
    install = nbformat.v4.new_code_cell(
        INSTALL_CELL.format(url=repo["url"], branch=repo.get("branch", "main"))
    )
    converter = Page(book, page)
    cells = []
    for cell in nb.cells:
        cell = copy.deepcopy(cell)
        if cell.cell_type == "markdown":
            cell.source = converter.convert(cell.source)
            if not cell.source.strip():
                continue
        elif cell.cell_type == "code":
            _collapse(cell)
        cells.append(cell)
    nb.cells = [header, install] + cells
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"  # stable ids: regenerating gives the same file
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    for w in dict.fromkeys(converter.warnings):
        print(f"{md.relative_to(ROOT)}: {w}", file=sys.stderr)
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    args = parser.parse_args(argv)
    book = index_book(yaml.safe_load((ROOT / "_config.yml").read_text()))
    stale = []
    for md in chapters():
        path, text = md.with_suffix(".ipynb"), twin(md, book)
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
