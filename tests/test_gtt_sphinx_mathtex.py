"""gtt_sphinx.mathtex: the math typeset at build time, by MathJax in Node.js."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sphinx.errors import ExtensionError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sphinx_ext"))
from gtt_sphinx import mathjax_tree  # noqa: E402
from gtt_sphinx.mathtex import (  # noqa: E402
    CACHE_ID,
    STYLE_ID,
    find_math,
    is_runtime_mathjax,
    node,
    split_math,
    typeset_page,
)

needs_node = pytest.mark.skipif(node() is None, reason="Node.js is not installed")


def page(body: str) -> str:
    return f'<html><head><title>t</title></head><body class="x">\n{body}\n</body></html>'


@pytest.mark.parametrize(
    "inner,expected",
    [
        (r"\(x_t\)", ("", "x_t", False)),
        (r"\[\frac{a}{b}\]", ("", r"\frac{a}{b}", True)),
        ("\n$$ y $$", ("\n", " y ", True)),
        (  # Sphinx puts a labelled equation's number before the formula
            '<span class="eqno">(3)<a class="headerlink" href="#e">#</a></span>\\[W \\\\ x\\]',
            ('<span class="eqno">(3)<a class="headerlink" href="#e">#</a></span>', r"W \\ x", True),
        ),
        (r"\(a &lt; b \;\&amp;\; c &gt; d\)", ("", r"a < b \;\&\; c > d", False)),  # unescaped
        (r"\[\left[ a \right] \\[4pt] b\]", ("", r"\left[ a \right] \\[4pt] b", True)),
        (r"\[a \\(b+c)\]", ("", r"a \\(b+c)", True)),  # a line break before "(" stays display
        ("\n\\begin{align} a &amp;= b \\end{align}\n", ("", r"\begin{align} a &= b \end{align}", True)),
        ('<mjx-container class="MathJax" jax="SVG"><svg></svg></mjx-container>', None),
    ],
)
def test_split_math(inner, expected):
    assert split_math(inner) == expected


@pytest.mark.parametrize(
    "inner", [r"\(x\) and more", r"\(x\) \(y\)", r"\[x\] tail", "no formula here", ""]
)
def test_split_math_refuses_what_mathjax_would_typeset_differently(inner):
    with pytest.raises(ValueError, match="math"):
        split_math(inner)


def test_find_math_takes_only_elements_whose_classes_include_math():
    text = page(
        r'<span class="math notranslate nohighlight">\(a\)</span>'
        r'<div class="output text_latex math notranslate nohighlight">\[b\]</div>'
        r'<div class="highlight-math notranslate"><pre>\(c\)</pre></div>'
        r'<section class="tex2jax_ignore mathjax_ignore"><p>\(d\)</p></section>'
        '<span class="math"><mjx-container class="MathJax" jax="SVG"></mjx-container></span>'
    )
    assert [(tex, display) for _, _, tex, display in find_math(text)] == [("a", False), ("b", True)]


@pytest.mark.parametrize(
    "script,runtime",
    [
        ("mathjax/startup.js", True),
        (type("S", (), {"filename": "mathjax/startup.js", "attributes": {}})(), True),
        (type("S", (), {"filename": None, "attributes": {"body": "window.MathJax = {}"}})(), True),
        (type("S", (), {"filename": "vendor/gtt-plotly.js", "attributes": {}})(), False),
        ("doctools.js", False),
    ],
)
def test_is_runtime_mathjax(script, runtime):
    assert is_runtime_mathjax(script, "mathjax/startup.js") is runtime


@pytest.fixture(scope="module")
def typeset():
    exe = node()
    return lambda text: typeset_page(text, mathjax_tree(), exe)


FORMULAS = page(
    '<p>Inline <span class="math notranslate nohighlight">\\(\\frac{a}{b}\\)</span>, again '
    '<span class="math notranslate nohighlight">\\(\\frac{a}{b}\\)</span>.</p>\n'
    '<div class="math notranslate nohighlight" id="equation-e">\n'
    '<span class="eqno">(1)<a class="headerlink" href="#equation-e">#</a></span>'
    "\\[\\boldsymbol{h}_t = \\tanh(W h_{t-1}) \\quad a &lt; b\\]</div>"
)


@needs_node
def test_typeset_page_leaves_no_tex_and_keeps_the_equation_number(typeset):
    out = typeset(FORMULAS)
    assert "\\(" not in out and "\\[" not in out
    assert out.count("<mjx-container") == 3
    assert '<span class="eqno">(1)<a class="headerlink" href="#equation-e">#</a></span><mjx' in out
    assert out.count('display="true"') >= 1
    # the same formula twice: the same markup twice
    inline = re.findall(r'<span class="math notranslate nohighlight">(.*?)</span>', out, re.S)
    assert len(inline) == 2 and inline[0] == inline[1]


@needs_node
def test_typeset_page_gives_screen_readers_the_formula_as_mathml(typeset):
    out = typeset(FORMULAS)
    # an independent reading of the TeX: a fraction of a over b, a less-than sign
    assert "<mfrac><mi>a</mi><mi>b</mi></mfrac>" in out
    assert "<mo>&lt;</mo>" in out
    assert out.count("<mjx-assistive-mml") == 3
    assert out.count('aria-hidden="true"') >= 3  # the drawing itself is hidden from them


@needs_node
def test_every_glyph_a_formula_uses_is_defined_once_in_the_page(typeset):
    out = typeset(FORMULAS)
    used = set(re.findall(r'xlink:href="#([^"]+)"', out))
    defined = re.findall(r'<path id="([^"]+)"', out)
    assert used and used <= set(defined)
    assert len(defined) == len(set(defined))
    # the glyph paths sit in one hidden svg at the top of the body, the styles in the head
    assert re.search(rf'<body class="x"><svg id="{CACHE_ID}" style="display: none"', out)
    head = out[: out.index("</head>")]
    assert f'<style id="{STYLE_ID}">' in head and 'mjx-container[jax="SVG"]' in head


@needs_node
def test_typeset_page_is_deterministic_and_idempotent(typeset):
    once = typeset(FORMULAS)
    assert typeset(FORMULAS) == once
    assert typeset(once) == once  # nothing left to typeset: an incremental build is a no-op
    plain = page("<p>no math</p>")
    assert typeset(plain) == plain


@needs_node
@pytest.mark.parametrize(
    "tex,message",
    [(r"\frac{a}{", "Missing close brace"), (r"\notamacro x", r"Undefined control sequence")],
)
def test_a_tex_error_fails_with_the_formula_named(typeset, tex, message):
    text = page(f'<span class="math notranslate nohighlight">\\({tex}\\)</span>')
    with pytest.raises(ExtensionError, match=message) as err:
        typeset(text)
    assert repr(tex) in str(err.value)


MINI_CONF = 'extensions = ["gtt_sphinx"]\nmathjax_path = "mathjax/startup.js"\nhtml_theme = "sphinx_book_theme"\n'
MINI_PAGE = "Title\n=====\n\nInline :math:`a < b` and\n\n.. math::\n   :label: one\n\n   \\frac{a}{b}\n"


def build_mini(tmp_path, path_env):
    """A one-page Sphinx project with gtt_sphinx, built with ``PATH=path_env``: its page."""
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "conf.py").write_text(MINI_CONF)
    (src / "index.rst").write_text(MINI_PAGE)
    env = dict(os.environ, PATH=path_env)
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", str(src), str(out)],
        env=env, capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return (out / "index.html").read_text(), out


@needs_node
def test_a_build_with_node_ships_typeset_math_and_no_mathjax(tmp_path):
    page_html, out = build_mini(tmp_path, os.environ["PATH"])
    assert page_html.count("<mjx-container") == 2 and "mathjax/startup.js" not in page_html
    assert "<mo>&lt;</mo>" in page_html
    assert not (out / "_static" / "mathjax").exists()  # nothing of MathJax's in the output


def test_a_build_without_node_leaves_the_math_to_mathjax_in_the_browser(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    page_html, out = build_mini(tmp_path, str(empty))  # no node on this PATH
    assert "<mjx-container" not in page_html and "\\(a &lt; b\\)" in page_html
    assert page_html.count("mathjax/startup.js") == 1
    assert (out / "_static" / "mathjax" / "startup.js").is_file()


# What MathJax draws with a <g> of its own: fractions, scripts, stretchy delimiters, tables
# (with rules and alignment), enclosures, accents, colour, text, big operators, limits.
DRAWN = [
    (r"\frac{\partial L}{\partial W} = \sum_{t=1}^{T} \sum_{k=1}^{t} \delta_t^{(k)}", True),
    (r"\left( \prod_{i=k+1}^{t} \operatorname{diag}(\phi'(a_i)) W \right)^{\!\top}", True),
    (r"\begin{aligned} h_t &= \tanh(W h_{t-1} + U x_t) \\ y_t &= V h_t \end{aligned}", True),
    (r"\begin{array}{c|c} 1 & 2 \\ \hline 3 & \bar{x} \end{array}", True),
    (r"\begin{pmatrix} a & b \\ c & d \end{pmatrix} \boxed{\rho(W) < 1}", False),
    (r"\underbrace{\hat{g}\,\tilde{c}}_{\text{gate}} \overset{?}{=} \sqrt[3]{x^2_{i}}", False),
    (r"\color{red}{\mathbb{R}^{n \times n}} \cdots \lVert g \rVert_2 \le \theta", False),
    (r"\left\lbrace x \;\middle|\; \left\lvert x \right\rvert > 1 \right\rbrace", True),
]

# The largest difference of any colour channel between two same-sized PNGs (0-255), in the page.
PIXEL_DIFF_JS = """async ([a, b]) => {
  const read = async (b64) => {
    const img = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
    const c = new OffscreenCanvas(img.width, img.height), g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    return g.getImageData(0, 0, img.width, img.height);
  };
  const [x, y] = [await read(a), await read(b)];
  if (x.width !== y.width || x.height !== y.height) return 256;
  let worst = 0;
  for (let i = 0; i < x.data.length; i++) worst = Math.max(worst, Math.abs(x.data[i] - y.data[i]));
  return worst;
}"""


@needs_node
@pytest.mark.book
@pytest.mark.slow
def test_flattened_svg_draws_what_mathjax_drew(tmp_path):
    """Each formula at 40 px, as MathJax gives it and flattened: the same picture. The
    flattened SVG composes a glyph's translates itself (Chromium composes nested ones in single
    precision), so an edge pixel's anti-aliasing may differ by a few levels of 255; a glyph
    moved by a pixel, or lost, differs by far more."""
    import base64

    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, FLAGS

    from gtt_sphinx.mathtex import run_node

    if CHROMIUM is None:
        pytest.fail("Chromium is missing: run `make test` (tools/system-deps.sh installs it)")
    shots, groups = {}, {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        for flatten in (False, True):
            markup, css, defs = run_node(DRAWN, mathjax_tree(), node(), flatten=flatten)
            body = "".join(f'<p id="f{i}" style="font-size: 40px">{m}</p>'
                           for i, m in enumerate(markup))
            (tmp_path / "p.html").write_text(
                f"<html><head><style>{css}</style></head><body>"
                f'<svg style="display: none">{defs}</svg>{body}</body></html>', encoding="utf-8")
            page.goto((tmp_path / "p.html").as_uri())
            shots[flatten] = [base64.b64encode(page.locator(f"#f{i}").screenshot()).decode()
                              for i in range(len(DRAWN))]
            groups[flatten] = sum(m.count("<g") for m in markup)
        diffs = [page.evaluate(PIXEL_DIFF_JS, [a, b]) for a, b in zip(shots[False], shots[True])]
        browser.close()
    assert groups[True] < groups[False] / 2  # it did flatten
    for (tex, _), diff in zip(DRAWN, diffs):
        assert diff <= 8, f"the flattened SVG of {tex!r} draws differently (by {diff}/255)"
