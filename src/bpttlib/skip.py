"""A recurrent network with a skip connection in time, for the gradient-flow figures.

The state update of the vanilla RNN (eq-rnn-state) gains a second recurrent term that reaches
``d`` steps back::

    a_t = W_s s_{t-1} + W_d s_{t-d} + W_x x_t + b_s,   s_t = φ(a_t),   y_t = W_y s_t + b_y

with ``s_j = 0`` for ``j < 0`` (and ``s_0`` given, zero by default). A gradient can now travel
from ``s_T`` back to ``s_k`` in jumps of ``d`` steps, so the shortest chain has about
``(T − k)/d`` factors instead of ``T − k``. This module is deliberately small: a forward pass of
one sequence and the gradient-decay curve ``log10 ‖∂L_T/∂s_k‖₂``, enough for the book's figure
and its checks; it does not train.
"""

from __future__ import annotations

import math

import numpy as np

from . import _checks, activations, losses, matrices, rnn, tasks

__all__ = ["skip_forward", "skip_decay", "skip_decay_curve"]


def _check(params, W_d, d, xs, s0):
    _checks.check_instance(params, "params", rnn.RNNParams)
    H = params.n_hidden
    W_d = _checks.check_shape(_checks.as_float_array(W_d, "W_d"), "W_d", (H, H), "(H, H)")
    d = _checks.check_size(d, "d")
    xs, batched = _checks.as_sequence(xs, "xs", size=params.n_in)
    if batched:
        raise ValueError(f"xs: expected one sequence of shape (T, I) with I={params.n_in}, "
                         f"got {_checks.shape_str(xs.shape)}")
    if s0 is not None:
        s0 = _checks.check_shape(_checks.as_float_array(s0, "s0"), "s0", (H,), "(H,)")
    return W_d, d, xs, s0


def _forward(params, W_d, d, xs, act, s0):
    T, H = xs.shape[0], params.n_hidden
    states = np.zeros((T + 1, H))
    if s0 is not None:
        states[0] = s0
    with np.errstate(over="ignore", invalid="ignore"):
        preacts = xs @ params.W_x.T + params.b_s
        for t in range(1, T + 1):
            a = preacts[t - 1] + params.W_s @ states[t - 1]
            if t - d >= 0:
                a += W_d @ states[t - d]
            preacts[t - 1] = a
            states[t] = act.value(a)
        outputs = states[1:] @ params.W_y.T + params.b_y
    for label, arr, blame in (("states", states, "params, W_d, xs or s0"),
                              ("pre-activations", preacts, "params, W_d, xs or s0"),
                              ("outputs", outputs, "params (W_y, b_y)")):
        if not np.isfinite(arr).all():
            raise FloatingPointError(f"skip_forward: the {label} overflowed float64; {blame} "
                                     f"too large (use smaller weights or a shorter sequence)")
    return rnn.Trace(states, preacts, outputs)


def skip_forward(params, W_d, d, xs, *, activation="tanh", s0=None):
    """Run the skip-connected RNN over one sequence.

    Parameters
    ----------
    params : RNNParams
        ``W_x, W_s, b_s, W_y, b_y`` as for :func:`bpttlib.rnn.forward`.
    W_d : array_like, shape (H, H)
        Weights of the connection from ``s_{t-d}``.
    d : int
        The skip length, ``>= 1`` (``d = 1`` adds ``W_d`` to ``W_s``).
    xs : array_like, shape (T, I)
        One input sequence.
    activation : str, optional
        ``"tanh"`` (default), ``"sigmoid"``, ``"relu"`` or ``"linear"``.
    s0 : array_like, shape (H,), optional
        Initial state (default zeros); earlier states are zero.

    Returns
    -------
    bpttlib.rnn.Trace
        ``states (T+1, H)``, ``preacts (T, H)``, ``outputs (T, O)``.

    Notes
    -----
    ``a_t = W_s s_{t−1} + W_d s_{t−d} + W_x x_t + b_s``, ``s_t = φ(a_t)``: eq-rnn-state with a
    skip term.
    """
    act = activations.get(activation)
    W_d, d, xs, s0 = _check(params, W_d, d, xs, s0)
    return _forward(params, W_d, d, xs, act, s0)


def skip_decay(params, W_d, d, xs, targets, *, activation="tanh", loss="mse", s0=None):
    """``log10 ‖∂L_T/∂s_k‖₂`` for ``k = 0 … T`` in the skip-connected RNN.

    Parameters
    ----------
    params, W_d, d, xs, activation, s0
        As for :func:`skip_forward`.
    targets : array_like
        ``(T, O)`` real for ``"mse"``, ``(T,)`` integer for ``"xent"``; only the last step's
        target is used.
    loss : {"mse", "xent"}, optional
        The loss ``L_T`` of the last step.

    Returns
    -------
    numpy.ndarray, shape (T+1,)
        ``log10 ‖∂L_T/∂s_k‖₂`` (``-inf`` where the gradient is exactly zero).

    Notes
    -----
    With ``δ_t = φ'(a_t) ⊙ g_t`` and ``g_t = ∂L_T/∂s_t`` (the total derivative),
    ``g_k = W_sᵀ δ_{k+1} + W_dᵀ δ_{k+d}`` (the second term only while ``k + d ≤ T``): the
    delta recursion eq-delta-recursion with a second path. Each ``g_k`` is kept as a unit
    vector and a log10 scale, so nothing underflows however long the sequence.
    """
    act = activations.get(activation)
    _checks.check_name(loss, "loss", losses.LOSSES)
    W_d, d, xs, s0 = _check(params, W_d, d, xs, s0)
    T = xs.shape[0]
    targets = losses.check_targets(loss, targets, T, None, params.n_out)
    trace = _forward(params, W_d, d, xs, act, s0)
    _, dy = losses.loss_and_grad(loss, trace.outputs[-1:], targets[-1:], outputs_from="params")
    dphi = act.deriv(trace.preacts)  # row t-1: φ'(a_t)
    H = params.n_hidden
    units, logs = np.zeros((T + 1, H)), np.full(T + 1, -np.inf)

    def store(k, v, log_scale):
        n = math.sqrt(float(v @ v))
        if n > 0.0 and math.isfinite(log_scale):
            units[k], logs[k] = v / n, log_scale + math.log10(n)

    store(T, dy[0] @ params.W_y, 0.0)
    for k in range(T - 1, -1, -1):
        terms = [(params.W_s.T @ (dphi[k] * units[k + 1]), logs[k + 1])]
        if k + d <= T:
            terms.append((W_d.T @ (dphi[k + d - 1] * units[k + d]), logs[k + d]))
        top = max(c for _, c in terms)
        if not math.isfinite(top):
            continue
        v = sum(u * 10.0 ** (c - top) for u, c in terms if math.isfinite(c))
        store(k, v, top)
    return logs


def skip_decay_curve(spectral_radius, d, *, skip_radius=0.5, activation="tanh", n_hidden=32,
                     T=100, kind="gaussian", seed=0, input_scale=1.0):
    """The book's skip-connection slider: a random network and sequence, then :func:`skip_decay`.

    Parameters
    ----------
    spectral_radius : float
        ``ρ(W_s)``, ``>= 0``.
    d : int
        Skip length, ``>= 1``.
    skip_radius : float, optional
        ``ρ(W_d)``, ``>= 0`` (0 removes the skip connection).
    activation, n_hidden, T, kind, seed, input_scale
        As for :func:`bpttlib.jacobians.decay_curve`, whose network, inputs and targets this
        reuses: with ``skip_radius=0`` the two curves are the same.

    Returns
    -------
    numpy.ndarray, shape (T+1,)
        ``log10 ‖∂L_T/∂s_k‖₂`` for ``k = 0 … T`` (mse loss at the last step).

    Notes
    -----
    ``W_d = matrices.make(kind, H, skip_radius, seed + 1)``. Book label: eq-grad-decay.
    """
    T = _checks.check_size(T, "T")
    input_scale = _checks.check_real(input_scale, "input_scale", nonnegative=True)
    skip_radius = _checks.check_real(skip_radius, "skip_radius", nonnegative=True)
    seed = _checks.check_seed(seed)
    params = rnn.init(1, n_hidden, 1, spectral_radius=spectral_radius, seed=seed, kind=kind)
    W_d = matrices.make(kind, params.n_hidden, skip_radius, seed + 1, rho_name="skip_radius")
    xs, targets = tasks.probe(T, 1, 1, seed=seed, input_scale=input_scale)
    try:
        return skip_decay(params, W_d, d, xs, targets, activation=activation)
    except FloatingPointError as exc:
        raise FloatingPointError(f"spectral_radius, skip_radius, input_scale: too large for "
                                 f"float64 ({exc})") from None
