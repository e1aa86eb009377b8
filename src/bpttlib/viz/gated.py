"""Part III: gated cells and skip connections, gradient decay side by side.

Builders for book/gated.md and book/remedies.md, and the figures that the live dashboards
:func:`bpttlib.widgets.gated_decay_explorer` and :func:`bpttlib.widgets.skip_explorer` start from
and update through (:func:`gated_decay_traces`, :func:`skip_traces`). The curves come from
``bpttlib.sweeps`` (:func:`~bpttlib.sweeps.gated_decay_curves` and its grid, the cell-path and
skip sweeps); every curve is indexed by the distance ``T − k``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .. import sweeps as _sweeps
from .._checks import as_float_array, check_ndim
from . import _style
from ._controls import SLIDER_DIGITS, decay_range
from .lines import compare_slider_figure, curve_traces

#: The three cells of the gated figures, in trace order.
GATED_MODELS = ("rnn", "gru", "lstm")


def gated_decay_traces(
    curves: Mapping[str, np.ndarray],
    *,
    digits: int | None = SLIDER_DIGITS,
) -> dict[int, dict]:
    """What :func:`gated_decay_figure` shows for one forget-gate bias.

    Parameters
    ----------
    curves : mapping of str to numpy.ndarray, shape (T+1,)
        ``"rnn"``, ``"gru"``, ``"lstm"`` (:func:`~bpttlib.sweeps.gated_decay_curves`).
    digits : int or None, optional
        See :func:`curve_traces`.

    Returns
    -------
    dict of int to dict
        Traces 0, 1, 2 (tanh RNN, GRU, LSTM): ``x`` the distances, ``y`` the curves.

    Notes
    -----
    Book labels: eq-grad-decay, eq-lstm, eq-gru.
    """
    T = len(curves["rnn"]) - 1
    return curve_traces(np.arange(T + 1), {k: curves[k] for k in GATED_MODELS}, digits=digits)


def gated_decay_layout(curves: Mapping[str, np.ndarray]) -> dict:
    """The y range of :func:`gated_decay_figure`: whole units around every curve, and 0.

    Parameters
    ----------
    curves : mapping of str to numpy.ndarray, shape (T+1,) or (S, T+1)
        :func:`~bpttlib.sweeps.gated_decay_curves` or its grid over biases.

    Returns
    -------
    dict
        ``yaxis_range``.
    """
    return dict(yaxis_range=list(decay_range(*curves.values())))


def gated_decay_figure(
    forget_biases: Sequence[float],
    *,
    T: int = 100,
    n_hidden: int = 32,
    seed: int = 0,
    spectral_radius: float = 1.0,
    active: int | None = None,
    input_scale: float = 1.0,
    slider: bool = True,
) -> go.Figure:
    """tanh RNN, GRU and LSTM gradient decay side by side; a slider sets the forget-gate bias.

    Parameters
    ----------
    forget_biases : sequence of float
        The LSTM's forget-gate biases offered by the slider.
    T, n_hidden, seed, spectral_radius, input_scale : optional
        See :func:`~bpttlib.sweeps.gated_decay_curves`.
    active : int, optional
        Index of the bias shown first (default: the middle one).
    slider : bool, optional
        Add the kernel-free slider (the live dashboard turns it off).

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: tanh RNN, GRU (fixed), LSTM (moved by the slider); see
        :func:`gated_decay_traces`.

    Notes
    -----
    Book labels: eq-grad-decay, eq-lstm, eq-gru.
    """
    biases = check_ndim(as_float_array(forget_biases, "forget_biases"), "forget_biases", (1,),
                        "(S,)")
    grid = _sweeps.gated_decay_curves(biases, T=T, n_hidden=n_hidden, seed=seed,
                                      spectral_radius=spectral_radius, input_scale=input_scale)
    labels = {k: _style.MODEL_LABELS[k] for k in GATED_MODELS}
    return compare_slider_figure(
        np.arange(T + 1), {labels["lstm"]: grid["lstm"]}, biases,
        fixed={labels["rnn"]: grid["rnn"], labels["gru"]: grid["gru"]},
        colors={labels[k]: _style.MODEL_COLORS[k] for k in labels},
        value_label="LSTM forget-gate bias b<sub>f</sub> = ", value_format="{:+.1f}",
        x_title=_style.DISTANCE_TITLE, y_title=_style.GATED_Y_TITLE, active=active,
        y_range=gated_decay_layout(grid)["yaxis_range"], slider=slider,
    )


def cell_path_figure(
    forget_biases: Sequence[float],
    *,
    T: int = 100,
    n_hidden: int = 32,
    seed: int = 0,
    active: int | None = None,
) -> go.Figure:
    """An LSTM's ``log10 ‖∂c_T/∂c_k‖``: the full Jacobian and the direct cell path.

    Parameters
    ----------
    forget_biases : sequence of float
        Forget-gate biases offered by the slider (:func:`bpttlib.gated.lstm_init`).
    T, n_hidden, seed : optional
        Sequence length, ``H``, and the seed of the weights and of the probe's inputs
        ``x_t ~ N(0, 1)`` (:func:`bpttlib.tasks.probe`).
    active : int, optional
        Index of the bias shown first.

    Returns
    -------
    plotly.graph_objects.Figure
        Two traces moved by the slider: the full Jacobian (solid) and ``∏ diag(f_t)``, the
        direct path (dashed).

    Notes
    -----
    :func:`bpttlib.gated.lstm_cell_jacobian_norms`, ``path="full"`` and ``path="direct"``.
    Book label: eq-lstm-cell-jacobian.
    """
    biases = check_ndim(as_float_array(forget_biases, "forget_biases"), "forget_biases", (1,),
                        "(S,)")
    full, direct = _sweeps.cell_path_curves(biases, T=T, n_hidden=n_hidden, seed=seed)
    names = _style.CELL_PATH_LABELS
    return compare_slider_figure(
        np.arange(T + 1), {names[0]: full, names[1]: direct}, biases,
        colors={names[0]: _style.MODEL_COLORS["lstm"], names[1]: "#000000"}, dashed=(names[1],),
        value_label="forget-gate bias b<sub>f</sub> = ", value_format="{:+.1f}",
        x_title=_style.DISTANCE_TITLE, y_title=_style.CELL_Y_TITLE,
        active=active, y_range=decay_range(full, direct),
    )


def skip_traces(
    plain: np.ndarray,
    skipped: np.ndarray,
    *,
    digits: int | None = SLIDER_DIGITS,
) -> dict[int, dict]:
    """What :func:`skip_figure` shows for one skip length.

    Parameters
    ----------
    plain, skipped : numpy.ndarray, shape (T+1,)
        The RNN without and with the skip connection, by distance (``skip_curves``).
    digits : int or None, optional
        See :func:`curve_traces`.

    Returns
    -------
    dict of int to dict
        Trace 0 (the plain RNN) and trace 1 (the skip-connected one): ``x`` and ``y``.
    """
    x = np.arange(len(plain))
    return curve_traces(x, {"plain": plain, "skip": skipped}, digits=digits)


def skip_layout(plain: np.ndarray, skipped: np.ndarray) -> dict:
    """The y range of :func:`skip_figure`: whole units around every curve, and 0.

    Parameters
    ----------
    plain : numpy.ndarray, shape (T+1,)
    skipped : numpy.ndarray, shape (T+1,) or (S, T+1)

    Returns
    -------
    dict
        ``yaxis_range``.
    """
    return dict(yaxis_range=list(decay_range(plain, skipped)))


def skip_figure(
    skips: Sequence[int],
    *,
    spectral_radius: float = 1.0,
    skip_radius: float = 0.5,
    T: int = 100,
    n_hidden: int = 32,
    seed: int = 0,
    active: int | None = None,
    slider: bool = True,
) -> go.Figure:
    """Gradient decay of a tanh RNN with and without a skip connection from ``s_{t−d}``.

    Parameters
    ----------
    skips : sequence of int
        The skip lengths ``d`` offered by the slider.
    spectral_radius, skip_radius : float, optional
        ``ρ(W_s)`` and ``ρ(W_d)`` (both Gaussian).
    T, n_hidden, seed : optional
        See ``bpttlib.skip.skip_decay_curve``.
    active : int, optional
        Index of the ``d`` shown first.
    slider : bool, optional
        Add the kernel-free slider (the live dashboard turns it off).

    Returns
    -------
    plotly.graph_objects.Figure
        The plain RNN (fixed) and the skip-connected one (moved by the slider); see
        :func:`skip_traces`.

    Notes
    -----
    Book label: eq-grad-decay.
    """
    plain, curves = _sweeps.skip_curves(skips, spectral_radius=spectral_radius,
                                        skip_radius=skip_radius, T=T, n_hidden=n_hidden,
                                        seed=seed)
    names = (_style.MODEL_LABELS["rnn"], _style.SKIP_LABEL)
    return compare_slider_figure(
        np.arange(T + 1), {names[1]: curves}, [int(d) for d in skips], fixed={names[0]: plain},
        colors={names[0]: _style.MODEL_COLORS["rnn"], names[1]: _style.MODEL_COLORS["irnn"]},
        value_label="skip length d = ", value_format="{:.0f}", x_title=_style.DISTANCE_TITLE,
        y_title=_style.DECAY_Y_TITLE, active=active,
        y_range=skip_layout(plain, curves)["yaxis_range"],
        slider=slider,
    )
