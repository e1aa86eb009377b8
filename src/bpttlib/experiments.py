"""The long-term-dependency experiments behind Part III: run them, store them, load them.

One *run* trains one model (a tanh RNN, an LSTM, a GRU, or an RNN with one of the remedies of
the last chapter) on one task (the adding problem or the copy task) at one length ``T`` with
:func:`bpttlib.train.fit`, and records the loss on a fixed held-out batch every few steps.
An *experiment* is every run of one task; its configuration is a plain dict (see
``experiments/run.py`` for the one behind the book), so that it can be stored with the results
and hashed (:func:`config_hash`).

``experiments/run.py`` (``make experiments``) writes one JSON file per experiment into the
package data folder ``bpttlib/data/experiments/``; the chapters read them back with
:func:`load`, which works the same from a source checkout and from a pip-installed bpttlib
(on Colab). The files hold no dates and no timings.

What is reproducible, and what is not:

- **Same machine, same library**: a rerun writes the same bytes (``make experiments`` reports
  "unchanged"), whatever ``--jobs`` is; the runs are independent and each is seeded.
- **Another CPU**: numpy's BLAS may pick another kernel, whose sums differ in the last bits.
  A training run is chaotic, so after a few hundred steps its curve differs visibly, and a
  single run's final loss can move by a factor. That is why every setting is run over several
  seeds and the chapters quote medians and ranges (:func:`final_table`) with margins that such
  a change cannot cross; the loss *before* training agrees to the rounding of the file.

Losses are reported *per scored step*, so that they compare directly with the memoryless
baselines of :mod:`bpttlib.tasks`: the adding problem scores one step (mean squared error,
baseline ``1/6``), the copy task scores every one of its ``T + 20`` steps (mean cross-entropy
per step, baseline ``10 log 8 / (T + 20)``); the copy task is also *trained* on that mean.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from importlib import resources

import numpy as np

from . import _checks, gated, losses, rnn, seeds, tasks, train

__all__ = [
    "MODELS",
    "TASKS",
    "FORMAT",
    "DIGITS",
    "config_hash",
    "make_params",
    "baseline",
    "run_one",
    "run_experiment",
    "dumps",
    "validate",
    "load",
    "available",
    "final_table",
    "format_table",
    "steps_to",
]

#: Version of the data format written by :func:`dumps` (bumped when the layout changes).
FORMAT = 1
#: Significant digits kept for every stored loss (rounding makes the files small and stable).
DIGITS = 5

#: The models, by name: how :func:`make_params` builds them (their legend labels are
#: ``bpttlib.viz.MODEL_LABELS``).
MODELS: dict[str, dict] = {
    "rnn": {"cell": "rnn", "activation": "tanh", "kind": "gaussian", "spectral_radius": 1.0},
    "lstm": {"cell": "lstm", "forget_bias": 1.0},
    "gru": {"cell": "gru"},
    "orthogonal": {"cell": "rnn", "activation": "tanh", "kind": "orthogonal",
                   "spectral_radius": 1.0},
    "irnn": {"cell": "rnn", "activation": "relu", "kind": "identity", "spectral_radius": 1.0},
}

#: The tasks: sizes, loss, and the memoryless baseline (a function of ``T``).
TASKS: dict[str, dict] = {  # sizes, loss and baseline from bpttlib.tasks.TASKS, the owner
    name: {"n_in": tasks.TASKS[name].n_in, "n_out": tasks.TASKS[name].n_out,
           "loss": tasks.TASKS[name].loss, "baseline": tasks.TASKS[name].baseline,
           "metric": metric}
    for name, metric in (("adding", "fraction of held-out sums within 0.04"),
                         ("copy", "fraction of the 10 recalled symbols right"))
}

#: Held-out batches are drawn with seed ``EVAL_SEED - seed``: far from every training batch
#: (those use ``seed * 1_000_003 + step``, see :func:`bpttlib.train.task_data`).
EVAL_SEED = 2**31 - 1


def config_hash(config: Mapping) -> str:
    """SHA-256 of a configuration's canonical JSON (sorted keys, no spaces).

    Parameters
    ----------
    config : mapping
        JSON-serialisable (str keys; numbers, strings, lists, dicts).

    Returns
    -------
    str
        64 hex digits; equal configurations give equal hashes whatever their key order.

    Raises
    ------
    TypeError
        If ``config`` is not a mapping or holds something JSON cannot write (an object, a
        non-string key that JSON would not keep).
    ValueError
        If it holds NaN or an infinity.
    """
    if not isinstance(config, Mapping):
        raise TypeError(f"config: expected a mapping, got {type(config).__name__}")
    try:
        text = json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:  # NaN or inf
        raise ValueError(f"config: expected finite numbers only, got {exc}") from None
    except TypeError as exc:  # an object json cannot write, or keys it cannot sort
        raise TypeError(f"config: expected JSON values (numbers, strings, lists, dicts), "
                        f"got {exc}") from None
    return hashlib.sha256(text.encode()).hexdigest()


def _check_model(model) -> dict:
    _checks.check_name(model, "model", tuple(MODELS))
    return MODELS[model]


def _check_task(task) -> dict:
    _checks.check_name(task, "task", tuple(TASKS))
    return TASKS[task]


def make_params(model: str, task: str, n_hidden: int, *, seed: int = 0):
    """Initial parameters of ``model`` for ``task``.

    Parameters
    ----------
    model : {"rnn", "lstm", "gru", "orthogonal", "irnn"}
        See :data:`MODELS`: the tanh RNN has a Gaussian ``W_s`` of spectral radius 1; the LSTM
        starts with forget-gate bias 1; the GRU is initialised like ``torch.nn.GRU``;
        ``"orthogonal"`` is the tanh RNN with an orthogonal ``W_s``; ``"irnn"`` is a ReLU RNN
        with ``W_s = I`` and zero biases (Le et al. 2015).
    task : {"adding", "copy"}
        Fixes the input and output sizes (2 and 1, or 10 and 10).
    n_hidden : int
        ``H``.
    seed : int, optional

    Returns
    -------
    RNNParams, LSTMParams or GRUParams
    """
    spec, info = _check_model(model), _check_task(task)
    H = _checks.check_positive_int(n_hidden, "n_hidden")
    seed = _checks.check_seed(seed)
    I, O = info["n_in"], info["n_out"]
    if spec["cell"] == "lstm":
        return gated.lstm_init(I, H, O, seed=seed, forget_bias=spec["forget_bias"])
    if spec["cell"] == "gru":
        return gated.gru_init(I, H, O, seed=seed)
    return rnn.init(I, H, O, spectral_radius=spec["spectral_radius"], seed=seed,
                    kind=spec["kind"])


def baseline(task: str, T: int) -> float:
    """The memoryless baseline of ``task`` at length ``T``, per scored step.

    Returns
    -------
    float
        ``1/6`` for the adding problem, ``10 log 8 / (T + 20)`` for the copy task.
    """
    info = _check_task(task)
    return float(info["baseline"](_checks.check_positive_int(T, "T")))


def _grad_fn(model: str, task: str) -> tuple[Callable, Callable]:
    """The training objective of ``model`` on ``task`` and its forward pass (the outputs)."""
    spec, loss = MODELS[model], TASKS[task]["loss"]
    if spec["cell"] == "rnn":
        objective = train.rnn_objective(activation=spec["activation"], loss=loss)

        def outputs(params, xs):
            return rnn.forward(params, xs, activation=spec["activation"]).outputs
    else:
        objective = (train.lstm_objective if spec["cell"] == "lstm" else train.gru_objective)(
            loss=loss)
        forward = gated.lstm_forward if spec["cell"] == "lstm" else gated.gru_forward

        def outputs(params, xs):
            return forward(params, xs).outputs
    return objective, outputs


def _batches(task: str, T: int, batch_size: int, seed: int) -> Callable[[int], tuple]:
    """Training batches; the copy task's mask ``1/(T+20)`` makes its loss a per-step mean."""
    data = train.task_data(task, batch_size=batch_size, T=T, seed=seed)
    if task == "adding":
        return data
    mask = np.full(T + 20, 1.0 / (T + 20))

    def copy_data(step):
        xs, targets, _ = data(step)
        return xs, targets, mask

    return copy_data


def _heldout(task: str, T: int, n: int, seed: int) -> tuple:
    xs, targets = (tasks.adding_problem if task == "adding" else tasks.copy_task)(
        n, T, seed=EVAL_SEED - seed)
    if task == "adding":
        seq_targets, mask = tasks.many_to_one(targets, T)
        return xs, seq_targets, mask
    return xs, targets, np.full(T + 20, 1.0 / (T + 20))


def _solved(task: str, outputs: np.ndarray, targets: np.ndarray) -> float:
    """Adding: fraction with ``|y_T − d| < 0.04`` (Hochreiter & Schmidhuber's criterion).
    Copy: fraction of the last 10 steps' symbols predicted right (argmax)."""
    if task == "adding":
        return float(np.mean(np.abs(outputs[-1, :, 0] - targets[-1, :, 0]) < 0.04))
    return float(np.mean(np.argmax(outputs[-10:], axis=-1) == targets[-10:]))


def _round(value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise FloatingPointError(f"a stored loss is not finite ({value})")
    return float(f"{value:.{DIGITS}g}")


def run_one(task: str, model: str, T: int, *, n_hidden: int, batch_size: int, steps: int,
            lr: float, clip_norm: float | None, eval_every: int, eval_size: int,
            seed: int = 0) -> dict:
    """Train one model on one task at one length; return its record (JSON-ready).

    Parameters
    ----------
    task : {"adding", "copy"}
    model : {"rnn", "lstm", "gru", "orthogonal", "irnn"}
    T : int
        The task's length (the adding problem's sequence length, the copy task's delay).
    n_hidden, batch_size, steps : int
        ``H``, sequences per batch, Adam updates.
    lr : float
        Adam's learning rate.
    clip_norm : float or None
        Global gradient-norm clipping threshold (eq-clip-norm).
    eval_every : int
        Steps between evaluations on the held-out batch.
    eval_size : int
        Sequences in the held-out batch (drawn once, with a seed no training batch uses).
    seed : int, optional
        Seeds the initial weights and the training batches.

    Returns
    -------
    dict
        ``model``, ``T``, ``seed``, ``steps`` (updates done at each evaluation), ``eval`` (the
        held-out loss per scored step there), ``train`` (the mean training loss over each
        interval between two evaluations), ``final`` (``eval``; ``solved``, see
        :data:`TASKS` ``["metric"]``; ``clipped``, the fraction of steps whose gradient norm
        reached ``clip_norm``) and ``stopped`` (``None``, or why the run stopped early).

    Raises
    ------
    FloatingPointError
        If a held-out loss overflowed (a diverging run): the data files hold finite numbers only.

    Notes
    -----
    Adam (Kingma & Ba 2015) on fresh batches, gradient clipping eq-clip-norm; the adding
    problem's loss is eq-loss-mse at the last step, the copy task's eq-loss-xent averaged over
    its ``T + 20`` steps.
    """
    _check_task(task)
    _check_model(model)
    T = _checks.check_positive_int(T, "T")
    eval_size = _checks.check_positive_int(eval_size, "eval_size")
    seed = _checks.check_seed(seed)
    objective, outputs = _grad_fn(model, task)
    xs, targets, mask = _heldout(task, T, eval_size, seed)

    def evaluate(params):  # forward only
        return losses.loss_and_grad(TASKS[task]["loss"], outputs(params, xs), targets, mask)[0]

    result = train.fit(
        make_params(model, task, n_hidden, seed=seed), objective,
        _batches(task, T, batch_size, seed), steps=steps, optimizer=train.Adam(lr),
        clip_norm=clip_norm, eval_fn=evaluate, eval_every=eval_every,
    )
    h = result.history
    marks = h.eval_steps
    window = [float(np.mean(h.loss[a:b])) for a, b in zip(marks[:-1], marks[1:]) if b > a]
    return {
        "model": model,
        "T": T,
        "seed": seed,
        "steps": [int(s) for s in marks],
        "eval": [_round(v) for v in h.eval_loss],
        "train": [_round(v) for v in window],
        "final": {"eval": _round(h.eval_loss[-1]),
                  "solved": _round(_solved(task, outputs(result.params, xs), targets)),
                  "clipped": _round(np.mean(h.clipped)) if h.clipped.size else 0.0},
        "stopped": result.stopped,
    }


def run_experiment(config: Mapping, *, report: Callable[[str], None] | None = None,
                   map_fn: Callable = map) -> dict:
    """Every run of one experiment (one task, all its models, lengths and seeds), JSON-ready.

    Parameters
    ----------
    config : mapping
        ``task``; ``models`` (names from :data:`MODELS`); ``lengths`` (the ``T`` values);
        ``seeds`` (one run per seed); ``lr`` (Adam's learning rate for each model, a mapping);
        and the other keyword arguments of :func:`run_one`: ``n_hidden``, ``batch_size``,
        ``steps``, ``clip_norm``, ``eval_every``, ``eval_size``.
    report : callable, optional
        Called with a one-line message after each run (the script prints them).
    map_fn : callable, optional
        A ``map``-like function ``map_fn(fn, jobs)`` that runs the jobs and yields their
        results in order, e.g. ``ProcessPoolExecutor.map`` to run on several cores. The
        runs are independent, so the result does not depend on it.

    Returns
    -------
    dict
        ``format``, ``bpttlib_version``, ``config`` (a plain copy), ``config_sha256``,
        ``task``, ``baselines`` (per length, keyed by ``str(T)``) and ``runs`` (records of
        :func:`run_one` with the key ``lr`` added, in the order models × lengths × seeds).
    """
    from . import __version__

    config = _check_config(config)
    if not callable(map_fn):
        raise TypeError(f"map_fn: expected a callable, got {type(map_fn).__name__}")
    task = config["task"]
    jobs = [(config, model, T, seed) for model in config["models"]
            for T in config["lengths"] for seed in config["seeds"]]
    runs = []
    for record in map_fn(_run_job, jobs):
        runs.append(record)
        if report is not None:
            report(f"{task:7s} {record['model']:10s} T={record['T']:<4d} seed={record['seed']} "
                   f"lr={record['lr']:g}: held-out loss {record['final']['eval']:.4g} (baseline "
                   f"{baseline(task, record['T']):.4g}), solved {record['final']['solved']:.2f}"
                   + (f", stopped: {record['stopped']}" if record["stopped"] else ""))
    return {
        "format": FORMAT,
        "bpttlib_version": __version__,
        "config": config,
        "config_sha256": config_hash(config),
        "task": task,
        "baselines": {str(T): _round(baseline(task, T)) for T in config["lengths"]},
        "runs": runs,
    }


def _run_job(job: tuple) -> dict:
    """One run of :func:`run_experiment` (a module-level function, so processes can run it)."""
    config, model, T, seed = job
    options = {k: config[k] for k in _CONFIG_KEYS[5:]}
    lr = config["lr"][model]
    record = run_one(config["task"], model, T, seed=seed, lr=lr, **options)
    record["lr"] = lr
    return record


_CONFIG_KEYS = ("task", "models", "lengths", "seeds", "lr", "n_hidden", "batch_size", "steps",
                "clip_norm", "eval_every", "eval_size")


def _check_config(config: object) -> dict:
    """Validate an experiment's configuration; return a plain JSON copy of it."""
    if not isinstance(config, Mapping):
        raise TypeError(f"config: expected a mapping, got {type(config).__name__}")
    missing = [k for k in _CONFIG_KEYS if k not in config]
    extra = [k for k in config if k not in _CONFIG_KEYS]
    if missing or extra:
        raise ValueError(f"config: expected the keys {', '.join(_CONFIG_KEYS)}; "
                         f"missing {missing}, unexpected {extra}")
    config = json.loads(json.dumps(dict(config), allow_nan=False))  # plain and detached
    _check_task(config["task"])
    for name in ("models", "lengths", "seeds"):
        if not isinstance(config[name], list) or not config[name]:
            raise ValueError(f"config['{name}']: expected a non-empty list, "
                             f"got {config[name]!r}")
    for m in config["models"]:
        _check_model(m)
    if not isinstance(config["lr"], dict) or not set(config["models"]) <= set(config["lr"]):
        raise ValueError(f"config['lr']: expected a learning rate for each model "
                         f"{config['models']}, got {config['lr']!r}")
    return config


def dumps(data: Mapping) -> str:
    """Compact, canonical JSON of an experiment: one run per line, keys sorted, no NaN.

    Equal data give equal text, so a rerun that reproduces the numbers rewrites the same bytes.
    """
    validate(data)
    return canonical_json(data)


def canonical_json(data: Mapping) -> str:
    """A stored run file's text: keys sorted, no spaces, no NaN, one entry of ``runs`` per line.

    The one writer of the stored experiments and studies (``bpttlib.memorization``,
    ``bpttlib.regularizer_study``): equal data give equal bytes.
    """
    head = {k: v for k, v in data.items() if k != "runs"}
    lines = [json.dumps(r, sort_keys=True, separators=(",", ":"), allow_nan=False)
             for r in data["runs"]]
    text = json.dumps(head, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text[:-1] + ',"runs":[\n' + ",\n".join(lines) + "\n]}\n"


_RUN_KEYS = {"model", "T", "seed", "lr", "steps", "eval", "train", "final", "stopped"}
_TOP_KEYS = {"format", "bpttlib_version", "config", "config_sha256", "task", "baselines", "runs"}


def validate(data: object) -> dict:
    """Check an experiment's layout (see :func:`run_experiment`); raise ``ValueError`` if not.

    Returns
    -------
    dict
        ``data`` itself.
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"data: expected a mapping, got {type(data).__name__}")
    if set(data) != _TOP_KEYS:
        raise ValueError(f"data: expected the keys {sorted(_TOP_KEYS)}, got {sorted(data)}")
    if data["format"] != FORMAT:
        raise ValueError(f"data: expected format {FORMAT}, got {data['format']!r}")
    if config_hash(data["config"]) != data["config_sha256"]:
        raise ValueError("data: config_sha256 does not match the stored config")
    config = data["config"]
    for i, run in enumerate(data["runs"]):
        where = f"data['runs'][{i}]"
        if not isinstance(run, Mapping) or set(run) != _RUN_KEYS:
            raise ValueError(f"{where}: expected the keys {sorted(_RUN_KEYS)}")
        n = len(run["steps"])
        if n < 2 or len(run["eval"]) != n or len(run["train"]) != n - 1:
            raise ValueError(f"{where}: expected steps and eval of one length n >= 2 and "
                             f"train of length n - 1, got {n}, {len(run['eval'])}, "
                             f"{len(run['train'])}")
        if run["steps"][0] != 0 or any(b <= a for a, b in zip(run["steps"], run["steps"][1:])):
            raise ValueError(f"{where}: expected steps to start at 0 and increase")
        if run["model"] not in config["models"] or run["T"] not in config["lengths"]:
            raise ValueError(f"{where}: model {run['model']!r} or T={run['T']} is not in "
                             f"the config")
        values = [*run["eval"], *run["train"], *run["final"].values()]
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise ValueError(f"{where}: expected finite numbers")
    return data


def available() -> list[str]:
    """Names of the experiments stored with the library (e.g. ``["adding", "copy"]``)."""
    folder = resources.files("bpttlib").joinpath("data", "experiments")
    if not folder.is_dir():
        return []
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def load(name: str) -> dict:
    """Load a stored experiment (written by ``make experiments``) and check its layout.

    Parameters
    ----------
    name : str
        One of :func:`available`, e.g. ``"adding"``.

    Returns
    -------
    dict
        As returned by :func:`run_experiment`.
    """
    _checks.check_name(name, "name", available())
    path = resources.files("bpttlib").joinpath("data", "experiments", f"{name}.json")
    return validate(json.loads(path.read_text(encoding="utf-8")))


def final_table(data: Mapping, models: Sequence[str] | None = None) -> list[dict]:
    """One row per (model, T): the final held-out loss over the baseline and the solved rate,
    as median and range over the seeds.

    Parameters
    ----------
    data : mapping
        A stored experiment (:func:`load`).
    models : sequence of str, optional
        Only these models, in this order (default: all, in the order of the runs).

    Returns
    -------
    list of dict
        ``model``, ``T``, ``lr``, ``baseline``, ``seeds`` (how many runs), and three
        :class:`bpttlib.seeds.Summary` over the seeds: ``loss`` (final held-out loss),
        ``ratio`` (loss / baseline) and ``solved``; in the order of the runs.

    Notes
    -----
    A single training run is chaotic (its last digits, and after a while its whole curve,
    depend on the CPU's floating-point kernels), so the chapters quote these medians and
    ranges, never one run.
    """
    validate(data)
    order = list(data["config"]["models"] if models is None else models)
    for m in order:
        if m not in data["config"]["models"]:
            raise ValueError(f"models: expected names from {data['config']['models']}, got {m!r}")
    rows: dict[tuple, list] = {}
    for run in sorted(data["runs"], key=lambda r: order.index(r["model"])
                      if r["model"] in order else -1):
        if run["model"] in order:
            rows.setdefault((run["model"], run["T"], run["lr"]), []).append(run["final"])
    table = []
    for (model, T, lr), finals in rows.items():
        base = baseline(data["task"], T)
        losses_ = [f["eval"] for f in finals]
        table.append({"model": model, "T": T, "lr": lr, "baseline": base,
                      "loss": seeds.summarize(losses_),
                      "ratio": seeds.summarize([v / base for v in losses_]),
                      "solved": seeds.summarize([f["solved"] for f in finals]),
                      "seeds": len(finals)})
    return table


def format_table(data: Mapping, models: Sequence[str] | None = None) -> str:
    """:func:`final_table` as fixed-width text: medians, with the range over seeds."""
    lines = [f"{'model':<11}{'T':>5}{'lr':>8}{'baseline':>10}{'loss / baseline':>22}"
             f"{'solved':>18}{'seeds':>7}"]
    for r in final_table(data, models):
        ratio, solved = r["ratio"], r["solved"]
        lines.append(f"{r['model']:<11}{r['T']:>5}{r['lr']:>8g}{r['baseline']:>10.4f}"
                     f"{ratio.median:>8.3f} ({ratio.low:.3f}–{ratio.high:.3f})"
                     f"{solved.median:>6.2f} ({solved.low:.2f}–{solved.high:.2f})"
                     f"{r['seeds']:>7d}")
    return "\n".join(lines)


def steps_to(data: Mapping, model: str, T: int, level: float) -> seeds.Summary:
    """How many training steps each run of ``model`` at length ``T`` took until its held-out
    loss first fell below ``level``, over the seeds.

    Parameters
    ----------
    data : mapping
        A stored experiment (:func:`load`).
    model : str
        One of the experiment's models.
    T : int
        One of the experiment's lengths.
    level : float
        A held-out loss per scored step (e.g. a tenth of the baseline), finite and positive.

    Returns
    -------
    Summary
        One value per seed: the first evaluation step below ``level``, or ``inf`` for a run
        that never got there.

    Notes
    -----
    Read off the stored curves only (evaluations every ``eval_every`` steps), so the values
    are multiples of ``eval_every``.
    """
    validate(data)
    _checks.check_name(model, "model", tuple(data["config"]["models"]))
    if T not in data["config"]["lengths"]:
        raise ValueError(f"T: expected one of {data['config']['lengths']}, got {T!r}")
    level = _checks.check_real(level, "level", positive=True)
    runs = [r for r in data["runs"] if r["model"] == model and r["T"] == T]
    return seeds.summarize(next((s for s, e in zip(r["steps"], r["eval"]) if e < level),
                                math.inf) for r in runs)
