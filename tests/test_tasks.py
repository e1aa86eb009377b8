"""Tests for bpttlib.tasks: structure of the adding, copy and agreement tasks, seeded
determinism, and their baselines measured on samples."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import gated, losses, tasks


# ---- adding problem -----------------------------------------------------------------------------

@pytest.mark.parametrize("T", [2, 3, 10, 51])
def test_adding_problem_structure(T):
    n = 200
    xs, targets = tasks.adding_problem(n, T, seed=3)
    assert xs.shape == (T, n, 2) and targets.shape == (n, 1)
    assert xs.dtype == np.float64 and targets.dtype == np.float64
    values, markers = xs[..., 0], xs[..., 1]
    assert ((0 <= values) & (values < 1)).all()
    assert set(np.unique(markers)) <= {0.0, 1.0}
    half = T // 2
    assert (markers[:half].sum(axis=0) == 1).all()  # exactly one in each half
    assert (markers[half:].sum(axis=0) == 1).all()
    assert_allclose(targets[:, 0], (values * markers).sum(axis=0), rtol=1e-15)


def test_adding_problem_is_seeded():
    a, ta = tasks.adding_problem(5, 8, seed=1)
    b, tb = tasks.adding_problem(5, 8, seed=1)
    c, _ = tasks.adding_problem(5, 8, seed=2)
    assert_allclose(a, b, rtol=0, atol=0)
    assert_allclose(ta, tb, rtol=0, atol=0)
    assert not np.allclose(a, c)


def test_adding_baseline_measured():
    _, targets = tasks.adding_problem(100_000, 10, seed=0)
    sq = (targets[:, 0] - 1.0) ** 2
    # mean of 1e5 samples: standard error ~ std(sq)/sqrt(n) ~ 6e-4; allow 4 standard errors
    se = sq.std() / np.sqrt(sq.size)
    assert abs(sq.mean() - tasks.adding_baseline()) < 4 * se
    assert tasks.adding_baseline() == pytest.approx(1 / 6, rel=1e-15)
    assert abs(targets.mean() - 1.0) < 4 * targets.std() / np.sqrt(targets.size)


def test_adding_problem_trains_as_many_to_one():
    # the masked loss of a model that outputs exactly 1 at the last step is the baseline
    n, T = 20_000, 6
    xs, targets = tasks.adding_problem(n, T, seed=4)
    seq, mask = tasks.many_to_one(targets, T)
    assert seq.shape == (T, n, 1) and mask.shape == (T,) and mask.sum() == 1 and mask[-1] == 1
    value, _ = losses.mse(np.ones((T, n, 1)), seq, mask)
    assert_allclose(value, np.mean((targets - 1) ** 2), rtol=1e-12)
    assert abs(value - tasks.adding_baseline()) < 0.01
    p = gated.lstm_init(2, 4, 1)
    loss, _ = gated.lstm_bptt(p, xs[:, :8], seq[:, :8], mask=mask)  # the shapes fit bptt
    assert np.isfinite(loss)


# ---- copy task ----------------------------------------------------------------------------------

@pytest.mark.parametrize("T", [1, 5, 30])
def test_copy_task_structure(T):
    n = 50
    xs, targets = tasks.copy_task(n, T, seed=2)
    L = T + 20
    assert xs.shape == (L, n, 10) and targets.shape == (L, n)
    assert targets.dtype == np.int64
    assert_allclose(xs.sum(axis=-1), 1.0, rtol=0, atol=0)  # one-hot
    tokens = xs.argmax(axis=-1)
    symbols = tokens[:10]
    assert ((0 <= symbols) & (symbols < 8)).all()
    assert (tokens[10:T + 9] == tasks.COPY_BLANK).all()  # T - 1 blanks
    assert (tokens[T + 9] == tasks.COPY_DELIMITER).all()
    assert (tokens[T + 10:] == tasks.COPY_BLANK).all()
    assert (targets[:T + 10] == tasks.COPY_BLANK).all()
    assert (targets[T + 10:] == symbols).all()


def test_copy_task_symbols_are_uniform_and_seeded():
    xs, _ = tasks.copy_task(20_000, 3, seed=0)
    counts = np.bincount(xs[:10].argmax(axis=-1).ravel(), minlength=10)
    freq = counts[:8] / counts.sum()
    # 2e5 draws: standard error of each frequency ~ 7e-4; allow ~4 of them
    assert_allclose(freq, 1 / 8, atol=3e-3)
    assert counts[8:].sum() == 0
    a, ta = tasks.copy_task(4, 5, seed=9)
    b, tb = tasks.copy_task(4, 5, seed=9)
    assert (a == b).all() and (ta == tb).all()


@pytest.mark.parametrize("T", [1, 10, 100])
def test_copy_baseline_equals_the_memoryless_predictor(T):
    n = 400
    _, targets = tasks.copy_task(n, T, seed=1)
    L = T + 20
    # blank (certain) for T + 10 steps, then uniform over the 8 symbols
    logits = np.full((L, n, 10), -60.0)
    logits[:T + 10, :, tasks.COPY_BLANK] = 60.0
    logits[T + 10:, :, :8] = 0.0
    value, _ = losses.xent(logits, targets)  # summed over steps, mean over the batch
    assert_allclose(value / L, tasks.copy_baseline(T), rtol=1e-12)
    assert_allclose(tasks.copy_baseline(T), 10 * np.log(8) / (T + 20), rtol=1e-15)


# ---- agreement ----------------------------------------------------------------------------------

@pytest.mark.parametrize("attractors", [True, False])
def test_agreement_task_structure(attractors):
    n, T = 4000, 9
    xs, targets = tasks.agreement_task(n, T, seed=5, attractors=attractors)
    V = len(tasks.AGREEMENT_TOKENS)
    assert xs.shape == (T, n, V) and targets.shape == (n,) and targets.dtype == np.int64
    tokens = xs.argmax(axis=-1)
    assert_allclose(xs.sum(axis=-1), 1.0, rtol=0, atol=0)
    assert (tokens[0] == targets).all() and set(np.unique(targets)) == {0, 1}
    assert (tokens[-1] == V - 1).all()
    middle = set(np.unique(tokens[1:-1]))
    assert middle == ({2, 3, 4, 5, 6} if attractors else {4, 5, 6})
    assert abs(targets.mean() - 0.5) < 0.05


def test_agreement_recency_heuristic_is_at_chance_with_attractors():
    n, T = 20_000, 12
    xs, targets = tasks.agreement_task(n, T, seed=6)
    tokens = xs.argmax(axis=-1)
    guesses = np.empty(n, dtype=np.int64)
    for j in range(n):  # the number of the most recent noun (the subject if there is none)
        nouns = [t for t in tokens[1:-1, j] if t in (2, 3)]
        guesses[j] = (nouns[-1] - 2) if nouns else tokens[0, j]
    accuracy = np.mean(guesses == targets)
    # without attractors' influence it would be 1; with them, close to 1/2 (P(no noun) tiny)
    assert abs(accuracy - 0.5) < 0.02


def test_many_to_one_with_integer_targets():
    _, targets = tasks.agreement_task(7, 5)
    seq, mask = tasks.many_to_one(targets, 5)
    assert seq.shape == (5, 7) and seq.dtype == np.int64 and (seq == targets).all()
    assert_allclose(mask, [0, 0, 0, 0, 1], rtol=0, atol=0)


# ---- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fn, T_min", [(tasks.adding_problem, 2), (tasks.copy_task, 1),
                                       (tasks.agreement_task, 3)])
def test_bad_sizes_raise_naming_the_argument(fn, T_min):
    with pytest.raises(ValueError, match=r"^n"):
        fn(0, 10)
    with pytest.raises(ValueError, match=r"^T"):
        fn(3, T_min - 1)
    with pytest.raises(TypeError, match=r"^T"):
        fn(3, 10.0)
    with pytest.raises(ValueError, match=r"^seed"):
        fn(3, 10, seed=-1)


def test_other_argument_errors():
    with pytest.raises(TypeError, match=r"^attractors"):
        tasks.agreement_task(2, 5, attractors="yes")
    with pytest.raises(ValueError, match=r"^T"):
        tasks.copy_baseline(0)
    with pytest.raises(ValueError, match=r"^targets"):
        tasks.many_to_one(np.zeros((2, 3, 4)), 5)
    with pytest.raises(TypeError, match=r"^targets"):
        tasks.many_to_one(None, 5)
    with pytest.raises(TypeError, match=r"^targets"):
        tasks.many_to_one(np.zeros(3), 5)  # 1-D targets are class indices


# ---- issue 16 and the one task registry ---------------------------------------------------------

@pytest.mark.parametrize("targets, exc, pattern", [
    ([[1.0, 2.0], [3.0]], ValueError, r"^targets: expected a rectangular array"),
    (np.zeros((3, 0)), ValueError, r"^targets: expected shape \(n, O\) or \(n,\) with n, O >= 1"),
    (np.zeros(0, dtype=int), ValueError, r"^targets: expected shape"),
])
def test_many_to_one_refuses_ragged_and_empty_targets(targets, exc, pattern):
    with pytest.raises(exc, match=pattern):
        tasks.many_to_one(targets, 5)


@pytest.mark.parametrize("make", [tasks.adding_problem, tasks.copy_task, tasks.agreement_task])
def test_sizes_have_a_clear_limit(make):
    """Was: MemoryError or numpy's "maximum allowed dimension exceeded"."""
    with pytest.raises(ValueError, match=r"^n: expected an integer <= 10_000_000"):
        make(10**12, 5)
    with pytest.raises(ValueError, match=r"^n: expected a size giving at most"):
        make(1_000_000, 1_000)


@pytest.mark.parametrize("name", sorted(tasks.TASKS))
def test_registry_describes_its_generators(name):
    spec = tasks.TASKS[name]
    xs, targets = spec.make(3, 6, seed=0)
    assert spec.name == name and xs.shape[-1] == spec.n_in
    if spec.many_to_one:
        targets, mask = tasks.many_to_one(targets, xs.shape[0])
        assert mask[-1] == 1.0
    O = spec.n_out
    outputs = np.zeros((xs.shape[0], 3, O))
    assert np.isfinite(losses.loss_and_grad(spec.loss, outputs, targets)[0])
    assert spec.baseline(6) > 0


# ---- the book's random probe -------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("n_in, n_out", [(1, 1), (3, 2)])
def test_probe_is_the_seeded_gaussian_probe(seed, n_in, n_out):
    xs, targets = tasks.probe(40, n_in, n_out, seed=seed, input_scale=2.5)
    rng = np.random.default_rng([seed, 2])
    assert_allclose(xs, 2.5 * rng.standard_normal((40, n_in)), rtol=0, atol=0)
    assert_allclose(targets, rng.standard_normal((40, n_out)), rtol=0, atol=0)


def test_probe_inputs_do_not_depend_on_the_loss():
    xs_mse, _ = tasks.probe(25, 2, 4, seed=1)
    xs_xent, classes = tasks.probe(25, 2, 4, seed=1, loss="xent")
    assert_allclose(xs_xent, xs_mse, rtol=0, atol=0)
    assert classes.shape == (25,) and classes.min() >= 0 and classes.max() < 4


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_probe_is_what_the_decay_kernels_run_on(cell):
    init = gated.gru_init if cell == "gru" else gated.lstm_init
    params = init(1, 8, 1, seed=2)
    direct = gated.gated_decay(params, *tasks.probe(30, seed=2))
    assert_allclose(gated.gated_decay_curve(cell, n_hidden=8, T=30, seed=2), direct,
                    rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kwargs, exc, word", [
    (dict(T=0), ValueError, "T"),
    (dict(T=5, n_in=0), ValueError, "n_in"),
    (dict(T=5, seed=-1), ValueError, "seed"),
    (dict(T=5, input_scale=-1.0), ValueError, "input_scale"),
    (dict(T=5, loss="hinge"), ValueError, "loss"),
])
def test_probe_rejects_bad_input(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        tasks.probe(**kwargs)


# ---- agreement: match, n_attractors and the recency heuristic -----------------------------------

def test_agreement_defaults_unchanged_by_the_new_options():
    a = tasks.agreement_task(50, 9, seed=3)
    b = tasks.agreement_task(50, 9, seed=3, attractors=True, match=None, n_attractors=None)
    assert (a[0] == b[0]).all() and (a[1] == b[1]).all()


@pytest.mark.parametrize("match", [0.0, 0.8, 1.0])
def test_agreement_match_sets_how_often_nouns_agree(match):
    xs, subject = tasks.agreement_task(4000, 12, seed=2, match=match)
    tokens = xs.argmax(-1)[1:-1]
    noun = tokens <= 3
    agrees = (tokens % 2 == subject[None, :])[noun]
    assert abs(agrees.mean() - match) < 0.02
    plain = tasks.agreement_task(4000, 12, seed=2)[0].argmax(-1)[1:-1]
    assert ((plain <= 3) == noun).all()        # the same slots hold nouns
    guess, _ = tasks.agreement_recency(xs)
    has_noun = noun.any(axis=0)
    assert abs(np.mean(guess[has_noun] == subject[has_noun]) - match) < 0.03


@pytest.mark.parametrize("k", [0, 1, 3, 10])
def test_agreement_exact_attractor_count(k):
    xs, subject = tasks.agreement_task(500, 12, seed=4, n_attractors=k)
    _, count = tasks.agreement_recency(xs)
    assert (count == k).all()
    tokens = xs.argmax(-1)
    assert (tokens[0] == subject).all() and (tokens[-1] == 7).all()
    assert_allclose(xs.sum(-1), 1.0, rtol=0, atol=0)


def test_agreement_recency_matches_a_loop():
    xs, subject = tasks.agreement_task(300, 10, seed=8)
    guess, count = tasks.agreement_recency(xs)
    tokens = xs.argmax(-1)
    for j in range(300):
        nouns = [t for t in tokens[1:-1, j] if t in (2, 3)]
        assert guess[j] == ((nouns[-1] - 2) if nouns else tokens[0, j])
        assert count[j] == sum(t - 2 != subject[j] for t in nouns)


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(match=1.5), ValueError, "match"),
    (dict(match="x"), TypeError, "match"),
    (dict(n_attractors=8), ValueError, "n_attractors"),
    (dict(n_attractors=-1), ValueError, "n_attractors"),
    (dict(n_attractors=1.0), TypeError, "n_attractors"),
    (dict(match=0.5, attractors=False), ValueError, "attractors"),
])
def test_agreement_option_errors(kwargs, exc, name):
    with pytest.raises(exc, match=rf"^{name}"):
        tasks.agreement_task(3, 9, **kwargs)


def test_agreement_recency_errors():
    with pytest.raises(ValueError, match=r"^xs"):
        tasks.agreement_recency(np.zeros((5, 3, 4)))
    with pytest.raises(ValueError, match=r"^xs"):
        tasks.agreement_recency(np.zeros((5, 8)))
