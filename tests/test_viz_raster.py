"""bpttlib.viz._raster: the banded map drawn as a PNG (decoded here with zlib alone)."""

import base64
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from bpttlib.viz import _raster


def decode_png(uri: str) -> np.ndarray:
    """An RGB 8-bit PNG with filter 0 rows (what png_data_uri writes) as (H, W, 3) uint8."""
    png = base64.b64decode(uri.removeprefix("data:image/png;base64,"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(png):
        (n,) = struct.unpack(">I", png[pos:pos + 4])
        kind, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", png[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + n
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color) == (8, 2)
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert not rows[:, 0].any()  # filter 0 on every row
    return rows[:, 1:].reshape(height, width, 3)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_png_round_trips(height, width, seed):
    rgb = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    assert_array_equal(decode_png(_raster.png_data_uri(rgb)), rgb)


def test_bands_follow_the_values_and_their_edges_are_darker():
    z = np.tile(np.linspace(0.0, 1.0, 5), (3, 1))       # rises to the right, same on every row
    uri, lo, hi = _raster.banded_image(z, levels=4, colorscale="Viridis", width=8, line=0.5)
    assert (lo, hi) == (0.0, 1.0)
    img = decode_png(uri).astype(int)
    assert img.shape == (5, 9, 3)                        # upsampled 2x: (3-1)*2+1, (5-1)*2+1
    assert_array_equal(img, img[:1].repeat(5, axis=0))   # no y dependence
    brightness = img.sum(axis=2)[0]
    # Viridis brightens with the value; an edge pixel (band change) is darker than its band.
    plain = [brightness[j] for j in (0, 3, 5, 8)]
    assert plain == sorted(plain) and len(set(plain)) == 4
    assert brightness[2] < brightness[3] and brightness[4] < brightness[5]


def test_the_top_image_row_is_the_highest_y():
    z = np.array([[0.0, 0.0], [1.0, 1.0]])               # row 0 is the lowest y
    img = decode_png(_raster.banded_image(z, levels=2, colorscale="Viridis", width=1)[0])
    assert img[0].sum() > img[-1].sum()                  # the top (high z) is the bright end


def test_a_flat_map_is_one_band():
    uri, lo, hi = _raster.banded_image(np.full((3, 3), 2.0), levels=5, colorscale="Viridis",
                                       width=2)
    img = decode_png(uri)
    assert lo == hi == 2.0 and len(np.unique(img.reshape(-1, 3), axis=0)) == 1


def test_the_same_map_gives_the_same_bytes():
    z = np.random.default_rng(0).random((7, 9))
    first = _raster.banded_image(z, levels=6, colorscale="Viridis")
    assert first == _raster.banded_image(z.copy(), levels=6, colorscale="Viridis")
    assert first[0] != _raster.banded_image(z[::-1].copy(), levels=6, colorscale="Viridis")[0]


@pytest.mark.parametrize("n", [2, 61, 481])
def test_upsampling_keeps_the_grid_values(n):
    z = np.random.default_rng(n).random((3, n))
    fine = _raster._upsample(z, 3)
    assert_array_equal(fine[::3, ::3], z)
