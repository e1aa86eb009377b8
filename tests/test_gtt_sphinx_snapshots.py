"""gtt_sphinx.snapshots: the figures' build-time pictures and their place in the pages."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "sphinx_ext"))

from gtt_sphinx.snapshots import fixed_uid, image_tags, insert_images  # noqa: E402

# The shape of plotly's SVG export, with a colour that happens to spell the uid.
SVG = ('<svg class="main-svg"><defs id="defs-{u}"><g class="clips"><clipPath id="clip{u}xyplot">'
       '</clipPath><clipPath id="clip{u}x2y2plot"></clipPath></g></defs>'
       '<g clip-path="url(#clip{u}xyplot)"><path style="fill: #{u}"/></g>'
       '<g class="legend" id="legend{u}"></g><defs id="topdefs-{u}"></defs></svg>')


@pytest.mark.parametrize("uid", ["d57f36", "0a1b2c", "ffffff"])
def test_fixed_uid_replaces_the_figure_uid_in_ids_only(uid):
    out = fixed_uid(SVG.format(u=uid))
    assert out == SVG.format(u="f").replace("fill: #f", f"fill: #{uid}")
    assert fixed_uid(out.replace('defs-f"', f'defs-{uid}"', 1)) == out  # idempotent in effect


@pytest.mark.parametrize("bad, error", [(None, TypeError), (b"<svg/>", TypeError),
                                        ("<svg></svg>", ValueError),
                                        ('<defs id="defs-XYZ"></defs>', ValueError)])
def test_fixed_uid_rejects_what_is_not_a_plotly_export(bad, error):
    with pytest.raises(error, match="svg"):
        fixed_uid(bad)


@pytest.mark.parametrize("depth, prefix", [(0, "_images/"), (1, "../_images/"),
                                           (2, "../../_images/")])
def test_image_tags_point_at_both_pictures_from_the_page_depth(depth, prefix):
    tags = image_tags("gtt-plotly-abc", depth, {"light": (688, 420), "dark": (672, 420)})
    imgs = re.findall(r"<img [^>]*>", tags)
    assert len(imgs) == 2
    light, dark = imgs
    # each in a <picture> whose source on a phone is an inline 1-pixel GIF: nothing fetched
    assert tags.count('<picture class="gtt-snap"><source media="(max-width: 599px)" '
                      'srcset="data:image/gif;base64,') == 2 and tags.count("</picture>") == 2
    assert f'src="{prefix}gtt-snap/gtt-plotly-abc-light.svg"' in light
    assert f'src="{prefix}gtt-snap/gtt-plotly-abc-dark.svg"' in dark
    assert 'width="688"' in light and 'width="672"' in dark  # each picture's own size
    for img in imgs:
        assert 'alt=""' in img and 'height="420"' in img
    assert "loading=" not in light  # the light one is fetched at once ...
    assert 'loading="lazy"' in dark  # ... the dark one only when the dark theme shows it


PAGE = ('<p>x</p><div class="gtt-plotly" id="gtt-plotly-a" style="width:100%;height:420px"></div>'
        '<div class="gtt-plotly" id="gtt-plotly-b" style="width:100%;height:300px"></div>')


def test_insert_images_puts_each_figures_pictures_first_in_its_div():
    sizes = {"light": (688, 420), "dark": (672, 420)}
    out = insert_images(PAGE, {"gtt-plotly-a": sizes}, 1)
    head = '<div class="gtt-plotly" id="gtt-plotly-a" style="width:100%;height:420px">'
    assert out == PAGE.replace(head, head + image_tags("gtt-plotly-a", 1, sizes))
    assert insert_images(PAGE, {}, 1) == PAGE


def test_insert_images_replaces_the_pictures_an_earlier_build_put_there():
    sizes = {"gtt-plotly-a": {"light": (688, 420), "dark": (672, 420)}}
    once = insert_images(PAGE, sizes, 1)
    assert insert_images(once, sizes, 1) == once
    smaller = {"gtt-plotly-a": {"light": (600, 420), "dark": (584, 420)}}
    assert insert_images(once, smaller, 1) == insert_images(PAGE, smaller, 1)


def test_insert_images_names_a_figure_the_page_lacks():
    with pytest.raises(ValueError, match="gtt-plotly-z"):
        insert_images(PAGE, {"gtt-plotly-z": {"light": (672, 420), "dark": (672, 420)}}, 1)
