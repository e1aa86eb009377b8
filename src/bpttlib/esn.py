"""Echo-state networks: a fixed random reservoir, only a linear readout trained, no BPTT.

The reservoir is a tanh RNN (eq-rnn-state) with a fixed random ``W_s`` of spectral radius ρ
(:func:`bpttlib.matrices.gaussian`) and fixed input weights; its states ``s_t`` are computed once.
The readout ``y_t = W_out [s_t; 1]`` is the ridge-regression solution in closed form (book label
eq-esn-ridge)::

    W_out = Y Xᵀ (X Xᵀ + λ diag(1, …, 1, 0))⁻¹,   X = [s_1 … s_n; 1 … 1]

(the bias is not penalised). Jaeger's memory capacity (eq-esn-memory) measures how much of its
past input a reservoir can give back linearly: ``MC = Σ_{d ≥ 1} r²(y^{(d)}_t, u_{t−d})``, with
``y^{(d)}`` the readout trained to recall ``u_{t−d}`` and ``r²`` the squared correlation on
held-out steps.
"""

from __future__ import annotations

import numpy as np

from . import _checks, matrices, rnn

__all__ = ["reservoir", "esn_states", "ridge_readout", "recall_r2", "memory_curve"]


def reservoir(n_hidden, spectral_radius, *, n_in=1, input_scale=0.1, seed=0):
    """A random reservoir: ``W_s`` of exact spectral radius ρ and uniform input weights.

    Parameters
    ----------
    n_hidden : int
        ``H``.
    spectral_radius : float
        ``ρ(W_s) >= 0`` (a Gaussian matrix rescaled, :func:`bpttlib.matrices.gaussian`).
    n_in : int, optional
        ``I`` (default 1).
    input_scale : float, optional
        ``W_in`` entries are uniform in ``[−input_scale, input_scale]``.
    seed : int, optional

    Returns
    -------
    W_s : numpy.ndarray, shape (H, H)
    W_in : numpy.ndarray, shape (H, I)

    Notes
    -----
    The fixed part of eq-rnn-state in an echo-state network (book label eq-esn-ridge).
    """
    H = _checks.check_size(n_hidden, "n_hidden")
    I = _checks.check_size(n_in, "n_in")
    _checks.check_entries("n_hidden", H * max(H, I), f"W_s, W_in with H={H}, I={I}")
    rho = _checks.check_real(spectral_radius, "spectral_radius", nonnegative=True)
    scale = _checks.check_real(input_scale, "input_scale", nonnegative=True)
    seed = _checks.check_seed(seed)
    W_s = matrices.make("gaussian", H, rho, seed, rho_name="spectral_radius")
    W_in = _checks.scaled(scale, np.random.default_rng([seed, 3]).uniform(-1, 1, (H, I)),
                          "input_scale")
    return W_s, W_in


def esn_states(W_s, W_in, us, *, s0=None):
    """The reservoir's states ``s_1 … s_T`` driven by ``us`` (tanh units, no bias).

    Parameters
    ----------
    W_s : array_like, shape (H, H)
    W_in : array_like, shape (H, I)
    us : array_like, shape (T, I)
        The input sequence.
    s0 : array_like, shape (H,), optional
        Initial state (default zeros).

    Returns
    -------
    numpy.ndarray, shape (T, H)

    Notes
    -----
    ``s_t = tanh(W_s s_{t−1} + W_in u_t)``: :func:`bpttlib.rnn.forward` with ``W_x = W_in``,
    ``b_s = 0``. Book label: eq-rnn-state.
    """
    W_in = _checks.as_float_array(W_in, "W_in")
    _checks.check_ndim(W_in, "W_in", (2,), "(H, I)")
    H = W_in.shape[0]
    W_s = _checks.check_shape(_checks.as_float_array(W_s, "W_s"), "W_s", (H, H),
                              f"= (H, H) with H={H} from W_in")
    us, batched = _checks.as_sequence(us, "us", W_in.shape[1])
    if batched:
        raise ValueError(f"us: expected one sequence of shape (T, I) with I={W_in.shape[1]}, "
                         f"got {_checks.shape_str(us.shape)}")
    params = rnn.RNNParams(W_in, W_s, np.zeros(H), np.zeros((1, H)), np.zeros(1))
    return np.array(rnn.forward(params, us, s0=s0).states[1:])


def ridge_readout(states, targets, reg):
    """The ridge-regression readout in closed form: ``W_out`` with a bias column.

    Parameters
    ----------
    states : array_like, shape (n, H)
        Reservoir states (one row per step).
    targets : array_like, shape (n, O)
        What the readout should produce at those steps.
    reg : float
        ``λ >= 0``; it penalises the weights, not the bias.

    Returns
    -------
    numpy.ndarray, shape (O, H+1)
        ``W_out``: the last column is the bias; ``y = W_out [s; 1]``.

    Raises
    ------
    ValueError
        If the normal equations are singular (``reg = 0`` with collinear states).

    Notes
    -----
    ``W_out = Y Xᵀ (X Xᵀ + λ D)⁻¹`` with ``X = [Sᵀ; 1ᵀ]``, ``D = diag(1, …, 1, 0)``: the
    minimiser of ``‖Y − W_out X‖² + λ ‖W‖²``. Book label: eq-esn-ridge.
    """
    S = _checks.as_float_array(states, "states")
    _checks.check_ndim(S, "states", (2,), "(n, H)")
    Y = _checks.as_float_array(targets, "targets")
    _checks.check_ndim(Y, "targets", (2,), "(n, O)")
    _checks.check_shape(Y, "targets", (S.shape[0], Y.shape[1]), f"(n, O) with n={S.shape[0]}")
    if min(S.shape) < 1 or Y.shape[1] < 1:
        raise ValueError(f"states, targets: expected at least one step, unit and output, got "
                         f"{_checks.shape_str(S.shape)} and {_checks.shape_str(Y.shape)}")
    reg = _checks.check_real(reg, "reg", nonnegative=True)
    scale = max(float(np.max(np.abs(S))), 1.0)
    X = np.hstack([S / scale, np.ones((S.shape[0], 1))])   # rescaled: no overflow in XᵀX
    with np.errstate(over="ignore", invalid="ignore"):
        A = X.T @ X
        A[np.arange(S.shape[1]), np.arange(S.shape[1])] += np.float64(reg) / scale / scale
        rhs = X.T @ Y
    if not (np.isfinite(A).all() and np.isfinite(rhs).all()):
        raise ValueError("states, targets: expected values whose products stay finite in "
                         "float64")
    try:
        W = np.linalg.solve(A, rhs).T
    except np.linalg.LinAlgError:
        raise ValueError("reg: the normal equations are singular; use reg > 0") from None
    if not np.isfinite(W).all() or np.linalg.cond(A) > 1e14:
        raise ValueError("reg: the normal equations are too ill-conditioned; use a larger "
                         "reg") from None
    W[:, :-1] /= scale
    return W


def recall_r2(states, us, delays, *, train, reg=1e-8):
    """Squared correlation between each delay's trained readout and the delayed input.

    Parameters
    ----------
    states : array_like, shape (T, H)
        Reservoir states; row ``t`` is the state after reading ``us[t]``.
    us : array_like, shape (T,)
        The scalar input.
    delays : array_like of int, shape (D,)
        Delays ``d >= 1``, each smaller than ``train``.
    train : slice
        The steps (rows) the readouts are fitted on; they are scored on every later row.
        Rows before ``max(delays)`` are never used as targets.
    reg : float, optional
        Ridge ``λ``.

    Returns
    -------
    numpy.ndarray, shape (D,)
        ``r²(y^{(d)}_t, u_{t−d})`` on the held-out rows, each in ``[0, 1]``.

    Notes
    -----
    One ridge readout per delay (all solved at once), eq-esn-ridge; the sum over delays is the
    memory capacity, eq-esn-memory.
    """
    S = _checks.as_float_array(states, "states")
    _checks.check_ndim(S, "states", (2,), "(T, H)")
    u = _checks.check_shape(_checks.as_float_array(us, "us"), "us", (S.shape[0],), "(T,)")
    d = _checks.as_int_array(delays, "delays")
    _checks.check_ndim(d, "delays", (1,), "(D,)")
    if not isinstance(train, slice) or train.step not in (None, 1):
        raise TypeError(f"train: expected a slice of rows with step 1, got {train!r}")
    lo, hi, _ = train.indices(S.shape[0])
    lo = max(lo, int(d.max(initial=0)))
    if d.size == 0 or d.min() < 1 or hi - lo < 2 or S.shape[0] - hi < 2:
        raise ValueError(f"delays, train: expected delays >= 1 and at least 2 training rows "
                         f"after the largest delay and 2 held-out rows, got delays "
                         f"{d.tolist()[:5]}, train {train}, T={S.shape[0]}")
    lagged = np.zeros((u.size, d.size))                          # row t: u_{t−d}
    for j, k in enumerate(d):
        lagged[k:, j] = u[:u.size - k]
    W = ridge_readout(S[lo:hi], lagged[lo:hi], reg)
    Y = S[hi:] @ W[:, :-1].T + W[:, -1]
    Yc, Uc = Y - Y.mean(0), lagged[hi:] - lagged[hi:].mean(0)
    num = np.sum(Yc * Uc, 0) ** 2
    den = np.sum(Yc * Yc, 0) * np.sum(Uc * Uc, 0)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def memory_curve(spectral_radius, *, n_hidden=50, max_delay=100, T_train=2000, T_test=1000,
                 washout=100, input_scale=0.1, reg=1e-8, seed=0):
    """Jaeger's memory curve of a random reservoir: ``r²`` of delayed recall, ``d = 1 …``.

    Parameters
    ----------
    spectral_radius : float
        ``ρ(W_s)``.
    n_hidden : int, optional
        ``H``.
    max_delay : int, optional
        ``D``: delays ``1 … D``.
    T_train, T_test, washout : int, optional
        Fitting steps, held-out steps, and the initial steps thrown away (the reservoir forgets
        its zero start).
    input_scale, reg, seed : optional
        As for :func:`reservoir` and :func:`recall_r2`; the input ``u_t`` is i.i.d. uniform on
        ``[−1, 1]``, drawn with ``default_rng([seed, 4])``.

    Returns
    -------
    numpy.ndarray, shape (D,)
        ``r²`` by delay; its sum is the memory capacity ``MC``.

    Notes
    -----
    Book label: eq-esn-memory.
    """
    D = _checks.check_size(max_delay, "max_delay")
    n_train = _checks.check_size(T_train, "T_train", minimum=2)
    n_test = _checks.check_size(T_test, "T_test", minimum=2)
    wash = _checks.check_size(washout, "washout", minimum=D)
    T = wash + n_train + n_test
    _checks.check_entries("T_train", T * max(D, _checks.check_size(n_hidden, "n_hidden")),
                          "the states and the delayed inputs")
    seed = _checks.check_seed(seed)
    W_s, W_in = reservoir(n_hidden, spectral_radius, input_scale=input_scale, seed=seed)
    u = np.random.default_rng([seed, 4]).uniform(-1, 1, T)
    S = esn_states(W_s, W_in, u[:, None])
    return recall_r2(S, u, np.arange(1, D + 1), train=slice(wash, wash + n_train), reg=reg)
