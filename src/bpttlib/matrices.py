"""Recurrent matrices ``W_s`` with an exact spectral radius ρ (largest absolute eigenvalue).

Four kinds, all seeded and all with ``spectral_radius(W) == rho`` to rounding:

- ``gaussian``: i.i.d. normal entries, rescaled by ``rho / ρ(G)``;
- ``orthogonal``: ``rho`` times a random orthogonal matrix (every absolute eigenvalue and every
  singular value equals ``rho``);
- ``identity``: ``rho · I``;
- ``nonnormal``: upper triangular (its eigenvalues are its diagonal, with largest magnitude
  exactly ``rho``) with a large strictly-upper part, so that ``‖W^k‖₂`` first *grows* well above 1
  before the eigenvalues win and it decays — the spectral radius alone does not tell the story.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import _checks

__all__ = [
    "KINDS",
    "gaussian",
    "orthogonal",
    "identity",
    "nonnormal",
    "make",
    "spectral_radius",
    "singular_values",
    "power_norms",
]

#: The matrix kinds accepted by :func:`make` (and by ``kind=`` arguments elsewhere).
KINDS = ("gaussian", "orthogonal", "identity", "nonnormal")


def _check_size_rho(n: object, rho: object, rho_name: str = "rho") -> tuple[int, float]:
    n = _checks.check_size(n, "n")
    _checks.check_entries("n", n * n, f"an (n, n) matrix with n={n}")
    return n, _checks.check_real(rho, rho_name, nonnegative=True)


def _finite(W: np.ndarray, rho: float, rho_name: str = "rho") -> np.ndarray:
    """``W``, or ``ValueError`` blaming the radius if scaling by it overflowed an entry."""
    if not np.isfinite(W).all():
        raise ValueError(f"{rho_name}: expected a spectral radius for which every entry of the "
                         f"matrix is a finite float64, got {rho}")
    return W


def spectral_radius(W: object) -> float:
    """The spectral radius ``ρ(W) = max |λ_i(W)|``.

    Parameters
    ----------
    W : array_like, shape (n, n)

    Returns
    -------
    float
        ``inf`` only if ``ρ(W)`` itself exceeds the float64 range (entries near 1.8e308).

    Notes
    -----
    ``ρ(W) ≤ σ_max(W)``; the gap between the two is what non-normal matrices exploit.
    Book label: eq-jacobian-bound.
    """
    W = _square(W, "W")
    top = float(np.max(np.abs(W)))
    if top == 0.0:
        return 0.0
    with np.errstate(over="ignore"):  # ρ(W) = s ρ(W/s): LAPACK never sees huge entries
        return float(np.float64(top) * np.max(np.abs(np.linalg.eigvals(W / top))))


def singular_values(W: object) -> np.ndarray:
    """The singular values of ``W`` in decreasing order.

    Parameters
    ----------
    W : array_like, shape (m, n)

    Returns
    -------
    numpy.ndarray, shape (min(m, n),)
        ``inf`` only where a singular value exceeds the float64 range.

    Notes
    -----
    ``σ_max(W_s)`` enters the bound ``‖∂s_t/∂s_k‖₂ ≤ (γ σ_max)^(t−k)``.
    Book label: eq-jacobian-bound.
    """
    W = _checks.as_float_array(W, "W")
    _checks.check_ndim(W, "W", (2,), "(m, n)")
    top = float(np.max(np.abs(W), initial=0.0))
    if top == 0.0:
        return np.zeros(min(W.shape))
    with np.errstate(over="ignore"):  # σ(W) = s σ(W/s): LAPACK never sees huge entries
        return top * np.linalg.svd(W / top, compute_uv=False)


def _square(W: object, name: str) -> np.ndarray:
    W = _checks.as_float_array(W, name)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{name}: expected a square matrix of shape (n, n), "
                         f"got {_checks.shape_str(W.shape)}")
    return W


def _scale(rho: float, unit: np.ndarray) -> np.ndarray:
    """``rho · unit`` with overflow left to :func:`_finite` to report."""
    with np.errstate(over="ignore"):
        return rho * unit


@lru_cache(maxsize=64)
def _unit_gaussian(n: int, seed: int) -> np.ndarray:
    """A Gaussian matrix rescaled to spectral radius 1 (cached: the eigenvalues of a 128 × 128
    matrix take milliseconds, and a slider asks for the same matrix at many radii)."""
    G = np.random.default_rng(seed).standard_normal((n, n))
    for _ in range(2):  # a second, corrective rescale makes ρ exact to rounding
        G = G / float(np.max(np.abs(np.linalg.eigvals(G))))
    G.flags.writeable = False
    return G


@lru_cache(maxsize=64)
def _haar(n: int, seed: int) -> np.ndarray:
    G = np.random.default_rng(seed).standard_normal((n, n))
    Q, R = np.linalg.qr(G)
    Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)
    Q.flags.writeable = False
    return Q


def gaussian(n: int, rho: float, seed: int = 0) -> np.ndarray:
    """A random Gaussian matrix with spectral radius exactly ``rho``.

    Parameters
    ----------
    n : int
        Size.
    rho : float
        Spectral radius, ``>= 0``.
    seed : int, optional
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    numpy.ndarray, shape (n, n)

    Notes
    -----
    ``W = rho · G / ρ(G)`` with ``G_ij ~ N(0, 1)``. Book label: eq-jacobian-bound.
    """
    n, rho = _check_size_rho(n, rho)
    return _finite(_scale(rho, _unit_gaussian(n, _checks.check_seed(seed))), rho)


def orthogonal(n: int, rho: float, seed: int = 0) -> np.ndarray:
    """``rho`` times a random orthogonal matrix (Haar measure).

    Parameters
    ----------
    n : int
        Size.
    rho : float
        Spectral radius, ``>= 0``; also every singular value.
    seed : int, optional
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    numpy.ndarray, shape (n, n)

    Notes
    -----
    ``W = rho · Q`` from the QR factorisation of a Gaussian matrix (signs fixed by ``diag(R)``),
    so ``σ_max = ρ = rho`` and the bound of eq-jacobian-bound is tight for linear units.
    """
    n, rho = _check_size_rho(n, rho)
    return _finite(_scale(rho, _haar(n, _checks.check_seed(seed))), rho)


def identity(n: int, rho: float) -> np.ndarray:
    """``rho · I`` (the identity initialisation, scaled).

    Parameters
    ----------
    n : int
        Size.
    rho : float
        Spectral radius, ``>= 0``.

    Returns
    -------
    numpy.ndarray, shape (n, n)
    """
    n, rho = _check_size_rho(n, rho)
    return rho * np.eye(n)  # entries 0 and rho: always finite


def nonnormal(n: int, rho: float, seed: int = 0, *, strength: float = 2.0) -> np.ndarray:
    """An upper-triangular matrix with spectral radius ``rho`` and transient growth.

    Parameters
    ----------
    n : int
        Size.
    rho : float
        Spectral radius, ``>= 0``: the diagonal is ``rho · u`` with ``u_0 = 1`` and the other
        ``u_i ~ U(-1, 1)``.
    seed : int, optional
        Seed for ``numpy.random.default_rng``.
    strength : float, optional
        Scale of the strictly upper part, ``strength · G / sqrt(n)`` with ``G_ij ~ N(0, 1)``.
        Larger means more non-normal: ``max_k ‖W^k‖₂`` grows quickly with ``strength`` and ``n``
        (about 50 for ``n=32, rho=0.9`` at the default).

    Returns
    -------
    numpy.ndarray, shape (n, n)

    Notes
    -----
    A triangular matrix has its diagonal as eigenvalues, so ``ρ(W) = rho`` exactly, while
    ``σ_max(W)`` is much larger: ``‖W^k‖₂`` can exceed 1 for many steps even when ``rho < 1``
    (the gap between the two sides of eq-jacobian-bound). Book label: eq-jacobian-bound.
    """
    n, rho = _check_size_rho(n, rho)
    strength = _checks.check_real(strength, "strength", nonnegative=True)
    rng = np.random.default_rng(_checks.check_seed(seed))
    u = rng.uniform(-1.0, 1.0, size=n)
    u[0] = 1.0
    upper = np.triu(rng.standard_normal((n, n)), 1) * (strength / np.sqrt(n))
    return _finite(np.diag(rho * u) + upper, rho)


def make(kind: str, n: int, rho: float, seed: int = 0, *, rho_name: str = "rho") -> np.ndarray:
    """Dispatch on ``kind`` in ``("gaussian", "orthogonal", "identity", "nonnormal")``.

    Parameters
    ----------
    kind : str
        The matrix kind.
    n : int
        Size.
    rho : float
        Spectral radius, ``>= 0``.
    seed : int, optional
        Seed (ignored by ``"identity"``, but still validated).
    rho_name : str, optional
        The caller's name for ``rho`` in error messages (``rnn.init`` passes
        ``"spectral_radius"``).

    Returns
    -------
    numpy.ndarray, shape (n, n)

    Raises
    ------
    ValueError
        If ``rho`` is so large that an entry overflows float64 (the message names
        ``rho_name``).
    """
    _checks.check_name(kind, "kind", KINDS)
    _checks.check_real(rho, rho_name, nonnegative=True)
    _checks.check_seed(seed)
    build = {"gaussian": gaussian, "orthogonal": orthogonal, "identity": identity,
             "nonnormal": nonnormal}[kind]
    unit = build(n, 1.0) if kind == "identity" else build(n, 1.0, seed)
    scaled = _finite(_scale(rho, unit), rho, rho_name)
    return build(n, rho, seed) if kind == "nonnormal" else scaled  # nonnormal: only its
    # diagonal scales with rho, and it is finite when rho · unit is


def power_norms(W: object, k_max: int) -> np.ndarray:
    """``‖W^k‖₂`` for ``k = 0 … k_max`` (used to show transient growth).

    Parameters
    ----------
    W : array_like, shape (n, n)
    k_max : int
        Largest power, ``>= 0``.

    Returns
    -------
    numpy.ndarray, shape (k_max + 1,)
        The first entry is 1. Entries may overflow to ``inf`` for large ``ρ(W)``; use
        :func:`bpttlib.jacobians.log_product_norms` for a log-space version.
    """
    W = _square(W, "W")
    k_max = _checks.check_size(k_max, "k_max", minimum=0)
    out = np.empty(k_max + 1)
    P = np.eye(W.shape[0])
    out[0] = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, k_max + 1):
            P = P @ W
            out[k] = np.linalg.norm(P, 2) if np.isfinite(P).all() else np.inf
    return out
