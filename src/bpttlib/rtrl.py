"""Forward-mode differentiation through time: real-time recurrent learning (RTRL).

BPTT (:func:`bpttlib.rnn.bptt`) runs the network forward, keeps the whole history, and sends
the error backward. RTRL gets the same gradient going *forward* only: next to the state
``s_t`` it carries the sensitivity ``P_t = ∂s_t/∂θ`` of the state to every recurrent parameter
``θ = (W_s, W_x, b_s)``, an ``H × P`` matrix with ``P = H (H + I + 1)`` (book label eq-rtrl)::

    P_t = diag(φ'(a_t)) (W_s P_{t-1} + ∂⁺a_t/∂θ),   P_0 = 0,
    ∂L/∂θ = Σ_t ∂L_t/∂s_t · P_t.

Nothing of the past is kept, so the gradient of the loss so far is ready at every step
(:func:`online`), at a price: ``H·P ≈ H³`` floats held and ``H²·P ≈ H⁴`` multiply-adds per
step, against BPTT's ``T (H + I)`` floats and ``O(H² + H I)`` per step (:func:`cost`).

Layout: the three recurrent parameters are one matrix ``Θ = [W_s | W_x | b_s]`` of shape
``(H, K)``, ``K = H + I + 1``, and ``a_t = Θ z_t`` with ``z_t = [s_{t-1}; x_t; 1]``. The
sensitivity is stored as ``(H, H, K)`` (``[h, i, j] = ∂s_{t,h}/∂Θ_{ij}``), ``(B, H, H, K)``
with a batch; the immediate part ``∂⁺a_{t,h}/∂Θ_{ij} = [h = i] z_{t,j}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from . import _checks, activations, losses, rnn

__all__ = ["rtrl", "online", "Cost", "cost", "crossover_T", "METHODS"]

#: The methods :func:`cost` counts.
METHODS = ("bptt", "rtrl")


def _prepare(params, xs, targets, activation, loss, mask, s0):
    """Validate every argument (as :func:`bpttlib.rnn.bptt` does) before any work."""
    act = activations.get(activation)
    _checks.check_name(loss, "loss", losses.LOSSES)
    params, xs, B, s0 = rnn.check_inputs(params, xs, s0)
    T, H = xs.shape[0], params.n_hidden
    targets = losses.check_targets(loss, targets, T, B, params.n_out)
    m = _checks.as_mask(mask, T, B)
    m = m if B is None else np.broadcast_to(m, (T, B))  # (T, 1) -> (T, B): sliced per step
    K = H + params.n_in + 1
    _checks.check_entries("params", (B or 1) * H * H * K,
                          f"the RTRL sensitivity (B, H, H, H+I+1) with H={H}, I={params.n_in}")
    return act, params, xs, B, targets, m, s0


def _run(act, params, xs, B, targets, m, s0, loss) -> Iterator[tuple]:
    """Yield ``(t, loss_so_far, dTheta, dW_y, db_y)`` after each step ``t = 1 … T``.

    The yielded arrays are the running sums themselves (not copies)."""
    T, H, I = xs.shape[0], params.n_hidden, params.n_in
    K = H + I + 1
    lead = () if B is None else (B,)
    s = np.zeros((*lead, H)) if s0 is None else np.array(np.broadcast_to(s0, (*lead, H)))
    P = np.zeros((*lead, H, H, K))          # ∂s_t/∂Θ, P_0 = 0: s_0 does not depend on θ
    z = np.empty((*lead, K))                # z_t = [s_{t-1}; x_t; 1]
    z[..., H + I] = 1.0
    dTheta = np.zeros((H, K))
    dW_y, db_y = np.zeros_like(params.W_y), np.zeros_like(params.b_y)
    Theta = np.concatenate([params.W_s, params.W_x, params.b_s[:, None]], axis=1)
    diag = np.arange(H)
    total = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(T):
            z[..., :H], z[..., H:H + I] = s, xs[t]
            a = z @ Theta.T                                     # a_t, eq-rnn-state
            s = act.value(a)
            y = s @ params.W_y.T + params.b_y                   # y_t, eq-rnn-output
            if not (np.isfinite(s).all() and np.isfinite(y).all()):
                raise FloatingPointError(
                    f"rtrl: the states or outputs overflowed float64 at step t={t + 1}; use "
                    f"a shorter sequence, or smaller params (W_s, W_x, b_s, W_y, b_y) or xs")
            value, dy = losses.loss_and_grad(loss, y[None], targets[t:t + 1], m[t:t + 1],
                                             outputs_from="params")
            total += value
            dy = dy[0]
            # P_t = diag(φ'(a_t)) (W_s P_{t-1} + ∂⁺a_t/∂Θ)            eq-rtrl
            P = np.matmul(params.W_s, P.reshape(*lead, H, H * K)).reshape(P.shape)
            P[..., diag, diag, :] += z[..., None, :]
            P *= act.deriv_from_value(s)[..., :, None, None]
            # ∂L/∂Θ += ∂L_t/∂s_t · P_t;  ∂L_t/∂s_t = W_yᵀ ∂L_t/∂y_t
            g = dy @ params.W_y
            gP = np.matmul(g[..., None, :], P.reshape(*lead, H, H * K))  # ([B,] 1, H·K)
            dTheta += gP.reshape(-1, H * K).sum(axis=0).reshape(H, K)
            dW_y += dy.T @ s if B is not None else np.outer(dy, s)
            db_y += dy.sum(axis=0) if B is not None else dy
            if not np.isfinite(P).all():
                raise FloatingPointError(
                    f"rtrl: the sensitivities ∂s_t/∂θ overflowed float64 at step t={t + 1} "
                    f"(exploding gradients); use a shorter sequence or a smaller spectral "
                    f"radius of params.W_s")
            yield t + 1, total, dTheta, dW_y, db_y


def _grads(dTheta: np.ndarray, dW_y: np.ndarray, db_y: np.ndarray, H: int, I: int):
    grads = (dTheta[:, H:H + I], dTheta[:, :H], dTheta[:, H + I], dW_y, db_y)
    if not all(np.isfinite(a).all() for a in grads):
        raise FloatingPointError("rtrl: the gradients overflowed float64 (exploding "
                                 "gradients); use a shorter sequence or smaller params")
    return rnn.RNNParams(*grads)


def rtrl(
    params: rnn.RNNParams,
    xs: object,
    targets: object,
    *,
    activation: str = "tanh",
    loss: str = "mse",
    mask: object = None,
    s0: object = None,
) -> tuple[float, rnn.RNNParams]:
    """Loss and exact gradients by forward-mode differentiation (RTRL).

    Parameters
    ----------
    params : RNNParams
    xs : array_like, shape (T, I) or (T, B, I)
        Inputs.
    targets : array_like
        ``loss="mse"``: real ``(T, [B,] O)``; ``loss="xent"``: integer classes ``(T, [B])``.
    activation : str, optional
        ``"tanh"`` (default), ``"sigmoid"``, ``"relu"`` or ``"linear"``.
    loss : str, optional
        ``"mse"`` (default) or ``"xent"``.
    mask : array_like, shape (T,) or (T, B), optional
        Non-negative step weights ``m_t`` (default ones).
    s0 : array_like, shape (H,) or (B, H), optional
        Initial state (default zeros); a constant, so ``P_0 = 0``.

    Returns
    -------
    loss : float
        ``L`` (with a batch: the mean over the batch of the per-sequence sums), as
        :func:`bpttlib.rnn.bptt`.
    grads : RNNParams
        ``∂L/∂W_x, ∂L/∂W_s, ∂L/∂b_s, ∂L/∂W_y, ∂L/∂b_y``: the same numbers as
        ``rnn.bptt`` (to rounding), computed without storing any past state.

    Raises
    ------
    TypeError, ValueError
        Naming the argument, as :func:`bpttlib.rnn.bptt`; ``params`` if the sensitivity
        ``(B, H, H, H+I+1)`` would exceed bpttlib's array-size limit.
    FloatingPointError
        If the states, the loss, the sensitivities or the gradients overflow float64.

    Notes
    -----
    ``P_t = diag(φ'(a_t)) (W_s P_{t-1} + ∂⁺a_t/∂θ)`` with ``P_0 = 0`` and
    ``∂L/∂θ = Σ_t (∂L_t/∂s_t) P_t``, for ``θ = [W_s | W_x | b_s]``; the output weights need no
    sensitivity (``∂L/∂W_y = Σ_t ∂L_t/∂y_t s_tᵀ``). Per step ``H²·H(H+I+1)`` multiply-adds.
    Book label: eq-rtrl.
    """
    act, params, xs, B, targets, m, s0 = _prepare(params, xs, targets, activation, loss, mask,
                                                   s0)
    last = None
    for last in _run(act, params, xs, B, targets, m, s0, loss):
        pass
    _, total, dTheta, dW_y, db_y = last
    return total, _grads(dTheta, dW_y, db_y, params.n_hidden, params.n_in)


def online(
    params: rnn.RNNParams,
    xs: object,
    targets: object,
    *,
    activation: str = "tanh",
    loss: str = "mse",
    mask: object = None,
    s0: object = None,
) -> Iterator[tuple[int, float, rnn.RNNParams]]:
    """RTRL step by step: after each step, the loss and the gradient of the losses so far.

    Parameters
    ----------
    params, xs, targets, activation, loss, mask, s0
        As for :func:`rtrl` (validated when ``online`` is called, before the first step).

    Yields
    ------
    t : int
        The step just taken, ``1 … T``.
    loss : float
        ``L_1 + … + L_t``.
    grads : RNNParams
        ``∂(L_1 + … + L_t)/∂θ``: equal to ``rnn.bptt`` on the first ``t`` steps, available
        without a backward pass (what an online learner updates with).

    Raises
    ------
    TypeError, ValueError
        At the call, naming the argument.
    FloatingPointError
        During the iteration, at the step that overflows.

    Notes
    -----
    The running sum ``Σ_{τ ≤ t} (∂L_τ/∂s_τ) P_τ`` of eq-rtrl. Book label: eq-rtrl.
    """
    args = _prepare(params, xs, targets, activation, loss, mask, s0)
    H, I = args[1].n_hidden, args[1].n_in

    def steps():
        for t, total, dTheta, dW_y, db_y in _run(*args, loss):
            yield t, total, _grads(dTheta, dW_y, db_y, H, I)

    return steps()


@dataclass(frozen=True)
class Cost:
    """What one gradient of one sequence costs a method.

    Attributes
    ----------
    floats : int
        Floats the method holds besides the parameters and the data: BPTT the history
        ``s_0 … s_T`` and ``x_1 … x_T`` its backward pass reads; RTRL the state and the
        sensitivity ``P_t``.
    multiply_adds : int
        Multiply-adds of the matrix products (elementwise operations not counted).
    """

    floats: int
    multiply_adds: int


def cost(method: str, n_hidden: int, n_in: int, n_out: int, T: int) -> Cost:
    """Floats held and multiply-adds of BPTT or RTRL for one sequence of length ``T``.

    Parameters
    ----------
    method : {"bptt", "rtrl"}
    n_hidden, n_in, n_out : int
        ``H``, ``I``, ``O``.
    T : int
        Sequence length.

    Returns
    -------
    Cost

    Notes
    -----
    Both run the forward pass, ``T (H² + H I + O H)``. BPTT keeps ``(T+1) H + T I`` floats and
    adds per step ``2 O H`` (``W_yᵀ ∂L_t/∂y_t`` and ``∂L/∂W_y``), ``H²`` (``W_sᵀ δ``) and
    ``H² + H I`` (the outer products of eq-delta-recursion), ``T − 1`` of the ``W_sᵀ δ``.
    RTRL keeps ``H + H P`` floats, ``P = H (H + I + 1)``, and adds per step ``H² P``
    (``W_s P_{t-1}``), ``H P`` (``∂L_t/∂s_t · P_t``) and ``2 O H``. Book labels: eq-rtrl,
    eq-delta-recursion.
    """
    _checks.check_name(method, "method", METHODS)
    H = _checks.check_size(n_hidden, "n_hidden")
    I = _checks.check_size(n_in, "n_in")
    O = _checks.check_size(n_out, "n_out")
    T = _checks.check_size(T, "T")
    forward = T * (H * H + H * I + O * H)
    if method == "bptt":
        return Cost((T + 1) * H + T * I,
                    forward + T * (2 * O * H + H * H + H * I) + (T - 1) * H * H)
    P = H * (H + I + 1)
    return Cost(H + H * P, forward + T * (H * H * P + H * P + 2 * O * H))


def crossover_T(n_hidden: int, n_in: int) -> int:
    """The shortest sequence for which BPTT holds more floats than RTRL.

    Parameters
    ----------
    n_hidden, n_in : int
        ``H``, ``I``.

    Returns
    -------
    int
        The least ``T`` with ``(T+1) H + T I > H + H² (H + I + 1)``: about ``H²`` for small
        ``I``.

    Notes
    -----
    From the counts of :func:`cost`. Book label: eq-rtrl.
    """
    H = _checks.check_size(n_hidden, "n_hidden")
    I = _checks.check_size(n_in, "n_in")
    rtrl_floats = H + H * H * (H + I + 1)
    # (T+1) H + T I > rtrl_floats  <=>  T > (rtrl_floats - H) / (H + I)
    return (rtrl_floats - H) // (H + I) + 1
