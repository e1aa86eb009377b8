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
