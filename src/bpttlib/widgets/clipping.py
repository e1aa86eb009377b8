"""Part III's clipping dashboard: gradient descent on the cliff model, clipped and not."""

from __future__ import annotations

import numpy as np

from .. import clipping as _clipping
from .. import viz as _viz
from ._core import NARROW, Control, Explorer, _validated

__all__ = ["CLIFF_CONTROLS", "CLIFF_WS", "CLIFF_BS", "cliff_explorer"]

CLIFF_CONTROLS = {
    "lr": Control("learning rate", 0.01, 100.0, step=0.05, kind="log", continuous=False, width=NARROW),
    "clip": Control("threshold θ", 0.001, 100.0, step=0.05, kind="log", continuous=False,
                    width=NARROW),
    "w0": Control("start w", -2.0, 14.0, step=0.1, continuous=False, width=NARROW),
    "b0": Control("start b", -8.0, 4.0, step=0.1, continuous=False, width=NARROW),
    "steps": Control("steps", 1, 300, step=1, kind="int", continuous=False, width=NARROW),
}
#: The cliff dashboard's map: the grid of ``(w, b)`` (the ranges of ``w0`` and ``b0``).
CLIFF_WS, CLIFF_BS = np.linspace(-2.0, 14.0, 481), np.linspace(-8.0, 4.0, 385)


def cliff_explorer(
    *,
    lr: float = 3.0,
    clip: float = 0.2,
    w0: float = 4.0,
    b0: float = -4.0,
    steps: int = 60,
) -> Explorer:
    """Gradient descent on the cliff model, with and without norm clipping, live.

    Parameters
    ----------
    lr, clip, w0, b0, steps
        Initial values (ranges: ``CLIFF_CONTROLS``): learning rate, clipping threshold
        ``θ``, starting point (within the map), number of descent steps.

    Returns
    -------
    Explorer
        ``controls`` has the keys ``"lr"``, ``"clip"``, ``"w0"``, ``"b0"`` and ``"steps"``;
        ``figure`` is :func:`bpttlib.viz.cliff_figure` without its slider (the
        legend under the plots and the title above them): trace 1 the unclipped path, trace 2
        the clipped one, traces 4 and 5 their losses.

    Notes
    -----
    A change of ``clip`` runs :func:`bpttlib.clipping.cliff_descent` once (the unclipped path
    is cached) and sends only the clipped path; the loss map is computed once. Book labels:
    eq-cliff-model, eq-clip-norm.
    """
    values = _validated(CLIFF_CONTROLS, locals())
    ws, bs = CLIFF_WS, CLIFF_BS
    raws: dict = {}

    def paths(lr, clip, w0, b0, steps):
        key = (lr, w0, b0, steps)
        if key not in raws:
            raws.clear()
            raws[key] = _clipping.cliff_descent(w0, b0, lr=lr, steps=steps)
        return raws[key], _clipping.cliff_descent(w0, b0, lr=lr, steps=steps, clip=clip)

    raw, clipped = paths(**values)
    figure = _viz.cliff_figure(ws, bs, _clipping.cliff_loss(ws[None, :], bs[:, None]), raw,
                               [clipped], [values["clip"]], active=0, slider=False, title=" ")
    titles = [a.to_plotly_json() for a in figure.layout.annotations[:2]]  # the subplot titles

    def redraw(*, lr, clip, w0, b0, steps):
        try:
            raw, clipped = paths(lr, clip, w0, b0, steps)
        except ValueError as exc:  # an unclipped step overflowed float64: say so, keep going
            return {}, {"title_text": f"no clipping: {exc}"[:160]}
        traces = {**_viz.cliff_raw_traces(raw), **_viz.cliff_traces(clipped, clip)}
        layout = _viz.cliff_layout(ws, bs, raw, [clipped], titles=titles)
        layout["title_text"] = (
            f"lr = {lr:.3g}: final E without clipping {raw.loss[-1]:.3g}, with θ = {clip:.3g} "
            f"{clipped.loss[-1]:.3g} ({int(clipped.clipped.sum())} of {steps} steps clipped)"
        )
        return traces, layout

    return Explorer(CLIFF_CONTROLS, values, figure, redraw)
