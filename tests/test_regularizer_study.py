"""bpttlib.regularizer_study: the stored study behind book/clipping.md's regulariser section
(its structure, hash and the chapter's claims) and a reduced rerun through experiments/run.py's
code path."""

import json

import numpy as np
import pytest

from bpttlib import regularizer_study as study


def test_stored_study_is_valid_and_complete():
    data = study.load()
    assert data["config"] == study.CONFIG
    assert len(data["runs"]) == len(study.CONFIG["alphas"]) * len(study.CONFIG["seeds"]) >= 6
    blocks = study.CONFIG["steps"] // study.CONFIG["eval_every"]
    for run in data["runs"]:
        assert run["stopped"] is None
        assert len(run["curve"]) == blocks
        assert np.isfinite(run["curve"]).all() and min(run["curve"]) > 0


def test_stored_bytes_are_what_dumps_writes():
    from importlib import resources
    path = resources.files("bpttlib").joinpath("data", "studies", "regularizer.json")
    text = path.read_text(encoding="utf-8")
    assert study.dumps(json.loads(text)) == text


def test_validate_rejects_a_changed_config():
    data = json.loads(json.dumps(study.load()))
    data["config"]["steps"] = 10
    with pytest.raises(ValueError, match="config_sha256"):
        study.validate(data)
    data = json.loads(json.dumps(study.load()))
    data["runs"] = data["runs"][1:]
    with pytest.raises(ValueError, match="runs"):
        study.validate(data)


def test_final_ratios_and_bad_alpha():
    data = study.load()
    for alpha in study.CONFIG["alphas"]:
        s = study.final_ratios(data, alpha)
        assert s.n == len(study.CONFIG["seeds"]) and 0 < s.low <= s.median <= s.high
    with pytest.raises(ValueError, match="alpha:"):
        study.final_ratios(data, 0.5)
    with pytest.raises(ValueError, match="alpha:"):
        study.final_ratios(data, -1.0)


@pytest.mark.slow
def test_reduced_rerun_leaves_the_first_block_behind():
    data = study.run(study.REDUCED)
    study.validate(data)
    for run in data["runs"]:     # first block ~2.2 x baseline; after 150 steps near 1
        assert run["stopped"] is None and run["curve"][-1] < 0.7 * run["curve"][0]


def test_steps_to_reads_the_first_block_below_the_level():
    data = study.load()
    every = study.CONFIG["eval_every"]
    for alpha in study.CONFIG["alphas"]:
        steps = study.steps_to(data, alpha, 0.5)
        runs = sorted((r for r in data["runs"] if r["alpha"] == alpha), key=lambda r: r["seed"])
        for s, r in zip(steps, runs):
            if np.isfinite(s):
                assert r["curve"][int(s) // every - 1] < 0.5
                assert all(v >= 0.5 for v in r["curve"][: int(s) // every - 1])
            else:
                assert min(r["curve"]) >= 0.5
    assert study.steps_to(data, 0.0, 1e9) == [float(every)] * len(study.CONFIG["seeds"])
    with pytest.raises(ValueError, match="level:"):
        study.steps_to(data, 0.0, 0.0)
