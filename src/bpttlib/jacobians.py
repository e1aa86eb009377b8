"""Jacobians of the state recursion, their products, and the gradient-decay curve.

All products are accumulated in *log space*: the running matrix (or vector) is renormalised
at every step and its scale kept as a log10, and the activation derivatives enter as
``log φ'`` (so saturated units do not underflow either). Nothing here overflows or underflows
for T up to 1000 and spectral radius up to 3; a value beyond float64 appears only when a
linear-space result is asked for, and is then ``inf`` or ``0`` (never NaN), or it is flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import _checks, activations, losses, matrices, rnn, tasks

__all__ = [
    "step_jacobians",
    "product_norms",
    "log_product_norms",
    "jacobian_bound",
    "spectral_radius",
    "DecayCurve",
    "grad_decay",
    "decay_curve",
    "LOG10_MAX",
    "LOG10_TINY",
]

#: ``log10`` of the largest finite float64 (about 308.25): larger values overflow.
LOG10_MAX = math.log10(np.finfo(np.float64).max)
#: ``log10`` of the smallest normal float64 (about -307.65): smaller values underflow.
LOG10_TINY = math.log10(np.finfo(np.float64).tiny)
_LN10 = math.log(10.0)


# ---- validation ----------------------------------------------------------------------------------

def _check_trace(params: rnn.RNNParams, trace: object) -> rnn.Trace:
    """A :class:`bpttlib.rnn.Trace` of one sequence, its arrays checked (a trace may be built
    by hand: every field must be a finite real array of the right shape)."""
    _checks.check_instance(trace, "trace", rnn.Trace)
    H = params.n_hidden
    states = _checks.as_float_array(trace.states, "trace.states")
    preacts = _checks.as_float_array(trace.preacts, "trace.preacts")
    if states.ndim != 2 or states.shape[1] != H or states.shape[0] < 2:
        raise ValueError(
            f"trace: expected an unbatched trace with states of shape (T+1, H), H={H} "
            f"(run forward on one sequence of shape (T, I)), got states of shape "
            f"{_checks.shape_str(states.shape)}"
        )
    if preacts.shape != (states.shape[0] - 1, H):
        raise ValueError(
            f"trace: expected preacts of shape (T, H) = ({states.shape[0] - 1}, {H}), "
            f"got {_checks.shape_str(preacts.shape)}"
        )
    return rnn.Trace(states, preacts, trace.outputs)


def _check_t(t: object, T: int, name: str = "t") -> int:
    t = _checks.check_int(t, name, minimum=0)
    if t > T:
        raise ValueError(f"{name}: expected an integer in 0..T = 0..{T}, got {t}")
    return t


# ---- step Jacobians ------------------------------------------------------------------------------

def step_jacobians(params: rnn.RNNParams, trace: rnn.Trace, *,
                   activation: str = "tanh") -> np.ndarray:
    """The Jacobians ``J_t = ∂s_t/∂s_{t-1}`` for ``t = 1 … T``.

    Parameters
    ----------
    params : RNNParams
    trace : Trace
        From :func:`bpttlib.rnn.forward` on one sequence (states ``(T+1, H)``).
    activation : str, optional
        The activation the trace was computed with.

    Returns
    -------
    numpy.ndarray, shape (T, H, H)
        Entry ``t-1`` is ``J_t``.

    Notes
    -----
    ``J_t = diag(φ'(a_t)) W_s``. Book label: eq-step-jacobian.
    """
    act = activations.get(activation)
    params = rnn.check_params(params)
    trace = _check_trace(params, trace)
    return act.deriv(trace.preacts)[:, :, None] * params.W_s


def _unit_matrix(W: np.ndarray) -> tuple[np.ndarray, float]:
    """``W = 10^{e} U`` with ``max |U_ij| = 1`` (``e = -inf``, ``U = 0`` for ``W = 0``): the
    products below multiply by ``U`` and add ``e`` in log space, so that huge but finite
    weights (1e300) cannot overflow a product."""
    top = float(np.max(np.abs(W), initial=0.0))
    if top == 0.0:
        return np.zeros_like(W), -math.inf
    return W / top, math.log10(top)


def _log_factors(act: activations.Activation, preacts: np.ndarray):
    """``φ'(a_t) = 10^{m_t} R_t`` with ``max_i R_{t,i} = 1`` (``R_t = 0``, ``m_t = -inf`` when
    every derivative of step t is exactly 0). Computed from ``log φ'`` so nothing underflows."""
    logd = act.log_deriv(preacts)  # natural log, (T, H)
    m = logd.max(axis=-1)
    finite = np.isfinite(m)
    R = np.zeros_like(logd)
    R[finite] = np.exp(logd[finite] - m[finite, None])
    return m / _LN10, R


def log_product_norms(params: rnn.RNNParams, trace: rnn.Trace, t: int, *,
                      activation: str = "tanh") -> np.ndarray:
    """``log10 ‖∂s_t/∂s_k‖₂`` for ``k = 0 … t``, computed in log space.

    Parameters
    ----------
    params : RNNParams
    trace : Trace
        From :func:`bpttlib.rnn.forward` on one sequence.
    t : int
        The later step, ``0 <= t <= T``.
    activation : str, optional
        The activation the trace was computed with.

    Returns
    -------
    numpy.ndarray, shape (t+1,)
        Entry ``k``; the last entry is 0 (``∂s_t/∂s_t = I``). ``-inf`` where the product is
        exactly zero (e.g. every relu unit off at some step).

    Notes
    -----
    ``∂s_t/∂s_k = J_t J_{t-1} … J_{k+1}``, grown one factor at a time from the right
    (``P ← P · diag(φ'(a_{k+1})) W_s``) and rescaled to unit Frobenius norm after every factor,
    the scales summed as log10; the 2-norms of the rescaled products come from one batched SVD.
    Book label: eq-jacobian-product.
    """
    act = activations.get(activation)
    params = rnn.check_params(params)
    trace = _check_trace(params, trace)
    T, H = trace.preacts.shape
    t = _check_t(t, T)
    m, R = _log_factors(act, trace.preacts[:t])
    W_s, log_w = _unit_matrix(params.W_s)
    out = np.full(t + 1, -np.inf)
    out[t] = 0.0
    unit = np.empty((t, H, H))  # unit[k] = ∂s_t/∂s_k / 10^{scale[k]}, unit Frobenius norm
    scale = np.full(t, -np.inf)
    P, log_scale = np.eye(H), 0.0
    k = t - 1
    while k >= 0:
        if not np.isfinite(m[k]):
            break  # all φ'(a_{k+1}) = 0: this and every longer product vanish exactly
        P = (P * R[k]) @ W_s  # P · diag(φ'(a_{k+1})) W_s, up to the factor 10^{m[k]}
        f = math.sqrt(float(np.vdot(P, P)))
        if f == 0.0:
            break
        P /= f
        log_scale += m[k] + log_w + math.log10(f)
        unit[k], scale[k] = P, log_scale
        k -= 1
    done = np.isfinite(scale)
    if done.any():
        sv = np.linalg.svd(unit[done], compute_uv=False)[:, 0]
        out[:t][done] = scale[done] + np.log10(sv)
    return out


def product_norms(params: rnn.RNNParams, trace: rnn.Trace, t: int, *,
                  activation: str = "tanh") -> np.ndarray:
    """``‖∂s_t/∂s_k‖₂`` for ``k = 0 … t``.

    Parameters
    ----------
    params : RNNParams
    trace : Trace
        From :func:`bpttlib.rnn.forward` on one sequence.
    t : int
        The later step, ``0 <= t <= T``.
    activation : str, optional
        The activation the trace was computed with.

    Returns
    -------
    numpy.ndarray, shape (t+1,)
        Entry ``k``; the last entry is 1. Computed as ``10**log_product_norms(...)``, so the
        intermediate products never overflow or underflow; a norm that itself lies beyond
        float64 comes back as ``inf`` or ``0``.

    Notes
    -----
    ``∂s_t/∂s_k = J_t J_{t-1} … J_{k+1}``. Book label: eq-jacobian-product.
    """
    logs = log_product_norms(params, trace, t, activation=activation)
    with np.errstate(over="ignore", under="ignore"):
        return np.power(10.0, logs)


def jacobian_bound(params: rnn.RNNParams, t: object, k: object, *, activation: str = "tanh",
                   log10: bool = False) -> np.ndarray | float:
    """The bound ``(γ σ_max(W_s))^(t−k)`` on ``‖∂s_t/∂s_k‖₂``.

    Parameters
    ----------
    params : RNNParams
    t, k : int or array_like of int
        Steps with ``0 <= k <= t`` (broadcast against each other).
    activation : str, optional
        Sets ``γ`` (1 for tanh, relu, linear; 1/4 for sigmoid).
    log10 : bool, optional
        Return ``(t − k) · log10(γ σ_max)`` instead (never overflows).

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``t − k``; linear values beyond float64 are ``inf`` or ``0``.

    Notes
    -----
    ``‖J_t‖₂ ≤ ‖diag(φ')‖₂ ‖W_s‖₂ ≤ γ σ_max``, hence ``‖∂s_t/∂s_k‖₂ ≤ (γ σ_max)^(t−k)``.
    Book label: eq-jacobian-bound.
    """
    act = activations.get(activation)
    params = rnn.check_params(params)
    t_arr, k_arr = _checks.as_int_array(t, "t"), _checks.as_int_array(k, "k")
    try:
        lag = np.subtract(t_arr, k_arr)
    except ValueError as exc:
        raise ValueError(f"k: expected a shape that broadcasts against t, got "
                         f"{_checks.shape_str(k_arr.shape)} and {_checks.shape_str(t_arr.shape)}"
                         ) from exc
    if (k_arr < 0).any() or (lag < 0).any():
        raise ValueError(f"k: expected 0 <= k <= t, got k={k!r}, t={t!r}")
    base = act.gamma * float(np.linalg.norm(params.W_s, 2))
    if log10:
        log_base = math.log10(base) if base > 0 else -np.inf
        res = lag * np.where(lag == 0, 0.0, log_base)  # lag 0 gives 0, even if base = 0
    else:
        with np.errstate(over="ignore", under="ignore"):
            res = np.power(base, lag.astype(np.float64))
    return float(res) if res.ndim == 0 else res


def spectral_radius(W: object) -> float:
    """``ρ(W_s) = max |λ_i|`` of a matrix, or of ``params.W_s`` given an ``RNNParams``.

    Parameters
    ----------
    W : RNNParams or array_like, shape (H, H)

    Returns
    -------
    float
    """
    if isinstance(W, rnn.RNNParams):
        W = W.W_s
    return matrices.spectral_radius(W)


# ---- gradient decay ------------------------------------------------------------------------------

@dataclass(frozen=True)
class DecayCurve:
    """``log10 ‖∂L_T/∂s_k‖₂`` for ``k = 0 … T`` and what it needs to be plotted honestly.

    Attributes
    ----------
    k : numpy.ndarray of int, shape (T+1,)
        The steps ``0 … T``.
    log10_norm : numpy.ndarray, shape (T+1,)
        ``log10 ‖∂L_T/∂s_k‖₂``: finite, or ``-inf`` where the gradient is exactly zero.
    overflow : numpy.ndarray of bool, shape (T+1,)
        Where the linear-space value exceeds the largest float64 (``log10_norm > LOG10_MAX``).
    underflow : numpy.ndarray of bool, shape (T+1,)
        Where it is below the smallest normal float64 (including exact zeros).
    log10_bound : numpy.ndarray, shape (T+1,)
        ``log10(‖∂L_T/∂s_T‖₂ (γ σ_max)^(T−k))``, the bound of eq-jacobian-bound.
    spectral_radius : float
        ``ρ(W_s)``.
    sigma_max : float
        ``σ_max(W_s)``, the largest singular value.
    gamma : float
        The activation's derivative bound ``γ``.
    """

    k: np.ndarray
    log10_norm: np.ndarray
    overflow: np.ndarray
    underflow: np.ndarray
    log10_bound: np.ndarray
    spectral_radius: float
    sigma_max: float
    gamma: float


def _scaled_forward(params: rnn.RNNParams, xs: np.ndarray, act: activations.Activation,
                    s0: np.ndarray | None):
    """Forward pass as ``s_t = 10^{c_t} v_t`` for the positively homogeneous relu and linear.

    Returns ``(c_T, v_T, sign_preacts)`` where ``sign_preacts`` has the sign of every ``a_t``
    (all that ``φ'`` of these activations needs). ``c_t >= 0`` grows only when ``‖v‖`` passes
    1e100, so the states can be astronomically large without overflowing.
    """
    T, H = xs.shape[0], params.n_hidden
    with np.errstate(over="ignore", invalid="ignore"):
        u = xs @ params.W_x.T + params.b_s  # the inputs' part of a_t
    if not np.isfinite(u).all():
        raise FloatingPointError("grad_decay: the input part W_x x_t + b_s of a_t overflowed "
                                 "float64; the inputs xs or the weights in params are too large")
    v = np.zeros(H) if s0 is None else s0.copy()
    c = 0.0
    signs = np.empty((T, H))
    # W_s = 10^{e} U: with e > 0 (huge weights) each step multiplies by U and adds e to c,
    # as φ(10^e x) = 10^e φ(x) for these activations; c >= 0 stays true
    U, e = _unit_matrix(params.W_s)
    W_sT, e = (U.T, e) if e > 0 else (params.W_s.T, 0.0)
    for t in range(T):
        z = v @ W_sT
        c += e
        z += u[t] * 10.0 ** -c  # 10^{-c} <= 1, underflows quietly to 0
        signs[t] = z
        v = act.value(z)
        n = float(np.max(np.abs(v)))
        if n > 1e100:
            v /= n
            c += math.log10(n)
    n = float(np.max(np.abs(v)))
    if n > 1.0:  # |v| <= 1 for the output layer
        v, c = v / n, c + math.log10(n)
    return c, v, signs


def _last_step_grad(params, trace_or_scaled, loss, targets, act, scaled):
    """``∂L_T/∂s_T = 10^{c} ĝ`` (the loss at the last step only); returns ``(c, ĝ)``."""
    if not scaled:
        yT = trace_or_scaled.outputs[-1:]
        _, dy = losses.loss_and_grad(loss, yT, targets[-1:], outputs_from="params")
        d, log_d = _unit_matrix(dy[0])
        W_y, log_w = _unit_matrix(params.W_y)
        if not math.isfinite(log_d + log_w):
            return 0.0, np.zeros(params.n_hidden)
        return log_d + log_w, d @ W_y  # entries of d @ W_y are at most O in size
    c, v, _ = trace_or_scaled
    s = 10.0 ** -c
    with np.errstate(over="ignore", invalid="ignore"):
        z = params.W_y @ v + s * params.b_y  # y_T = 10^c z
    if not np.isfinite(z).all():
        raise FloatingPointError("grad_decay: the output y_T overflowed float64; the output "
                                 "weights in params (W_y, b_y) are too large")
    if loss == "mse":
        # 2 (z − s d) = 4 (z/2 − s d/2): halved first, so that z near 1.8e308 cannot overflow
        d, log_d = _unit_matrix(0.5 * z - (0.5 * s) * targets[-1])
        W_y, log_w = _unit_matrix(params.W_y)
        if not math.isfinite(log_d + log_w):
            return 0.0, np.zeros(params.n_hidden)
        return c + math.log10(4.0) + log_d + log_w, d @ W_y
    # softmax(10^c z) - onehot: shift by the max first, so the scaled logits are <= 0 and
    # exp() can only underflow (to the exact limit, a one-hot softmax)
    shifted = z - z.max()
    with np.errstate(over="ignore", invalid="ignore"):  # 0 · inf is replaced by 0 below
        big = np.where(shifted == 0.0, 0.0, shifted * np.power(10.0, c))
    dy = losses.softmax(np.maximum(big, -np.finfo(np.float64).max))  # exp(-max) = 0 exactly
    dy[int(targets[-1])] -= 1.0
    W_y, log_w = _unit_matrix(params.W_y)
    return (log_w, dy @ W_y) if math.isfinite(log_w) else (0.0, np.zeros(params.n_hidden))


def _decay(W_s: np.ndarray, m: np.ndarray, R: np.ndarray, c: float, g: np.ndarray) -> np.ndarray:
    """``log10 ‖ĝ 10^c J_T … J_{k+1}‖₂`` for ``k = 0 … T``, vector renormalised every step."""
    T = R.shape[0]
    out = np.full(T + 1, -np.inf)
    W_s, log_w = _unit_matrix(W_s)
    g, log_g = _unit_matrix(g)
    if not math.isfinite(log_g):
        return out
    c += log_g
    n = math.sqrt(float(g @ g))
    if n == 0.0:
        return out
    u = g / n
    log_scale = c + math.log10(n)
    out[T] = log_scale
    for k in range(T - 1, -1, -1):  # u ← u · diag(φ'(a_{k+1})) W_s
        if not np.isfinite(m[k]):
            break
        u = (u * R[k]) @ W_s
        n = math.sqrt(float(u @ u))
        if n == 0.0:
            break
        u /= n
        log_scale += m[k] + log_w + math.log10(n)
        out[k] = log_scale
    return out


def _curve(params, log_norm, act, radius=None, sigma=None) -> DecayCurve:
    """The :class:`DecayCurve` of ``log_norm``; ``radius``, ``sigma`` of ``W_s`` if known.

    ``σ_max`` enters the bound as a log10 computed from ``W_s / max |W_s|``, so weights near
    the float64 limit give a finite bound; a NaN or ``+inf`` left anywhere is reported as
    ``FloatingPointError`` rather than returned."""
    T = log_norm.shape[0] - 1
    U, log_top = _unit_matrix(params.W_s)
    if sigma is None or not math.isfinite(sigma):
        u_sigma = float(np.linalg.norm(U, 2))
        log_sigma = log_top + math.log10(u_sigma) if u_sigma > 0 else -math.inf
        with np.errstate(over="ignore"):
            sigma = float(np.power(10.0, log_sigma))
    else:
        log_sigma = math.log10(sigma) if sigma > 0 else -math.inf
    if radius is None:
        with np.errstate(over="ignore"):
            radius = float(np.float64(matrices.spectral_radius(U)) * np.power(10.0, log_top)
                           ) if math.isfinite(log_top) else 0.0
    k = np.arange(T + 1)
    log_base = math.log10(act.gamma) + log_sigma
    if math.isfinite(log_norm[T]):
        bound = (T - k) * np.where(k == T, 0.0, log_base) + log_norm[T]
    else:  # a zero gradient at T bounds every earlier one by zero
        bound = np.full(T + 1, -np.inf)
    if np.isnan(log_norm).any() or (log_norm == np.inf).any() or np.isnan(bound).any():
        raise FloatingPointError(
            "grad_decay: the log-space products overflowed; params or xs are too large "
            "for float64 arithmetic"
        )
    return DecayCurve(
        k=k,
        log10_norm=log_norm,
        overflow=log_norm > LOG10_MAX,
        underflow=log_norm < LOG10_TINY,
        log10_bound=bound,
        spectral_radius=radius,
        sigma_max=sigma,
        gamma=act.gamma,
    )


def _grad_decay(params, xs, targets, act, loss, s0, radius=None, sigma=None) -> DecayCurve:
    """Unvalidated core of :func:`grad_decay` (``radius``, ``sigma`` of ``W_s`` if known)."""
    if act.name in ("relu", "linear"):
        scaled = _scaled_forward(params, xs, act, s0)
        c, g = _last_step_grad(params, scaled, loss, targets, act, scaled=True)
        preacts = scaled[2]
    else:
        trace = rnn.forward_validated(params, xs, act, s0)
        c, g = _last_step_grad(params, trace, loss, targets, act, scaled=False)
        preacts = trace.preacts
    m, R = _log_factors(act, preacts)
    return _curve(params, _decay(params.W_s, m, R, c, g), act, radius, sigma)


def grad_decay(params: rnn.RNNParams, xs: object, targets: object, *,
               activation: str = "tanh", loss: str = "mse", s0: object = None) -> DecayCurve:
    """The gradient of the *last* step's loss with respect to every earlier state, in log10.

    Parameters
    ----------
    params : RNNParams
    xs : array_like, shape (T, I)
        One input sequence.
    targets : array_like
        As for :func:`bpttlib.rnn.bptt` (``(T, O)`` reals for mse, ``(T,)`` classes for xent);
        only the last step's target is used.
    activation : str, optional
        ``"tanh"`` (default), ``"sigmoid"``, ``"relu"`` or ``"linear"``.
    loss : str, optional
        ``"mse"`` (default) or ``"xent"``.
    s0 : array_like, shape (H,), optional
        Initial state.

    Returns
    -------
    DecayCurve
        ``log10_norm[k] = log10 ‖∂L_T/∂s_k‖₂`` for ``k = 0 … T``, with over/underflow flags.

    Notes
    -----
    ``∂L_T/∂s_k = ∂L_T/∂s_T · J_T … J_{k+1}``, a row vector pushed back one Jacobian at a time
    and renormalised after each, its scale kept as a log10 (``O(T·H²)``). For relu and linear
    units the forward pass itself is run as ``s_t = 10^{c_t} v_t`` so that exploding states
    (spectral radius 3, T = 1000) stay representable. Book label: eq-grad-decay.
    """
    act = activations.get(activation)
    _checks.check_name(loss, "loss", losses.LOSSES)
    params, xs, B, s0 = rnn.check_inputs(params, xs, s0)
    if B is not None:
        raise ValueError(f"xs: expected one sequence of shape (T, I) with I={params.n_in}, "
                         f"got a batch of shape {_checks.shape_str(xs.shape)}")
    targets = losses.check_targets(loss, targets, xs.shape[0], None, params.n_out)
    return _grad_decay(params, xs, targets, act, loss, s0)


def decay_curve(spectral_radius: float, activation: str = "tanh", *, n_hidden: int = 32,
                T: int = 100, kind: str = "gaussian", seed: int = 0, input_scale: float = 1.0,
                loss: str = "mse", n_in: int = 1, n_out: int = 1) -> DecayCurve:
    """The book's slider: build an RNN and a random sequence, return its gradient-decay curve.

    Parameters
    ----------
    spectral_radius : float
        ``ρ(W_s)``, ``>= 0``.
    activation : str, optional
        ``"tanh"`` (default), ``"sigmoid"``, ``"relu"`` or ``"linear"``.
    n_hidden : int, optional
        ``H`` (default 32).
    T : int, optional
        Sequence length (default 100).
    kind : str, optional
        The kind of ``W_s``: ``"gaussian"`` (default), ``"orthogonal"``, ``"identity"``,
        ``"nonnormal"``.
    seed : int, optional
        Seeds the parameters and the inputs.
    input_scale : float, optional
        Standard deviation of the inputs ``x_t ~ N(0, input_scale²)``, ``>= 0``.
    loss : str, optional
        ``"mse"`` (random normal targets) or ``"xent"`` (random classes).
    n_in, n_out : int, optional
        Input and output sizes (default 1).

    Returns
    -------
    DecayCurve
        See :func:`grad_decay`. Fast: about a millisecond for H=128, T=200 once the
        unit-radius matrix for ``(kind, n_hidden, seed)`` is cached.

    Notes
    -----
    ``log10 ‖∂L_T/∂s_k‖₂`` for ``k = 0 … T``. Book label: eq-grad-decay.
    """
    act = activations.get(activation)
    _checks.check_name(loss, "loss", losses.LOSSES)
    T = _checks.check_size(T, "T")
    input_scale = _checks.check_real(input_scale, "input_scale", nonnegative=True)
    params = rnn.init(n_in, n_hidden, n_out, spectral_radius=spectral_radius, seed=seed, kind=kind)
    rho = float(spectral_radius)
    if kind == "nonnormal":  # ρ = rho exactly (triangular); σ_max depends on rho non-linearly
        sigma = float(np.linalg.norm(params.W_s, 2))
    else:  # W_s = rho · (a unit-radius matrix), so σ_max scales with rho
        sigma = rho * _unit_sigma_max(kind, params.n_hidden, seed)
    xs, targets = tasks.probe(T, params.n_in, params.n_out, seed=seed,
                              input_scale=input_scale, loss=loss)
    try:
        return _grad_decay(params, xs, targets, act, loss, None, rho, sigma)
    except FloatingPointError as exc:
        raise FloatingPointError(f"spectral_radius: {rho:.3g} (with input_scale "
                                 f"{input_scale:.3g}) is too large for float64: {exc}") from None


@lru_cache(maxsize=64)
def _unit_sigma_max(kind: str, n: int, seed: int) -> float:
    return float(np.linalg.norm(matrices.make(kind, n, 1.0, seed), 2))
