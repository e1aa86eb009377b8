"""LSTM and GRU cells with hand-written, batch-vectorised backward passes.

The weights follow PyTorch's layout, so they load into ``torch.nn.LSTM`` / ``torch.nn.GRU``
(one layer, ``batch_first=False``) unchanged:

- LSTM: ``weight_ih_l0 = W_x``, ``weight_hh_l0 = W_h``, ``bias_ih_l0 = b``, ``bias_hh_l0 = 0``;
  gate rows in the order input ``i``, forget ``f``, cell ``g``, output ``o``.
- GRU: ``weight_ih_l0 = W_x``, ``weight_hh_l0 = W_h``, ``bias_ih_l0 = b_x``,
  ``bias_hh_l0 = b_h``; gate rows in the order reset ``r``, update ``z``, new ``n``.

Losses, masks and the optional batch axis follow ``rnn.bptt`` (see ``bpttlib.losses``):
``xs`` is ``(T, I)`` or ``(T, B, I)`` and every result keeps that convention. The tools for
the book's gradient-flow figures (``lstm_cell_jacobian_norms``, ``gated_decay``) work in log10
with a running rescaling, so they neither overflow nor underflow.

Internally the sigmoid gates are computed as ``σ(z) = (1 + tanh(z/2)) / 2`` with the factor
1/2 folded into their weight rows, so that all four (three) gates of a step take one ``tanh``;
the LSTM's rows are kept in the order ``i, f, o, g`` inside the loops (σ rows first, like the
GRU's ``r, z, n``) and returned in PyTorch's order.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from . import _checks, losses, tasks
from .params import Params

__all__ = [
    "LSTMParams",
    "GRUParams",
    "LSTMTrace",
    "GRUTrace",
    "lstm_init",
    "gru_init",
    "lstm_forward",
    "gru_forward",
    "lstm_bptt",
    "gru_bptt",
    "lstm_cell_jacobian_norms",
    "gated_decay",
    "gated_decay_curve",
    "loss_fn",
]


# --------------------------------------------------------------------------------------------
# Parameter containers
# --------------------------------------------------------------------------------------------


def _coerce_fields(obj, spec: dict[str, tuple[str, ...]]) -> None:
    """Store every field of a frozen container as a read-only float64 copy; check the shapes.

    ``spec`` maps a field name to its symbolic shape, e.g. ``("4H", "I")``; the sizes ``H``,
    ``I`` and ``O`` are read off ``W_h`` (columns), ``W_x`` (columns) and ``W_y`` (rows).
    """
    arrays = {}
    for name, dims in spec.items():
        arr = np.array(_checks.as_float_array(getattr(obj, name), name), dtype=np.float64)
        _checks.check_ndim(arr, name, (len(dims),), "(" + ", ".join(dims) + ")")
        arr.flags.writeable = False
        arrays[name] = arr
    sizes = {"H": arrays["W_h"].shape[1], "I": arrays["W_x"].shape[1],
             "O": arrays["W_y"].shape[0]}
    if min(sizes.values()) < 1:
        raise ValueError(f"W_x, W_h, W_y: expected I, H, O >= 1, got "
                         f"I={sizes['I']}, H={sizes['H']}, O={sizes['O']}")
    for name in sorted(spec, key=lambda n: n != "W_h"):  # W_h, which defines H, first
        dims = spec[name]
        want = tuple(int(d[:-1] or 1) * sizes[d[-1]] for d in dims)
        symbolic = "(" + ", ".join(dims) + ")"
        values = ", ".join(f"{k}={v}" for k, v in sizes.items() if any(k in d for d in dims))
        _checks.check_shape(arrays[name], name, want, f"= {symbolic} with {values}")
        object.__setattr__(obj, name, arrays[name])


class _Container(Params):
    """Sizes shared by the gated containers; ``arrays``/``map``/``zip_map`` come from ``Params``."""

    @property
    def n_in(self) -> int:
        """``I``, the input size."""
        return self.W_x.shape[1]

    @property
    def n_hidden(self) -> int:
        """``H``, the hidden (and, for an LSTM, cell) size."""
        return self.W_h.shape[1]

    @property
    def n_out(self) -> int:
        """``O``, the output size."""
        return self.W_y.shape[0]


@dataclasses.dataclass(frozen=True)
class LSTMParams(_Container):
    """LSTM weights (or their gradients), in PyTorch's gate order ``i, f, g, o``.

    Parameters
    ----------
    W_x : array_like, shape (4H, I)
        Input weights, rows ``[i; f; g; o]`` (``torch``: ``weight_ih_l0``).
    W_h : array_like, shape (4H, H)
        Recurrent weights, same row order (``torch``: ``weight_hh_l0``).
    b : array_like, shape (4H,)
        Gate biases (``torch``: ``bias_ih_l0 + bias_hh_l0``).
    W_y : array_like, shape (O, H)
        Output weights.
    b_y : array_like, shape (O,)
        Output bias.

    Raises
    ------
    ValueError
        If the shapes are inconsistent or a value is NaN/Inf; the message names the field.

    Notes
    -----
    Immutable: the fields are read-only float64 copies. Book label: eq-lstm.
    """

    W_x: np.ndarray
    W_h: np.ndarray
    b: np.ndarray
    W_y: np.ndarray
    b_y: np.ndarray

    def __post_init__(self):
        _coerce_fields(self, {"W_x": ("4H", "I"), "W_h": ("4H", "H"), "b": ("4H",),
                              "W_y": ("O", "H"), "b_y": ("O",)})


@dataclasses.dataclass(frozen=True)
class GRUParams(_Container):
    """GRU weights (or their gradients), in PyTorch's gate order ``r, z, n``.

    Parameters
    ----------
    W_x : array_like, shape (3H, I)
        Input weights, rows ``[r; z; n]`` (``torch``: ``weight_ih_l0``).
    W_h : array_like, shape (3H, H)
        Recurrent weights, same row order (``torch``: ``weight_hh_l0``).
    b_x : array_like, shape (3H,)
        Input-side biases (``torch``: ``bias_ih_l0``).
    b_h : array_like, shape (3H,)
        Recurrent-side biases (``torch``: ``bias_hh_l0``); the ``n`` rows sit inside the reset
        gate's product, so they are not interchangeable with ``b_x``.
    W_y : array_like, shape (O, H)
        Output weights.
    b_y : array_like, shape (O,)
        Output bias.

    Raises
    ------
    ValueError
        If the shapes are inconsistent or a value is NaN/Inf; the message names the field.

    Notes
    -----
    Immutable: the fields are read-only float64 copies. Book label: eq-gru.
    """

    W_x: np.ndarray
    W_h: np.ndarray
    b_x: np.ndarray
    b_h: np.ndarray
    W_y: np.ndarray
    b_y: np.ndarray

    def __post_init__(self):
        _coerce_fields(self, {"W_x": ("3H", "I"), "W_h": ("3H", "H"), "b_x": ("3H",),
                              "b_h": ("3H",), "W_y": ("O", "H"), "b_y": ("O",)})


@dataclasses.dataclass(frozen=True)
class LSTMTrace:
    """What :func:`lstm_forward` records (``[B,]`` only when ``xs`` had a batch axis).

    Attributes
    ----------
    states : numpy.ndarray, shape (T+1, [B,] H)
        Hidden states ``h_t``, ``states[0] = h0``.
    cells : numpy.ndarray, shape (T+1, [B,] H)
        Cell states ``c_t``, ``cells[0] = c0``.
    gates : numpy.ndarray, shape (T, [B,] 4H)
        Gate activations ``[i, f, g, o]`` of steps ``t = 1 … T``.
    outputs : numpy.ndarray, shape (T, [B,] O)
        Outputs ``y_t = W_y h_t + b_y``.
    """

    states: np.ndarray
    cells: np.ndarray
    gates: np.ndarray
    outputs: np.ndarray


@dataclasses.dataclass(frozen=True)
class GRUTrace:
    """What :func:`gru_forward` records (``[B,]`` only when ``xs`` had a batch axis).

    Attributes
    ----------
    states : numpy.ndarray, shape (T+1, [B,] H)
        Hidden states ``h_t``, ``states[0] = h0``.
    gates : numpy.ndarray, shape (T, [B,] 3H)
        Gate activations ``[r, z, n]`` of steps ``t = 1 … T``.
    outputs : numpy.ndarray, shape (T, [B,] O)
        Outputs ``y_t = W_y h_t + b_y``.
    """

    states: np.ndarray
    gates: np.ndarray
    outputs: np.ndarray


# --------------------------------------------------------------------------------------------
# Initialisation
# --------------------------------------------------------------------------------------------


def _uniform_init(n_in, n_hidden, n_out, seed, n_gates, bias_fields):
    I = _checks.check_size(n_in, "n_in")
    H = _checks.check_size(n_hidden, "n_hidden")
    O = _checks.check_size(n_out, "n_out")
    _checks.check_entries("n_hidden", n_gates * H * max(H, I, O),
                          f"W_h, W_x, W_y with {n_gates} gates, H={H}, I={I}, O={O}")
    rng = np.random.default_rng(_checks.check_seed(seed))
    k = 1.0 / np.sqrt(H)
    fields = {"W_x": rng.uniform(-k, k, (n_gates * H, I)),
              "W_h": rng.uniform(-k, k, (n_gates * H, H))}
    for name in bias_fields:
        fields[name] = rng.uniform(-k, k, n_gates * H)
    fields["W_y"] = rng.uniform(-k, k, (O, H))
    fields["b_y"] = rng.uniform(-k, k, O)
    return fields


def lstm_init(n_in, n_hidden, n_out, *, seed=0, forget_bias=None):
    """Random LSTM weights, initialised like ``torch.nn.LSTM``.

    Parameters
    ----------
    n_in, n_hidden, n_out : int
        ``I``, ``H`` and ``O`` (each at least 1).
    seed : int, optional
        Seed for ``numpy.random.default_rng``.
    forget_bias : float, optional
        If given, the forget-gate rows of ``b`` are set to this value (``1`` or more keeps
        ``f ≈ σ(forget_bias)`` close to 1 at the start of training); ``None`` (default) leaves
        them random like the other rows.

    Returns
    -------
    LSTMParams
        Every entry drawn from ``U(−1/√H, 1/√H)`` (the output layer too, like a
        ``torch.nn.Linear(H, O)``).

    Notes
    -----
    PyTorch draws two biases (``bias_ih``, ``bias_hh``) where we draw one ``b``; the layout
    is otherwise the same. Book label: eq-lstm.
    """
    fields = _uniform_init(n_in, n_hidden, n_out, seed, 4, ("b",))
    if forget_bias is not None:
        H = fields["W_h"].shape[1]
        fields["b"][H:2 * H] = _checks.check_real(forget_bias, "forget_bias")
    return LSTMParams(**fields)


def gru_init(n_in, n_hidden, n_out, *, seed=0):
    """Random GRU weights, initialised like ``torch.nn.GRU``.

    Parameters
    ----------
    n_in, n_hidden, n_out : int
        ``I``, ``H`` and ``O`` (each at least 1).
    seed : int, optional
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    GRUParams
        Every entry drawn from ``U(−1/√H, 1/√H)``.

    Notes
    -----
    Book label: eq-gru.
    """
    return GRUParams(**_uniform_init(n_in, n_hidden, n_out, seed, 3, ("b_x", "b_h")))


# --------------------------------------------------------------------------------------------
# Shared plumbing
# --------------------------------------------------------------------------------------------


def _check_params(params, cls):
    return _checks.check_instance(params, "params", cls)  # the container checked its values


def _check_xs(xs, params, name="xs"):
    arr, batched = _checks.as_sequence(xs, name, size=params.n_in)
    return (arr if batched else arr[:, None, :]), batched


def _initial_state(value, name, B, batched, H):
    """``h0``/``c0``: ``None`` (zeros), ``(H,)``, or with a batch ``(B, H)``; returns (B, H)."""
    if value is None:
        return np.zeros((B, H))
    arr = _checks.as_float_array(value, name)
    if arr.shape == (H,):
        return np.broadcast_to(arr, (B, H)).copy()
    if batched and arr.shape == (B, H):
        return arr.copy()
    expected = f"(H,) or (B, H) = ({H},) or ({B}, {H})" if batched else f"(H,) = ({H},)"
    raise ValueError(f"{name}: expected shape {expected}, got {_checks.shape_str(arr.shape)}")


def _gate_scaling(n_blocks, H):
    """Row factors for ``σ(z) = 1/2 + tanh(z/2)/2``: 1/2 on the σ rows, 1 on the last block.

    Every cell here is laid out with its σ gates first and its one ``tanh`` block last, so a
    step computes ``tanh(scale ⊙ z)`` for all rows at once and then ``(1 + ·)/2`` on the σ rows.
    """
    scale = np.full(n_blocks * H, 0.5)
    scale[(n_blocks - 1) * H:] = 1.0
    return scale


def _unbatch(arr, batched):
    return arr if batched else arr[:, 0]


def _output_grads(params, hs, dY):
    """``∂L/∂W_y``, ``∂L/∂b_y`` and ``∂L/∂h_t`` from the output layer, for ``hs = h_1 … h_T``."""
    O, H = params.W_y.shape
    dY2 = dY.reshape(-1, O)
    gWy = dY2.T @ hs.reshape(-1, H)
    return gWy, dY2.sum(axis=0), (dY2 @ params.W_y).reshape(hs.shape)


def _loss_grad(loss, ys, targets, mask, batched):
    """Call :func:`losses.loss_and_grad` in the caller's batch convention; ``dY`` is batched."""
    value, dy = losses.loss_and_grad(loss, _unbatch(ys, batched), targets, mask,
                                     outputs_from="params")
    return value, (dy if batched else dy[:, None, :])


def _finite_grads(where, grads):
    """Raise ``FloatingPointError`` rather than return gradients that overflowed to Inf/NaN."""
    for name, arr in grads.items():
        if not np.isfinite(arr).all():
            raise FloatingPointError(
                f"{where}: the gradient of {name} overflowed float64 (exploding gradients); "
                f"use a shorter sequence, smaller recurrent weights, or gated_decay for "
                f"log-space norms"
            )
    return grads


def _log10_norm_2(M):
    """``log10 ‖M‖₂`` (``-inf`` for a zero matrix)."""
    s = np.linalg.norm(M, 2) if M.ndim == 2 and min(M.shape) > 1 else np.linalg.norm(M)
    with np.errstate(divide="ignore"):
        return float(np.log10(s))


# --------------------------------------------------------------------------------------------
# LSTM
# --------------------------------------------------------------------------------------------


def _lstm_order(H):
    """Rows of the internal gate order ``[i, f, o, g]`` in PyTorch's ``[i, f, g, o]``."""
    return np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]


def _swap_last_blocks(a, H):
    """``[i, f, o, g] <-> [i, f, g, o]`` along the last axis (the swap is its own inverse).

    Block copies: much faster than fancy indexing along the last axis for (T, B, 4H) arrays.
    """
    out = np.empty_like(a)
    out[..., :2 * H] = a[..., :2 * H]
    out[..., 2 * H:3 * H] = a[..., 3 * H:]
    out[..., 3 * H:] = a[..., 2 * H:3 * H]
    return out


@dataclasses.dataclass(frozen=True)
class _LSTMCache:
    hs: np.ndarray  # (T+1, B, H)
    cs: np.ndarray  # (T+1, B, H)
    acts: np.ndarray  # (T, B, 4H) in the internal order i, f, o, g
    ys: np.ndarray  # (T, B, O)
    tanh_c: np.ndarray  # (T, B, H) tanh(c_t), t = 1 … T


def _input_part(W_x, bias, xs3):
    """``W_x x_t + bias`` for every step at once, as one matrix product: (T, B, kH)."""
    T, B, I = xs3.shape
    U = xs3.reshape(T * B, I) @ W_x.T
    U += bias
    return U.reshape(T, B, -1)


def _outputs(params, hs):
    """``y_t = W_y h_t + b_y`` for ``hs = h_1 … h_T`` (T, B, H), as one matrix product."""
    T, B, H = hs.shape
    with np.errstate(over="ignore", invalid="ignore"):
        ys = hs.reshape(T * B, H) @ params.W_y.T
        ys += params.b_y
    if not np.isfinite(ys).all():  # |h| < 1, so only absurd output weights get here
        raise FloatingPointError("params: the outputs y_t = W_y h_t + b_y overflowed float64")
    return ys.reshape(T, B, -1)


def _finite_run(run):
    """A cell's forward pass under ``errstate``, its overflow reported rather than returned."""
    @functools.wraps(run)
    def checked(params, xs3, *states):
        with np.errstate(over="ignore", invalid="ignore"):
            cache = run(params, xs3, *states)
        arrays = (cache.hs, cache.acts, getattr(cache, "cs", cache.hs))
        if not all(np.isfinite(a).all() for a in arrays):
            raise FloatingPointError(
                "params, xs, h0: the gate pre-activations overflowed float64 (weights, inputs "
                "or initial state too large); use smaller values"
            )
        return cache

    return checked


@_finite_run
def _lstm_run(params, xs3, h0, c0):
    T, B, _ = xs3.shape
    H = params.n_hidden
    order, scale = _lstm_order(H), _gate_scaling(4, H)[:, None]
    W_hT = np.ascontiguousarray((params.W_h[order] * scale).T)  # (H, 4H)
    # the input part of every step at once; each step then adds W_h h_{t-1} in place
    acts = _input_part(params.W_x[order] * scale, params.b[order] * scale[:, 0], xs3)
    hs = np.empty((T + 1, B, H))
    cs = np.empty((T + 1, B, H))
    tanh_c = np.empty((T, B, H))
    hs[0], cs[0] = h0, c0
    rec = np.empty((B, 4 * H))
    ig = np.empty((B, H))
    for t in range(T):
        a = acts[t]
        np.matmul(hs[t], W_hT, out=rec)
        a += rec
        np.tanh(a, out=a)
        sig = a[:, :3 * H]
        sig *= 0.5
        sig += 0.5  # a = [i, f, o, g]
        c = cs[t + 1]
        np.multiply(a[:, H:2 * H], cs[t], out=c)  # f ⊙ c_{t-1}
        np.multiply(a[:, :H], a[:, 3 * H:], out=ig)  # i ⊙ g
        c += ig
        np.tanh(c, out=tanh_c[t])
        np.multiply(a[:, 2 * H:3 * H], tanh_c[t], out=hs[t + 1])  # o ⊙ tanh(c_t)
    return _LSTMCache(hs, cs, acts, _outputs(params, hs[1:]), tanh_c)


def _lstm_prepare(params, xs, h0, c0):
    _check_params(params, LSTMParams)
    xs3, batched = _check_xs(xs, params)
    B, H = xs3.shape[1], params.n_hidden
    h0 = _initial_state(h0, "h0", B, batched, H)
    c0 = _initial_state(c0, "c0", B, batched, H)
    return xs3, batched, _lstm_run(params, xs3, h0, c0)


class _LSTMBackward:
    """The LSTM's backward recursion over one cache, one step at a time.

    The recursion is linear in the adjoints ``gh`` (passed in and out) and ``self.gc`` (carried),
    which may have any leading "batch" axis that broadcasts against the cache's: the sequences
    of a batch in :func:`lstm_bptt`, or ``H`` unit vectors in :func:`lstm_cell_jacobian_norms`.
    """

    def __init__(self, params, cache, n_adjoints):
        H = params.n_hidden
        self.H, self.W_h, self.cache = H, params.W_h[_lstm_order(H)], cache
        self.gc = np.zeros((n_adjoints, H))  # ∂/∂c_t along c_{t+1} = f ⊙ c_t + …
        # scratch for one step (the gate derivatives are formed per step, while cache-hot)
        B = cache.acts.shape[1]
        self._deriv = np.empty((B, 4 * H))
        self._dh_dc = np.empty((max(n_adjoints, B), H))  # broadcast of adjoints and cache

    def step(self, t, gh, dz):
        """One step back through step ``t`` (0-based: ``h_{t+1}`` in the book's numbering).

        On entry ``gh`` is the total ``∂/∂h``; on exit ``dz`` holds ``∂/∂z`` of the gate
        pre-activations (internal order ``i, f, o, g``), ``self.gc`` moved one cell back and
        the returned array is ``∂/∂h`` of the previous state through ``z``.
        """
        H, a, gc, tanh_c = self.H, self.cache.acts[t], self.gc, self.cache.tanh_c[t]
        dh_dc, deriv = self._dh_dc, self._deriv
        i, f, o, g = (a[..., k * H:(k + 1) * H] for k in range(4))
        np.multiply(tanh_c, tanh_c, out=dh_dc)  # ∂h/∂c = o ⊙ (1 − tanh² c)
        np.subtract(1.0, dh_dc, out=dh_dc)
        dh_dc *= o
        dh_dc *= gh
        gc += dh_dc  # now the total ∂/∂c
        sig, d_sig, d_g = a[..., :3 * H], deriv[..., :3 * H], deriv[..., 3 * H:]
        np.subtract(1.0, sig, out=d_sig)  # σ' = σ(1 − σ) for i, f, o ...
        d_sig *= sig
        np.multiply(g, g, out=d_g)  # ... and tanh' = 1 − g² for g
        np.subtract(1.0, d_g, out=d_g)
        np.multiply(gc, g, out=dz[..., :H])  # ∂/∂i = gc ⊙ g
        np.multiply(gc, self.cache.cs[t], out=dz[..., H:2 * H])  # ∂/∂f = gc ⊙ c_{t−1}
        np.multiply(gh, tanh_c, out=dz[..., 2 * H:3 * H])  # ∂/∂o = gh ⊙ tanh c_t
        np.multiply(gc, i, out=dz[..., 3 * H:])  # ∂/∂g = gc ⊙ i
        dz *= deriv
        gc *= f  # along c_t = f ⊙ c_{t−1}
        return dz @ self.W_h

    def dh_dc_at(self, t):
        """``∂h_t/∂c_t = o ⊙ (1 − tanh² c)`` of step ``t`` (0-based)."""
        tanh_c = self.cache.tanh_c[t]
        return self.cache.acts[t][..., 2 * self.H:3 * self.H] * (1.0 - tanh_c * tanh_c)

    def carried_max(self):
        return float(np.max(np.abs(self.gc)))

    def rescale(self, factor):
        self.gc *= factor


def lstm_forward(params, xs, *, h0=None, c0=None):
    """Run an LSTM over a sequence (or a batch of sequences).

    Parameters
    ----------
    params : LSTMParams
        Weights, shapes ``(4H, I) (4H, H) (4H,) (O, H) (O,)``.
    xs : array_like, shape (T, I) or (T, B, I)
        Inputs ``x_1 … x_T``.
    h0, c0 : array_like, shape (H,) or (B, H), optional
        Initial hidden and cell states (default zeros); ``(H,)`` is shared by the batch.

    Returns
    -------
    LSTMTrace
        ``states, cells (T+1, [B,] H)``, ``gates (T, [B,] 4H)``, ``outputs (T, [B,] O)``.

    Notes
    -----
    ``i, f, o = σ(W_x x_t + W_h h_{t−1} + b)`` (their rows), ``g = tanh(·)`` (its rows),
    ``c_t = f ⊙ c_{t−1} + i ⊙ g``, ``h_t = o ⊙ tanh(c_t)``, ``y_t = W_y h_t + b_y``.
    Book label: eq-lstm.
    """
    _, batched, cache = _lstm_prepare(params, xs, h0, c0)
    gates = _swap_last_blocks(cache.acts, params.n_hidden)  # back to i, f, g, o
    return LSTMTrace(*(_unbatch(a, batched) for a in (cache.hs, cache.cs, gates, cache.ys)))


def lstm_bptt(params, xs, targets, *, loss="mse", mask=None, h0=None, c0=None):
    """Loss and exact gradient of an LSTM by backpropagation through time.

    Parameters
    ----------
    params : LSTMParams
        Weights.
    xs : array_like, shape (T, I) or (T, B, I)
        Inputs.
    targets : array_like
        ``loss="mse"``: real ``(T, [B,] O)``; ``loss="xent"``: integer classes ``(T, [B])``.
    loss : {"mse", "xent"}, optional
        Squared error (eq-loss-mse) or softmax cross-entropy (eq-loss-xent).
    mask : array_like, shape (T,) or (T, B), optional
        Step weights ``m_t`` (default all ones); many-to-one = only the last step weighted.
    h0, c0 : array_like, shape (H,) or (B, H), optional
        Initial states (default zeros); no gradient is returned for them.

    Returns
    -------
    loss : float
        ``L = Σ_t m_t ℓ_t`` (with a batch: the mean over the batch of the sequence sums).
    grads : LSTMParams
        ``∂L/∂θ`` for every field, same shapes.

    Raises
    ------
    FloatingPointError
        If the gradients overflow float64 (exploding gradients) instead of returning Inf/NaN.

    Notes
    -----
    The backward pass of eq-lstm: with ``gh = ∂L/∂h_t`` and ``gc = ∂L/∂c_t``,
    ``gc ← gc + gh ⊙ o ⊙ (1 − tanh² c_t)``, ``∂L/∂z_t = [gc ⊙ g, gc ⊙ c_{t−1}, gc ⊙ i,
    gh ⊙ tanh c_t] ⊙ ∂(gates)/∂z_t``, then ``gc ← gc ⊙ f_t`` and
    ``gh ← W_hᵀ ∂L/∂z_t + ∂L/∂h_{t−1}`` from the output. Weight gradients are gathered after
    the loop as one matrix product per weight over all steps and sequences.
    """
    _checks.check_name(loss, "loss", losses.LOSSES)
    xs3, batched, cache = _lstm_prepare(params, xs, h0, c0)
    value, dY = _loss_grad(loss, cache.ys, targets, mask, batched)
    gWy, gby, dH = _output_grads(params, cache.hs[1:], dY)
    T, B, _ = xs3.shape
    H = params.n_hidden
    back = _LSTMBackward(params, cache, B)
    dZ = np.empty((T, B, 4 * H))
    gh = np.zeros((B, H))
    rows = _lstm_order(H)  # internal i, f, o, g back to i, f, g, o (the swap is an involution)
    with np.errstate(over="ignore", invalid="ignore"):  # checked by _finite_grads
        for t in range(T - 1, -1, -1):
            gh += dH[t]
            gh = back.step(t, gh, dZ[t])
        # W_x, W_h and b in one product: [x_t, h_{t-1}, 1]ᵀ ∂L/∂z_t summed over t and batch
        I = xs3.shape[2]
        inputs = np.empty((T, B, I + H + 1))
        inputs[..., :I] = xs3
        inputs[..., I:-1] = cache.hs[:-1]
        inputs[..., -1] = 1.0
        G = (inputs.reshape(T * B, -1).T @ dZ.reshape(T * B, 4 * H))[:, rows]
        grads = {"W_x": G[:I].T, "W_h": G[I:-1].T, "b": G[-1]}
    return value, LSTMParams(**_finite_grads("lstm_bptt", grads), W_y=gWy, b_y=gby)


def _single_sequence(xs, params, name="xs"):
    """Validate one unbatched sequence ``(T, I)``; returned as ``(T, 1, I)``."""
    arr, batched = _check_xs(xs, params, name)
    if batched:
        raise ValueError(
            f"{name}: expected one sequence of shape (T, I) with I={params.n_in}, "
            f"got {_checks.shape_str(arr.shape)}"
        )
    return arr


def _check_lstm_trace(trace, params):
    """A (possibly hand-built) trace of one sequence: every field a finite real array of the
    shape :func:`lstm_forward` gives, ``states, cells (T+1, H)``, ``gates (T, 4H)``."""
    H = params.n_hidden
    arrays = {f: _checks.as_float_array(getattr(trace, f), f"trace_or_xs.{f}")
              for f in ("states", "cells", "gates", "outputs")}
    T = arrays["gates"].shape[0] if arrays["gates"].ndim == 2 else -1
    want = {"states": (T + 1, H), "cells": (T + 1, H), "gates": (T, 4 * H),
            "outputs": (T, params.n_out)}
    if T < 1 or any(arrays[f].shape != shape for f, shape in want.items()):
        got = ", ".join(f"{f} {_checks.shape_str(a.shape)}" for f, a in arrays.items())
        raise ValueError(f"trace_or_xs: expected the trace of one sequence, states and cells "
                         f"(T+1, H), gates (T, 4H), outputs (T, O) with H={H}, "
                         f"O={params.n_out}, got {got}")
    return LSTMTrace(**arrays)


def lstm_cell_jacobian_norms(params, trace_or_xs, *, path="full", h0=None, c0=None):
    """``log10 ‖∂c_T/∂c_k‖₂`` for ``k = 0 … T`` along one LSTM sequence.

    Parameters
    ----------
    params : LSTMParams
        Weights.
    trace_or_xs : LSTMTrace or array_like, shape (T, I)
        A trace of one sequence from :func:`lstm_forward`, or the inputs to run.
    path : {"full", "direct"}, optional
        ``"full"`` (default): the whole Jacobian of ``c_T`` with respect to ``c_k`` along every
        path, through the cell *and* through the hidden state and the gates.
        ``"direct"``: only the cell path ``c_t = f_t ⊙ c_{t−1}`` (gates held fixed),
        ``∏_{t=k+1}^{T} diag(f_t)``.
    h0, c0 : array_like, shape (H,), optional
        Initial states when ``xs`` are given (ignored for a trace).

    Returns
    -------
    numpy.ndarray, shape (T+1,)
        ``log10 ‖∂c_T/∂c_k‖₂``; the last entry is 0. ``-inf`` only for an exactly zero
        Jacobian.

    Notes
    -----
    eq-lstm-cell-jacobian. ``∂c_T/∂c_k`` is the total derivative with respect to the node
    ``c_k`` of the computation graph: a change of ``c_k`` also changes
    ``h_k = o_k ⊙ tanh(c_k)`` and through it every later gate. ``h_0`` is an input, not a
    function of ``c_0``, so at ``k = 0`` only the paths through ``c_1`` count. Along the
    direct path ``‖∏ diag(f_t)‖₂ = max_j ∏_t f_t[j]``, summed as ``log10 f_t`` (``-inf`` only
    if some ``f_t[j]`` is exactly 0 in float64, a pre-activation below about −37). The full
    Jacobian is back-propagated as ``H`` adjoint vectors at once,
    rescaled every step (the scale kept in log10), so it neither overflows nor underflows.
    """
    _check_params(params, LSTMParams)
    _checks.check_name(path, "path", ("full", "direct"))
    H = params.n_hidden
    if isinstance(trace_or_xs, LSTMTrace):
        trace = _check_lstm_trace(trace_or_xs, params)
        cache = _LSTMCache(trace.states[:, None], trace.cells[:, None],
                           _swap_last_blocks(trace.gates, H)[:, None], trace.outputs[:, None],
                           np.tanh(trace.cells[1:, None]))
    else:
        xs3 = _single_sequence(trace_or_xs, params, "trace_or_xs")
        h0 = _initial_state(h0, "h0", 1, False, H)
        c0 = _initial_state(c0, "c0", 1, False, H)
        cache = _lstm_run(params, xs3, h0, c0)
    T = cache.acts.shape[0]
    out = np.empty(T + 1)
    out[T] = 0.0
    if path == "direct":
        with np.errstate(divide="ignore"):  # an f that is exactly 0 gives -inf, not NaN
            log_f = np.log10(cache.acts[:, 0, H:2 * H])  # (T, H)
        out[:T] = np.max(np.cumsum(log_f[::-1], axis=0)[::-1], axis=1)
        return out
    back = _LSTMBackward(params, cache, H)
    back.gc[:] = np.eye(H)  # row j: the adjoint of c_T[j]; c_T does not depend on h_T
    gh = np.zeros((H, H))

    def total_dc(t, gh):  # the total ∂c_T/∂c_{t+1}: add the path through h_{t+1}
        return back.gc if t < 0 else back.gc + gh * back.dh_dc_at(t)

    return _rescaled_backward(back, gh, np.empty((H, 4 * H)), T, total_dc)


def _rescaled_backward(back, gh, dz, T, total):
    """Run ``back`` from step ``T`` down to 0; entry ``k`` is ``log10 ‖total(k − 1, gh)‖₂``.

    The adjoints are divided by their largest entry after every step and the factor is kept in
    log10, so that the recursion (linear in the adjoints) neither overflows nor underflows.
    """
    out = np.empty(T + 1)
    log_scale = 0.0
    for t in range(T - 1, -1, -1):
        out[t + 1] = log_scale + _log10_norm_2(total(t, gh))
        gh = back.step(t, gh, dz)
        scale = max(float(np.max(np.abs(gh))), back.carried_max())
        if scale == 0.0:
            out[: t + 1] = -np.inf
            return out
        gh /= scale
        back.rescale(1.0 / scale)
        log_scale += float(np.log10(scale))
    out[0] = log_scale + _log10_norm_2(total(-1, gh))
    return out


# --------------------------------------------------------------------------------------------
# GRU
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _GRUCache:
    hs: np.ndarray  # (T+1, B, H)
    acts: np.ndarray  # (T, B, 3H) r, z, n
    hn: np.ndarray  # (T, B, H) W_hn h_{t-1} + b_hn
    ys: np.ndarray  # (T, B, O)


@_finite_run
def _gru_run(params, xs3, h0):
    T, B, _ = xs3.shape
    H = params.n_hidden
    scale = _gate_scaling(3, H)
    W_hT = np.ascontiguousarray((params.W_h * scale[:, None]).T)  # (H, 3H)
    b_h = params.b_h * scale
    # the input part of every step at once; each step then adds its recurrent part in place
    acts = _input_part(params.W_x * scale[:, None], params.b_x * scale, xs3)
    hs = np.empty((T + 1, B, H))
    hn = np.empty((T, B, H))
    hs[0] = h0
    rec = np.empty((B, 3 * H))
    rn = np.empty((B, H))
    for t in range(T):
        np.matmul(hs[t], W_hT, out=rec)
        rec += b_h
        a = acts[t]
        rz = a[:, :2 * H]
        rz += rec[:, :2 * H]
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        hn[t] = rec[:, 2 * H:]
        n = a[:, 2 * H:]
        np.multiply(a[:, :H], hn[t], out=rn)  # r ⊙ (W_hn h + b_hn)
        n += rn
        np.tanh(n, out=n)
        h = hs[t + 1]
        np.subtract(hs[t], n, out=h)
        h *= a[:, H:2 * H]
        h += n  # h_t = n + z ⊙ (h_{t−1} − n) = (1 − z) ⊙ n + z ⊙ h_{t−1}
    return _GRUCache(hs, acts, hn, _outputs(params, hs[1:]))


def _gru_prepare(params, xs, h0):
    _check_params(params, GRUParams)
    xs3, batched = _check_xs(xs, params)
    h0 = _initial_state(h0, "h0", xs3.shape[1], batched, params.n_hidden)
    return xs3, batched, _gru_run(params, xs3, h0)


class _GRUBackward:
    """The GRU's backward recursion over one cache (adjoints may carry any batch axis).

    ``dz`` rows are ``[∂/∂a_r, ∂/∂a_z, ∂/∂(W_hn h + b_hn), ∂/∂a_n]``: the first three are the
    gradient of the recurrent pre-activations ``W_h h_{t−1} + b_h``, and the first two with the
    last one that of the input pre-activations ``W_x x_t + b_x``.
    """

    def __init__(self, params, cache):
        H = params.n_hidden
        self.H, self.W_h, self.cache = H, params.W_h, cache
        r, z, n = (cache.acts[..., k * H:(k + 1) * H] for k in range(3))
        self.z = z
        self.a_n = (1.0 - z) * (1.0 - n * n)  # ∂h_t/∂a_n
        self.hn_r = cache.hn * r * (1.0 - r)  # ∂a_n/∂a_r
        self.a_z = (cache.hs[:-1] - n) * z * (1.0 - z)  # ∂h_t/∂a_z
        self.r = r

    def step(self, t, gh, dz):
        """``gh = ∂/∂h_t`` in, ``dz`` filled, ``∂/∂h_{t−1}`` returned (t is 0-based)."""
        H = self.H
        d_an = dz[..., 3 * H:]
        np.multiply(gh, self.a_n[t], out=d_an)
        np.multiply(d_an, self.hn_r[t], out=dz[..., :H])
        np.multiply(gh, self.a_z[t], out=dz[..., H:2 * H])
        np.multiply(d_an, self.r[t], out=dz[..., 2 * H:3 * H])
        g = dz[..., :3 * H] @ self.W_h
        g += gh * self.z[t]
        return g

    def carried_max(self):
        return 0.0  # a GRU carries nothing besides gh

    def rescale(self, factor):
        pass


def gru_forward(params, xs, *, h0=None):
    """Run a GRU over a sequence (or a batch of sequences).

    Parameters
    ----------
    params : GRUParams
        Weights, shapes ``(3H, I) (3H, H) (3H,) (3H,) (O, H) (O,)``.
    xs : array_like, shape (T, I) or (T, B, I)
        Inputs ``x_1 … x_T``.
    h0 : array_like, shape (H,) or (B, H), optional
        Initial hidden state (default zeros); ``(H,)`` is shared by the batch.

    Returns
    -------
    GRUTrace
        ``states (T+1, [B,] H)``, ``gates (T, [B,] 3H)``, ``outputs (T, [B,] O)``.

    Notes
    -----
    ``r, z = σ(W_x x_t + b_x + W_h h_{t−1} + b_h)`` (their rows),
    ``n = tanh(W_xn x_t + b_xn + r ⊙ (W_hn h_{t−1} + b_hn))``,
    ``h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}``, ``y_t = W_y h_t + b_y``. Book label: eq-gru.
    """
    _, batched, cache = _gru_prepare(params, xs, h0)
    return GRUTrace(*(_unbatch(a, batched) for a in (cache.hs, cache.acts, cache.ys)))


def gru_bptt(params, xs, targets, *, loss="mse", mask=None, h0=None):
    """Loss and exact gradient of a GRU by backpropagation through time.

    Parameters
    ----------
    params : GRUParams
        Weights.
    xs : array_like, shape (T, I) or (T, B, I)
        Inputs.
    targets : array_like
        ``loss="mse"``: real ``(T, [B,] O)``; ``loss="xent"``: integer classes ``(T, [B])``.
    loss : {"mse", "xent"}, optional
        Squared error (eq-loss-mse) or softmax cross-entropy (eq-loss-xent).
    mask : array_like, shape (T,) or (T, B), optional
        Step weights ``m_t`` (default all ones).
    h0 : array_like, shape (H,) or (B, H), optional
        Initial state (default zeros); no gradient is returned for it.

    Returns
    -------
    loss : float
        ``L = Σ_t m_t ℓ_t`` (with a batch: the mean over the batch of the sequence sums).
    grads : GRUParams
        ``∂L/∂θ`` for every field, same shapes.

    Raises
    ------
    FloatingPointError
        If the gradients overflow float64 (exploding gradients) instead of returning Inf/NaN.

    Notes
    -----
    The backward pass of eq-gru: with ``gh = ∂L/∂h_t``, ``∂L/∂a_n = gh ⊙ (1 − z) ⊙ (1 − n²)``,
    ``∂L/∂a_z = gh ⊙ (h_{t−1} − n) ⊙ z(1 − z)``,
    ``∂L/∂a_r = ∂L/∂a_n ⊙ (W_hn h_{t−1} + b_hn) ⊙ r(1 − r)``, and
    ``gh ← W_hᵀ [∂L/∂a_r, ∂L/∂a_z, r ⊙ ∂L/∂a_n] + z ⊙ gh + ∂L/∂h_{t−1}`` from the output.
    Weight gradients are gathered after the loop as a few matrix products over all steps.
    """
    _checks.check_name(loss, "loss", losses.LOSSES)
    xs3, batched, cache = _gru_prepare(params, xs, h0)
    value, dY = _loss_grad(loss, cache.ys, targets, mask, batched)
    gWy, gby, dH = _output_grads(params, cache.hs[1:], dY)
    back = _GRUBackward(params, cache)
    T, B, I = xs3.shape
    H = params.n_hidden
    dZ = np.empty((T, B, 4 * H))
    gh = np.zeros((B, H))
    in_rows = np.r_[0:2 * H, 3 * H:4 * H]  # ∂/∂(W_x x + b_x): rows r, z, n
    with np.errstate(over="ignore", invalid="ignore"):  # checked by _finite_grads
        for t in range(T - 1, -1, -1):
            gh += dH[t]
            gh = back.step(t, gh, dZ[t])
        dZ2 = dZ.reshape(T * B, 4 * H)
        db = dZ2.sum(axis=0)
        grads = {
            "W_x": (xs3.reshape(T * B, I).T @ dZ2)[:, in_rows].T,
            # ∂/∂(W_h h + b_h): the first three blocks, rows r, z, n
            "W_h": (cache.hs[:-1].reshape(T * B, H).T @ dZ2[:, :3 * H]).T,
            "b_x": db[in_rows],
            "b_h": db[:3 * H],
        }
    return value, GRUParams(**_finite_grads("gru_bptt", grads), W_y=gWy, b_y=gby)


def loss_fn(params, xs, targets, *, loss="mse", mask=None, h0=None, c0=None):
    """Only the loss of :func:`lstm_bptt` / :func:`gru_bptt` (no backward); for gradient checks.

    Parameters
    ----------
    params : LSTMParams or GRUParams
        The cell is chosen by the container type.
    xs, targets, loss, mask, h0, c0
        As for :func:`lstm_bptt` (``c0`` must be ``None`` for a GRU).

    Returns
    -------
    float
        ``L = Σ_t m_t ℓ_t`` (eq-loss-mse, eq-loss-xent), the batch mean with a batch.
    """
    _checks.check_name(loss, "loss", losses.LOSSES)
    _, batched, cache = _prepare_any(params, xs, h0, c0)
    return _loss_grad(loss, cache.ys, targets, mask, batched)[0]


def _prepare_any(params, xs, h0, c0):
    """Validate and run either cell, chosen by the container type."""
    _checks.check_instance(params, "params", (LSTMParams, GRUParams))
    if isinstance(params, LSTMParams):
        return _lstm_prepare(params, xs, h0, c0)
    if c0 is not None:
        raise ValueError("c0: a GRU has no cell state; expected None")
    return _gru_prepare(params, xs, h0)


# --------------------------------------------------------------------------------------------
# Gradient decay
# --------------------------------------------------------------------------------------------


def gated_decay(params, xs, targets, *, loss="mse", h0=None, c0=None):
    """``log10 ‖∂L_T/∂h_k‖₂`` for ``k = 0 … T``: how far back the last step's error reaches.

    Parameters
    ----------
    params : LSTMParams or GRUParams
        Weights; the cell is chosen by the container type.
    xs : array_like, shape (T, I)
        One input sequence.
    targets : array_like
        As in :func:`lstm_bptt` for one sequence: ``(T, O)`` real for ``"mse"``, ``(T,)``
        integer for ``"xent"``; only the last step's target is used.
    loss : {"mse", "xent"}, optional
        The loss ``L_T`` of the last step.
    h0, c0 : array_like, shape (H,), optional
        Initial states (``c0`` only for an LSTM).

    Returns
    -------
    numpy.ndarray, shape (T+1,)
        ``log10 ‖∂L_T/∂h_k‖₂`` (``-inf`` only where the gradient is exactly zero).

    Notes
    -----
    The gated analogue of eq-grad-decay, with ``L_T = m_T ℓ_T`` (the mask weighting only the
    last step). ``∂L_T/∂h_k`` is the total derivative with respect to the node ``h_k``: for
    an LSTM it includes every later path through the gates and the cells, ``c_k`` being held
    as it is (``h_k`` is computed from it, not the other way round). The backward recursion
    is rescaled every step with the scale kept in log10, so nothing underflows for long
    sequences.
    """
    _checks.check_instance(params, "params", (LSTMParams, GRUParams))
    _checks.check_name(loss, "loss", losses.LOSSES)
    T, H = _single_sequence(xs, params).shape[0], params.n_hidden
    mask = np.zeros(T)
    mask[-1] = 1.0
    _, _, cache = _prepare_any(params, xs, h0, c0)
    if isinstance(params, LSTMParams):
        back = _LSTMBackward(params, cache, 1)
    else:
        back = _GRUBackward(params, cache)
    _, dY = _loss_grad(loss, cache.ys, targets, mask, False)
    gh = dY[T - 1] @ params.W_y  # (1, H): ∂L_T/∂h_T
    return _rescaled_backward(back, gh, np.empty((1, 4 * H)), T, lambda t, gh: gh)


def gated_decay_curve(cell="lstm", *, forget_bias=None, n_hidden=32, T=100, seed=0,
                      input_scale=1.0, loss="mse", n_in=1, n_out=1):
    """The book's slider for gated cells: a random cell and sequence, then :func:`gated_decay`.

    Parameters
    ----------
    cell : {"lstm", "gru"}, optional
        Which cell (default ``"lstm"``).
    forget_bias : float, optional
        LSTM only: the forget-gate bias of :func:`lstm_init` (default ``None``, random).
    n_hidden : int, optional
        ``H`` (default 32).
    T : int, optional
        Sequence length (default 100).
    seed : int, optional
        Seeds the weights and the inputs.
    input_scale : float, optional
        Standard deviation of the inputs ``x_t ~ N(0, input_scale²)``, ``>= 0``.
    loss : {"mse", "xent"}, optional
        ``"mse"`` (random normal targets) or ``"xent"`` (random classes).
    n_in, n_out : int, optional
        Input and output sizes (default 1).

    Returns
    -------
    numpy.ndarray, shape (T+1,)
        ``log10 ‖∂L_T/∂h_k‖₂`` for ``k = 0 … T``.

    Notes
    -----
    The gated analogue of ``jacobians.decay_curve`` (eq-grad-decay), with the inputs and
    targets drawn the same way, so that the three curves can share one figure.
    """
    _checks.check_name(cell, "cell", ("lstm", "gru"))
    _checks.check_name(loss, "loss", losses.LOSSES)
    T = _checks.check_size(T, "T")
    input_scale = _checks.check_real(input_scale, "input_scale", nonnegative=True)
    seed = _checks.check_seed(seed)
    if cell == "lstm":
        params = lstm_init(n_in, n_hidden, n_out, seed=seed, forget_bias=forget_bias)
    elif forget_bias is not None:
        raise ValueError(
            f"forget_bias: a GRU has no forget gate; expected None, got {forget_bias!r}"
        )
    else:
        params = gru_init(n_in, n_hidden, n_out, seed=seed)
    xs, targets = tasks.probe(T, params.n_in, params.n_out, seed=seed,
                              input_scale=input_scale, loss=loss)
    return gated_decay(params, xs, targets, loss=loss)
