"""Tests for bpttlib.agreement: the stored study's file, a reduced rerun, validation."""

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bpttlib import agreement, seeds

ROOT = Path(__file__).resolve().parents[1]


def test_stored_study_matches_the_configuration():
    data = agreement.load()
    assert data["config"] == agreement.CONFIG
    assert data["config_hash"] == agreement.config_hash(agreement.CONFIG)
    assert len(data["config"]["seeds"]) >= 3
    # the file is what dumps writes: deterministic bytes, no dates or timings
    path = ROOT / "src" / "bpttlib" / "data" / "studies" / "agreement.json"
    assert agreement.dumps(data) == path.read_text(encoding="utf-8")
    for word in ("time", "date", "seconds"):
        assert word not in path.read_text(encoding="utf-8")


def test_accuracy_table_summarises_over_seeds():
    data = agreement.load()
    table = agreement.accuracy_table(data)
    for m in data["config"]["models"]:
        for d in data["config"]["distances"]:
            vals = [r["accuracy"] for r in data["runs"] if r["model"] == m and r["distance"] == d]
            assert isinstance(table[m][d], seeds.Summary)
            assert table[m][d].median == pytest.approx(float(np.median(vals)), abs=1e-12)
    by_k = agreement.accuracy_table(data, "by_attractors")
    assert len(by_k["rnn"][5]) == len(data["config"]["attractors"])


def test_reduced_rerun_keeps_the_margin_safe_claims(tmp_path):
    data = agreement.run(agreement.REDUCED)
    agreement.validate(data)
    acc = {r["distance"]: r["accuracy"] for r in data["runs"]}
    assert acc[5] > 0.95                       # short distance: learned
    assert acc[40] < 0.9                       # distance 40: the tanh RNN fails
    text = agreement.dumps(data)
    assert agreement.dumps(agreement.validate(__import__("json").loads(text))) == text


def test_the_study_is_not_listed_among_the_experiments():
    from bpttlib import experiments

    assert "agreement" not in experiments.available()


def test_run_py_help_lists_the_study():
    out = subprocess.run([sys.executable, str(ROOT / "experiments" / "run.py"), "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "agreement" in out


@pytest.mark.parametrize("change, exc, match", [
    (lambda d: d.pop("runs"), ValueError, "data"),
    (lambda d: d.update(config_hash="0" * 16), ValueError, "data"),
    (lambda d: d["runs"].pop(), ValueError, "data"),
    (lambda d: d["runs"][0].update(accuracy=1.5), ValueError, "data"),
    (lambda d: d["config"].update(models=["lstm"]), ValueError, "config"),
])
def test_validate_rejects_broken_data(change, exc, match):
    data = copy.deepcopy(agreement.load())
    change(data)
    with pytest.raises(exc, match=rf"^{match}"):
        agreement.validate(data)


@pytest.mark.parametrize("call, exc, name", [
    (lambda: agreement.run_one("lstm", 5, 0, agreement.CONFIG), ValueError, "model"),
    (lambda: agreement.run_one("rnn", 1, 0, agreement.CONFIG), ValueError, "distance"),
    (lambda: agreement.run_one("rnn", 5, 0, {}), ValueError, "config"),
    (lambda: agreement.run([1, 2]), TypeError, "config"),
    (lambda: agreement.accuracy_table(agreement.load(), "loss"), ValueError, "key"),
    (lambda: agreement.validate(3), TypeError, "data"),
])
def test_bad_input_names_the_argument(call, exc, name):
    with pytest.raises(exc, match=rf"^{name}"):
        call()
