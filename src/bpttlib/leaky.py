"""Leaky units: a vanilla RNN whose units mix their old state with the new one.

Each unit ``i`` has a rate ``α_i ∈ (0, 1]`` (a time constant ``1/α_i`` in steps)::

    a_t = W_s s_{t-1} + W_x x_t + b_s,   s_t = (1 − α) ⊙ s_{t-1} + α ⊙ φ(a_t),   y_t = W_y s_t + b_y

(book label eq-leaky). With ``α = 1`` this is the vanilla RNN of :mod:`bpttlib.rnn`. The step
Jacobian is ``J_t = diag(1 − α) + diag(α ⊙ φ'(a_t)) W_s`` (eq-leaky-jacobian): for small ``α``
it is close to the identity, so a gradient travels far before it fades. The parameters are an
:class:`~bpttlib.rnn.RNNParams`; ``α`` is fixed (not trained) and passed beside them.

Each backward pass sits beside its forward pass: :func:`leaky_forward` / :func:`leaky_bptt`,
:func:`leaky_step_jacobians` / :func:`leaky_decay`.
"""

from __future__ import annotations

import math

import numpy as np

from . import _checks, activations, losses, rnn, tasks

__all__ = ["check_alpha", "leaky_forward", "leaky_bptt", "leaky_loss", "leaky_step_jacobians",
           "leaky_decay", "leaky_decay_curve"]


def check_alpha(alpha: object, H: int) -> np.ndarray:
    """Validate the rates: a scalar or shape ``(H,)``, every entry in ``(0, 1]``.

    Parameters
    ----------
    alpha : float or array_like, shape (H,)
    H : int
        The number of units.

    Returns
    -------
    numpy.ndarray, shape (H,)
        float64, a new array.

    Raises
    ------
    TypeError, ValueError
        Naming ``alpha``.
    """
    a = _checks.as_float_array(alpha, "alpha")
    if a.ndim == 0:
        a = np.full(H, float(a))
    _checks.check_shape(a, "alpha", (H,), f"= (H,) with H={H}, or a scalar")
    if not ((a > 0) & (a <= 1)).all():
        bad = a[~((a > 0) & (a <= 1))][0]
        raise ValueError(f"alpha: expected rates in (0, 1], got {bad}")
    return np.array(a, dtype=np.float64)


def _forward(params, alpha, xs, act, s0):
    T, H = xs.shape[0], params.n_hidden
    lead = xs.shape[1:-1]
    states = np.empty((T + 1, *lead, H))
    states[0] = 0.0 if s0 is None else s0
    keep = 1.0 - alpha
    with np.errstate(over="ignore", invalid="ignore"):
        preacts = xs @ params.W_x.T + params.b_s
        for t in range(T):
            preacts[t] += states[t] @ params.W_s.T
            states[t + 1] = keep * states[t] + alpha * act.value(preacts[t])
        outputs = states[1:] @ params.W_y.T + params.b_y
    for label, arr, blame in (("states", states, "params, xs or s0"),
                              ("pre-activations", preacts, "params, xs or s0"),
                              ("outputs", outputs, "params (W_y, b_y)")):
        if not np.isfinite(arr).all():
            raise FloatingPointError(f"leaky_forward: the {label} overflowed float64; {blame} "
                                     f"too large (use smaller weights or a shorter sequence)")
    return rnn.Trace(states, preacts, outputs)


def leaky_forward(params, alpha, xs, *, activation="tanh", s0=None):
    """Run the leaky RNN over a sequence (or a batch of sequences).

    Parameters
    ----------
    params : RNNParams
    alpha : float or array_like, shape (H,)
        Rates ``α_i ∈ (0, 1]``, one per unit (a scalar is shared).
    xs : array_like, shape (T, I) or (T, B, I)
    activation : str, optional
        ``"tanh"`` (default), ``"sigmoid"``, ``"relu"`` or ``"linear"``.
    s0 : array_like, shape (H,) or (B, H), optional
        Initial state (default zeros).

    Returns
    -------
    bpttlib.rnn.Trace
        ``states (T+1, [B,] H)``, ``preacts (T, [B,] H)``, ``outputs (T, [B,] O)``.

    Raises
    ------
    FloatingPointError
        If the states, pre-activations or outputs overflow float64.

    Notes
    -----
    ``s_t = (1 − α) ⊙ s_{t−1} + α ⊙ φ(W_s s_{t−1} + W_x x_t + b_s)``. Book label: eq-leaky.
    """
    act = activations.get(activation)
    params, xs, _, s0 = rnn.check_inputs(params, xs, s0)
    alpha = check_alpha(alpha, params.n_hidden)
    return _forward(params, alpha, xs, act, s0)


def leaky_bptt(params, alpha, xs, targets, *, activation="tanh", loss="mse", mask=None,
               s0=None):
    """Loss and exact gradients of the leaky RNN by backpropagation through time.

    Parameters
    ----------
    params, alpha, xs, activation, s0
        As for :func:`leaky_forward`.
    targets, loss, mask
        As for :func:`bpttlib.rnn.bptt`.

    Returns
    -------
    loss : float
    grads : RNNParams
        ``∂L/∂W_x, ∂L/∂W_s, ∂L/∂b_s, ∂L/∂W_y, ∂L/∂b_y``; with ``alpha = 1`` those of
        :func:`bpttlib.rnn.bptt`.

    Raises
    ------
    FloatingPointError
        If the forward pass or the gradients overflow float64.

    Notes
    -----
    With ``δ_t = ∂L/∂s_t`` (total) and ``g_t = ∂L_t/∂s_t``: ``∂L/∂a_t = α ⊙ φ'(a_t) ⊙ δ_t`` and
    ``δ_{t−1} = g_{t−1} + (1 − α) ⊙ δ_t + W_sᵀ ∂L/∂a_t``, i.e. ``δ_{t−1} = g_{t−1} + J_tᵀ δ_t``
    with the leaky step Jacobian. Book labels: eq-leaky, eq-leaky-jacobian, eq-delta-recursion.
    """
    act = activations.get(activation)
    _checks.check_name(loss, "loss", losses.LOSSES)
    params, xs, B, s0 = rnn.check_inputs(params, xs, s0)
    alpha = check_alpha(alpha, params.n_hidden)
    targets = losses.check_targets(loss, targets, xs.shape[0], B, params.n_out)
    _checks.as_mask(mask, xs.shape[0], B)
    trace = _forward(params, alpha, xs, act, s0)
    value, dy = losses.loss_and_grad(loss, trace.outputs, targets, mask, outputs_from="params")
    T = xs.shape[0]
    flat = lambda a: a.reshape(-1, a.shape[-1])  # noqa: E731  (T, [B,] n) -> (T·B, n)
    with np.errstate(over="ignore", invalid="ignore"):
        g = dy @ params.W_y                          # g[t-1] = ∂L_t/∂s_t
        dphi = act.deriv(trace.preacts)
        da = np.empty_like(g)
        delta = g[T - 1].copy()
        for t in range(T - 1, -1, -1):               # row t holds step t+1
            da[t] = alpha * dphi[t] * delta
            if t:
                delta = g[t - 1] + (1.0 - alpha) * delta + da[t] @ params.W_s
        grads = (flat(da).T @ flat(xs), flat(da).T @ flat(trace.states[:-1]), flat(da).sum(0),
                 flat(dy).T @ flat(trace.states[1:]), flat(dy).sum(0))
    if not all(np.isfinite(a).all() for a in grads):
        raise FloatingPointError("leaky_bptt: the gradients overflowed float64; use a shorter "
                                 "sequence or smaller params")
    return value, rnn.RNNParams(*grads)


def leaky_loss(params, alpha, xs, targets, *, activation="tanh", loss="mse", mask=None,
               s0=None):
    """Only the loss of :func:`leaky_bptt`'s model (for gradient checks).

    Parameters
    ----------
    params, alpha, xs, targets, activation, loss, mask, s0
        As for :func:`leaky_bptt`.

    Returns
    -------
    float

    Notes
    -----
    Book label: eq-leaky.
    """
    _checks.check_name(loss, "loss", losses.LOSSES)
    trace = leaky_forward(params, alpha, xs, activation=activation, s0=s0)
    B = trace.outputs.shape[1] if trace.outputs.ndim == 3 else None
    targets = losses.check_targets(loss, targets, trace.outputs.shape[0], B, params.n_out)
    return losses.loss_and_grad(loss, trace.outputs, targets, mask, outputs_from="params")[0]


def leaky_step_jacobians(params, alpha, trace, *, activation="tanh"):
    """Every step Jacobian ``J_t = ∂s_t/∂s_{t−1}`` of one sequence of the leaky RNN.

    Parameters
    ----------
    params : RNNParams
    alpha : float or array_like, shape (H,)
    trace : bpttlib.rnn.Trace
        From :func:`leaky_forward` of one sequence (no batch axis).
    activation : str, optional

    Returns
    -------
    numpy.ndarray, shape (T, H, H)
        Entry ``t − 1`` is ``J_t``.

    Notes
    -----
    ``J_t = diag(1 − α) + diag(α ⊙ φ'(a_t)) W_s``. Book label: eq-leaky-jacobian.
    """
    act = activations.get(activation)
    params = rnn.check_params(params)
    alpha = check_alpha(alpha, params.n_hidden)
    _checks.check_instance(trace, "trace", rnn.Trace)
    pre = _checks.as_float_array(trace.preacts, "trace.preacts")
    _checks.check_ndim(pre, "trace.preacts", (2,), f"(T, H) with H={params.n_hidden}")
    _checks.check_shape(pre, "trace.preacts", (pre.shape[0], params.n_hidden), "(T, H)")
    scale = alpha * act.deriv(pre)                      # (T, H)
    return scale[:, :, None] * params.W_s + np.diag(1.0 - alpha)


def leaky_decay(params, alpha, xs, targets, *, activation="tanh", loss="mse", s0=None):
    """``log10 ‖∂L_T/∂s_k‖₂`` for ``k = 0 … T`` in the leaky RNN (one sequence).

    Parameters
    ----------
    params, alpha, activation, s0
        As for :func:`leaky_forward`.
    xs : array_like, shape (T, I)
        One sequence.
    targets : array_like
        ``(T, O)`` for ``"mse"``, ``(T,)`` for ``"xent"``; only the last step's is used.
    loss : {"mse", "xent"}, optional

    Returns
    -------
    numpy.ndarray, shape (T+1,)
        ``-inf`` where the gradient is exactly zero.

    Notes
    -----
    ``δ_{k} = J_{k+1}ᵀ δ_{k+1}`` with the leaky step Jacobian, kept as a unit vector and a
    log10 scale so nothing underflows. Book labels: eq-leaky-jacobian, eq-grad-decay.
    """
    act = activations.get(activation)
    _checks.check_name(loss, "loss", losses.LOSSES)
    params, xs, B, s0 = rnn.check_inputs(params, xs, s0)
    if B is not None:
        raise ValueError(f"xs: expected one sequence of shape (T, I) with I={params.n_in}, "
                         f"got {_checks.shape_str(xs.shape)}")
    alpha = check_alpha(alpha, params.n_hidden)
    T = xs.shape[0]
    targets = losses.check_targets(loss, targets, T, None, params.n_out)
    trace = _forward(params, alpha, xs, act, s0)
    _, dy = losses.loss_and_grad(loss, trace.outputs[-1:], targets[-1:], outputs_from="params")
    dphi = act.deriv(trace.preacts)
    logs = np.full(T + 1, -np.inf)
    c = float(np.max(np.abs(params.W_s)))    # J_kᵀ v = c ((1 − α) v / c + W_sᵀ(α φ' v) / c)
    c = c if c > 1.0 else 1.0
    W, keep = params.W_s / c, (1.0 - alpha) / c
    with np.errstate(over="ignore", under="ignore"):
        v, scale = dy[0] @ params.W_y, 0.0
        top = float(np.max(np.abs(v)))
        if not math.isfinite(top):
            raise FloatingPointError("leaky_decay: ∂L_T/∂s_T overflowed float64; the output "
                                     "weights in params (W_y, b_y) or the targets are too large")
        if top > 0.0:                        # ∂L_T/∂s_T, as a unit vector and a log10 scale
            scale = math.log10(top)
            v = v / top
        for k in range(T, -1, -1):
            n = math.sqrt(float(v @ v))
            if n == 0.0 or not math.isfinite(n):
                break
            scale += math.log10(n)
            v = v / n
            logs[k] = scale
            if k:
                v = keep * v + (alpha * dphi[k - 1] * v) @ W
                scale += math.log10(c)
    return logs


def leaky_decay_curve(spectral_radius, alpha, *, activation="tanh", n_hidden=32, T=100,
                      kind="gaussian", seed=0, input_scale=1.0):
    """The book's leaky decay curve: the network and probe of ``jacobians.decay_curve``.

    Parameters
    ----------
    spectral_radius : float
        ``ρ(W_s)``, ``>= 0``.
    alpha : float or array_like, shape (n_hidden,)
        The rates.
    activation, n_hidden, T, kind, seed, input_scale
        As for :func:`bpttlib.jacobians.decay_curve`; with ``alpha = 1`` the curves agree.

    Returns
    -------
    numpy.ndarray, shape (T+1,)
        ``log10 ‖∂L_T/∂s_k‖₂`` for ``k = 0 … T`` (mse loss at the last step).

    Notes
    -----
    Book labels: eq-leaky-jacobian, eq-grad-decay.
    """
    T = _checks.check_size(T, "T")
    input_scale = _checks.check_real(input_scale, "input_scale", nonnegative=True)
    seed = _checks.check_seed(seed)
    params = rnn.init(1, n_hidden, 1, spectral_radius=spectral_radius, seed=seed, kind=kind)
    alpha = check_alpha(alpha, params.n_hidden)
    xs, targets = tasks.probe(T, 1, 1, seed=seed, input_scale=input_scale)
    try:
        return leaky_decay(params, alpha, xs, targets, activation=activation)
    except FloatingPointError as exc:
        raise FloatingPointError(f"spectral_radius, input_scale: too large for float64 "
                                 f"({exc})") from None

