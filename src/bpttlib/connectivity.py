"""Connectivity: how strongly one output of a network depends on each of its inputs.

The *connectivity* of the output ``y_s`` to the input ``x_t`` is the Frobenius norm of the
Jacobian ``‖∂y_s/∂x_t‖_F`` (an ``O × I`` matrix), for ``t = 1 … s``: the total derivative,
through every route of the unrolled network. For a trained network it shows what the output
*remembers*: which inputs, however far back, still move it. Madsen's "Visualizing memorization
in RNNs" (Distill, 2019) draws the same quantity for trained language models.

One backward sweep from ``y_s`` gives every ``t`` at once: the adjoints carry one row per output
unit (``O`` of them) and per sequence, and at each step the input gradient is the adjoint of the
pre-activations times the input weights. The tanh RNN (:class:`bpttlib.rnn.RNNParams`), the LSTM
and the GRU (:mod:`bpttlib.gated`) are supported; the cell is chosen by the parameter type.
"""

from __future__ import annotations

import numpy as np

from . import _checks, gated, rnn

__all__ = ["connectivity", "copy_connectivity", "position_ratio"]


def _adjoint_start(W_y, B):
    """``∂y_s/∂h_s`` for every output unit and sequence: (O, B, H)."""
    O = W_y.shape[0]
    return np.broadcast_to(W_y[:, None, :], (O, B, W_y.shape[1])).copy()


def _rnn_sweep(params, xs3, s):
    trace = rnn.forward(params, xs3, activation="tanh")
    G = _adjoint_start(params.W_y, xs3.shape[1])
    out = np.empty((s,) + G.shape[:2] + (xs3.shape[2],))
    for t in range(s - 1, -1, -1):  # 0-based step t produces s_{t+1}
        da = G * (1.0 - trace.states[t + 1] ** 2)  # ∂y/∂a_t = φ'(a_t) ⊙ δ_t
        out[t] = da @ params.W_x
        G = da @ params.W_s
    return out


def _lstm_sweep(params, xs3, s):
    trace = gated.lstm_forward(params, xs3)
    H = params.n_hidden
    i, f, g, o = (trace.gates[..., k * H:(k + 1) * H] for k in range(4))
    c = trace.cells
    gh = _adjoint_start(params.W_y, xs3.shape[1])
    gc = np.zeros_like(gh)
    out = np.empty((s,) + gh.shape[:2] + (xs3.shape[2],))
    for t in range(s - 1, -1, -1):
        tc = np.tanh(c[t + 1])
        gc = gc + gh * o[t] * (1.0 - tc * tc)  # the total ∂/∂c_t
        dz = np.concatenate([gc * g[t] * i[t] * (1.0 - i[t]),   # i  (PyTorch order i, f, g, o)
                             gc * c[t] * f[t] * (1.0 - f[t]),   # f
                             gc * i[t] * (1.0 - g[t] ** 2),     # g
                             gh * tc * o[t] * (1.0 - o[t])],    # o
                            axis=-1)
        out[t] = dz @ params.W_x
        gh = dz @ params.W_h
        gc = gc * f[t]
    return out


def _gru_sweep(params, xs3, s):
    trace = gated.gru_forward(params, xs3)
    H = params.n_hidden
    r, z, n = (trace.gates[..., k * H:(k + 1) * H] for k in range(3))
    h = trace.states
    gh = _adjoint_start(params.W_y, xs3.shape[1])
    out = np.empty((s,) + gh.shape[:2] + (xs3.shape[2],))
    for t in range(s - 1, -1, -1):
        hn = h[t] @ params.W_h[2 * H:].T + params.b_h[2 * H:]  # W_hn h_{t-1} + b_hn
        d_an = gh * (1.0 - z[t]) * (1.0 - n[t] ** 2)
        d_ar = d_an * hn * r[t] * (1.0 - r[t])
        d_az = gh * (h[t] - n[t]) * z[t] * (1.0 - z[t])
        out[t] = np.concatenate([d_ar, d_az, d_an], axis=-1) @ params.W_x
        gh = (np.concatenate([d_ar, d_az, d_an * r[t]], axis=-1) @ params.W_h
              + gh * z[t])
    return out


_SWEEPS = {rnn.RNNParams: _rnn_sweep, gated.LSTMParams: _lstm_sweep,
           gated.GRUParams: _gru_sweep}


def _check(params, xs, at):
    sweep = _SWEEPS.get(type(params))
    if sweep is None:
        raise TypeError(f"params: expected RNNParams, LSTMParams or GRUParams, "
                        f"got {type(params).__name__}")
    xs = _checks.as_float_array(xs, "xs")
    n_in = params.W_x.shape[1]
    if xs.ndim not in (2, 3) or xs.shape[-1] != n_in or xs.shape[0] < 1:
        raise ValueError(f"xs: expected shape (T, I) or (T, B, I) with I={n_in}, "
                         f"got {_checks.shape_str(xs.shape)}")
    T = xs.shape[0]
    at = T if at is None else _checks.check_int(at, "at", minimum=1)
    if at > T:
        raise ValueError(f"at: expected a step 1 … T={T}, got {at}")
    return sweep, xs, at


def connectivity(params, xs, *, at=None):
    """Connectivity ``‖∂y_s/∂x_t‖_F`` of one output step to every earlier input.

    Parameters
    ----------
    params : RNNParams, LSTMParams or GRUParams
        A tanh RNN, an LSTM or a GRU (the cell is chosen by the type).
    xs : array_like, shape (T, I) or (T, B, I)
        Inputs ``x_1 … x_T``.
    at : int, optional
        The output step ``s`` (1-based, ``1 … T``; default ``T``).

    Returns
    -------
    numpy.ndarray, shape (s,) or (s, B)
        Entry ``t − 1`` is ``‖∂y_s/∂x_t‖_F`` for ``t = 1 … s``, per sequence.

    Raises
    ------
    TypeError
        If ``params`` is not one of the three parameter types.
    ValueError
        If ``xs`` has the wrong shape or non-finite entries, or ``at`` is outside ``1 … T``.
    FloatingPointError
        If the Jacobian overflows float64.

    Notes
    -----
    The backward recursion of eq-rnn-state, eq-lstm or eq-gru started from ``∂y_s/∂h_s = W_y``
    instead of a loss gradient; at each step ``∂y_s/∂x_t = (∂y_s/∂z_t) W_x`` with ``z_t`` the
    gate pre-activations. The input reaches ``y_s`` through every route (the cell path and
    the gates), so this is the total derivative.
    """
    sweep, xs, s = _check(params, xs, at)
    batched = xs.ndim == 3
    xs3 = xs if batched else xs[:, None, :]
    with np.errstate(over="ignore", invalid="ignore"):
        jac = sweep(params, xs3[:s], s)  # (s, O, B, I)
        norms = np.sqrt(np.sum(jac * jac, axis=(1, 3)))  # (s, B)
    if not np.all(np.isfinite(norms)):
        raise FloatingPointError("connectivity: the Jacobian ∂y_s/∂x_t overflowed float64; "
                                 "params: the weights are too large")
    return norms if batched else norms[:, 0]


def copy_connectivity(params, xs, *, n_recall=10):
    """The copy task's connectivity: the recall outputs' mean connectivity to each input.

    Parameters
    ----------
    params : RNNParams, LSTMParams or GRUParams
    xs : array_like, shape (T + 20, I) or (T + 20, B, I)
        Copy-task inputs (:func:`bpttlib.tasks.copy_task`): 10 symbols, the delay, 10 recall
        steps.
    n_recall : int, optional
        The number of recall steps at the end (10 for :func:`bpttlib.tasks.copy_task`).

    Returns
    -------
    numpy.ndarray, shape (L − n_recall,) or (L − n_recall, B)
        ``C(t) = (1/n_recall) Σ_r ‖∂y_{L−n_recall+r}/∂x_t‖_F`` for ``t = 1 … L − n_recall``
        (``L`` the sequence length): every input up to the delimiter, each seen by all the
        recall outputs ``r = 1 … n_recall``.

    Notes
    -----
    The mean of :func:`connectivity` over the recall steps (eq-lstm, eq-gru, eq-rnn-state).
    """
    xs = _checks.as_float_array(xs, "xs")
    L = xs.shape[0] if xs.ndim in (2, 3) else 0
    n_recall = _checks.check_int(n_recall, "n_recall", minimum=1)
    if n_recall >= L:
        raise ValueError(f"n_recall: expected fewer than the {L} steps of xs, got {n_recall}")
    first = L - n_recall
    return np.mean([connectivity(params, xs, at=first + r)[:first]
                    for r in range(1, n_recall + 1)], axis=0)


def position_ratio(conn, marked):
    """How much more the marked inputs are seen than the others, per sequence.

    Parameters
    ----------
    conn : array_like, shape (L,) or (L, B)
        Connectivity over the input positions.
    marked : array_like of bool, shape (L,) or (L, B)
        Which positions are marked (at least one marked and one unmarked per sequence).

    Returns
    -------
    float or numpy.ndarray, shape (B,)
        ``mean(conn[marked]) / median(conn[unmarked])``.

    Notes
    -----
    A summary of the connectivity of :func:`connectivity` (no book equation).
    """
    conn = _checks.as_float_array(conn, "conn")
    marked = _checks.as_bool_array(marked, "marked")
    if marked.shape != conn.shape or conn.ndim not in (1, 2):
        raise ValueError(f"marked: expected booleans of the shape of conn "
                         f"{_checks.shape_str(conn.shape)}, got {marked.dtype} "
                         f"{_checks.shape_str(marked.shape)}")
    c2, m2 = (conn, marked) if conn.ndim == 2 else (conn[:, None], marked[:, None])
    if np.any(m2.all(axis=0)) or not np.all(m2.any(axis=0)):
        raise ValueError("marked: expected at least one marked and one unmarked position "
                         "per sequence")
    if np.any(conn < 0):
        raise ValueError("conn: expected non-negative norms, got a negative entry")
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ratios = np.array([np.mean(c2[m2[:, b], b]) / np.median(c2[~m2[:, b], b])
                           for b in range(c2.shape[1])])
    if not np.all(np.isfinite(ratios)):
        raise FloatingPointError("position_ratio: the ratio is not finite; conn: a median of the "
                                 "unmarked positions is 0 or an entry overflows the mean")
    return ratios if conn.ndim == 2 else float(ratios[0])
