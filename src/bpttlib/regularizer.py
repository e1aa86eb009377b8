"""The regulariser of Pascanu, Mikolov & Bengio (2013, §3.3) against vanishing gradients.

For the vanilla RNN of :mod:`bpttlib.rnn`, with ``δ_t = ∂L/∂s_t`` and the step Jacobian
``J_t = diag(φ'(a_t)) W_s``,

    Ω = Σ_t ( ‖J_tᵀ δ_t‖ / ‖δ_t‖ − 1 )²,   t = 1 … T,

asks each step to pass the error back to the previous state with its norm unchanged. Following
the paper, its gradient treats the ``δ_t`` as constants: :func:`penalty` takes them as an
argument (:func:`deltas` computes them), and its gradient is the exact gradient of ``Ω`` with
the ``δ_t`` frozen. :func:`regularized_objective` adds ``α ∇Ω`` to the loss gradient for
:func:`bpttlib.train.fit`.
"""

from __future__ import annotations

import numpy as np

from . import _checks, activations, rnn

__all__ = ["deltas", "penalty", "regularized_objective"]

# φ'' from s = φ(a), for the activations with a smooth derivative.
_SECOND = {
    "tanh": lambda s: -2.0 * s * (1.0 - s * s),
    "sigmoid": lambda s: s * (1.0 - s) * (1.0 - 2.0 * s),
    "linear": lambda s: np.zeros_like(s),
}


def _smooth_activation(activation) -> str:
    return _checks.check_name(activation, "activation", tuple(_SECOND))


def deltas(params, xs, targets, *, activation="tanh", loss="mse", mask=None, s0=None):
    """Loss, gradients and the errors ``δ_t = ∂L/∂s_t`` of every step.

    Parameters
    ----------
    params : RNNParams
    xs, targets, loss, mask, s0
        As for :func:`bpttlib.rnn.bptt`.
    activation : {"tanh", "sigmoid", "linear"}

    Returns
    -------
    loss : float
    grads : RNNParams
        Exact gradients (as :func:`bpttlib.rnn.bptt`).
    delta : numpy.ndarray, shape (T, H) or (T, B, H)
        ``δ_t`` for ``t = 1 … T`` (row ``t−1``), per sequence of the batch (the loss is the
        batch mean, so a batch's ``δ`` carry the factor ``1/B``).

    Notes
    -----
    ``δ_t = ∂L_t/∂s_t + J_{t+1}ᵀ δ_{t+1}``. Book label: eq-delta-recursion.
    """
    activation = _smooth_activation(activation)
    act, params, xs, trace, value, dy = rnn._prepare(params, xs, targets, activation, loss,
                                                     mask, s0)
    with np.errstate(over="ignore", invalid="ignore"):
        g, dphi = rnn._block(trace.preacts.shape, trace.preacts.shape)
        dW_y, db_y = rnn._output_grads(params, trace, dy, g)
        act.deriv_from_value(trace.states[1:], out=dphi)
        delta = g.copy()
        for t in range(xs.shape[0] - 1, 0, -1):
            delta[t - 1] += (dphi[t] * delta[t]) @ params.W_s
        grads = rnn._gather(params, xs, trace, dphi * delta, dW_y, db_y)
    if not (np.isfinite(delta).all() and all(np.isfinite(a).all() for a in grads)):
        raise FloatingPointError("params: deltas overflowed float64 (exploding gradients)")
    return value, rnn.RNNParams(*grads), delta


def penalty(params, xs, delta, *, activation="tanh", s0=None):
    """Pascanu's ``Ω`` and its gradient with the errors ``δ_t`` held fixed.

    Parameters
    ----------
    params : RNNParams
    xs : array_like, shape (T, I) or (T, B, I)
    delta : array_like, shape (T, H) or (T, B, H)
        The errors ``δ_t`` (from :func:`deltas`), treated as constants.
    activation : {"tanh", "sigmoid", "linear"}
    s0 : array_like, optional
        Initial state.

    Returns
    -------
    omega : float
        ``Ω`` (with a batch: the mean over the batch of the per-sequence sums). A step whose
        ``δ_t`` is exactly zero contributes nothing.
    grads : RNNParams
        ``∂Ω/∂θ`` with ``δ`` fixed, through the explicit ``W_s`` of ``J_t`` and through
        ``φ'(a_t)``, whose ``a_t`` depends on every parameter of the recurrence; zero for
        ``W_y, b_y``.

    Notes
    -----
    ``Ω = Σ_t (‖J_tᵀ δ_t‖/‖δ_t‖ − 1)²`` with ``J_t = diag(φ'(a_t)) W_s`` (Pascanu et al. 2013,
    §3.3, in this book's parametrisation). With ``u_t = φ'(a_t) ⊙ δ_t``, ``v_t = W_sᵀ u_t`` and
    ``q_t = ∂Ω/∂v_t = 2 (r_t − 1) v_t / (‖v_t‖ ‖δ_t‖)``: ``∂Ω/∂W_s ∋ Σ_t u_t q_tᵀ`` directly, and
    ``∂Ω/∂a_t = (δ_t ⊙ W_s q_t) ⊙ φ''(a_t)``, propagated back through the states like any loss
    (eq-delta-recursion). Book label: eq-pascanu-regularizer.
    """
    activation = _smooth_activation(activation)
    act = activations.get(activation)
    params, xs, B, s0 = rnn.check_inputs(params, xs, s0)
    d = _checks.as_float_array(delta, "delta")
    _checks.check_shape(d, "delta", (*xs.shape[:-1], params.n_hidden), "(T, [B,] H)")
    trace = rnn.forward_validated(params, xs, act, s0)
    s = trace.states[1:]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        dphi = act.deriv_from_value(s)
        u = dphi * d
        v = u @ params.W_s
        nd = np.linalg.norm(d, axis=-1, keepdims=True)
        nv = np.linalg.norm(v, axis=-1, keepdims=True)
        live = nd > 0
        r = np.where(live, nv / np.where(live, nd, 1.0), 1.0)
        omega = float(np.sum((r - 1.0) ** 2))
        q = np.where(live & (nv > 0), 2.0 * (r - 1.0) * v / (nv * np.where(live, nd, 1.0)), 0.0)
        dW_s_direct = rnn._flat(u).T @ rnn._flat(q)
        da = d * (q @ params.W_s.T) * _SECOND[activation](s)
        for t in range(xs.shape[0] - 1, 0, -1):    # a_{t+1} = W_s s_t + …: back through s_t
            da[t - 1] += dphi[t - 1] * (da[t] @ params.W_s)
        zero_y = (np.zeros_like(params.W_y), np.zeros_like(params.b_y))
        dW_x, dW_s, db_s, dW_y, db_y = rnn._gather(params, xs, trace, da, *zero_y)
        dW_s = dW_s + dW_s_direct
    scale = 1.0 / (B or 1)
    grads = (dW_x * scale, dW_s * scale, db_s * scale, dW_y, db_y)
    if not (np.isfinite(omega) and all(np.isfinite(a).all() for a in grads)):
        raise FloatingPointError("params, delta: penalty overflowed float64 (Ω or its gradient)")
    return omega * scale, rnn.RNNParams(*grads)


def regularized_objective(alpha, *, activation="tanh", loss="mse"):
    """``objective(params, (xs, targets, mask))`` for :func:`bpttlib.train.fit` with ``α Ω``.

    Parameters
    ----------
    alpha : float
        Weight ``α ≥ 0`` of the regulariser (``0``: plain BPTT).
    activation : {"tanh", "sigmoid", "linear"}
    loss : {"mse", "xent"}

    Returns
    -------
    callable
        ``objective(params, batch) -> (L, ∇L + α ∇Ω)``. The value is the task loss ``L`` alone
        (what a learning curve should show); the gradient includes the regulariser's, with the
        ``δ_t`` of the same batch frozen.

    Notes
    -----
    Book label: eq-pascanu-regularizer.
    """
    alpha = _checks.check_real(alpha, "alpha", nonnegative=True)
    activation = _smooth_activation(activation)

    def objective(params, batch):
        if not isinstance(batch, tuple) or len(batch) != 3:
            raise TypeError(f"batch: expected a tuple (xs, targets, mask), got "
                            f"{type(batch).__name__}")
        xs, targets, mask = batch
        value, grads, delta = deltas(params, xs, targets, activation=activation, loss=loss,
                                     mask=mask)
        if alpha == 0.0:
            return value, grads
        _, g_omega = penalty(params, xs, delta, activation=activation)
        return value, grads.zip_map(lambda a, b: a + alpha * b, g_omega)

    return objective
