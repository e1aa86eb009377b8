"""The stored study behind the clipping chapter's regulariser section (``run.py --only
regularizer``): a tanh RNN on the adding problem, trained with and without Pascanu's
regulariser (:mod:`bpttlib.regularizer`), over seeds.

The JSON file records the configuration, its hash and the library version and no date or
timing, so a rerun on the same machine writes the same bytes. Learning curves are stored as
means over blocks of ``eval_every`` steps (of the loss divided by the baseline 1/6).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib import resources

import numpy as np

from . import _checks, experiments, regularizer, rnn, seeds, tasks, train

__all__ = ["CONFIG", "REDUCED", "run", "dumps", "load", "validate", "final_ratios", "steps_to"]

#: The stored configuration (3 seeds × 2 settings; about 7 CPU-minutes on the book's machine).
CONFIG = {
    "task": "adding",
    "T": 50,
    "n_hidden": 32,
    "batch_size": 32,
    "steps": 1500,
    "lr": 0.001,
    "clip_norm": 1.0,
    "alphas": [0.0, 0.1],
    "seeds": [0, 1, 2],
    "eval_every": 50,
}

#: The test's short rerun (same code, fewer steps, one seed).
REDUCED = dict(CONFIG, steps=150, seeds=[0])


#: The hash of a configuration, as the stored experiments compute it.
config_hash = experiments.config_hash


def _run_one(job: tuple) -> dict:
    config, alpha, seed = job
    p0 = rnn.init(2, config["n_hidden"], 1, spectral_radius=1.0, seed=seed)
    data = train.task_data(config["task"], batch_size=config["batch_size"], T=config["T"],
                           seed=seed)
    fit = train.fit(p0, regularizer.regularized_objective(alpha), data, steps=config["steps"],
                    optimizer=train.Adam(config["lr"]), clip_norm=config["clip_norm"])
    ratio = fit.history.loss / tasks.adding_baseline()
    block = config["eval_every"]
    curve = ratio[: len(ratio) // block * block].reshape(-1, block).mean(axis=1)
    return {"alpha": alpha, "seed": seed, "stopped": fit.stopped,
            "curve": [float(f"{v:.6g}") for v in curve]}


def run(config: Mapping = CONFIG, *, map_fn: Callable = map,
        report: Callable[[str], None] | None = None) -> dict:
    """Train every (alpha, seed) of ``config``; return the data to store.

    Parameters
    ----------
    config : mapping
        Keys as in :data:`CONFIG`.
    map_fn : callable
        ``map`` or a pool's ``map`` (results do not depend on it).
    report : callable, optional
        Called with one line per finished run.

    Returns
    -------
    dict
        ``config``, ``config_sha256``, ``bpttlib_version`` and ``runs`` (one per alpha and
        seed: ``curve``, the loss / baseline averaged over blocks of ``eval_every`` steps).

    Notes
    -----
    Book label: eq-pascanu-regularizer.
    """
    from . import __version__

    config = json.loads(json.dumps(dict(config), allow_nan=False))
    jobs = [(config, float(a), int(s)) for a in config["alphas"] for s in config["seeds"]]
    runs = []
    for r in map_fn(_run_one, jobs):
        runs.append(r)
        if report:
            report(f"alpha={r['alpha']:g} seed={r['seed']}: last block {r['curve'][-1]:.3f}")
    return {"config": config, "config_sha256": config_hash(config),
            "bpttlib_version": __version__, "runs": runs}


def dumps(data: Mapping) -> str:
    """Deterministic JSON text (sorted keys, one run per line)."""
    validate(data)
    return experiments.canonical_json(data)


def validate(data: object) -> dict:
    """Check the structure and the hash of stored data; return it.

    Raises
    ------
    ValueError
        If a key is missing, the hash does not match the configuration or a run is missing.
    """
    _checks.check_instance(data, "data", dict)
    for key in ("config", "config_sha256", "bpttlib_version", "runs"):
        if key not in data:
            raise ValueError(f"data: expected the key {key!r}, got keys {sorted(data)}")
    if config_hash(data["config"]) != data["config_sha256"]:
        raise ValueError("data: config_sha256 does not match the configuration")
    want = {(float(a), int(s)) for a in data["config"]["alphas"] for s in data["config"]["seeds"]}
    have = {(float(r["alpha"]), int(r["seed"])) for r in data["runs"]}
    if want != have:
        raise ValueError(f"data: expected runs {sorted(want)}, got {sorted(have)}")
    return data


def load() -> dict:
    """The stored study (``src/bpttlib/data/studies/regularizer.json``), validated."""
    path = resources.files("bpttlib").joinpath("data", "studies", "regularizer.json")
    return validate(json.loads(path.read_text(encoding="utf-8")))


def final_ratios(data: Mapping, alpha: float, *, blocks: int = 4) -> seeds.Summary:
    """Median and range over seeds of the loss / baseline over the last ``blocks`` blocks."""
    alpha = _checks.check_real(alpha, "alpha", nonnegative=True)
    blocks = _checks.check_size(blocks, "blocks")
    values = [float(np.mean(r["curve"][-blocks:])) for r in data["runs"]
              if float(r["alpha"]) == alpha]
    if not values:
        raise ValueError(f"alpha: expected one of {data['config']['alphas']}, got {alpha}")
    return seeds.summarize(values)


def steps_to(data: Mapping, alpha: float, level: float) -> list[float]:
    """For each seed of ``alpha``: the first step whose block mean of loss / baseline is below
    ``level`` (the block's last step), or ``inf`` if no block gets there.

    Raises
    ------
    ValueError
        If ``alpha`` is not in the study or ``level`` is not positive.
    """
    alpha = _checks.check_real(alpha, "alpha", nonnegative=True)
    level = _checks.check_real(level, "level", positive=True)
    every = int(data["config"]["eval_every"])
    out = []
    for r in sorted(data["runs"], key=lambda r: r["seed"]):
        if float(r["alpha"]) != alpha:
            continue
        below = np.flatnonzero(np.asarray(r["curve"]) < level)
        out.append(float((below[0] + 1) * every) if below.size else float("inf"))
    if not out:
        raise ValueError(f"alpha: expected one of {data['config']['alphas']}, got {alpha}")
    return out
