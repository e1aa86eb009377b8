"""Two relatives of truncated BPTT: randomized truncation and BPTT(h; h′).

``rnn.bptt(truncate=k)`` is the fixed sliding window. This module adds

- :func:`reweighted_bptt` / :func:`randomized_bptt`: the backward recursion is cut at random
  steps (step ``t+1`` is cut from step ``t`` with probability ``c_t``) and every link that is
  *not* cut is divided by ``1 − c_t``, so that the estimate is unbiased (the scheme of Tallec &
  Ollivier 2017, the randomized truncation of Zhang et al., *Dive into Deep Learning*);
- :func:`bptt_hh`: BPTT(h; h′) of Williams & Peng (1990): every ``h′`` steps, inject the errors
  of the last ``h′`` steps and propagate them back ``h`` steps (``h ≥ h′``).

Both reuse the forward pass and the weight-gradient products of :mod:`bpttlib.rnn`.
"""

from __future__ import annotations

import numpy as np

from . import _checks, rnn

__all__ = ["reweighted_bptt", "randomized_bptt", "draw_cuts", "bptt_hh", "randomized_objective"]


def _finite(where: str, grads: tuple) -> rnn.RNNParams:
    """The gradients as ``RNNParams``, or ``FloatingPointError`` naming ``params``."""
    if not all(np.isfinite(a).all() for a in grads):
        raise FloatingPointError(f"params: {where} overflowed float64 (exploding gradients); "
                                 f"use a shorter sequence or a smaller spectral radius")
    return rnn.RNNParams(*grads)


def _cut_probs(cut_prob, T: int) -> np.ndarray:
    """``c_t`` for the ``T − 1`` links as an array, each in ``[0, 1)``."""
    if isinstance(cut_prob, (bool, np.bool_)):
        raise TypeError("cut_prob: expected a number or an array of numbers, got bool")
    c = _checks.as_float_array(cut_prob, "cut_prob")
    if c.ndim == 0:
        c = np.full(T - 1, float(c))
    _checks.check_shape(c, "cut_prob", (T - 1,), "(one probability per link, T − 1)")
    if ((c < 0) | (c >= 1)).any():
        raise ValueError(f"cut_prob: expected probabilities in [0, 1), got min {c.min():.6g}, "
                         f"max {c.max():.6g}")
    return c


def draw_cuts(T: int, cut_prob, *, seed: int = 0) -> np.ndarray:
    """Draw which of the ``T − 1`` links between consecutive steps are cut.

    Parameters
    ----------
    T : int
        Sequence length (at least 1).
    cut_prob : float or array_like, shape (T − 1,)
        ``c_t``: the probability that the link from step ``t+1`` back to step ``t`` is cut,
        in ``[0, 1)``; a number applies to every link.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    numpy.ndarray of bool, shape (T − 1,)
        ``cuts[t-1]`` is True when the link between steps ``t`` and ``t+1`` is cut.

    Notes
    -----
    Independent Bernoulli draws; with a constant ``c`` the pieces between cuts have a
    geometric length of mean ``1/c``. Book label: eq-randomized-truncation.
    """
    T = _checks.check_size(T, "T")
    c = _cut_probs(cut_prob, T)
    rng = np.random.default_rng(_checks.check_seed(seed))
    return rng.random(T - 1) < c


def reweighted_bptt(params, xs, targets, cuts, cut_prob, *, activation="tanh", loss="mse",
                    mask=None, s0=None):
    """BPTT with the backward recursion cut at ``cuts`` and the other links reweighted.

    Parameters
    ----------
    params : RNNParams
    xs, targets, activation, loss, mask, s0
        As for :func:`bpttlib.rnn.bptt` (a batch shares the cuts).
    cuts : array_like of bool, shape (T − 1,)
        ``cuts[t-1]``: the error of step ``t+1`` does not flow back to step ``t``.
    cut_prob : float or array_like, shape (T − 1,)
        The probabilities ``c_t`` the cuts were drawn with, in ``[0, 1)``.

    Returns
    -------
    loss : float
    grads : RNNParams
        The output weights are exact; ``W_x, W_s, b_s`` are the reweighted estimate.

    Raises
    ------
    FloatingPointError
        If the gradients overflow float64.

    Notes
    -----
    ``δ_t = ∂L_t/∂s_t + (1 − X_{t+1})/(1 − c_t) · J_{t+1}ᵀ δ_{t+1}`` with ``X_{t+1} = 1`` at a
    cut. Each chain of eq-bptt-sum is multiplied by a product of independent factors of mean
    1, so the expectation over the cuts is the exact gradient. Book label:
    eq-randomized-truncation.
    """
    act, params, xs, trace, value, dy = rnn._prepare(params, xs, targets, activation, loss,
                                                     mask, s0)
    T = xs.shape[0]
    c = _cut_probs(cut_prob, T)
    cut = _checks.as_bool_array(cuts, "cuts")
    _checks.check_shape(cut, "cuts", (T - 1,), "(one flag per link, T − 1)")
    with np.errstate(over="ignore", invalid="ignore"):
        g, dphi = rnn._block(trace.preacts.shape, trace.preacts.shape)
        dW_y, db_y = rnn._output_grads(params, trace, dy, g)
        act.deriv_from_value(trace.states[1:], out=dphi)
        for t in range(T - 1, 0, -1):  # g[t]: ∂L_t/∂s_t -> δ_t -> ∂L/∂a_t, in place
            np.multiply(dphi[t], g[t], out=g[t])
            if not cut[t - 1]:
                g[t - 1] += (g[t] @ params.W_s) / (1.0 - c[t - 1])
        np.multiply(dphi[0], g[0], out=g[0])
        grads = rnn._gather(params, xs, trace, g, dW_y, db_y)
    return value, _finite("reweighted_bptt", grads)


def randomized_bptt(params, xs, targets, *, cut_prob, seed=0, activation="tanh", loss="mse",
                    mask=None, s0=None):
    """Unbiased randomized truncation: :func:`draw_cuts`, then :func:`reweighted_bptt`.

    Parameters
    ----------
    params : RNNParams
    xs, targets, activation, loss, mask, s0
        As for :func:`bpttlib.rnn.bptt`.
    cut_prob : float or array_like, shape (T − 1,)
        Cut probabilities ``c_t`` in ``[0, 1)``; ``1/c`` is the mean length between cuts.
    seed : int
        Seed for the cuts.

    Returns
    -------
    loss : float
    grads : RNNParams
        One draw of the estimator; its mean over draws is the exact gradient.

    Notes
    -----
    Book label: eq-randomized-truncation.
    """
    T = rnn.check_inputs(params, xs, s0)[1].shape[0]
    cuts = draw_cuts(T, cut_prob, seed=seed)
    return reweighted_bptt(params, xs, targets, cuts, cut_prob, activation=activation,
                           loss=loss, mask=mask, s0=s0)


def bptt_hh(params, xs, targets, h, h_prime, *, activation="tanh", loss="mse", mask=None,
            s0=None):
    """BPTT(h; h′) of Williams & Peng (1990) at fixed weights, summed over the sequence.

    Parameters
    ----------
    params : RNNParams
    xs, targets, activation, loss, mask, s0
        As for :func:`bpttlib.rnn.bptt`.
    h : int
        How many steps each backward pass covers (``h ≥ h′``).
    h_prime : int
        A backward pass runs every ``h′`` steps (at ``t = h′, 2h′, …`` and at ``T``) and
        injects the errors of the steps since the previous one.

    Returns
    -------
    loss : float
    grads : RNNParams
        Output weights exact; ``W_x, W_s, b_s`` the sum of the ``⌈T/h′⌉`` backward passes.

    Raises
    ------
    ValueError
        If ``h < h′``.

    Notes
    -----
    The pass at ``t`` computes ``δ_τ = [τ > t − h′] ∂L_τ/∂s_τ + J_{τ+1}ᵀ δ_{τ+1}`` for
    ``τ = t, t−1, …, t−h+1`` and adds ``φ'(a_τ) ⊙ δ_τ`` to ``∂L/∂a_τ``. BPTT(h; 1) is the
    window ``rnn.bptt(truncate=h−1)``, BPTT(h; h) chunks of ``h`` steps (when ``h`` divides
    ``T``), and ``h ≥ T`` is exact.
    ``O(T·h/h′)`` steps. Book label: eq-bptt-hh.
    """
    h = _checks.check_size(h, "h")
    h_prime = _checks.check_size(h_prime, "h_prime")
    if h < h_prime:
        raise ValueError(f"h: expected h >= h_prime={h_prime} (every injected error must be "
                         f"inside the backward pass), got {h}")
    act, params, xs, trace, value, dy = rnn._prepare(params, xs, targets, activation, loss,
                                                     mask, s0)
    T = xs.shape[0]
    ends = list(range(h_prime, T + 1, h_prime))
    if not ends or ends[-1] != T:
        ends.append(T)
    with np.errstate(over="ignore", invalid="ignore"):
        g, dphi = rnn._block(trace.preacts.shape, trace.preacts.shape)
        dW_y, db_y = rnn._output_grads(params, trace, dy, g)
        act.deriv_from_value(trace.states[1:], out=dphi)
        da = np.zeros_like(g)
        previous = 0
        for end in ends:  # steps previous+1 … end inject; the pass covers end-h+1 … end
            delta = np.zeros_like(g[0])
            for i in range(end - 1, max(end - h, 0) - 1, -1):  # 0-based step index
                if i >= previous:
                    delta = delta + g[i]
                da_i = dphi[i] * delta
                da[i] += da_i
                delta = da_i @ params.W_s
            previous = end
        grads = rnn._gather(params, xs, trace, da, dW_y, db_y)
    return value, _finite("bptt_hh", grads)


def randomized_objective(cut_prob, *, seed=0, activation="tanh", loss="mse"):
    """``objective(params, (xs, targets, mask))`` for :func:`bpttlib.train.fit` that draws new
    cuts at every call (call ``n`` uses the seed ``seed · 1_000_003 + n``).

    Parameters
    ----------
    cut_prob : float
        Cut probability ``c`` in ``[0, 1)`` (mean piece length ``1/c``).
    seed : int
    activation, loss
        As for :func:`bpttlib.rnn.bptt`.

    Returns
    -------
    callable
        ``objective(params, batch) -> (L, ĝ)`` with ``ĝ`` one draw of :func:`randomized_bptt`.

    Notes
    -----
    Book label: eq-randomized-truncation.
    """
    if isinstance(cut_prob, (bool, np.bool_)):
        raise TypeError("cut_prob: expected a number, got bool")
    cut_prob = _checks.check_real(cut_prob, "cut_prob")
    if not 0.0 <= cut_prob < 1.0:
        raise ValueError(f"cut_prob: expected a probability in [0, 1), got {cut_prob}")
    seed = _checks.check_seed(seed)
    calls = iter(range(2**62))

    def objective(params, batch):
        if not isinstance(batch, tuple) or len(batch) != 3:
            raise TypeError(f"batch: expected a tuple (xs, targets, mask), got "
                            f"{type(batch).__name__}")
        xs, targets, mask = batch
        return randomized_bptt(params, xs, targets, cut_prob=cut_prob,
                               seed=seed * 1_000_003 + next(calls), activation=activation,
                               loss=loss, mask=mask)

    return objective
