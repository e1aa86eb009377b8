"""Part III's remedies, live: gated cells (GRU, LSTM) and skip connections."""

from __future__ import annotations

from .. import sweeps as _sweeps
from .. import viz as _viz
from ._core import Control, Explorer, _validated

__all__ = ["GATED_CONTROLS", "SKIP_CONTROLS", "gated_decay_explorer", "skip_explorer"]

GATED_CONTROLS = {
    "forget_bias": Control("LSTM forget bias b_f", -3.0, 6.0, step=0.1),
    "T": Control("T", 1, 500, step=1, kind="int"),
    "n_hidden": Control("hidden size H", 1, 128, step=1, kind="int"),
    "spectral_radius": Control("RNN ρ(W_s)", 0.0, 3.0, step=0.01),
    "input_scale": Control("input scale", 0.0, 5.0, step=0.05),
    "seed": Control("seed", kind="seed"),
}


def gated_decay_explorer(
    *,
    forget_bias: float = 1.0,
    T: int = 100,
    n_hidden: int = 32,
    seed: int = 0,
    input_scale: float = 1.0,
    spectral_radius: float = 1.0,
) -> Explorer:
    """tanh RNN, GRU and LSTM gradient decay ``log10 ‖∂L_T/∂h_k‖``, recomputed live.

    Parameters
    ----------
    forget_bias, T, n_hidden, seed, input_scale, spectral_radius
        Initial values (ranges: ``GATED_CONTROLS``): the LSTM's forget-gate bias, the
        sequence length, ``H``, the seed of the three networks and their shared inputs, the
        inputs' standard deviation, ``ρ(W_s)`` of the tanh RNN.

    Returns
    -------
    Explorer
        ``controls``: ``"forget_bias"``, ``"T"``, ``"n_hidden"``, ``"seed"``, ``"input_scale"``,
        ``"spectral_radius"``; ``figure`` (:func:`bpttlib.viz.gated_decay_figure` without its
        slider) traces 0, 1, 2: tanh RNN, GRU, LSTM (by distance, full precision).

    Notes
    -----
    Each change calls ``bpttlib.sweeps.gated_decay_curves`` (log space, no underflow) and
    applies :func:`bpttlib.viz.gated_decay_traces`. Book labels: eq-grad-decay, eq-lstm,
    eq-gru.
    """
    values = _validated(GATED_CONTROLS, locals())

    def redraw(*, forget_bias, T, **common):
        curves = _sweeps.gated_decay_curves(forget_bias, T=T, **common)
        title = (f"at distance {T}: tanh RNN 10<sup>{curves['rnn'][-1]:.1f}</sup>, GRU "
                 f"10<sup>{curves['gru'][-1]:.1f}</sup>, LSTM "
                 f"10<sup>{curves['lstm'][-1]:.1f}</sup>")
        return (_viz.gated_decay_traces(curves, digits=None),
                {**_viz.gated_decay_layout(curves), "title_text": title})

    figure = _viz.gated_decay_figure([values["forget_bias"]], T=values["T"],
                                     n_hidden=values["n_hidden"], seed=values["seed"],
                                     spectral_radius=values["spectral_radius"],
                                     input_scale=values["input_scale"], slider=False)
    return Explorer(GATED_CONTROLS, values, figure, redraw)


SKIP_CONTROLS = {
    "d": Control("skip length d", 1, 100, step=1, kind="int"),
    "skip_radius": Control("ρ(W_d)", 0.0, 2.0, step=0.01),
    "spectral_radius": Control("ρ(W_s)", 0.0, 2.0, step=0.01),
    "T": Control("T", 1, 500, step=1, kind="int"),
    "seed": Control("seed", kind="seed"),
}


def skip_explorer(
    *,
    d: int = 10,
    skip_radius: float = 0.5,
    spectral_radius: float = 1.0,
    T: int = 100,
    seed: int = 0,
) -> Explorer:
    """Gradient decay of a tanh RNN with a skip connection from ``s_{t−d}``, live.

    Parameters
    ----------
    d, skip_radius, spectral_radius, T, seed
        Initial values (ranges: ``SKIP_CONTROLS``): the skip length, ``ρ(W_d)``,
        ``ρ(W_s)``, the sequence length, the seed.

    Returns
    -------
    Explorer
        ``controls``: ``"d"``, ``"skip_radius"``, ``"spectral_radius"``, ``"T"``, ``"seed"``;
        ``figure`` (:func:`bpttlib.viz.skip_figure` without its slider) trace 0 the plain RNN,
        trace 1 the skip-connected one (by distance, full precision).

    Notes
    -----
    ``bpttlib.sweeps.skip_curves`` (H = 32) and :func:`bpttlib.viz.skip_traces`. Book label:
    eq-grad-decay.
    """
    values = _validated(SKIP_CONTROLS, locals())

    def redraw(*, d, **common):
        plain, curves = _sweeps.skip_curves([d], **common)
        return _viz.skip_traces(plain, curves[0], digits=None), _viz.skip_layout(plain, curves)

    figure = _viz.skip_figure([values["d"]], skip_radius=values["skip_radius"],
                              spectral_radius=values["spectral_radius"], T=values["T"],
                              seed=values["seed"], slider=False)
    return Explorer(SKIP_CONTROLS, values, figure, redraw)
