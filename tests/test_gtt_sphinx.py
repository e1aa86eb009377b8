"""The book's Sphinx plumbing: deterministic stream merging and the plotly figure HTML."""

from __future__ import annotations

import json

import pytest
from myst_nb.core.utils import coalesce_streams
from nbformat import NotebookNode

from gtt_sphinx import _exact_stream_merge
from gtt_sphinx.plotly_mime import figure_div


def stream(name, text):
    return NotebookNode(output_type="stream", name=name, text=text)


@pytest.mark.parametrize("cut", range(1, 12))
def test_where_the_kernel_splits_a_print_does_not_change_the_page(cut):
    text = "line one\nline two\n"
    chunks = [stream("stdout", text[:cut]), stream("stdout", text[cut:])]
    merged = _exact_stream_merge(coalesce_streams)(chunks)
    assert [o["text"] for o in merged] == [text]
    assert chunks[0]["text"] == text[:cut], "the executed notebook is not modified"


def test_myst_nb_alone_inserts_a_blank_line_at_an_unlucky_split():
    # The bug the wrapper exists for; if myst-nb fixes it, the wrapper can go.
    chunks = [stream("stdout", "line one"), stream("stdout", "\nline two\n")]
    assert coalesce_streams(chunks)[0]["text"] == "line one\n\nline two\n"


def test_stderr_and_other_outputs_keep_their_place():
    outputs = [stream("stdout", "a"), {"output_type": "display_data", "data": {}},
               stream("stderr", "warn\n"), stream("stdout", "b\n")]
    merged = _exact_stream_merge(coalesce_streams)([NotebookNode(o) for o in outputs])
    assert [o["output_type"] for o in merged] == ["stream", "display_data", "stream"]
    assert merged[0]["text"] == "ab\n" and merged[2]["name"] == "stderr"


def test_figure_div_escapes_script_endings_and_keeps_height():
    html = figure_div({"data": [{"name": "</script>"}], "layout": {"height": 300}}, "gtt-plotly-x")
    assert 'id="gtt-plotly-x"' in html and "height:300px" in html
    payload = html.split('data-target="gtt-plotly-x">', 1)[1].rsplit("</script>", 1)[0]
    assert "</script>" not in payload
    assert json.loads(payload.replace("<\\/", "</"))["data"][0]["name"] == "</script>"


# ---- the shipped plotly.js bundle, the shared template --------------------------------------

import ast  # noqa: E402
import hashlib  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

import gtt_sphinx  # noqa: E402
from gtt_sphinx import plotly_mime  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def bundle_trace_types(text: str) -> set[str]:
    """The trace types a plotly.js bundle registers."""
    return set(re.findall(r'moduleType:"trace",name:"([a-z0-9]+)"', text))


def figure_trace_types() -> dict[str, set[str]]:
    """Trace type -> the files that construct it (``go.<Trace>(...)`` in bpttlib and chapters)."""
    import plotly.graph_objects as go
    from plotly.basedatatypes import BaseTraceType

    used: dict[str, set[str]] = {}
    files = sorted((ROOT / "src" / "bpttlib").rglob("*.py")) + sorted((ROOT / "book").glob("*.md"))
    for path in files:
        for name in re.findall(r"\bgo\.([A-Z][A-Za-z0-9]*)\(", path.read_text(encoding="utf-8")):
            cls = getattr(go, name, None)
            if isinstance(cls, type) and issubclass(cls, BaseTraceType):
                used.setdefault(cls().type, set()).add(path.name)
    return used


BUNDLES = ["plotly.min.js", "plotly-scatter.min.js"]


@pytest.mark.parametrize("name", BUNDLES)
def test_the_shipped_bundle_is_the_plotly_js_of_the_python_plotly(name):
    import plotly.offline

    text = gtt_sphinx.plotly_js(name).read_text(encoding="utf-8")
    assert gtt_sphinx.plotly_js_version(text) == plotly.offline.get_plotlyjs_version()


@pytest.mark.parametrize("name", BUNDLES)
def test_the_shipped_bundle_matches_its_lock(name):
    lines = [line.split() for line in (gtt_sphinx.ASSETS / "plotly.lock").read_text().splitlines()]
    sums = {words[2]: words[1] for words in lines if words[0] == "sha256"}
    version = next(words[1] for words in lines if words[0] == "version")
    assert hashlib.sha256(gtt_sphinx.plotly_js(name).read_bytes()).hexdigest() == sums[name]
    assert version == gtt_sphinx.plotly_js_version()


def test_the_scatter_bundle_holds_scatter_only():
    text = gtt_sphinx.plotly_js("plotly-scatter.min.js").read_text(encoding="utf-8")
    assert bundle_trace_types(text) == {"scatter"}


def test_every_trace_type_the_figures_use_is_in_the_bundle():
    used = figure_trace_types()
    assert "scatter" in used  # the scan finds the builders' traces at all
    missing = set(used) - bundle_trace_types(gtt_sphinx.plotly_js().read_text(encoding="utf-8"))
    assert not missing, {t: sorted(used[t]) for t in missing}


def test_a_figure_with_a_type_outside_the_bundle_fails_the_check():
    # The check above can fail: a bundle without heatmap does not cover the book's figures.
    text = gtt_sphinx.plotly_js().read_text(encoding="utf-8")
    assert "heatmap" not in bundle_trace_types(text.replace('name:"heatmap"', 'name:"x"'))


def test_version_banner_is_parsed_and_a_missing_one_raises():
    assert gtt_sphinx.plotly_js_version("/**\n* plotly.js (cartesian - minified) v9.8.7\n") == "9.8.7"
    with pytest.raises(Exception, match="no version banner"):
        gtt_sphinx.plotly_js_version("var Plotly = {};")


def test_the_book_template_is_stripped_and_named():
    from bpttlib import viz  # noqa: F401  (registers the template)
    import plotly.graph_objects as go
    from plotly.io.json import to_json_plotly

    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]), layout=dict(template="gtt", title="t"))
    figure = json.loads(to_json_plotly(fig))
    html = figure_div(figure, "gtt-plotly-t")
    assert 'data-template="gtt"' in html
    payload = json.loads(html.split('data-template="gtt">', 1)[1].rsplit("</script>", 1)[0].replace("<\\/", "</"))
    assert "template" not in payload["layout"] and payload["layout"]["title"]["text"] == "t"
    assert payload["data"] == figure["data"]
    shipped = plotly_mime.templates_script()
    assert shipped.startswith("window.gttPlotlyTemplates = ")
    assert json.loads(shipped.split("=", 1)[1].rstrip(";\n"))["gtt"] == figure["layout"]["template"]


def test_a_foreign_template_stays_in_the_figure():
    import plotly.graph_objects as go
    from plotly.io.json import to_json_plotly

    figure = json.loads(to_json_plotly(go.Figure(layout=dict(template="plotly_dark"))))
    html = figure_div(figure, "gtt-plotly-d")
    assert "data-template" not in html and '"template":' in html


def test_icons_are_found_and_drawn_from_the_theme_bundle():
    from gtt_sphinx import icons

    html = ('<i class="fa-solid fa-bars"></i><span class="fa-brands fa-github"></span>'
            '<i class="fa-solid fa-fw fa-magnifying-glass"></i><div class="fab"></div>')
    wanted = icons.icons_in_html(html)
    assert wanted == {("fas", "bars"), ("fab", "github"), ("fas", "magnifying-glass")}
    css = icons.stylesheet(wanted, icons.theme_bundle().read_text(encoding="utf-8"))
    assert ".fa-solid.fa-bars" in css and ".fa-brands.fa-github" in css and "<path" not in css
    with pytest.raises(Exception, match="not in fontawesome.js"):
        icons.stylesheet({("fas", "no-such-icon")}, icons.theme_bundle().read_text("utf-8"))


def test_the_theme_glyph_rules_are_stripped_and_the_rest_kept(tmp_path):
    from gtt_sphinx import icons

    css = tmp_path / "theme.css"
    css.write_text('a{color:red}.fa-bars:before,.fa-navicon:before{content:"\\f0c9"}'
                   '.fa-solid{font-weight:900}.fa-x:after{content:"\\f00d"}b{margin:0}')
    assert icons.strip_glyph_rules(css) > 0
    assert css.read_text() == "a{color:red}.fa-solid{font-weight:900}b{margin:0}"
    assert icons.strip_glyph_rules(tmp_path / "missing.css") == 0


@pytest.mark.parametrize("body, kept", [("<p>text</p>", False),
                                        ('<div class="sd-tab-set">', True)])
def test_sphinx_design_assets_only_on_pages_that_use_it(body, kept):
    from types import SimpleNamespace

    from gtt_sphinx import drop_unused_design_assets

    css = [SimpleNamespace(filename="_static/sphinx-design.min.css"),
           SimpleNamespace(filename="_static/basic.css")]
    js = [SimpleNamespace(filename="_static/design-tabs.js"), SimpleNamespace(filename="x.js")]
    context = {"body": body, "css_files": css, "script_files": js}
    drop_unused_design_assets(None, "p", "page.html", context, None)
    assert len(context["css_files"]) == (2 if kept else 1)
    assert len(context["script_files"]) == (2 if kept else 1)
    assert context["css_files"][-1].filename == "_static/basic.css"


def test_shipped_scripts_drop_comment_lines_only():
    from gtt_sphinx.lean import lean_js

    src = "// a comment\n\nvar url = 'http://x'; // kept: not a whole line\n  // indented\nf();\n"
    assert lean_js(src) == "var url = 'http://x'; // kept: not a whole line\nf();\n"


class _Script(str):
    """What Sphinx puts in a page's ``script_files``: a file name with its tag's attributes."""

    def __new__(cls, filename, **attributes):
        obj = super().__new__(cls, filename)
        obj.filename, obj.attributes = filename, attributes
        return obj


@pytest.mark.parametrize("bundle", ["plotly.min.js", "plotly-scatter.min.js"])
@pytest.mark.parametrize("depth", [0, 1])
def test_a_page_with_figures_preloads_the_bundle_its_loader_names(bundle, depth):
    from gtt_sphinx.plotly_mime import LOADER_JS, preload_bundle

    context = {"metatags": "<meta x>", "pathto": lambda name, resource: "../" * depth + name,
               "script_files": [_Script("_static/doctools.js"),
                                _Script(f"_static/{LOADER_JS}", defer="defer", **{
                                    "data-plotly": bundle})]}
    preload_bundle(None, "p", "page.html", context, None)
    assert context["metatags"] == (f'<meta x>\n<link rel="preload" href="{"../" * depth}'
                                   f'_static/vendor/{bundle}" as="script">')


def test_a_page_without_figures_preloads_nothing():
    from gtt_sphinx.plotly_mime import preload_bundle

    context = {"metatags": "<meta x>", "pathto": None,
               "script_files": [_Script("_static/doctools.js")]}
    preload_bundle(None, "p", "page.html", context, None)
    assert context["metatags"] == "<meta x>"
