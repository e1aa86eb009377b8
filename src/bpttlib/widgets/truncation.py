"""Part III's truncation dashboard: truncated against exact BPTT on the agreement task."""

from __future__ import annotations

import numpy as np

from .. import activations as _activations
from .. import sweeps as _sweeps
from .. import viz as _viz
from ._core import NARROW, Control, Explorer, _validated

__all__ = ["TRUNCATION_KINDS", "TRUNCATION_CONTROLS", "truncation_explorer"]

#: W_s kinds offered by :func:`truncation_explorer`, as (label, value).
TRUNCATION_KINDS = (("Gaussian", "gaussian"), ("orthogonal", "orthogonal"))

TRUNCATION_CONTROLS = {
    "k": Control("truncation k", 1, 199, step=1, kind="int", width=NARROW),
    "T": Control("length T", 3, 200, step=1, kind="int", continuous=False, width=NARROW),
    "spectral_radius": Control("ρ(W_s)", 0.0, 2.0, step=0.05, continuous=False, width=NARROW),
    "activation": Control("activation φ", kind="choice", options=_activations.ACTIVATIONS),
    "kind": Control("W_s", kind="choice", options=TRUNCATION_KINDS),
    "seed": Control("seed", kind="seed"),
}


def truncation_explorer(
    *,
    k: int = 5,
    T: int = 30,
    spectral_radius: float = 1.0,
    activation: str = "tanh",
    kind: str = "orthogonal",
    seed: int = 0,
) -> Explorer:
    """Truncated against exact BPTT on the agreement task, recomputed live.

    Parameters
    ----------
    k, T, spectral_radius, activation, kind, seed
        Initial values (ranges and choices: ``TRUNCATION_CONTROLS``): the truncation
        length (``k >= T`` shows exact BPTT, ``k = T − 1``), the agreement task's length,
        ``ρ(W_s)``, ``φ``, the kind of ``W_s``, the seed of the network and the batch (32
        sequences).

    Returns
    -------
    Explorer
        ``controls`` has the keys ``"k"``, ``"T"``, ``"spectral_radius"``, ``"activation"``,
        ``"kind"`` and ``"seed"``; ``figure`` is :func:`bpttlib.viz.truncation_figure` without
        its slider, updated through :func:`bpttlib.viz.truncation_traces`.

    Notes
    -----
    A change of ``k`` only re-splits a cached sweep (``bpttlib.sweeps.agreement_sweep``); any
    other change recomputes the sweep: ``T − 1`` truncated backward passes, ``O(T³·H²)`` with
    ``H = 16`` (about 0.2 s at T = 30, a few seconds at T = 200). The loss is the
    cross-entropy of the verb at the last step (many-to-one). Book label: eq-truncated-bptt.
    """
    values = _validated(TRUNCATION_CONTROLS, locals())
    cache: dict = {}

    def sweep_for(T, spectral_radius, activation, kind, seed):
        key = (T, spectral_radius, activation, kind, seed)
        if key not in cache:
            cache.clear()
            cache[key] = _sweeps.agreement_sweep(T, spectral_radius=spectral_radius,
                                                 activation=activation, kind=kind, seed=seed)
        return cache[key]

    def redraw(*, k, T, **setting):
        sweep = sweep_for(T, **setting)
        kk = min(k, T - 1)
        i = int(np.flatnonzero(sweep.ks == kk)[0])
        note = " (k ≥ T − 1: exact BPTT)" if k >= T - 1 else ""
        title = (f"k = {kk}{note}: cosine {sweep.cosine[i]:.4f}, norm ratio "
                 f"{sweep.norm_ratio[i]:.3f} ({setting['activation']}, ρ(W<sub>s</sub>) = "
                 f"{setting['spectral_radius']:.2f})")
        traces = {**_viz.truncation_traces(sweep, kk), **_viz.truncation_sweep_traces(sweep)}
        return traces, {**_viz.truncation_layout(sweep), "title_text": title}

    first = sweep_for(values["T"], values["spectral_radius"], values["activation"],
                      values["kind"], values["seed"])
    figure = _viz.truncation_figure(first, k=min(values["k"], values["T"] - 1), slider=False,
                                    title=" ")  # room for the title
    return Explorer(TRUNCATION_CONTROLS, values, figure, redraw)
