"""Sequence losses and their gradients with respect to the outputs ``y_t``.

Both losses follow one convention (API.md): outputs are ``(T, O)`` or ``(T, B, O)``, a mask
``m_t`` of shape ``(T,)`` or ``(T, B)`` weights each step (default all ones), the loss of one
sequence is the weighted *sum* over steps, and with a batch the loss is the *mean* over the batch
of the per-sequence sums. Each function returns ``(loss, dL/dy)`` with ``dL/dy`` shaped like the
outputs, so a recurrent model only has to push ``dL/dy`` backwards.
"""

from __future__ import annotations

import numpy as np

from . import _checks

__all__ = ["LOSSES", "mse", "xent", "loss_and_grad", "check_targets", "log_softmax", "softmax"]

#: The loss names accepted by every ``loss=`` argument.
LOSSES = ("mse", "xent")


def check_targets(loss: str, targets: object, T: int, B: int | None, O: int) -> np.ndarray:
    """Validate ``targets`` for ``loss`` against outputs of shape ``(T, [B,] O)``.

    Parameters
    ----------
    loss : str
        ``"mse"`` or ``"xent"``.
    targets : array_like
        ``"mse"``: real ``(T, O)`` or ``(T, B, O)``. ``"xent"``: integer class indices
        ``(T,)`` or ``(T, B)``, each in ``0 … O-1``.
    T, B, O : int
        Sequence length, batch size (``None`` without a batch axis) and output size.

    Returns
    -------
    numpy.ndarray
        float64 targets for ``"mse"``, int64 class indices for ``"xent"``.
    """
    _checks.check_name(loss, "loss", LOSSES)
    T, O = _checks.check_size(T, "T"), _checks.check_size(O, "O")
    B = None if B is None else _checks.check_size(B, "B")
    batch = () if B is None else (B,)
    if loss == "mse":
        arr = _checks.as_float_array(targets, "targets", finite=False)
        want = (T, *batch, O)
        sym = "(T, O)" if B is None else "(T, B, O)"
        _checks.check_shape(arr, "targets", want, f"= {sym} for loss='mse'")
        return _checks.check_finite(arr, "targets")
    arr = _checks.as_int_array(targets, "targets")
    want = (T, *batch)
    sym = "(T,)" if B is None else "(T, B)"
    _checks.check_shape(arr, "targets", want, f"= {sym} integer class indices for loss='xent'")
    if arr.size and (arr.min() < 0 or arr.max() >= O):
        bad = tuple(int(i) for i in np.argwhere((arr < 0) | (arr >= O))[0])
        raise ValueError(
            f"targets: expected class indices in 0..{O - 1} (O={O}), got {arr[bad]} at index {bad}"
        )
    return arr


def _outputs(outputs: object) -> tuple[np.ndarray, int | None]:
    ys, batched = _checks.as_sequence(outputs, "outputs", size_name="O")
    return ys, (ys.shape[1] if batched else None)


def mse(outputs: object, targets: object, mask: object = None) -> tuple[float, np.ndarray]:
    """Masked squared error and its gradient.

    Parameters
    ----------
    outputs : array_like, shape (T, O) or (T, B, O)
        The outputs ``y_t``.
    targets : array_like, shape like ``outputs``
        The targets ``d_t``.
    mask : array_like, shape (T,) or (T, B), optional
        Non-negative step weights ``m_t`` (default all ones).

    Returns
    -------
    loss : float
        ``L`` (with a batch: the mean over the batch of the per-sequence sums).
    dy : numpy.ndarray, shape like ``outputs``
        ``dL/dy_t = 2 m_t (y_t - d_t)`` (divided by ``B`` with a batch).

    Notes
    -----
    ``L = Σ_t m_t ‖y_t − d_t‖²``, the seed's ``E_t = (d_t − y_t)²`` summed over steps.
    Book label: eq-loss-mse.
    """
    ys, B = _outputs(outputs)
    T, O = ys.shape[0], ys.shape[-1]
    ds = check_targets("mse", targets, T, B, O)
    m = _checks.as_mask(mask, T, B)
    scale = 1.0 / (B or 1)
    with np.errstate(over="ignore", invalid="ignore"):
        diff = ys - ds
        per_step = np.einsum("...o,...o->...", diff, diff)  # (T,) or (T, B)
        loss = float(np.sum(m * per_step)) * scale
        dy = diff * ((2.0 * scale) * m)[..., None]
    return _finite_loss(loss, dy, ys, ds, m)


def _log10_max_abs(a: np.ndarray) -> float:
    m = float(np.max(np.abs(a), initial=0.0)) if np.size(a) else 0.0
    return np.log10(m) if m > 0 else -np.inf


def _finite_loss(loss: float, dy: np.ndarray, ys: np.ndarray, ds: np.ndarray | None,
                 m: np.ndarray) -> tuple[float, np.ndarray]:
    """Raise ``FloatingPointError`` if finite arguments still gave an overflowing loss.

    The message blames the argument of largest magnitude (for mse the error enters squared,
    so ``outputs`` and ``targets`` count twice in log10; the mask enters linearly)."""
    if np.isfinite(loss) and np.isfinite(dy).all():
        return loss, dy
    power = 2.0 if ds is not None else 1.0
    sizes = {"outputs": power * _log10_max_abs(ys), "mask": _log10_max_abs(m)}
    if ds is not None:
        sizes["targets"] = power * _log10_max_abs(ds)
    culprit = max(sizes, key=sizes.get)
    biggest = float(np.max(np.abs({"outputs": ys, "targets": ds, "mask": m}[culprit])))
    raise FloatingPointError(
        f"{culprit}: expected values small enough for a finite loss, got max |{culprit}| = "
        f"{biggest:.3g} (the loss overflowed float64, got {loss})"
    )


def _logits(z: object) -> np.ndarray:
    z = _checks.as_float_array(z, "z")
    if z.ndim < 1 or z.shape[-1] < 1:
        raise ValueError(f"z: expected shape (..., O) with O >= 1, got "
                         f"{_checks.shape_str(z.shape)}")
    return z


def log_softmax(z: object) -> np.ndarray:
    """Numerically stable ``log softmax`` over the last axis (shift by the maximum).

    Parameters
    ----------
    z : array_like, shape (..., O)
        Finite logits, ``O >= 1``.

    Returns
    -------
    numpy.ndarray, shape like ``z``
        ``z − max z − log Σ exp(z − max z)``: finite, or ``-inf`` where a probability
        underflows to zero.
    """
    z = _logits(z)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z: object) -> np.ndarray:
    """Numerically stable softmax over the last axis: ``exp`` of :func:`log_softmax`.

    ``z`` is as for :func:`log_softmax`; the result, shaped like ``z``, holds probabilities
    in ``[0, 1]`` that sum to 1 along the last axis.
    """
    z = _logits(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def xent(outputs: object, targets: object, mask: object = None) -> tuple[float, np.ndarray]:
    """Masked softmax cross-entropy on integer class targets, and its gradient.

    Parameters
    ----------
    outputs : array_like, shape (T, O) or (T, B, O)
        The logits ``y_t``.
    targets : array_like of int, shape (T,) or (T, B)
        Class indices ``d_t`` in ``0 … O-1``.
    mask : array_like, shape (T,) or (T, B), optional
        Non-negative step weights ``m_t`` (default all ones).

    Returns
    -------
    loss : float
        ``L`` (with a batch: the mean over the batch of the per-sequence sums).
    dy : numpy.ndarray, shape like ``outputs``
        ``dL/dy_t = m_t (softmax(y_t) − onehot(d_t))`` (divided by ``B`` with a batch).

    Notes
    -----
    ``L = Σ_t m_t (−log softmax(y_t)[d_t])``, with a log-softmax shifted by ``max(y_t)`` so
    that large logits neither overflow nor lose precision. Book label: eq-loss-xent.
    """
    ys, B = _outputs(outputs)
    T, O = ys.shape[0], ys.shape[-1]
    ds = check_targets("xent", targets, T, B, O)
    m = _checks.as_mask(mask, T, B)
    scale = 1.0 / (B or 1)
    logp = log_softmax(ys)
    picked = np.take_along_axis(logp, ds[..., None], axis=-1)[..., 0]  # (T,) or (T, B)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = -float(np.sum(m * picked)) * scale
    dy = np.exp(logp)
    np.put_along_axis(dy, ds[..., None], np.take_along_axis(dy, ds[..., None], axis=-1) - 1.0,
                      axis=-1)
    with np.errstate(over="ignore", invalid="ignore"):
        dy *= (scale * m)[..., None]
    return _finite_loss(loss, dy, ys, None, m)


_LOSS_FNS = {"mse": mse, "xent": xent}


def loss_and_grad(
    loss: str, outputs: object, targets: object, mask: object = None, *,
    outputs_from: str = "outputs",
) -> tuple[float, np.ndarray]:
    """Dispatch to :func:`mse` or :func:`xent` by name; returns ``(loss, dL/dy)``.

    Parameters
    ----------
    loss : {"mse", "xent"}
    outputs, targets, mask
        As for :func:`mse` / :func:`xent`.
    outputs_from : str, optional
        The caller's argument the outputs come from (a model passes ``"params"``): a loss that
        overflows because the outputs are too large is then blamed on it, not on ``outputs``.

    Returns
    -------
    loss : float
    dy : numpy.ndarray, shape like ``outputs``

    Raises
    ------
    FloatingPointError
        If the loss overflows float64; the message starts with the argument of largest
        magnitude (``outputs_from``, ``targets`` or ``mask``).
    """
    fn = _LOSS_FNS[_checks.check_name(loss, "loss", LOSSES)]
    try:
        return fn(outputs, targets, mask)
    except FloatingPointError as exc:
        text = str(exc)
        if outputs_from == "outputs" or not text.startswith("outputs: "):
            raise
        raise FloatingPointError(f"{outputs_from}: {text[len('outputs: '):]}; the model's "
                                 f"outputs are too large") from None
