"""The vanilla RNN and backpropagation through time (BPTT), exactly.

Forward (book labels eq-rnn-state, eq-rnn-output)::

    a_t = W_s s_{t-1} + W_x x_t + b_s,   s_t = φ(a_t),   y_t = W_y s_t + b_y,   t = 1 … T

Backward, three ways that agree to rounding:

- :func:`bptt` — the delta recursion (eq-delta-recursion): one backward sweep, ``O(T·H²)``;
  with ``truncate=k`` each step's error travels back at most ``k`` steps (eq-truncated-bptt).
- :func:`bptt_by_lag` — the same gradient of ``W_s`` split by the length of the Jacobian chain.
- :func:`bptt_chain_sum` — the textbook double sum over ``t`` and ``k`` of explicit Jacobian
  products (eq-bptt-sum), ``O(T²)``; slow on purpose, an oracle and a teaching aid.

Arrays are time-major: ``xs`` is ``(T, I)`` or ``(T, B, I)``; ``states[t]`` is ``s_t`` (so
``states[0] = s_0``), while ``preacts[t-1]`` and ``outputs[t-1]`` are ``a_t`` and ``y_t``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _checks, activations, losses, matrices
from .params import Params

__all__ = [
    "RNNParams",
    "Trace",
    "init",
    "forward",
    "bptt",
    "bptt_by_lag",
    "bptt_chain_sum",
    "loss_fn",
    "check_params",
    "check_inputs",
    "forward_validated",
]

_FIELDS = ("W_x", "W_s", "b_s", "W_y", "b_y")


def _block(*shapes: tuple[int, ...]) -> list[np.ndarray]:
    """Uninitialised arrays of the given shapes, carved out of ONE allocation.

    Big work arrays are allocated together because numpy asks Linux for transparent huge
    pages for allocations of 4 MB and more: a 3 MB array otherwise costs about a millisecond
    of page faults every call, as much as 40 steps of the recurrence at H=128, B=32.
    """
    sizes = [int(np.prod(s)) for s in shapes]
    flat = np.empty(sum(sizes))
    out, start = [], 0
    for shape, size in zip(shapes, sizes):
        out.append(flat[start:start + size].reshape(shape))
        start += size
    return out


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class RNNParams(Params):
    """Parameters (or gradients) of a vanilla RNN; immutable, arrays are read-only copies.

    Parameters
    ----------
    W_x : array_like, shape (H, I)
        Input weights.
    W_s : array_like, shape (H, H)
        Recurrent weights.
    b_s : array_like, shape (H,)
        State bias.
    W_y : array_like, shape (O, H)
        Output weights.
    b_y : array_like, shape (O,)
        Output bias.

    Raises
    ------
    ValueError
        If the shapes are inconsistent or a value is NaN/Inf; the message names the field.
    """

    W_x: np.ndarray
    W_s: np.ndarray
    b_s: np.ndarray
    W_y: np.ndarray
    b_y: np.ndarray

    def __post_init__(self) -> None:
        arrs = {}
        for name in _FIELDS:
            a = _checks.as_float_array(getattr(self, name), name)
            arrs[name] = _readonly(np.array(a, dtype=np.float64, copy=True))
        W_x, W_s, b_s, W_y, b_y = (arrs[n] for n in _FIELDS)
        _checks.check_ndim(W_x, "W_x", (2,), "(H, I)")
        H, I = W_x.shape
        _checks.check_shape(W_s, "W_s", (H, H), f"= (H, H) with H={H} from W_x")
        _checks.check_shape(b_s, "b_s", (H,), f"= (H,) with H={H} from W_x")
        _checks.check_ndim(W_y, "W_y", (2,), f"(O, H) with H={H}")
        _checks.check_shape(W_y, "W_y", (W_y.shape[0], H), f"= (O, H) with H={H} from W_x")
        O = W_y.shape[0]
        _checks.check_shape(b_y, "b_y", (O,), f"= (O,) with O={O} from W_y")
        if min(H, I, O) < 1:
            raise ValueError(f"W_x, W_y: expected H, I, O >= 1, got H={H}, I={I}, O={O}")
        for name in _FIELDS:
            object.__setattr__(self, name, arrs[name])

    @property
    def n_in(self) -> int:
        """Input size ``I``."""
        return self.W_x.shape[1]

    @property
    def n_hidden(self) -> int:
        """Hidden size ``H``."""
        return self.W_x.shape[0]

    @property
    def n_out(self) -> int:
        """Output size ``O``."""
        return self.W_y.shape[0]


@dataclass(frozen=True)
class Trace:
    """What :func:`forward` records.

    Attributes
    ----------
    states : numpy.ndarray, shape (T+1, H) or (T+1, B, H)
        ``s_0 … s_T``.
    preacts : numpy.ndarray, shape (T, H) or (T, B, H)
        ``a_1 … a_T``.
    outputs : numpy.ndarray, shape (T, O) or (T, B, O)
        ``y_1 … y_T``.
    """

    states: np.ndarray
    preacts: np.ndarray
    outputs: np.ndarray


# ---- construction --------------------------------------------------------------------------------

def init(
    n_in: int,
    n_hidden: int,
    n_out: int,
    *,
    spectral_radius: float = 0.9,
    seed: int = 0,
    kind: str = "gaussian",
) -> RNNParams:
    """Random parameters with a recurrent matrix of exactly the given spectral radius.

    Parameters
    ----------
    n_in, n_hidden, n_out : int
        ``I``, ``H``, ``O``.
    spectral_radius : float, optional
        ``ρ(W_s)``, the largest absolute eigenvalue, ``>= 0``.
    seed : int, optional
        Seed; ``W_s`` is ``matrices.make(kind, H, spectral_radius, seed)``.
    kind : str, optional
        ``"gaussian"`` (default), ``"orthogonal"``, ``"identity"`` or ``"nonnormal"``.

    Returns
    -------
    RNNParams
        ``W_x ~ N(0, 1/I)``, ``W_y ~ N(0, 1/H)``, biases zero.
    """
    I = _checks.check_size(n_in, "n_in")
    H = _checks.check_size(n_hidden, "n_hidden")
    O = _checks.check_size(n_out, "n_out")
    _checks.check_entries("n_hidden", H * max(H, I, O), f"W_s, W_x, W_y with H={H}, I={I}, O={O}")
    rho = _checks.check_real(spectral_radius, "spectral_radius", nonnegative=True)
    seed = _checks.check_seed(seed)
    _checks.check_name(kind, "kind", matrices.KINDS)
    W_s = matrices.make(kind, H, rho, seed, rho_name="spectral_radius")
    rng = np.random.default_rng([seed, 1])
    W_x = rng.standard_normal((H, I)) / np.sqrt(I)
    W_y = rng.standard_normal((O, H)) / np.sqrt(H)
    return RNNParams(W_x, W_s, np.zeros(H), W_y, np.zeros(O))


# ---- validation shared by forward / bptt (public: jacobians and skip use it too) ----------------

def check_params(params: object) -> RNNParams:
    """Check that ``params`` is an :class:`RNNParams` (which checked its own values).

    Parameters
    ----------
    params : object

    Returns
    -------
    RNNParams
        ``params`` itself.

    Raises
    ------
    TypeError
        If it is anything else, e.g. an ``LSTMParams``.
    """
    return _checks.check_instance(params, "params", RNNParams)


def check_inputs(params: object, xs: object, s0: object):
    """Validate the arguments of a forward pass: ``params``, ``xs`` and ``s0``.

    Parameters
    ----------
    params : RNNParams
    xs : array_like, shape (T, I) or (T, B, I)
        Inputs, finite.
    s0 : array_like, shape (H,) or (B, H), or None
        Initial state, finite.

    Returns
    -------
    params : RNNParams
    xs : numpy.ndarray, shape (T, I) or (T, B, I)
        float64.
    B : int or None
        The batch size (``None`` without a batch axis).
    s0 : numpy.ndarray or None
        float64, shape as given.

    Raises
    ------
    TypeError, ValueError
        Naming the argument, e.g. ``xs: expected shape (T, I) or (T, B, I) with I=3, got (5, 4)``.
    """
    params = check_params(params)
    xs, batched = _checks.as_sequence(xs, "xs", params.n_in, "I")
    H = params.n_hidden
    B = xs.shape[1] if batched else None
    if s0 is not None:
        s0 = _checks.as_float_array(s0, "s0")
        ok = s0.shape == (H,) or (batched and s0.shape == (B, H))
        if not ok:
            want = f"(H,) = ({H},)" + (f" or (B, H) = ({B}, {H})" if batched else "")
            raise ValueError(f"s0: expected shape {want}, got {_checks.shape_str(s0.shape)}")
    return params, xs, B, s0


# ---- forward -------------------------------------------------------------------------------------

def _overflow_step(arr: np.ndarray) -> int:
    """The first time index of ``arr`` (time-major) holding a NaN/Inf."""
    bad = ~np.isfinite(arr).reshape(arr.shape[0], -1).all(axis=1)
    return int(np.argmax(bad))


def forward_validated(params: RNNParams, xs: np.ndarray, act: activations.Activation,
                      s0: np.ndarray | None) -> Trace:
    """:func:`forward` on arguments already validated by :func:`check_inputs` (no checks).

    Parameters
    ----------
    params : RNNParams
    xs : numpy.ndarray, shape (T, I) or (T, B, I)
        float64, finite.
    act : bpttlib.activations.Activation
        From :func:`bpttlib.activations.get`.
    s0 : numpy.ndarray, shape (H,) or (B, H), or None

    Returns
    -------
    Trace
        Read-only arrays, all finite.

    Raises
    ------
    FloatingPointError
        If the states, the pre-activations or the outputs overflow float64.

    Notes
    -----
    Book labels: eq-rnn-state, eq-rnn-output.
    """
    T = xs.shape[0]
    H = params.n_hidden
    lead = xs.shape[1:-1]  # () or (B,)
    states, preacts, outputs = _block((T + 1, *lead, H), (T, *lead, H), (T, *lead, params.n_out))
    states[0] = 0.0 if s0 is None else s0
    with np.errstate(over="ignore", invalid="ignore"):
        # all input projections at once: a_t = W_x x_t + b_s, then += W_s s_{t-1} step by step
        np.matmul(_flat(xs), np.ascontiguousarray(params.W_x.T), out=_flat(preacts))
        preacts += params.b_s
        W_sT = np.ascontiguousarray(params.W_s.T)  # BLAS is faster on C-ordered operands
        buf = np.empty((*lead, H))
        value = act.value
        for t in range(T):  # three array operations per step (matmul, add, φ), no allocation
            np.add(preacts[t], np.matmul(states[t], W_sT, out=buf), out=preacts[t])
            value(preacts[t], out=states[t + 1])
        np.matmul(_flat(states[1:]), np.ascontiguousarray(params.W_y.T), out=_flat(outputs))
        outputs += params.b_y
        # NaN/Inf anywhere makes a sum non-finite: one cheap check per array
        finite = [np.isfinite(np.sum(a)) for a in (states, preacts, outputs)]
    if not finite[0]:
        raise FloatingPointError(
            f"forward: the states overflowed float64 at step t={_overflow_step(states)} "
            f"(activation={act.name!r}, spectral radius of W_s "
            f"{matrices.spectral_radius(params.W_s):.3g}); use a shorter sequence, smaller "
            f"params or xs, or jacobians.decay_curve / log_product_norms for log-space analysis"
        )
    if not finite[1]:
        raise FloatingPointError(
            f"forward: the pre-activations a_t overflowed float64 at step "
            f"t={_overflow_step(preacts) + 1}; the inputs xs or the weights in params "
            f"(W_x, W_s, b_s) are too large"
        )
    if not finite[2]:
        raise FloatingPointError(
            f"forward: the outputs y_t overflowed float64 at step "
            f"t={_overflow_step(outputs) + 1}; the output"
            f" weights in params (W_y, b_y) are too large"
        )
    return Trace(_readonly(states), _readonly(preacts), _readonly(outputs))


def forward(params: RNNParams, xs: object, *, activation: str = "tanh",
            s0: object = None) -> Trace:
    """Run the RNN over a sequence (or a batch of sequences).

    Parameters
    ----------
    params : RNNParams
    xs : array_like, shape (T, I) or (T, B, I)
        Inputs ``x_1 … x_T``.
    activation : str, optional
        ``"tanh"`` (default), ``"sigmoid"``, ``"relu"`` or ``"linear"``.
    s0 : array_like, shape (H,) or (B, H), optional
        Initial state (default zeros).

    Returns
    -------
    Trace
        ``states (T+1, [B,] H)``, ``preacts (T, [B,] H)``, ``outputs (T, [B,] O)``.

    Raises
    ------
    FloatingPointError
        If the states overflow float64 (e.g. relu or linear units with spectral radius > 1
        over hundreds of steps), or the pre-activations or outputs do (huge but finite
        weights or inputs), rather than returning Inf/NaN.

    Notes
    -----
    ``a_t = W_s s_{t-1} + W_x x_t + b_s``, ``s_t = φ(a_t)``, ``y_t = W_y s_t + b_y``.
    Book labels: eq-rnn-state, eq-rnn-output.
    """
    act = activations.get(activation)
    params, xs, _, s0 = check_inputs(params, xs, s0)
    return forward_validated(params, xs, act, s0)


# ---- backward ------------------------------------------------------------------------------------

def _prepare(params, xs, targets, activation, loss, mask, s0):
    """Validate everything, run forward, and return what every backward variant needs."""
    act = activations.get(activation)
    _checks.check_name(loss, "loss", losses.LOSSES)
    params, xs, B, s0 = check_inputs(params, xs, s0)
    targets = losses.check_targets(loss, targets, xs.shape[0], B, params.n_out)
    _checks.as_mask(mask, xs.shape[0], B)  # validate before the (costly) forward
    trace = forward_validated(params, xs, act, s0)
    value, dy = losses.loss_and_grad(loss, trace.outputs, targets, mask, outputs_from="params")
    return act, params, xs, trace, value, dy


def _flat(a: np.ndarray) -> np.ndarray:
    """``(T, [B,] n) -> (T·B, n)`` without copying."""
    return a.reshape(-1, a.shape[-1])


def _matmul_flat(a: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``a @ M`` over all leading axes as ONE ``(T·B, n) @ (n, m)`` product (numpy would
    otherwise call BLAS once per time step), with ``M`` made C-contiguous."""
    return _flat(a) @ np.ascontiguousarray(M)


def _output_grads(params: RNNParams, trace: Trace, dy: np.ndarray, g: np.ndarray):
    """``∂L/∂W_y``, ``∂L/∂b_y`` (direct: no chains), and into ``g`` (shaped like the states
    ``s_1 … s_T``) every ``g[t-1] = ∂L_t/∂s_t = W_yᵀ ∂L_t/∂y_t``, stored as rows."""
    dW_y = _flat(dy).T @ _flat(trace.states[1:])
    db_y = _flat(dy).sum(axis=0)
    np.matmul(_flat(dy), params.W_y, out=_flat(g))
    return dW_y, db_y


def _gather(params, xs, trace, da, dW_y, db_y) -> tuple[np.ndarray, ...]:
    """Weight gradients from all ``∂L/∂a_t`` at once: three large matrix products.

    ``∂L/∂W_s = Σ_t da_t s_{t-1}ᵀ``, ``∂L/∂W_x = Σ_t da_t x_tᵀ``, ``∂L/∂b_s = Σ_t da_t``.
    """
    da2 = _flat(da)
    dW_s = da2.T @ _flat(trace.states[:-1])
    dW_x = da2.T @ _flat(xs)
    db_s = da2.sum(axis=0)
    return dW_x, dW_s, db_s, dW_y, db_y


def _finite(where: str, arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Raise ``FloatingPointError`` rather than return gradients that overflowed to Inf/NaN.

    The backward passes run under ``np.errstate(over="ignore", invalid="ignore")`` and call
    this on their results (a few parameter-sized arrays: cheap)."""
    if not all(np.isfinite(a).all() for a in arrays):
        raise FloatingPointError(
            f"{where}: the gradients overflowed float64 (exploding gradients); use a shorter "
            f"sequence or a smaller spectral radius, or jacobians.grad_decay for log-space norms"
        )
    return arrays


def _lag_terms(W_s: np.ndarray, dphi: np.ndarray, g: np.ndarray, max_lag: int):
    """Yield ``(l, E_l)`` for chain lengths ``l = 0 … max_lag``.

    ``E_l[j]`` is the contribution to ``∂L/∂a_{j+1}`` of the losses exactly ``l`` steps later:
    ``E_0 = φ' ⊙ g`` and ``E_l[j] = φ'_j ⊙ (W_sᵀ E_{l-1}[j+1])`` — one large matrix product per
    lag, vectorised over every start step and the batch.
    """
    E = dphi * g
    yield 0, E
    T = g.shape[0]
    for lag in range(1, min(max_lag, T - 1) + 1):
        E = _matmul_flat(E[1:], W_s).reshape(E[1:].shape)
        E *= dphi[: T - lag]
        yield lag, E


def bptt(
    params: RNNParams,
    xs: object,
    targets: object,
    *,
    activation: str = "tanh",
    loss: str = "mse",
    mask: object = None,
    truncate: int | None = None,
    s0: object = None,
) -> tuple[float, RNNParams]:
    """Loss and exact gradients by backpropagation through time.

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
        Non-negative step weights ``m_t`` (default ones; many-to-one: only the last step).
    truncate : int, optional
        ``k >= 1``: the error of each step ``t`` is propagated back through at most ``k``
        steps, i.e. it reaches ``a_t, a_{t-1}, …, a_{max(1, t-k)}`` (as ``bptt_truncate`` in
        part 3 of Britz's 2015 RNN tutorial). ``None`` (default) is exact; ``k >= T - 1`` equals
        exact.
    s0 : array_like, shape (H,) or (B, H), optional
        Initial state (default zeros).

    Returns
    -------
    loss : float
        ``L`` (with a batch: the mean over the batch of the per-sequence sums).
    grads : RNNParams
        ``∂L/∂W_x, ∂L/∂W_s, ∂L/∂b_s, ∂L/∂W_y, ∂L/∂b_y``. With ``truncate``, the output
        weights are still exact and the other three are the truncated sums.

    Raises
    ------
    FloatingPointError
        If the states, the loss or the gradients overflow float64 (exploding gradients),
        instead of returning Inf/NaN.

    Notes
    -----
    ``δ_t = ∂L_t/∂s_t + J_{t+1}ᵀ δ_{t+1}`` and ``∂L/∂a_t = φ'(a_t) ⊙ δ_t``, swept once from
    ``t = T`` down to 1 (three array operations per step); the weight gradients are then three
    matrix products over all steps at once. Book labels: eq-delta-recursion, eq-truncated-bptt.
    """
    truncate = _checks.check_optional_positive_int(truncate, "truncate")
    act, params, xs, trace, value, dy = _prepare(params, xs, targets, activation, loss, mask, s0)
    T = xs.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        g, dphi = _block(trace.preacts.shape, trace.preacts.shape)
        dW_y, db_y = _output_grads(params, trace, dy, g)
        act.deriv_from_value(trace.states[1:], out=dphi)  # φ'(a_t) for every t at once
        if truncate is None or truncate >= T - 1:
            # exact: δ_T = g_T; ∂L/∂a_t = φ'_t ⊙ δ_t; δ_{t-1} = g_{t-1} + W_sᵀ ∂L/∂a_t.
            # g is overwritten in place (g[t]: ∂L_t/∂s_t -> δ_t -> ∂L/∂a_t), three array
            # operations per step and no new memory.
            buf, W_s = np.empty_like(g[0]), params.W_s
            for t in range(T - 1, 0, -1):
                np.multiply(dphi[t], g[t], out=g[t])
                np.add(g[t - 1], np.matmul(g[t], W_s, out=buf), out=g[t - 1])
            np.multiply(dphi[0], g[0], out=g[0])
            da = g
        else:
            # truncated: sum the chains of length 0 … truncate only (see _lag_terms).
            da = np.zeros_like(g)
            for lag, E in _lag_terms(params.W_s, dphi, g, truncate):
                np.add(da[: T - lag], E, out=da[: T - lag])
        grads = _gather(params, xs, trace, da, dW_y, db_y)
    return value, RNNParams(*_finite("bptt", grads))


def bptt_by_lag(
    params: RNNParams,
    xs: object,
    targets: object,
    *,
    activation: str = "tanh",
    loss: str = "mse",
    mask: object = None,
    s0: object = None,
) -> np.ndarray:
    """``∂L/∂W_s`` split by the length ``k`` of the Jacobian chain.

    Parameters
    ----------
    params, xs, targets, activation, loss, mask, s0
        As for :func:`bptt`.

    Returns
    -------
    numpy.ndarray, shape (T, H, H)
        Entry ``k`` is ``Σ_t ∂L_t/∂s_t · ∂s_t/∂s_{t-k} · ∂⁺s_{t-k}/∂W_s``; the sum over ``k``
        is ``bptt(...)[1].W_s`` and the partial sum over ``k <= K`` is ``truncate=K``'s.

    Notes
    -----
    One term per chain length of eq-bptt-sum, computed as one large matrix product per lag
    (``O(T²·H²)`` in all). Book labels: eq-bptt-sum, eq-jacobian-product.
    """
    act, params, xs, trace, _, dy = _prepare(params, xs, targets, activation, loss, mask, s0)
    T, H = xs.shape[0], params.n_hidden
    out = np.zeros((T, H, H))
    with np.errstate(over="ignore", invalid="ignore"):
        g, dphi = _block(trace.preacts.shape, trace.preacts.shape)
        _output_grads(params, trace, dy, g)
        act.deriv_from_value(trace.states[1:], out=dphi)
        prev = trace.states[:-1]
        for lag, E in _lag_terms(params.W_s, dphi, g, T - 1):
            out[lag] = _flat(E).T @ _flat(prev[: T - lag])
    return _finite("bptt_by_lag", (out,))[0]


def bptt_chain_sum(
    params: RNNParams,
    xs: object,
    targets: object,
    *,
    activation: str = "tanh",
    loss: str = "mse",
    mask: object = None,
    truncate: int | None = None,
    s0: object = None,
) -> tuple[float, RNNParams]:
    """Gradients as the literal double sum over explicit Jacobian chains (slow, an oracle).

    Parameters
    ----------
    params, xs, targets, activation, loss, mask, s0
        As for :func:`bptt`.
    truncate : int, optional
        Keep only chains of length ``t − k <= truncate`` (the same meaning as in :func:`bptt`,
        computed independently).

    Returns
    -------
    loss : float
    grads : RNNParams
        Same as :func:`bptt`, to rounding.

    Notes
    -----
    ``∂L/∂W = Σ_t Σ_{k≤t} ∂L_t/∂s_t · ∂s_t/∂s_k · ∂⁺s_k/∂W`` with ``∂s_t/∂s_k = J_t … J_{k+1}``
    built as an explicit ``H × H`` matrix for every pair ``(t, k)``: ``O(T²·H³)`` per sequence,
    with plain Python loops over the batch, ``t`` and ``k``. ``∂⁺s_k/∂W`` is the immediate
    partial (holding ``s_{k-1}`` fixed): for ``W_s`` the row vector ``v`` gives
    ``(φ'_k ⊙ v) s_{k-1}ᵀ``.
    Book labels: eq-bptt-sum, eq-jacobian-product, eq-step-jacobian.
    """
    truncate = _checks.check_optional_positive_int(truncate, "truncate")
    act, params, xs, trace, value, dy = _prepare(params, xs, targets, activation, loss, mask, s0)
    T, H = xs.shape[0], params.n_hidden
    batched = xs.ndim == 3
    with np.errstate(over="ignore", invalid="ignore"):
        dW_x, dW_s, db_s = np.zeros_like(params.W_x), np.zeros_like(params.W_s), np.zeros(H)
        dW_y, db_y = np.zeros_like(params.W_y), np.zeros_like(params.b_y)
        for b in range(xs.shape[1] if batched else 1):
            S = trace.states[:, b] if batched else trace.states  # s_0 … s_T
            X = xs[:, b] if batched else xs
            DY = dy[:, b] if batched else dy
            dphi = act.deriv_from_value(S[1:])  # dphi[t-1] = φ'(a_t)
            for t in range(1, T + 1):
                dW_y += np.outer(DY[t - 1], S[t])  # y_t depends on W_y directly: no chain
                db_y += DY[t - 1]
                dLt_dst = DY[t - 1] @ params.W_y  # ∂L_t/∂s_t (row vector)
                chain = np.eye(H)  # ∂s_t/∂s_k, starting at k = t
                for k in range(t, 0, -1):
                    if truncate is not None and t - k > truncate:
                        break
                    v = (dLt_dst @ chain) * dphi[k - 1]  # ∂L_t/∂a_k through this chain
                    dW_s += np.outer(v, S[k - 1])  # ∂⁺s_k/∂W_s
                    dW_x += np.outer(v, X[k - 1])  # ∂⁺s_k/∂W_x
                    db_s += v  # ∂⁺s_k/∂b_s
                    # ∂s_k/∂s_{k-1} = diag(φ'(a_k)) W_s extends the chain by one step
                    J_k = dphi[k - 1][:, None] * params.W_s
                    chain = chain @ J_k
    return value, RNNParams(*_finite("bptt_chain_sum", (dW_x, dW_s, db_s, dW_y, db_y)))


def loss_fn(params: RNNParams, xs: object, targets: object, **kwargs) -> float:
    """Only the loss of :func:`bptt`'s model (forward + loss, no backward); for gradient checks.

    Parameters
    ----------
    params, xs, targets
        As for :func:`bptt`; ``kwargs`` are ``activation``, ``loss``, ``mask``, ``s0``.

    Returns
    -------
    float
    """
    loss = kwargs.pop("loss", "mse")
    mask = kwargs.pop("mask", None)
    trace = forward(params, xs, **kwargs)
    return losses.loss_and_grad(loss, trace.outputs, targets, mask, outputs_from="params")[0]

