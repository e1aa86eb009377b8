"""The agreement study of Part II (the chapter :doc:`/book/agreement`).

A tanh RNN and a GRU learn the toy subject–verb agreement task of
:func:`bpttlib.tasks.agreement_task` in a "language" whose distractor nouns mostly share the
subject's number (``match``), so that two rules fit the training data: *syntactic* agreement
with the subject, right always, and *sequential recency*, agreement with the last noun, right
on most sequences. Each model is trained at several subject–verb distances over several seeds
and tested on fresh sequences with exactly ``k`` attractors (nouns of the other number).

``experiments/run.py --only agreement`` writes ``data/studies/agreement.json`` (the
configuration, its hash and the library version; no dates or timings); :func:`load` reads it
back. The chapter states medians and ranges over the seeds, never a single run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from importlib import resources

import numpy as np

from . import _checks, gated, rnn, seeds, tasks, train

__all__ = ["CONFIG", "REDUCED", "MODELS", "run_one", "run", "dumps", "validate", "load",
           "accuracy_table"]

#: Version of the data format written by :func:`dumps`.
FORMAT = 1
#: The models: the tanh RNN (Gaussian ``W_s`` of spectral radius 1) and the GRU.
MODELS = ("rnn", "gru")

#: The stored study (see ``experiments/run.py``).
CONFIG: dict = {
    "models": list(MODELS),
    "distances": [5, 10, 20, 40],
    "seeds": [0, 1, 2, 3, 4],
    "match": 0.8,
    "attractors": [0, 1, 2, 3, 4],
    "n_hidden": 16,
    "batch_size": 32,
    "steps": 400,
    "optimizer": "momentum",
    "lr": 0.1,
    "clip_norm": 1.0,
    "test_size": 1000,
}

#: The reduced rerun of ``tests/test_agreement.py``: two distances, one seed.
REDUCED: dict = dict(CONFIG, models=["rnn"], distances=[5, 40], seeds=[0], test_size=400)

_KEYS = tuple(CONFIG)


def _check_config(config: Mapping) -> dict:
    if not isinstance(config, Mapping):
        raise TypeError(f"config: expected a mapping, got {type(config).__name__}")
    missing = [k for k in _KEYS if k not in config]
    if missing:
        raise ValueError(f"config: expected the keys {', '.join(_KEYS)}, missing "
                         f"{', '.join(missing)}")
    for m in config["models"]:
        _checks.check_name(m, "config['models']", MODELS)
    return {k: config[k] for k in _KEYS}


def config_hash(config: Mapping) -> str:
    """SHA-256 of the configuration's canonical JSON (the first 16 hex digits)."""
    text = json.dumps(_check_config(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _model(model: str, H: int, seed: int):
    """Initial parameters, objective and last-step logits ``(B, 2)`` of ``model``."""
    n_in = len(tasks.AGREEMENT_TOKENS)
    if model == "gru":
        params = gated.gru_init(n_in, H, 2, seed=seed)
        return params, train.gru_objective(loss="xent"), \
            lambda p, xs: gated.gru_forward(p, xs).outputs[-1]
    params = rnn.init(n_in, H, 2, spectral_radius=1.0, seed=seed)
    return params, train.rnn_objective(loss="xent"), lambda p, xs: rnn.forward(p, xs).outputs[-1]


_OPTIMIZERS = {"sgd": train.SGD, "momentum": train.Momentum, "adam": train.Adam}


def _optimizer(config):
    name = _checks.check_name(config["optimizer"], "config['optimizer']", tuple(_OPTIMIZERS))
    return _OPTIMIZERS[name](config["lr"])


def _batches(T: int, batch_size: int, match: float, seed: int) -> Callable[[int], tuple]:
    def data(step: int):
        xs, verbs = tasks.agreement_task(batch_size, T, seed=seed * 1_000_003 + step,
                                         match=match)
        targets, mask = tasks.many_to_one(verbs, T)
        return xs, targets, mask

    return data


def run_one(model: str, distance: int, seed: int, config: Mapping) -> dict:
    """Train one model at one subject–verb distance from one seed; test it.

    Parameters
    ----------
    model : {"rnn", "gru"}
    distance : int
        Steps from the subject to the verb, ``>= 2`` (sequences of ``T = distance + 1``).
    seed : int
        Seeds the initial weights and the training batches.
    config : mapping
        The keys of :data:`CONFIG`.

    Returns
    -------
    dict
        ``model``, ``distance``, ``seed``, ``accuracy`` (on fresh sequences of the training
        distribution), ``by_attractors`` (accuracy with exactly ``k`` attractors, one value per
        ``config["attractors"]``), ``recency`` (fraction of those answers that agree with the
        last noun, by ``k``), ``final_loss`` (mean training loss over the last 50 steps) and
        ``stopped``.

    Notes
    -----
    Adam with norm clipping (eq-clip-norm) on eq-loss-xent at the verb; test sequences use
    seeds no training batch uses.
    """
    config = _check_config(config)
    _checks.check_name(model, "model", MODELS)
    distance = _checks.check_int(distance, "distance", minimum=2)
    seed = _checks.check_seed(seed)
    T = distance + 1
    params, objective, logits = _model(model, config["n_hidden"], seed)
    fit = train.fit(params, objective, _batches(T, config["batch_size"], config["match"], seed),
                    steps=config["steps"], optimizer=_optimizer(config),
                    clip_norm=config["clip_norm"])
    n, test_seed = config["test_size"], 7_000_000 + seed
    xs, verbs = tasks.agreement_task(n, T, seed=test_seed, match=config["match"])
    record = {"model": model, "distance": distance, "seed": seed,
              "accuracy": float(np.mean(logits(fit.params, xs).argmax(-1) == verbs)),
              "by_attractors": [], "recency": []}
    for k in config["attractors"]:
        xs, verbs = tasks.agreement_task(n, T, seed=test_seed + 1 + k, n_attractors=k)
        guess = logits(fit.params, xs).argmax(-1)
        record["by_attractors"].append(float(np.mean(guess == verbs)))
        record["recency"].append(float(np.mean(guess == tasks.agreement_recency(xs)[0])))
    record["final_loss"] = float(np.mean(fit.history.loss[-50:]))
    record["stopped"] = fit.stopped
    return record


def _job(args):
    return run_one(*args)


def run(config: Mapping = CONFIG, *, map_fn: Callable = map,
        report: Callable[[str], object] | None = None) -> dict:
    """Every run of the study: models × distances × seeds.

    Parameters
    ----------
    config : mapping, optional
        Default :data:`CONFIG`.
    map_fn : callable, optional
        ``map`` or a process pool's ``map`` (results do not depend on it).
    report : callable, optional
        Called with one line per finished run.

    Returns
    -------
    dict
        ``format``, ``version``, ``config``, ``config_hash`` and ``runs`` (the records of
        :func:`run_one`, in the order models, distances, seeds).
    """
    from . import __version__

    config = _check_config(config)
    jobs = [(m, d, s, config) for m in config["models"] for d in config["distances"]
            for s in config["seeds"]]
    runs = []
    for rec in map_fn(_job, jobs):
        runs.append(rec)
        if report is not None:
            report(f"{rec['model']:4s} distance {rec['distance']:3d} seed {rec['seed']}: "
                   f"accuracy {rec['accuracy']:.3f}, by attractors "
                   + " ".join(f"{a:.2f}" for a in rec["by_attractors"]))
    return {"format": FORMAT, "version": __version__, "config": config,
            "config_hash": config_hash(config), "runs": runs}


def dumps(data: Mapping) -> str:
    """The study as deterministic JSON text (accuracies rounded to 4 digits)."""
    validate(data)

    def rounded(x):
        if isinstance(x, float):
            return round(x, 4)
        if isinstance(x, list):
            return [rounded(v) for v in x]
        if isinstance(x, dict):
            return {k: rounded(v) for k, v in x.items()}
        return x

    return json.dumps(rounded(dict(data)), indent=1, sort_keys=True) + "\n"


def validate(data: Mapping) -> Mapping:
    """Check a study's structure; return it.

    Raises
    ------
    ValueError
        If a key is missing, the hash does not match the configuration, a run is missing, or
        an accuracy is outside ``[0, 1]``.
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"data: expected a mapping, got {type(data).__name__}")
    for key in ("format", "version", "config", "config_hash", "runs"):
        if key not in data:
            raise ValueError(f"data: expected the key {key!r}")
    config = _check_config(data["config"])
    if data["config_hash"] != config_hash(config):
        raise ValueError("data: config_hash does not match the configuration")
    expected = [(m, d, s) for m in config["models"] for d in config["distances"]
                for s in config["seeds"]]
    got = [(r["model"], r["distance"], r["seed"]) for r in data["runs"]]
    if got != expected:
        raise ValueError(f"data: expected the runs {expected}, got {got}")
    k = len(config["attractors"])
    for r in data["runs"]:
        values = [r["accuracy"], *r["by_attractors"], *r["recency"]]
        if len(r["by_attractors"]) != k or len(r["recency"]) != k:
            raise ValueError(f"data: expected {k} values by attractors in run {r}")
        if not all(0.0 <= v <= 1.0 for v in values):
            raise ValueError(f"data: expected accuracies in [0, 1] in run {r}")
    return data


def load() -> dict:
    """The stored study (``bpttlib/data/studies/agreement.json``), validated."""
    ref = resources.files("bpttlib") / "data" / "studies" / "agreement.json"
    return validate(json.loads(ref.read_text(encoding="utf-8")))


def accuracy_table(data: Mapping, key: str = "accuracy") -> dict[str, dict]:
    """Summaries over seeds, by model and distance.

    Parameters
    ----------
    data : mapping
        A study (:func:`run` or :func:`load`).
    key : {"accuracy", "by_attractors", "recency"}

    Returns
    -------
    dict
        ``table[model][distance]``: a :class:`bpttlib.seeds.Summary` for ``"accuracy"``, a
        list of them (one per number of attractors) otherwise.
    """
    validate(data)
    _checks.check_name(key, "key", ("accuracy", "by_attractors", "recency"))
    config = data["config"]
    table: dict[str, dict] = {}
    for m in config["models"]:
        table[m] = {}
        for d in config["distances"]:
            rows = [r[key] for r in data["runs"] if r["model"] == m and r["distance"] == d]
            if key == "accuracy":
                table[m][d] = seeds.summarize(rows)
            else:
                table[m][d] = [seeds.summarize(col) for col in zip(*rows)]
    return table
