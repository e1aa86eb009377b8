"""Synthetic long-range-dependency tasks: the adding problem, the copy task, agreement.

Every generator is time-major like the rest of bpttlib (inputs ``(T, n, I)``), deterministic for
a given ``seed`` (``numpy.random.default_rng``), and comes with the loss of the best predictor
that ignores the long-range dependency, the baseline a trained network has to beat.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _checks

__all__ = [
    "adding_problem",
    "adding_baseline",
    "copy_task",
    "copy_baseline",
    "COPY_SYMBOLS",
    "COPY_BLANK",
    "COPY_DELIMITER",
    "agreement_task",
    "AGREEMENT_TOKENS",
    "agreement_recency",
    "many_to_one",
    "Task",
    "TASKS",
    "probe",
]

#: Copy task: symbols are ids ``0 … COPY_SYMBOLS-1``, then the blank and the delimiter.
COPY_SYMBOLS = 8
COPY_BLANK = 8
COPY_DELIMITER = 9
_COPY_LENGTH = 10  # symbols to remember
_COPY_VOCAB = 10

#: Agreement task: the input vocabulary, by one-hot index.
AGREEMENT_TOKENS = (
    "subject (singular)",
    "subject (plural)",
    "noun (singular)",
    "noun (plural)",
    "adjective",
    "adverb",
    "preposition",
    "verb?",
)


def adding_problem(n, T, *, seed=0):
    """The adding problem in the form of Le et al. (2015) and Arjovsky et al. (2016).

    Hochreiter & Schmidhuber (1997) introduced it with values in [−1, 1] and the target
    0.5 + (X₁ + X₂)/4; this variant draws values from U[0, 1], puts one marker in each half
    and asks for the plain sum (memoryless baseline 1/6, :func:`adding_baseline`).

    Parameters
    ----------
    n : int
        Number of sequences (at least 1).
    T : int
        Sequence length (at least 2, so that each half holds one marker).
    seed : int, optional
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    xs : numpy.ndarray, shape (T, n, 2)
        Channel 0: values drawn from U[0, 1]. Channel 1: markers, exactly two ones per
        sequence, one in the first half ``t < T // 2`` and one in the second half.
    targets : numpy.ndarray, shape (n, 1)
        The sum of the two marked values. Scored at the last step only (see
        :func:`many_to_one`).

    Notes
    -----
    ``d = Σ_t x_t[0] · x_t[1]``. Predicting the constant 1 (the mean of ``d``) gives the
    mean squared error ``Var d = 2 · 1/12 = 1/6`` (:func:`adding_baseline`).
    """
    n = _checks.check_size(n, "n")
    T = _checks.check_size(T, "T", minimum=2)
    _checks.check_entries("n", 2 * T * n, f"xs (T, n, 2) with T={T}, n={n}")
    rng = np.random.default_rng(_checks.check_seed(seed))
    half = T // 2
    values = rng.uniform(0.0, 1.0, size=(T, n))
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T, size=n)
    markers = np.zeros((T, n))
    cols = np.arange(n)
    markers[first, cols] = 1.0
    markers[second, cols] = 1.0
    xs = np.stack([values, markers], axis=-1)
    targets = (values[first, cols] + values[second, cols])[:, None]
    return xs, targets


def adding_baseline():
    """Mean squared error of the best constant prediction on the adding problem.

    Returns
    -------
    float
        ``1/6``.

    Notes
    -----
    The target is a sum of two independent U[0, 1] values: mean 1, variance ``2/12``.
    """
    return 1.0 / 6.0


def copy_task(n, T, *, seed=0):
    """The copy (memory) task of Hochreiter & Schmidhuber (1997) in the form of Arjovsky et al.

    Parameters
    ----------
    n : int
        Number of sequences (at least 1).
    T : int
        The delay (at least 1): the sequence has ``T + 20`` steps.
    seed : int, optional
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    xs : numpy.ndarray, shape (T + 20, n, 10)
        One-hot inputs: 10 symbols drawn uniformly from the ids ``0 … 7``, then ``T − 1``
        blanks (id 8), the delimiter (id 9) and 10 blanks.
    targets : numpy.ndarray of int64, shape (T + 20, n)
        Blank (8) at the first ``T + 10`` steps, then the 10 symbols again.

    Notes
    -----
    A network that never remembers the symbols can at best predict the blank for
    ``T + 10`` steps and a uniform guess over the 8 symbols for the last 10, a cross-entropy
    of ``10 log 8`` per sequence, i.e. ``10 log 8 / (T + 20)`` per step
    (:func:`copy_baseline`). With bpttlib's summed loss (eq-loss-xent) and no mask, the
    per-sequence figure ``10 log 8`` is the one to compare against.
    """
    n = _checks.check_size(n, "n")
    T = _checks.check_size(T, "T")
    _checks.check_entries("n", (T + 20) * n * _COPY_VOCAB, f"xs (T + 20, n, 10) with T={T}, n={n}")
    rng = np.random.default_rng(_checks.check_seed(seed))
    length = T + 2 * _COPY_LENGTH
    symbols = rng.integers(0, COPY_SYMBOLS, size=(_COPY_LENGTH, n))
    tokens = np.full((length, n), COPY_BLANK, dtype=np.int64)
    tokens[:_COPY_LENGTH] = symbols
    tokens[_COPY_LENGTH + T - 1] = COPY_DELIMITER
    targets = np.full((length, n), COPY_BLANK, dtype=np.int64)
    targets[-_COPY_LENGTH:] = symbols
    xs = np.eye(_COPY_VOCAB)[tokens]
    return xs, targets


def copy_baseline(T):
    """Per-step cross-entropy of the memoryless strategy on :func:`copy_task`.

    Parameters
    ----------
    T : int
        The delay (at least 1).

    Returns
    -------
    float
        ``10 log 8 / (T + 20)`` (natural log).
    """
    T = _checks.check_positive_int(T, "T")
    return _COPY_LENGTH * math.log(COPY_SYMBOLS) / (T + 2 * _COPY_LENGTH)


def agreement_task(n, T, *, seed=0, attractors=True, match=None, n_attractors=None):
    """A toy subject–verb agreement task: remember the number of the first token.

    Parameters
    ----------
    n : int
        Number of sequences (at least 1).
    T : int
        Sequence length (at least 3: subject, at least one distractor, verb slot).
    seed : int, optional
        Seed for ``numpy.random.default_rng``.
    attractors : bool, optional
        If true (default), distractors include singular and plural nouns (independent of
        the subject), so "agree with the most recent noun" is right only half the time.
        If false, distractors are adjectives, adverbs and prepositions only.
    match : float, optional
        With nouns among the distractors: the probability that a noun has the subject's number
        (each noun independently), as in text, where the nouns between a subject and its verb
        mostly agree with it. ``None`` (default) keeps nouns independent of the subject and
        draws exactly as before this option existed.
    n_attractors : int, optional
        Exactly this many *attractors* (nouns of the number opposite to the subject's) at
        distinct random distractor slots, ``0 ≤ n_attractors ≤ T − 2``; every other noun then
        has the subject's number. Drawn after the rest, so the other tokens are those of the
        same call without it. ``None`` (default): no constraint.

    Returns
    -------
    xs : numpy.ndarray, shape (T, n, 8)
        One-hot tokens (names in :data:`AGREEMENT_TOKENS`): step 0 the subject (id 0
        singular, id 1 plural), steps ``1 … T−2`` distractors (ids 2 … 6), step ``T−1`` the
        verb slot (id 7).
    targets : numpy.ndarray of int64, shape (n,)
        The verb class at the last step: 0 singular, 1 plural (equal to the subject's id).
        Many-to-one: score only the last step (see :func:`many_to_one`).

    Notes
    -----
    The answer depends only on a token ``T − 1`` steps back, so the gradient that teaches
    it has to cross the whole sequence (eq-grad-decay). Guessing gives a cross-entropy of
    ``log 2`` and an accuracy of 1/2. With ``match = p``, "agree with the most recent noun"
    (sequential recency, :func:`agreement_recency`) is right with probability ``p`` on a
    sequence with a noun; with ``n_attractors ≥ 1`` the subject is the only reliable cue.

    Raises
    ------
    ValueError
        If ``match`` is outside ``[0, 1]``, ``n_attractors`` outside ``[0, T − 2]``, or either
        is given with ``attractors=False`` (no nouns to set).
    """
    n = _checks.check_size(n, "n")
    T = _checks.check_size(T, "T", minimum=3)
    _checks.check_entries("n", T * n * len(AGREEMENT_TOKENS), f"xs (T, n, 8) with T={T}, n={n}")
    if not isinstance(attractors, (bool, np.bool_)):
        raise TypeError(f"attractors: expected a bool, got {type(attractors).__name__}")
    match, n_attractors = _agreement_options(T, attractors, match, n_attractors)
    rng = np.random.default_rng(_checks.check_seed(seed))
    subject = rng.integers(0, 2, size=n)
    low = 2 if attractors else 4
    tokens = np.empty((T, n), dtype=np.int64)
    tokens[0] = subject
    tokens[1:-1] = rng.integers(low, 7, size=(T - 2, n))
    tokens[-1] = len(AGREEMENT_TOKENS) - 1
    if match is not None or n_attractors is not None:
        _set_noun_numbers(tokens, subject, rng, match, n_attractors)
    xs = np.eye(len(AGREEMENT_TOKENS))[tokens]
    return xs, subject.astype(np.int64)


def _agreement_options(T, attractors, match, n_attractors):
    """Validate ``match`` and ``n_attractors`` of :func:`agreement_task`."""
    if match is not None:
        match = _checks.check_real(match, "match")
        if not 0.0 <= match <= 1.0:
            raise ValueError(f"match: expected a probability in [0, 1], got {match}")
    if n_attractors is not None:
        n_attractors = _checks.check_int(n_attractors, "n_attractors", minimum=0)
        if n_attractors > T - 2:
            raise ValueError(f"n_attractors: expected at most T - 2 = {T - 2} (the distractor "
                             f"slots), got {n_attractors}")
    if not attractors and (match is not None or n_attractors is not None):
        raise ValueError("attractors: match and n_attractors set the numbers of nouns, which "
                         "need attractors=True, got attractors=False")
    return match, n_attractors


def _set_noun_numbers(tokens, subject, rng, match, n_attractors):
    """Give the distractor nouns of ``tokens (T, n)`` their numbers, in place."""
    inner = tokens[1:-1]
    noun = inner <= 3
    if match is not None:  # each noun agrees with the subject with probability `match`
        agrees = rng.random(inner.shape) < match
        inner[noun] = np.where(agrees, 2 + subject, 3 - subject)[noun]
    if n_attractors is not None:
        inner[noun] = np.broadcast_to(2 + subject, inner.shape)[noun]  # all nouns agree ...
        slots = np.argsort(rng.random(inner.shape), axis=0)[:n_attractors]  # ... but these
        inner[slots, np.arange(inner.shape[1])] = 3 - subject


def agreement_recency(xs):
    """The verb class that *sequential recency* predicts: the number of the last noun.

    Parameters
    ----------
    xs : array_like, shape (T, n, 8)
        One-hot sequences of :func:`agreement_task`.

    Returns
    -------
    guess : numpy.ndarray of int64, shape (n,)
        0 or 1: the number of the last noun before the verb (the subject when there is none).
    attractors : numpy.ndarray of int64, shape (n,)
        How many distractor nouns have the number opposite to the subject's.

    Notes
    -----
    The heuristic of Linzen et al. (2016): agree with the most recent noun. It is right on
    every sequence without attractors and wrong whenever the last noun is one.
    """
    xs = _checks.as_float_array(xs, "xs")
    _checks.check_ndim(xs, "xs", (3,), f"(T, n, {len(AGREEMENT_TOKENS)})")
    if xs.shape[-1] != len(AGREEMENT_TOKENS) or xs.shape[0] < 3:
        raise ValueError(f"xs: expected shape (T, n, {len(AGREEMENT_TOKENS)}) with T >= 3, "
                         f"got {_checks.shape_str(xs.shape)}")
    tokens = xs.argmax(-1)
    subject = tokens[0] % 2
    number = np.where(tokens[:-1] <= 3, tokens[:-1] % 2, -1)      # -1: not a noun
    last = np.where(number >= 0, np.arange(len(number))[:, None], -1).max(axis=0)
    guess = number[last, np.arange(number.shape[1])]
    attractors = ((number[1:] >= 0) & (number[1:] != subject)).sum(axis=0)
    return guess.astype(np.int64), attractors.astype(np.int64)


def many_to_one(targets, T):
    """Spread a per-sequence target over ``T`` steps with a last-step-only mask.

    Parameters
    ----------
    targets : array_like, shape (n, O) real or (n,) integer
        One target per sequence, e.g. from :func:`adding_problem` or :func:`agreement_task`.
    T : int
        Sequence length.

    Returns
    -------
    seq_targets : numpy.ndarray, shape (T, n, O) or (T, n)
        ``targets`` repeated at every step (same dtype), ready for ``loss="mse"`` or
        ``loss="xent"`` of ``bptt``.
    mask : numpy.ndarray, shape (T,)
        Zeros except a one at the last step.

    Notes
    -----
    With this mask, ``L = Σ_t m_t ℓ_t`` (eq-loss-mse, eq-loss-xent) is the loss of the last
    step alone, averaged over the batch.
    """
    T = _checks.check_size(T, "T")
    if targets is None or isinstance(targets, (str, bytes)):
        raise TypeError(f"targets: expected an array, got {type(targets).__name__}")
    try:
        arr = np.asarray(targets)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"targets: expected a rectangular array (not a ragged list), got "
                         f"{type(targets).__name__}") from exc
    if arr.ndim == 1:
        arr = _checks.as_int_array(arr, "targets")
    elif arr.ndim == 2:
        arr = _checks.as_float_array(arr, "targets")
    else:
        raise ValueError(
            f"targets: expected shape (n, O) or (n,), got {_checks.shape_str(arr.shape)}"
        )
    if min(arr.shape) < 1:
        raise ValueError(f"targets: expected shape (n, O) or (n,) with n, O >= 1, got "
                         f"{_checks.shape_str(arr.shape)}")
    _checks.check_entries("T", T * arr.size, f"the targets (T, {', '.join(map(str, arr.shape))})")
    mask = np.zeros(T)
    mask[-1] = 1.0
    return np.broadcast_to(arr, (T, *arr.shape)).copy(), mask


@dataclass(frozen=True)
class Task:
    """One entry of :data:`TASKS`: how to draw a task's batches and how it is scored.

    Attributes
    ----------
    name : str
        The key in :data:`TASKS`.
    make : callable
        ``make(n, T, *, seed) -> (xs, targets)``, e.g. :func:`adding_problem`.
    loss : str
        ``"mse"`` or ``"xent"``, the loss the targets are meant for.
    n_in, n_out : int
        Input size ``I`` of ``xs (T', n, I)`` and the output size ``O`` a model needs.
    many_to_one : bool
        Whether ``targets`` holds one target per sequence, scored at the last step only
        (spread with :func:`many_to_one`), rather than one per step.
    baseline : callable
        ``baseline(T) -> float``: the loss per scored step of the best memoryless predictor.
    """

    name: str
    make: Callable
    loss: str
    n_in: int
    n_out: int
    many_to_one: bool
    baseline: Callable[[int], float]


def _agreement_baseline(T):
    """Cross-entropy of guessing the verb class, ``log 2`` (see :func:`agreement_task`)."""
    _checks.check_int(T, "T", minimum=3)
    return math.log(2.0)


#: The tasks by name: the one registry that :mod:`bpttlib.train` and
#: :mod:`bpttlib.experiments` read.
TASKS: dict[str, Task] = {
    "adding": Task("adding", adding_problem, "mse", 2, 1, True, lambda T: adding_baseline()),
    "copy": Task("copy", copy_task, "xent", _COPY_VOCAB, _COPY_VOCAB, False, copy_baseline),
    "agreement": Task("agreement", agreement_task, "xent", len(AGREEMENT_TOKENS), 2, True,
                      _agreement_baseline),
}


def probe(T, n_in=1, n_out=1, *, seed=0, input_scale=1.0, loss="mse"):
    """The book's random probe: one Gaussian input sequence and its random targets.

    Every gradient-flow figure (decay curves of the tanh RNN, the gated cells, skip connections,
    the LSTM's cell path) runs its network on this probe, so curves drawn side by side share one
    input sequence.

    Parameters
    ----------
    T : int
        Sequence length, ``>= 1``.
    n_in, n_out : int, optional
        Input size ``I`` and output size ``O`` (default 1 each).
    seed : int, optional
        The probe is drawn from ``numpy.random.default_rng([seed, 2])``.
    input_scale : float, optional
        Standard deviation of the inputs, ``>= 0``.
    loss : {"mse", "xent"}, optional
        ``"mse"``: Gaussian targets ``(T, O)``; ``"xent"``: integer class targets ``(T,)`` in
        ``0 … O−1``.

    Returns
    -------
    xs : numpy.ndarray, shape (T, I)
        ``x_t ~ N(0, input_scale²)``, drawn first (so ``xs`` does not depend on ``loss``).
    targets : numpy.ndarray, shape (T, O) or (T,)

    Notes
    -----
    The inputs ``x_t`` of eq-rnn-state and the targets ``d_t`` of eq-loss-mse (or eq-loss-xent).
    """
    T = _checks.check_size(T, "T")
    n_in = _checks.check_size(n_in, "n_in")
    n_out = _checks.check_size(n_out, "n_out")
    _checks.check_entries("T", T * max(n_in, n_out), f"the probe ({T}, {max(n_in, n_out)})")
    seed = _checks.check_seed(seed)
    input_scale = _checks.check_real(input_scale, "input_scale", nonnegative=True)
    _checks.check_name(loss, "loss", ("mse", "xent"))
    rng = np.random.default_rng([seed, 2])
    xs = _checks.scaled(input_scale, rng.standard_normal((T, n_in)), "input_scale")
    if loss == "mse":
        return xs, rng.standard_normal((T, n_out))
    return xs, rng.integers(0, n_out, size=T)
