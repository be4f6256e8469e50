"""Attacks on the grader (tests/fixtures/attacks/): each one fails to pass, leaves the store as it was and
leaves no process behind. Each attack asserts inside itself that it really performed its trick."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import processes_in, FIXTURE_PROJECTS, FIXTURES

ATTACKS = FIXTURES / "attacks"
pytestmark = pytest.mark.slow


def attack_folder(tmp_path: Path, name: str, home: Path) -> Path:
    folder = (tmp_path / name).resolve()
    folder.mkdir()
    shutil.copyfile(ATTACKS / f"{name}.py", folder / "train.py")
    (folder / ".dlpath-project").write_text("project: rings\n")
    (folder / "store-path.txt").write_text(str(home / "progress.sqlite3"))
    (folder / "marker-path.txt").write_text(str(tmp_path / "daemon-was-here"))
    (folder / "project-path.txt").write_text(str(FIXTURE_PROJECTS / "rings"))
    return folder


def check(folder: Path, home: Path, *options: str) -> tuple[int, dict, str]:
    env = dict(os.environ, DLPATH_HOME=str(home), DLPATH_PROJECTS=str(FIXTURE_PROJECTS))
    proc = subprocess.run([sys.executable, "-m", "dlpath", "check", str(folder), "--json", "--device", "cpu",
                           "--seed", "4242", *options], env=env, capture_output=True, text=True, timeout=180)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def store_state(home: Path) -> tuple[list, list]:
    with sqlite3.connect(home / "progress.sqlite3") as db:
        completions = db.execute("SELECT lesson, how FROM completions").fetchall()
        attempts = db.execute("SELECT project, passed, verdict FROM attempts").fetchall()
    return completions, attempts


@pytest.mark.parametrize("name", ["patch_torch", "patch_dlpath", "stack_walk", "forge_channel", "read_seed_from_proc",
                                  "write_store", "setsid_daemon", "hidden_weights"])
def test_the_attack_does_not_pass(tmp_path: Path, name: str) -> None:
    home = tmp_path / "home"
    folder = attack_folder(tmp_path, name, home)
    status, report, stderr = check(folder, home)
    assert status == 1, (report, stderr)
    assert report["passed"] is False, report
    assert "AssertionError" not in report["output_tail"], report["output_tail"]  # the attack did its trick
    if name == "setsid_daemon":
        time.sleep(4)  # the daemon would write 3 s after it started
        assert not (tmp_path / "daemon-was-here").exists()
    assert processes_in(folder) == []
    completions, attempts = store_state(home)
    assert completions == []  # nothing marked passed, by the attack or by dlpath
    assert attempts == [("rings", 0, report["verdict"])]


def test_weights_hidden_from_parameters_are_counted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _, report, _ = check(attack_folder(tmp_path, "hidden_weights", home), home)
    thresholds = {t["metric"]: t for t in report["thresholds"]}
    assert thresholds["test_accuracy"]["passed"] is True  # the model is good: only the budget stops it
    assert thresholds["parameters"]["value"] > 60_000 and thresholds["parameters"]["passed"] is False
    assert "too-many-parameters" in [d["code"] for d in report["diagnoses"]]


def test_a_forged_message_stops_the_grade_with_a_verdict(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _, report, _ = check(attack_folder(tmp_path, "forge_channel", home), home)
    assert report["failure"]["kind"] == "protocol"
    assert report["verdict"] == ("the grader stopped your process: your process sent a 'result' message, which only "
                                 "the grader may send")


def test_the_seed_attack_is_real_without_the_sandbox(tmp_path: Path) -> None:
    """The same fixture, without the sandbox, finds the seed and gets every answer right (only the size
    budget, which its lookup table cannot be counted against, still stops it): the sandbox is what keeps
    the seed out of reach."""
    home = tmp_path / "home"
    folder = attack_folder(tmp_path, "read_seed_from_proc", home)
    _, report, _ = check(folder, home, "--no-sandbox")
    assert report["sandbox"]["level"] == "none"
    accuracy = next(t for t in report["thresholds"] if t["metric"] == "test_accuracy")
    assert accuracy["value"] == 1.0, report["verdict"]
    _, sandboxed, _ = check(folder, home)
    assert next(t for t in sandboxed["thresholds"] if t["metric"] == "test_accuracy")["value"] < 0.7


def test_the_sandbox_level_is_in_every_report(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _, report, _ = check(attack_folder(tmp_path, "patch_torch", home), home)
    sandbox = report["sandbox"]
    assert sandbox["level"] in ("full", "partial", "none") and sandbox["why"]
    if sys.platform.startswith("linux") and sandbox["level"] == "full":
        assert sandbox["filesystem"] and sandbox["network"] and sandbox["processes"]
