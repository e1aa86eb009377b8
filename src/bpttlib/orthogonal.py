"""An exactly orthogonal recurrence: ``W_s = Cayley(A)`` with ``A`` skew-symmetric, trained.

The Cayley transform (book label eq-cayley)::

    W_s = (I − A)(I + A)⁻¹,   Aᵀ = −A

maps every skew-symmetric ``A`` to an orthogonal matrix (``I + A`` is always invertible: the
eigenvalues of ``A`` are imaginary). The trained parameter is an unconstrained matrix ``M`` with
``A = (M − Mᵀ)/2`` (:func:`skew`, exactly skew-symmetric in floating point), so ``W_s`` is
orthogonal to rounding at every step, whatever the optimizer or a perturbation does to ``M``.
The gradient with respect to ``A`` follows from ``dW = −(I + W) dA (I + A)⁻¹``
(eq-cayley-grad)::

    G_A = −(I + W)ᵀ G_W (I − A)⁻¹,   ∂L/∂A = G_A − G_Aᵀ

where ``G_W = ∂L/∂W_s`` comes from :func:`bpttlib.rnn.bptt` and ``∂L/∂A`` is skew-symmetric:
its entry ``(i, j)``, ``i < j``, is the derivative along ``A_ij = −A_ji``, and
``∂L/∂M = ½ ∂L/∂A`` (entry by entry). The Cayley transform
cannot reach orthogonal matrices with an eigenvalue ``−1``; Helfrich et al. (2018) multiply by a
diagonal of ±1 to fix that, which we do not need here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _checks, rnn
from .params import Params

__all__ = ["CayleyParams", "cayley", "cayley_grad", "skew", "cayley_init", "to_rnn",
           "cayley_bptt", "orthogonality_error"]

_FIELDS = ("W_x", "M", "b_s", "W_y", "b_y")


def skew(M):
    """The skew-symmetric part ``(M − Mᵀ)/2`` of a square matrix.

    Parameters
    ----------
    M : array_like, shape (n, n)

    Returns
    -------
    numpy.ndarray, shape (n, n)

    Notes
    -----
    Book label: eq-cayley.
    """
    M = _checks.as_float_array(M, "M")
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] == 0:
        raise ValueError(f"M: expected a square matrix of shape (n, n), "
                         f"got {_checks.shape_str(M.shape)}")
    with np.errstate(over="ignore", invalid="ignore"):
        out = 0.5 * M - 0.5 * M.T
    return out


def _skew_matrix(A, name):
    A = _checks.as_float_array(A, name)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise ValueError(f"{name}: expected a square matrix of shape (n, n), "
                         f"got {_checks.shape_str(A.shape)}")
    if not np.array_equal(A, -A.T):
        with np.errstate(over="ignore"):
            gap = float(np.max(np.abs(A + A.T)))
        raise ValueError(f"{name}: expected a skew-symmetric matrix (Aᵀ = −A exactly), got "
                         f"max |A + Aᵀ| = {gap:.3g}; use orthogonal.skew")
    return A


def cayley(A):
    """The Cayley transform ``W = (I − A)(I + A)⁻¹`` of a skew-symmetric ``A``.

    Parameters
    ----------
    A : array_like, shape (n, n)
        Skew-symmetric (``Aᵀ = −A`` exactly).

    Returns
    -------
    numpy.ndarray, shape (n, n)
        Orthogonal: ``WᵀW = I`` to rounding.

    Notes
    -----
    ``I + A`` is invertible because the eigenvalues of a real skew-symmetric matrix are
    imaginary. Book label: eq-cayley.
    """
    A = _skew_matrix(A, "A")
    eye = np.eye(A.shape[0])
    with np.errstate(over="ignore", invalid="ignore"):
        # Wᵀ = (I + A)(I − A)⁻¹ = (I − A)⁻¹(I + A): one solve
        W = np.linalg.solve(eye - A, eye + A).T
    if not np.isfinite(W).all():
        raise ValueError("A: expected entries small enough for a finite Cayley transform")
    return W


def cayley_grad(A, G_W):
    """``∂L/∂A`` through the Cayley transform, from ``G_W = ∂L/∂W_s``.

    Parameters
    ----------
    A : array_like, shape (n, n)
        Skew-symmetric.
    G_W : array_like, shape (n, n)
        The gradient with respect to ``W = cayley(A)``.

    Returns
    -------
    numpy.ndarray, shape (n, n)
        Skew-symmetric; entry ``(i, j)`` with ``i < j`` is the derivative of ``L`` along
        ``A_ij = −A_ji`` (both entries moving together).

    Notes
    -----
    ``G_A = −(I + W)ᵀ G_W (I − A)⁻¹`` and ``∂L/∂A = G_A − G_Aᵀ``. Book label: eq-cayley-grad.
    """
    A = _skew_matrix(A, "A")
    n = A.shape[0]
    G_W = _checks.check_shape(_checks.as_float_array(G_W, "G_W"), "G_W", (n, n),
                              f"= (n, n) with n={n} from A")
    W = cayley(A)
    eye = np.eye(n)
    with np.errstate(over="ignore", invalid="ignore"):
        # X = G_W (I − A)⁻¹  <=>  (I − A)ᵀ Xᵀ = G_Wᵀ,  and (I − A)ᵀ = I + A
        X = np.linalg.solve(eye + A, G_W.T).T
        G_A = -(eye + W).T @ X
        out = G_A - G_A.T
    if not np.isfinite(out).all():
        raise FloatingPointError("cayley_grad: the gradient overflowed float64; G_W too large")
    return out


def _readonly(a):
    a = np.array(a, dtype=np.float64, copy=True)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class CayleyParams(Params):
    """Parameters (or gradients) of an RNN with ``W_s = cayley(skew(M))``.

    Parameters
    ----------
    W_x : array_like, shape (H, I)
    M : array_like, shape (H, H)
        Unconstrained; only its skew-symmetric part ``A = (M − Mᵀ)/2`` matters.
    b_s : array_like, shape (H,)
    W_y : array_like, shape (O, H)
    b_y : array_like, shape (O,)

    Raises
    ------
    ValueError
        If a shape is inconsistent or a value is NaN/Inf.
    """

    W_x: np.ndarray
    M: np.ndarray
    b_s: np.ndarray
    W_y: np.ndarray
    b_y: np.ndarray

    def __post_init__(self) -> None:
        M = _checks.as_float_array(self.M, "M")
        W_x = _checks.as_float_array(self.W_x, "W_x")
        _checks.check_ndim(W_x, "W_x", (2,), "(H, I)")
        _checks.check_shape(M, "M", (W_x.shape[0],) * 2, "= (H, H) from W_x")
        rnn.RNNParams(W_x, M, self.b_s, self.W_y, self.b_y)  # the other checks
        for name in _FIELDS:
            object.__setattr__(self, name, _readonly(getattr(self, name)))


def cayley_init(n_in, n_hidden, n_out, *, seed=0, scale=1.0):
    """Random parameters: ``M`` skew-symmetric with ``N(0, scale²/H)`` entries, rest as
    :func:`bpttlib.rnn.init`.

    Parameters
    ----------
    n_in, n_hidden, n_out : int
    seed : int, optional
    scale : float, optional
        ``>= 0``; 0 gives ``M = 0`` and ``W_s = I``.

    Returns
    -------
    CayleyParams

    Notes
    -----
    Book label: eq-cayley.
    """
    base = rnn.init(n_in, n_hidden, n_out, seed=seed)
    scale = _checks.check_real(scale, "scale", nonnegative=True)
    H = base.n_hidden
    M = np.random.default_rng([seed, 5]).standard_normal((H, H)) * (scale / np.sqrt(H))
    return CayleyParams(base.W_x, np.triu(M, 1) - np.triu(M, 1).T, base.b_s, base.W_y,
                        base.b_y)


def to_rnn(params):
    """The vanilla RNN with ``W_s = cayley(skew(M))``.

    Parameters
    ----------
    params : CayleyParams

    Returns
    -------
    RNNParams

    Notes
    -----
    Book label: eq-cayley.
    """
    p = _checks.check_instance(params, "params", CayleyParams)
    return rnn.RNNParams(p.W_x, cayley(skew(p.M)), p.b_s, p.W_y, p.b_y)


def cayley_bptt(params, xs, targets, *, activation="tanh", loss="mse", mask=None, s0=None):
    """Loss and gradients of the Cayley-parametrised RNN: BPTT, then the chain rule into ``M``.

    Parameters
    ----------
    params : CayleyParams
    xs, targets, activation, loss, mask, s0
        As for :func:`bpttlib.rnn.bptt`.

    Returns
    -------
    loss : float
    grads : CayleyParams
        ``grads.M`` is half of :func:`cayley_grad` of ``∂L/∂W_s`` at ``A = skew(M)``; the
        other fields are those of :func:`bpttlib.rnn.bptt`.

    Notes
    -----
    Book labels: eq-delta-recursion, eq-cayley-grad.
    """
    net = to_rnn(params)
    value, g = rnn.bptt(net, xs, targets, activation=activation, loss=loss, mask=mask, s0=s0)
    dM = 0.5 * cayley_grad(skew(params.M), g.W_s)
    return value, CayleyParams(g.W_x, dM, g.b_s, g.W_y, g.b_y)


def orthogonality_error(W):
    """``‖WᵀW − I‖₂``: how far a square matrix is from orthogonal.

    Parameters
    ----------
    W : array_like, shape (n, n)

    Returns
    -------
    float

    Notes
    -----
    0 exactly for an orthogonal ``W``; about ``1e-15`` for ``cayley(A)``. Book label: eq-cayley.
    """
    W = _checks.as_float_array(W, "W")
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"W: expected a square matrix of shape (n, n), "
                         f"got {_checks.shape_str(W.shape)}")
    with np.errstate(over="ignore", invalid="ignore"):
        E = W.T @ W - np.eye(W.shape[0])
    if not np.isfinite(E).all():
        return float("inf")
    return float(np.linalg.norm(E, 2))
