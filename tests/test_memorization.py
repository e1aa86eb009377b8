"""The connectivity study (bpttlib.memorization): its stored file, a tiny run, a reduced rerun."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bpttlib import connectivity, experiments, memorization, tasks

TINY = {
    "models": ["rnn", "lstm", "gru"], "lr": {"rnn": 0.001, "lstm": 0.01, "gru": 0.01},
    "seeds": [0, 1], "batch_size": 4, "clip_norm": 1.0, "eval_size": 5,
    "tasks": {"adding": {"lengths": [6], "n_hidden": 4, "steps": 3},
              "copy": {"lengths": [3], "n_hidden": 4, "steps": 3}},
}


@pytest.fixture(scope="module")
def tiny():
    return memorization.run(TINY)


def test_the_stored_study_is_valid_and_complete():
    data = memorization.load()
    cfg = data["config"]
    assert cfg == memorization.CONFIG                      # the file holds the current study
    assert data["config_sha256"] == experiments.config_hash(cfg)
    assert len(cfg["seeds"]) >= 3
    expected = {(task, T, m, s) for task, spec in cfg["tasks"].items() for T in spec["lengths"]
                for m in cfg["models"] for s in cfg["seeds"]}
    assert {(r["task"], r["T"], r["model"], r["seed"]) for r in data["runs"]} == expected
    for r in data["runs"]:
        n = r["T"] if r["task"] == "adding" else r["T"] + 9
        assert len(r["trained"]["mean"]) == len(r["init"]["example"]) == n


def test_the_stored_bytes_are_canonical():
    path = memorization.resources.files("bpttlib") / "data" / "studies" / "connectivity.json"
    text = path.read_text(encoding="utf-8")
    assert memorization.dumps(json.loads(text)) == text


def test_tiny_run_round_trips(tiny):
    text = memorization.dumps(tiny)
    assert memorization.dumps(json.loads(text)) == text
    assert len(tiny["runs"]) == 2 * 3 * 2
    assert memorization.dumps(memorization.run(TINY)) == text          # deterministic


def test_the_summaries_follow_their_definition():
    T = 6
    params = experiments.make_params("gru", "adding", 4, seed=0)
    xs, _ = tasks.adding_problem(5, T, seed=memorization.HELDOUT_SEED)
    where = memorization.marked("adding", xs)
    assert where.sum(axis=0).tolist() == [2] * 5
    conn = connectivity.connectivity(params, xs)
    got = memorization._summary("adding", params, xs, where)
    ratio = np.median(connectivity.position_ratio(conn, where))
    assert got["ratio"] == pytest.approx(ratio, rel=1e-3)
    np.testing.assert_allclose(got["mean"], conn.mean(axis=1), rtol=1e-3)
    copy_xs, _ = tasks.copy_task(3, 4, seed=0)
    m = memorization.marked("copy", copy_xs)
    assert m.shape == (13, 3) and m[:10].all() and not m[10:].any()


def test_example_marks(tiny):
    marks = memorization.example_marks(tiny, "adding")
    xs, _ = tasks.adding_problem(5, 6, seed=memorization.HELDOUT_SEED)
    assert marks == {6: [int(t) + 1 for t in np.flatnonzero(xs[:, 0, 1])]}
    assert memorization.example_marks(tiny, "copy") == {3: list(range(1, 11))}


@pytest.mark.parametrize("bad, match", [
    ({"format": 99}, "data"), ({"config_sha256": "0" * 64}, "config_sha256"),
])
def test_validate_rejects(tiny, bad, match):
    with pytest.raises(ValueError, match=match):
        memorization.validate(tiny | bad)


def test_reduced_rerun_keeps_the_margin_safe_claims():
    """The GRU on the adding problem at T = 25, one seed (about 10 s): it learns, and its
    connectivity to the far marked input grows from a fraction of the unmarked median to many
    times it. (The stored runs: far ratio 13–23 after training, below 0.06 before.)"""
    config = dict(memorization.CONFIG, models=["gru"], seeds=[0],
                  tasks={"adding": {"lengths": [25], "n_hidden": 32, "steps": 800}})
    run = memorization.run(config)["runs"][0]
    assert run["loss_ratio"] < 0.1
    assert run["init"]["far"] < 0.5
    assert run["trained"]["far"] > 5
