"""Gradient clipping, and the one-unit "cliff" model on which the book shows why it helps.

``clip_by_norm`` and ``clip_by_value`` act on a whole parameter container (``RNNParams``,
``LSTMParams``, ``GRUParams`` or any frozen dataclass of arrays) or on a plain array, and hand
back the same type. ``cliff_loss`` / ``cliff_grad`` evaluate the one-unit recurrent model of
Pascanu, Mikolov & Bengio (2013, eq. 8) on whole ``(w, b)`` grids in one vectorised call, and
``cliff_descent`` runs gradient descent on it with and without clipping.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import _checks, activations, seeds
from . import params as ptree

__all__ = [
    "clip_by_norm",
    "clip_by_value",
    "cliff_loss",
    "cliff_grad",
    "cliff_descent",
    "CliffPath",
    "cliff_hessian",
    "curvature_alignment",
]

# |dE/dx_t| is capped here in the cliff model's backward pass; see cliff_grad's Notes.
_DELTA_CAP = 1e300


# --------------------------------------------------------------------------------------------
# Clipping
# --------------------------------------------------------------------------------------------


def _fields(grads: object, name: str) -> dict[str, np.ndarray] | None:
    """The container's arrays by field name (float64), or ``None`` for a plain array."""
    if isinstance(grads, np.ndarray):
        return None
    if not dataclasses.is_dataclass(grads) or isinstance(grads, type):
        raise TypeError(
            f"{name}: expected a parameter container (a dataclass such as RNNParams, "
            f"LSTMParams, GRUParams) or a numpy array, got {type(grads).__name__}"
        )
    return {f: _checks.as_float_array(a, f"{name}.{f}", finite=False)
            for f, a in ptree.fields(grads, name)}


def clip_by_norm(grads, threshold):
    """Rescale a gradient so that its global 2-norm is at most ``threshold``.

    Parameters
    ----------
    grads : parameter container or numpy.ndarray
        A frozen dataclass of arrays (``RNNParams``, ``LSTMParams``, ``GRUParams``, ...) or a
        single array of any shape. Every entry must be finite.
    threshold : float
        The largest norm allowed, finite and positive (``θ``).

    Returns
    -------
    clipped : same type as ``grads``
        ``grads`` itself scaled by ``θ / ‖g‖`` if ``‖g‖ ≥ θ``, otherwise an unscaled copy.
        Same container type and field shapes.
    norm : float
        ``‖g‖``, the 2-norm of all entries of all fields together, *before* clipping. It is
        computed with a max-abs rescaling, so it never overflows while the true norm is below
        about ``1.8e308``; beyond that it is ``inf`` and ``clipped`` is still exact and finite.

    Raises
    ------
    ValueError
        If ``threshold`` is not finite and positive, or if ``grads`` holds a NaN or an infinity
        (a gradient that has already overflowed has no direction to keep, so it is reported
        rather than turned into NaN).
    TypeError
        If ``grads`` is neither an array nor a dataclass of arrays.

    Notes
    -----
    ``g ← g · θ/‖g‖`` if ``‖g‖ ≥ θ`` (Pascanu et al. 2013, Algorithm 1): the step keeps its
    direction and only its length shrinks. Book label: eq-clip-norm.
    """
    threshold = _checks.check_real(threshold, "threshold", positive=True)
    arrays, named = _named_arrays(grads)
    for key, arr in named.items():
        _checks.check_finite(arr, f"grads.{key}" if key else "grads")
    norm = ptree.global_norm(grads, "grads")  # overflow-safe: inf only beyond float64
    factor = 1.0
    if norm >= threshold:
        # θ/‖g‖ as (θ/s)/‖g/s‖ with s = max |g_i|, exact even when ‖g‖ itself is inf
        scale = max(float(np.max(np.abs(a), initial=0.0)) for a in named.values())
        rel = ptree.global_norm({k: a / scale for k, a in named.items()})
        factor = (threshold / scale) / rel
    clipped = {key: arr * factor for key, arr in named.items()}
    if arrays is None:
        return clipped[""], norm
    return ptree.replace(grads, clipped), norm


def _named_arrays(grads) -> tuple[dict | None, dict]:
    """``grads``' fields by name (``None`` for a plain array) and the arrays to clip by name
    (a plain array under the key ``""``)."""
    arrays = _fields(grads, "grads")
    if arrays is None:
        return None, {"": _checks.as_float_array(grads, "grads", finite=False)}
    return arrays, arrays


def clip_by_value(grads, limit):
    """Clip every entry of a gradient to ``[-limit, limit]``.

    Parameters
    ----------
    grads : parameter container or numpy.ndarray
        A frozen dataclass of arrays or a single array. Infinite entries are allowed (they
        become ``±limit``); NaN entries are not.
    limit : float
        The bound ``c``, finite and positive.

    Returns
    -------
    clipped : same type as ``grads``
        A copy with every entry in ``[-limit, limit]``; same container type and shapes.

    Raises
    ------
    ValueError
        If ``limit`` is not finite and positive or ``grads`` holds a NaN.
    TypeError
        If ``grads`` is neither an array nor a dataclass of arrays.

    Notes
    -----
    ``g_i ← min(max(g_i, −c), c)``. Unlike norm clipping this changes the direction of the
    step whenever some entries are clipped and others are not. Book label: eq-clip-value.
    """
    limit = _checks.check_real(limit, "limit", positive=True)
    arrays, named = _named_arrays(grads)
    for key, arr in named.items():
        if np.isnan(arr).any():
            where = tuple(int(i) for i in np.argwhere(np.isnan(arr))[0])
            label = f"grads.{key}" if key else "grads"
            raise ValueError(f"{label}: expected no NaN entries, got NaN at index {where}")
    clipped = {key: np.clip(arr, -limit, limit) for key, arr in named.items()}
    if arrays is None:
        return clipped[""]
    return ptree.replace(grads, clipped)


# --------------------------------------------------------------------------------------------
# The cliff model
# --------------------------------------------------------------------------------------------


_sigmoid = activations.sigmoid.value  # overflow-free for any finite x
_sigmoid_slope = activations.sigmoid.deriv


def _scalar_sigmoid_and_slope(x: float) -> tuple[float, float]:
    """``σ(x)`` and ``σ'(x)`` of one float, through ``exp(−|x|)`` (no overflow)."""
    e = math.exp(-abs(x))
    inv = 1.0 / (1.0 + e)
    return (inv if x >= 0 else e * inv), e * inv * inv


def _cliff_grad_scalar(w: float, b: float, steps: int, x0: float, target: float):
    """:func:`cliff_grad` for one point in plain floats: ~100x faster than 0-d arrays.

    The same recursions as the vectorised pass (and the same cap); :func:`cliff_descent` and
    the book's live widget call it once per descent step.
    """
    xs = [x0]
    for _ in range(steps):
        xs.append(w * _scalar_sigmoid_and_slope(xs[-1])[0] + b)
    sig, slope = _scalar_sigmoid_and_slope(xs[-1])
    delta = 2.0 * (sig - target) * slope
    gw = gb = 0.0
    for t in range(steps, 0, -1):
        sig, slope = _scalar_sigmoid_and_slope(xs[t - 1])
        gw += delta * sig
        gb += delta
        if t > 1:  # a float product overflows to ±inf without raising; the cap undoes it
            delta = min(max(delta * (w * slope), -_DELTA_CAP), _DELTA_CAP)
    return gw, gb


def _check_target(target) -> float:
    """The cliff model's target for ``σ(x_steps)``: a number in ``[0, 1]``, the range of σ
    (so that ``E`` and its gradient are finite for every ``w``, ``b``)."""
    target = _checks.check_real(target, "target")
    if not 0.0 <= target <= 1.0:
        raise ValueError(f"target: expected a number in [0, 1] (the range of σ), got {target}")
    return target


def _cliff_args(w, b, steps, x0, target):
    w = _checks.as_float_array(w, "w")
    b = _checks.as_float_array(b, "b")
    try:
        shape = np.broadcast_shapes(w.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"b: expected a shape that broadcasts with w {_checks.shape_str(w.shape)}, "
            f"got {_checks.shape_str(b.shape)}"
        ) from None
    target = _check_target(target)
    steps = _checks.check_size(steps, "steps")
    _checks.check_entries("steps", (steps + 1) * int(np.prod(shape)),
                          f"the states of a {_checks.shape_str(shape)} grid")
    x0 = _checks.check_real(x0, "x0")
    return np.broadcast_to(w, shape), np.broadcast_to(b, shape), steps, x0, target


def _scalar_or_array(a: np.ndarray):
    return float(a) if a.ndim == 0 else a


def cliff_loss(w, b, *, steps=50, x0=0.5, target=0.7):
    """Loss of the one-unit recurrent model of Pascanu et al. (2013) at ``(w, b)``.

    Parameters
    ----------
    w, b : float or array_like
        Recurrent weight and bias; they broadcast against each other (a whole grid in one
        call, e.g. ``w[None, :]`` and ``b[:, None]``). Finite.
    steps : int, optional
        Number of recurrent steps (default 50).
    x0 : float, optional
        Initial state (default 0.5).
    target : float, optional
        Target for ``σ(x_steps)``, in ``[0, 1]`` (default 0.7).

    Returns
    -------
    float or numpy.ndarray, shape ``broadcast(w, b)``
        ``E``, which lies in ``[0, max(target², (1 − target)²)]``.

    Notes
    -----
    ``x_t = w σ(x_{t−1}) + b`` for ``t = 1 … steps``, ``E = (σ(x_steps) − target)²``; the
    model has no input. Book label: eq-cliff-model.
    """
    w, b, steps, x0, target = _cliff_args(w, b, steps, x0, target)
    x = np.full(w.shape, x0)
    for _ in range(steps):
        x = w * _sigmoid(x) + b
    return _scalar_or_array((_sigmoid(x) - target) ** 2)


def cliff_grad(w, b, *, steps=50, x0=0.5, target=0.7):
    """Exact gradient ``(∂E/∂w, ∂E/∂b)`` of :func:`cliff_loss`, by a backward pass.

    Parameters
    ----------
    w, b : float or array_like
        As in :func:`cliff_loss`; broadcast against each other.
    steps, x0, target
        As in :func:`cliff_loss`.

    Returns
    -------
    dE_dw, dE_db : float or numpy.ndarray, shape ``broadcast(w, b)``
        Always finite (never NaN); very large near the cliff.

    Notes
    -----
    Implements eq-cliff-model, ``x_t = w σ(x_{t−1}) + b``, ``E = (σ(x_steps) − target)²``,
    differentiated backwards through time: ``δ_steps = 2 (σ(x_steps) − target) σ'(x_steps)``,
    ``δ_{t−1} = δ_t w σ'(x_{t−1})``, ``∂E/∂w = Σ_t δ_t σ(x_{t−1})`` and ``∂E/∂b = Σ_t δ_t``.

    Since ``|δ_steps| ≤ 1/2`` and ``σ' ≤ 1/4``, ``|δ_t| ≤ (|w|/4)^(steps−t) / 2``: with the
    default 50 steps every value is finite in float64 for ``|w| < 4·10^6`` (the book's grids
    use ``|w| ≲ 20``). Beyond that ``|δ_t|`` is capped at ``1e300`` in the backward pass, so
    such gradients saturate near ``±1e300`` instead of overflowing to ``inf`` or NaN.

    The forward pass stores the ``steps + 1`` states, i.e. ``8 (steps + 1)`` bytes per grid
    point (65 MB for a 400 × 400 grid and 50 steps).
    """
    w, b, steps, x0, target = _cliff_args(w, b, steps, x0, target)
    if w.ndim == 0:
        return _cliff_grad_scalar(float(w), float(b), steps, x0, target)
    xs = np.empty((steps + 1, *w.shape))
    xs[0] = x0
    for t in range(1, steps + 1):
        xs[t] = w * _sigmoid(xs[t - 1]) + b
    delta = 2.0 * (_sigmoid(xs[steps]) - target) * _sigmoid_slope(xs[steps])  # ∂E/∂x_steps
    gw = np.zeros(w.shape)
    gb = np.zeros(w.shape)
    for t in range(steps, 0, -1):
        gw += delta * _sigmoid(xs[t - 1])
        gb += delta
        if t > 1:
            with np.errstate(over="ignore"):  # a finite product may overflow to ±inf ...
                delta = delta * (w * _sigmoid_slope(xs[t - 1]))
            delta = np.clip(delta, -_DELTA_CAP, _DELTA_CAP)  # ... which the cap undoes
    return gw, gb


@dataclasses.dataclass(frozen=True)
class CliffPath:
    """A gradient-descent trajectory on the cliff model (see :func:`cliff_descent`).

    Attributes
    ----------
    w, b : numpy.ndarray, shape (n_steps + 1,)
        The parameters, starting point first.
    loss : numpy.ndarray, shape (n_steps + 1,)
        ``E(w, b)`` at every point.
    grad_norm : numpy.ndarray, shape (n_steps,)
        ``‖(∂E/∂w, ∂E/∂b)‖₂`` before clipping, at every step taken.
    clipped : numpy.ndarray of bool, shape (n_steps,)
        Whether the step was shortened by clipping.
    """

    w: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    clipped: np.ndarray


def cliff_descent(w0, b0, *, lr, steps, clip=None, model_steps=50, x0=0.5, target=0.7):
    """Plain gradient descent on the cliff model, optionally with norm clipping.

    Parameters
    ----------
    w0, b0 : float
        Starting point.
    lr : float
        Learning rate, finite and positive.
    steps : int
        Number of descent steps (``n_steps``, at least 1).
    clip : float, optional
        Threshold ``θ`` for :func:`clip_by_norm` applied to ``(∂E/∂w, ∂E/∂b)``; ``None``
        (default) takes the raw gradient step.
    model_steps, x0, target
        The cliff model's ``steps``, ``x0`` and ``target`` (see :func:`cliff_loss`).

    Returns
    -------
    CliffPath
        Arrays ``w, b, loss`` of shape ``(n_steps + 1,)`` and ``grad_norm, clipped`` of shape
        ``(n_steps,)``.

    Notes
    -----
    ``(w, b) ← (w, b) − lr · clip(∇E)`` with ``∇E`` from :func:`cliff_grad` (eq-cliff-model)
    and ``clip`` the norm clipping of eq-clip-norm.
    """
    w = _checks.check_real(w0, "w0")
    b = _checks.check_real(b0, "b0")
    lr = _checks.check_real(lr, "lr", positive=True)
    steps = _checks.check_size(steps, "steps")
    if clip is not None:
        clip = _checks.check_real(clip, "clip", positive=True)
    model = {"steps": _checks.check_size(model_steps, "model_steps"),
             "x0": _checks.check_real(x0, "x0"), "target": _check_target(target)}
    w, b = seeds.perturb_start((w, b))  # unchanged unless the knife-edge mode is on
    ws, bs, norms, clipped = [w], [b], [], []
    for _ in range(steps):
        g = np.array(_cliff_grad_scalar(w, b, **model))
        norm = float(np.hypot(g[0], g[1]))
        if clip is not None:
            g, norm = clip_by_norm(g, clip)
        w, b = w - lr * float(g[0]), b - lr * float(g[1])
        if not (np.isfinite(w) and np.isfinite(b)):
            raise ValueError(
                f"lr: the step from (w, b) = ({ws[-1]}, {bs[-1]}) overflowed float64 "
                f"(gradient norm {norm:.3g}); use a smaller lr or set clip"
            )
        ws.append(w)
        bs.append(b)
        norms.append(norm)
        clipped.append(clip is not None and norm >= clip)
    ws_arr, bs_arr = np.array(ws), np.array(bs)
    return CliffPath(
        w=ws_arr,
        b=bs_arr,
        loss=np.asarray(cliff_loss(ws_arr, bs_arr, **model), dtype=np.float64),
        grad_norm=np.array(norms),
        clipped=np.array(clipped, dtype=bool),
    )


# --------------------------------------------------------------------------------------------
# Curvature of the cliff model
# --------------------------------------------------------------------------------------------


def cliff_hessian(w, b, *, steps=50, x0=0.5, target=0.7):
    """Exact gradient and Hessian of :func:`cliff_loss` at one point ``(w, b)``.

    Parameters
    ----------
    w, b : float
        The point (finite).
    steps, x0, target
        As in :func:`cliff_loss`.

    Returns
    -------
    grad : numpy.ndarray, shape (2,)
        ``(∂E/∂w, ∂E/∂b)``.
    hessian : numpy.ndarray, shape (2, 2)
        ``∂²E/∂(w, b)²`` (symmetric).

    Raises
    ------
    FloatingPointError
        If a derivative overflows float64 (``|w|`` far beyond the book's grids).

    Notes
    -----
    Forward-mode second derivatives of eq-cliff-model: with ``u = (w, b)``,
    ``∂x_t/∂u = (σ(x_{t−1}), 1) + w σ'(x_{t−1}) ∂x_{t−1}/∂u`` and
    ``∂²x_t/∂u∂u = w σ' ∂²x_{t−1} + w σ'' ∂x_{t−1} ∂x_{t−1}ᵀ + σ' (e_w ∂x_{t−1}ᵀ + ∂x_{t−1} e_wᵀ)``;
    then ``∇E = 2 (σ(x_T) − y) σ'(x_T) ∂x_T`` and
    ``∇²E = 2 (σ'(x_T)² + (σ(x_T) − y) σ''(x_T)) ∂x_T ∂x_Tᵀ + 2 (σ(x_T) − y) σ'(x_T) ∂²x_T``.
    Near the wall the first (rank-one) term grows like the square of the gradient. Book label:
    eq-cliff-model.
    """
    w = _checks.check_real(w, "w")
    b = _checks.check_real(b, "b")
    steps = _checks.check_size(steps, "steps")
    x0 = _checks.check_real(x0, "x0")
    target = _check_target(target)
    x, dx, d2x = x0, np.zeros(2), np.zeros((2, 2))
    e_w = np.array([1.0, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            s, s1 = _scalar_sigmoid_and_slope(x)
            s2 = s1 * (1.0 - 2.0 * s)                   # σ'' = σ'(1 − 2σ)
            cross = np.outer(e_w, dx)
            d2x = w * s1 * d2x + w * s2 * np.outer(dx, dx) + s1 * (cross + cross.T)
            dx = np.array([s, 1.0]) + w * s1 * dx
            x = w * s + b
        s, s1 = _scalar_sigmoid_and_slope(x)
        s2 = s1 * (1.0 - 2.0 * s)
        grad = 2.0 * (s - target) * s1 * dx
        hess = 2.0 * (s1 * s1 + (s - target) * s2) * np.outer(dx, dx) \
            + 2.0 * (s - target) * s1 * d2x
    if not (np.isfinite(grad).all() and np.isfinite(hess).all()):
        raise FloatingPointError(f"w: the cliff model's derivatives overflowed float64 at "
                                 f"(w, b) = ({w}, {b})")
    return grad, 0.5 * (hess + hess.T)


def curvature_alignment(w, b, **model):
    """Angle between the gradient and the top curvature direction of the cliff model.

    Parameters
    ----------
    w, b : float
        The point.
    **model
        ``steps``, ``x0``, ``target`` as in :func:`cliff_loss`.

    Returns
    -------
    angle : float
        Degrees in ``[0, 90]`` between ``∇E`` and the eigenvector of ``∇²E`` whose eigenvalue
        is largest in absolute value (a line has no sign, so the angle is folded to 90).
    top_eigenvalue : float
        That eigenvalue.
    grad_norm : float
        ``‖∇E‖``.

    Raises
    ------
    ValueError
        If the gradient is zero (no direction).

    Notes
    -----
    The geometric argument of Pascanu et al. (2013, §3.2) for norm clipping (eq-clip-norm) on
    eq-cliff-model.
    """
    grad, hess = cliff_hessian(w, b, **model)
    norm = float(np.hypot(*grad))
    if norm == 0.0:
        raise ValueError(f"w: the gradient is zero at (w, b) = ({w}, {b}); no direction")
    vals, vecs = np.linalg.eigh(hess)
    i = int(np.argmax(np.abs(vals)))
    cos = abs(float(vecs[:, i] @ grad)) / norm
    return float(np.degrees(np.arccos(min(cos, 1.0)))), float(vals[i]), norm
