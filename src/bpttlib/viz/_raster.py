"""A filled-contour map as a picture: a PNG that plotly lays under a subplot's traces.

A contour trace makes plotly redraw its whole subplot on every slider step (and needs the larger
plotly.js bundle); the same bands drawn once as an image keep a figure scatter-only, so a
kernel-free slider moves only the traces it changes. Pure numpy + zlib, deterministic bytes.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np
from plotly.colors import sample_colorscale, unlabel_rgb

__all__ = ["banded_image", "png_data_uri"]


def png_data_uri(rgb: np.ndarray) -> str:
    """Encode an ``(H, W, 3)`` uint8 image, first row at the top, as a PNG ``data:`` URI."""
    height, width, _ = rgb.shape

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + \
            struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    rows = np.concatenate([np.zeros((height, 1), np.uint8),          # filter 0 on every row
                           np.ascontiguousarray(rgb, np.uint8).reshape(height, -1)], axis=1)
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _upsample(z: np.ndarray, factor: int) -> np.ndarray:
    """Bilinear interpolation of a grid to ``factor`` times its resolution (ends kept)."""
    for axis in (0, 1):
        n = z.shape[axis]
        fine = np.linspace(0, n - 1, (n - 1) * factor + 1)
        lo = np.minimum(fine.astype(int), n - 2)
        w = (fine - lo).reshape([-1 if a == axis else 1 for a in range(2)])
        z = np.take(z, lo, axis=axis) * (1 - w) + np.take(z, lo + 1, axis=axis) * w
    return z


def banded_image(z: np.ndarray, *, levels: int, colorscale: str, width: int = 480,
                 line: float = 0.35) -> tuple[str, float, float]:
    """``z`` on a grid (rows = y ascending) as filled contour bands with darker edges.

    Parameters
    ----------
    z : numpy.ndarray, shape (M, N)
        Finite values on an ascending grid (row 0 is the lowest y).
    levels : int
        Number of equal bands between ``z.min()`` and ``z.max()``.
    colorscale : str
        A plotly colorscale name; band ``i`` gets its colour at ``(i + 0.5) / levels``.
    width : int, optional
        A grid narrower than this many pixels is upsampled (bilinear) to about this width
        before banding: smoother band edges.
    line : float, optional
        How much darker a pixel on a band's edge is (a contour line).

    Returns
    -------
    (str, float, float)
        The PNG data URI (top row = highest y) and the range ``(z.min(), z.max())``.
    """
    lo, hi = float(z.min()), float(z.max())
    z = np.asarray(z, dtype=float)
    factor = max(1, min(8, -(-width // max(z.shape[1] - 1, 1))))
    fine = _upsample(z, factor)[::-1]       # image rows run downwards
    band = np.clip(((fine - lo) / ((hi - lo) or 1.0) * levels).astype(int), 0, levels - 1)
    colors = np.array([unlabel_rgb(c) for c in
                       sample_colorscale(colorscale, (np.arange(levels) + 0.5) / levels)])
    rgb = colors[band]
    edge = np.zeros(band.shape, bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    rgb[edge] *= 1 - line
    return png_data_uri(np.round(rgb).astype(np.uint8)), lo, hi
