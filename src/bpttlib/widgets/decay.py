"""Part II's dashboards: the scalar chain's factor and the gradient decay."""

from __future__ import annotations

from .. import activations as _activations
from .. import jacobians as _jacobians
from .. import viz as _viz
from ._core import Control, Explorer, _validated

__all__ = ["POWER_CONTROLS", "DECAY_KINDS", "DECAY_HIDDEN", "DECAY_CONTROLS", "power_explorer",
           "decay_explorer"]

POWER_CONTROLS = {
    "w": Control("w", *_viz.POWER_W_RANGE, step=0.01),
    "T": Control("T", 5, 200, step=1, kind="int"),
}


def power_explorer(w: float = 0.9, T: int = 50) -> Explorer:
    """The scalar linear RNN's gradient factor ``|∂s_T/∂s_k| = |w|^(T-k)``, live.

    Parameters
    ----------
    w, T
        Initial recurrent weight and sequence length (ranges: ``POWER_CONTROLS``).

    Returns
    -------
    Explorer
        Controls ``"w"`` and ``"T"``; the figure (:func:`bpttlib.viz.power_figure`) plots log10
        of the factor against ``T - k`` on a y axis fixed for every ``w``, so each change of
        ``w`` moves the line.

    Notes
    -----
    For ``s_t = w s_{t-1} + x_t`` the step Jacobian is ``w``, so the chain from ``s_k`` to
    ``s_T`` multiplies ``T - k`` copies of it (book label: eq-jacobian-product).
    """
    values = _validated(POWER_CONTROLS, locals())

    def redraw(*, w, T):
        return _viz.power_traces(w, T), _viz.power_layout(T)

    return Explorer(POWER_CONTROLS, values, _viz.power_figure(**values), redraw)


#: W_s kinds offered by :func:`decay_explorer`, as (label, value).
DECAY_KINDS = (("Gaussian", "gaussian"), ("orthogonal", "orthogonal"), ("non-normal", "nonnormal"))
#: Hidden sizes offered by :func:`decay_explorer` (another size given as default is added).
DECAY_HIDDEN = (4, 8, 16, 32, 64, 128, 256)

DECAY_CONTROLS = {
    "spectral_radius": Control("ρ(W_s)", 0.0, 3.0, step=0.01),
    "activation": Control("activation φ", kind="choice", options=_activations.ACTIVATIONS),
    "kind": Control("W_s", kind="choice", options=DECAY_KINDS),
    "T": Control("T", 1, 1000, step=1, kind="int"),
    "n_hidden": Control("hidden size H", 1, 512, kind="int", options=DECAY_HIDDEN),
    "input_scale": Control("input scale", 0.0, 5.0, step=0.05),
    "seed": Control("seed", kind="seed"),
}


def decay_explorer(
    *,
    spectral_radius: float = 1.0,
    activation: str = "tanh",
    n_hidden: int = 32,
    T: int = 100,
    seed: int = 0,
    input_scale: float = 1.0,
    kind: str = "gaussian",
) -> Explorer:
    """``log10 ‖∂L_T/∂s_k‖`` against the distance ``T − k``, recomputed live by bpttlib.

    Parameters
    ----------
    spectral_radius, activation, n_hidden, T, seed, input_scale, kind
        Initial values (ranges and choices: ``DECAY_CONTROLS``): ``ρ(W_s)``, ``φ``, the
        hidden size ``H``, the sequence length, the seed of the weights and of the inputs, the
        inputs' standard deviation (large values saturate tanh and sigmoid), the kind of ``W_s``.

    Returns
    -------
    Explorer
        ``controls`` has the keys ``"spectral_radius"``, ``"activation"``, ``"n_hidden"``,
        ``"T"``, ``"seed"``, ``"input_scale"`` and ``"kind"``; ``figure``
        (:func:`bpttlib.viz.decay_curve_figure`) holds the curve (trace 0) and the bound of
        eq-jacobian-bound (trace 1, dashed). Where the curve passes float64's range a dotted
        line and a note say so; exact zeros are left out; the figure never holds NaN or inf.

    Notes
    -----
    Each change calls :func:`bpttlib.jacobians.decay_curve` (log space, ``O(T·H²)``): about
    5 ms at H = 128, T = 200. Book label: eq-grad-decay.
    """
    values = _validated(DECAY_CONTROLS, locals())

    def curve(*, spectral_radius, activation, kind, T, n_hidden, input_scale, seed):
        return _jacobians.decay_curve(spectral_radius, activation, n_hidden=n_hidden, T=T,
                                      kind=kind, seed=seed, input_scale=input_scale)

    def redraw(**v):
        c = curve(**v)
        return _viz.decay_curve_traces(c, v["activation"]), _viz.decay_curve_layout(c)

    figure = _viz.decay_curve_figure(curve(**values), values["activation"])
    return Explorer(DECAY_CONTROLS, values, figure, redraw)
