"""The runner's pieces: thresholds and points, verdicts, charts, the bounded tail, Ctrl-C, the process sweep."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from dlpath.grading.protocol import Curves, Failure, FailureKind, SandboxReport
from dlpath.grading.report import CheckOutcome, GradeReport, verdict
from dlpath.grading.child import OutputTail, scrubbed_environment
from dlpath.grading.processes import group_members
from dlpath.grading.thresholds import ThresholdResult, compare, margin
from dlpath.grading.project import Threshold
from dlpath.render.grading import curve_charts, render_check
from tests.conftest import learner_folder, processes_in


def test_compare_min_max_missing_and_points() -> None:
    thresholds = (Threshold("acc", min=0.9, weight=2), Threshold("params", max=100), Threshold("mse", min=0.1, max=0.2))
    results = compare(thresholds, {"acc": 0.95, "params": 101.0, "mse": float("nan")})
    assert [(r.metric, r.target, r.passed, r.points, r.weight) for r in results] == [
        ("acc", ">= 0.9", True, 2.0, 2.0), ("params", "<= 100", False, 0.0, 1.0),
        ("mse", "between 0.1 and 0.2", False, 0.0, 1.0)]
    assert [r.value for r in compare(thresholds, None)] == [None, None, None]
    assert margin(results[0]) == pytest.approx(0.05) and margin(results[1]) == pytest.approx(-1.0)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (Failure(FailureKind.TIMEOUT, budget_s=60.0), "stopped after the 60 s budget"),
        (Failure(FailureKind.RAISED, "bad\nmore", "ValueError", "train.py", 42), "your code raised ValueError at train.py:42: bad"),
        (Failure(FailureKind.RAISED, "x", "RuntimeError", stage="evaluate"), "evaluating your model raised RuntimeError: x"),
        (Failure(FailureKind.EXIT, "sys.exit(2)", file="train.py", line=9),
         "your code called sys.exit(2) at train.py:9 before grading finished"),
        (Failure(FailureKind.SIGNAL, signal="SIGSEGV"),
         "the process crashed with a segmentation fault (SIGSEGV) before grading finished"),
        (Failure(FailureKind.CONTRACT, "train.py has no function build_model(info)"),
         "train.py does not follow the contract: train.py has no function build_model(info)"),
        (Failure(FailureKind.MEMORY, memory_mb=600, peak_mb=612.0), "stopped: your code used more than the 600 MB memory cap (peak 612 MB)"),
        (Failure(FailureKind.MEMORY, memory_mb=600, requested_mb=65536.0),
         "stopped: your code asked for 64.0 GB at once, more than the 600 MB memory cap allows"),
    ],
)
def test_each_failure_kind_owns_its_verdict(failure: Failure, expected: str) -> None:
    assert verdict(False, [], failure) == expected
    assert failure.kind.code  # and its diagnosis code


def test_threshold_verdicts() -> None:
    results = [ThresholdResult("test_accuracy", ">= 0.9", 0.62, False), ThresholdResult("parameters", "<= 10", 5, True),
               ThresholdResult("test_mse", "<= 0.3", float("inf"), False)]
    assert verdict(False, results, None) == ("test_accuracy is 0.62, which misses its target >= 0.9; "
                                             "test_mse is not finite, which misses its target <= 0.3")
    assert verdict(True, results[1:2], None) == "every threshold met"


def test_curves_choose_one_x_axis_and_split_losses_from_metrics() -> None:
    curves = Curves.from_points([{"step": 10.0, "epoch": 1.0, "train_loss": 1.0, "val_accuracy": 0.5},
                                 {"epoch": 2.0, "train_loss": 0.5, "note": "text"}])
    assert curves.x == "epoch"
    assert [(s.name, s.kind) for s in curves.series] == [("step", "metric"), ("train_loss", "loss"),
                                                          ("val_accuracy", "metric")]
    assert curves.points("train_loss") == [(1.0, 1.0), (2.0, 0.5)]
    assert Curves.from_points([{"loss": 3.0}, {"loss": 2.0}]).points("loss") == [(0.0, 3.0), (1.0, 2.0)]


def test_charts_fit_the_data_and_keep_overlapping_series_apart() -> None:
    curves = Curves.from_points([{"epoch": float(e), "train_loss": 0.24, "val_loss": 0.24} for e in range(1, 6)])
    (title, chart), = curve_charts(curves, width=50, height=8)
    assert title == "losses by epoch"
    assert "train_loss" in chart and "val_loss" in chart
    assert "x val_loss" in chart or "x" in chart.split("val_loss")[0][-3:]  # a marker of its own without colour
    assert "\x1b" not in chart and "-0.2" not in chart  # no colour codes; no axis far below the data
    assert max(len(line) for line in chart.splitlines()) <= 50
    nan = Curves.from_points([{"epoch": 1.0, "loss": float("nan")}])
    assert curve_charts(nan)[0][1] == "(no finite values to plot; 1 not finite)"


def test_tail_is_bounded() -> None:
    tail = OutputTail(limit=100)
    for i in range(10_000):
        tail.add(f"line {i}\n".encode())
    assert tail.total == sum(len(f"line {i}\n") for i in range(10_000))
    assert len(tail.text()) <= 100 and tail.text().endswith("line 9999\n")
    assert len(tail.data) <= 200


def _report(**changes) -> GradeReport:
    base = dict(
        project="demo", lesson="lesson", task="classification", passed=False, verdict="stopped after the 3 s budget",
        score=0.0, max_score=1.0, thresholds=[ThresholdResult("test_accuracy", ">= 0.9", None, False)], diagnoses=[],
        curves=Curves.from_points([{"epoch": 1.0, "train_loss": 0.9}, {"epoch": 2.0, "train_loss": 0.5}]), seed=42,
        device="cpu", budget_s=3.0, memory_mb=1024, duration_s=4.2, training_s=3.0, peak_memory_mb=300.0,
        sandbox=SandboxReport("full", "writes limited to the project folder", True, True, True, True, True,
                              judge_memory_mb=2048),
        failure=Failure(FailureKind.TIMEOUT, budget_s=3.0), output_tail="epoch 1\x1b[2J\nepoch 2\n")
    base.update(changes)
    return GradeReport(**base)


def test_report_renders_to_80_columns_and_keeps_escape_codes_out() -> None:
    out = io.StringIO()
    render_check(CheckOutcome(_report(), recorded=True), Console(file=out, width=80, no_color=True))
    text = out.getvalue()
    assert "NOT YET  demo: stopped after the 3 s budget" in text
    assert "test_accuracy  >= 0.9" in text and "-  fail" in text
    assert "Losses by epoch" in text and "train_loss" in text
    assert "The end of your code's output:\n  epoch 1\n  epoch 2" in text
    assert "\x1b" not in text
    assert "test seed 42" in text
    assert "\nSandbox: full (files, network, processes, signals, sockets); judge cap 2048 MB\n" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_a_grade_that_could_not_be_recorded_says_so() -> None:
    out = io.StringIO()
    outcome = CheckOutcome(_report(passed=True, failure=None, verdict="every threshold met"),
                           record_problem="the disk holding /x is full.")
    render_check(outcome, Console(file=out, width=100, no_color=True))
    assert "PASSED  demo: every threshold met" in out.getvalue()
    assert "This grade was NOT recorded: the disk holding /x is full." in " ".join(out.getvalue().split())


def test_the_learner_environment_holds_no_dlpath_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLPATH_PROJECTS", "/somewhere")
    monkeypatch.setenv("SECRET_TOKEN", "x")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    env = scrubbed_environment("/tmp/private")
    assert not [k for k in env if k.startswith("DLPATH_")] and "SECRET_TOKEN" not in env
    assert env["OMP_NUM_THREADS"] == "2" and env["TMPDIR"] == "/tmp/private"


def test_group_members_sees_a_group_and_its_escapees() -> None:
    code = "import os, time\nif os.fork() == 0:\n    os.setsid(); time.sleep(30)\nelse:\n    time.sleep(30)\n"
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        members: set[int] = set()
        while time.monotonic() < deadline:
            members = group_members(proc.pid, {proc.pid})
            if len(members) == 2:
                break
            time.sleep(0.05)
        assert proc.pid in members and len(members) == 2
    finally:
        for pid in group_members(proc.pid, {proc.pid}):
            os.kill(pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.slow
def test_ctrl_c_stops_every_process_and_exits_130(tmp_path: Path) -> None:
    from tests.conftest import FIXTURE_PROJECTS

    env = dict(os.environ, DLPATH_PROJECTS=str(FIXTURE_PROJECTS))
    folder = learner_folder(tmp_path, "hangs")
    proc = subprocess.Popen([sys.executable, "-m", "dlpath", "check", str(folder), "--timeout", "120"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as at a terminal
    assert proc.stdout is not None
    seen = ""
    for line in proc.stdout:
        seen += line
        if line.startswith("Training on"):
            break
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, seen + rest
    assert "interrupted." in rest
    left = processes_in(folder)
    assert left == []
    from dlpath.learner.store import open_store

    with open_store() as store:
        assert store.attempts(project="rings") == []  # an interrupted check is not an attempt
