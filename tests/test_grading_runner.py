"""The runner's pieces: thresholds, verdicts, the text plot, the bounded tail, Ctrl-C, the hidden seed."""

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

from dlpath.grading.report import Check, GradeResult, verdict
from dlpath.grading.runner import _Tail, group_members
from dlpath.grading.thresholds import ThresholdResult, compare
from dlpath.projects import Threshold
from dlpath.render.grading import curve_plots, render_check, text_plot

FIXTURES = Path(__file__).parent / "fixtures" / "projects"


def test_compare_min_max_and_missing() -> None:
    thresholds = (Threshold("acc", min=0.9), Threshold("params", max=100), Threshold("mse", min=0.1, max=0.2))
    results = compare(thresholds, {"acc": 0.95, "params": 101.0, "mse": float("nan")})
    assert results == [
        ThresholdResult("acc", ">= 0.9", 0.95, True),
        ThresholdResult("params", "<= 100", 101.0, False),
        ThresholdResult("mse", "between 0.1 and 0.2", results[2].value, False),
    ]
    assert [r.value for r in compare(thresholds, None)] == [None, None, None]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        ({"kind": "timeout", "budget_s": 60.0}, "stopped after the 60 s budget"),
        ({"kind": "exception", "exc_type": "ValueError", "file": "train.py", "line": 42, "message": "bad\nmore"},
         "your code raised ValueError at train.py:42: bad"),
        ({"kind": "exception", "exc_type": "RuntimeError", "file": None, "line": None, "message": "x",
          "stage": "evaluate"}, "evaluating your model raised RuntimeError: x"),
        ({"kind": "exit", "message": "sys.exit(2)", "file": "train.py", "line": 9},
         "your code called sys.exit(2) at train.py:9 before grading finished"),
        ({"kind": "signal", "signal": "SIGSEGV", "message": ""},
         "the process crashed with a segmentation fault (SIGSEGV) before grading finished"),
        ({"kind": "contract", "message": "train.py has no function build_model(info)"},
         "train.py does not follow the contract: train.py has no function build_model(info)"),
    ],
)
def test_verdicts_in_words(failure: dict, expected: str) -> None:
    assert verdict(False, [], failure) == expected


def test_threshold_verdicts() -> None:
    results = [ThresholdResult("test_accuracy", ">= 0.9", 0.62, False), ThresholdResult("parameters", "<= 10", 5, True)]
    assert verdict(False, results, None) == "test_accuracy is 0.62, which misses its target >= 0.9"
    assert verdict(True, results, None) == "every threshold met"


def test_text_plot_draws_series_and_notes_non_finite() -> None:
    lines = text_plot({"a": [(1.0, 1.0), (2.0, 0.5), (3.0, float("nan"))], "b": [(1.0, 0.8), (3.0, 0.2)]},
                      width=20, height=5)
    assert lines[0].lstrip().startswith("1 |*")
    assert lines[-2].split() == ["1", "3"]
    assert lines[-1].strip() == "* a   o b   (1 non-finite value not shown)"
    assert all(len(line) <= 26 for line in lines[:-1])


def test_text_plot_log_scale_for_wide_ranges() -> None:
    lines = text_plot({"loss": [(float(i), 10.0 ** -i) for i in range(5)]}, width=10, height=5)
    assert "log scale" in lines[-1]
    assert text_plot({"x": [(1.0, float("inf"))]}) == ["(no finite values to plot; 1 non-finite)"]


def test_curve_plots_split_losses_from_metrics() -> None:
    curves = [{"epoch": float(e), "train_loss": 1.0 / e, "val_accuracy": 0.1 * e} for e in range(1, 6)]
    titles = [title for title, _ in curve_plots(curves)]
    assert titles == ["losses by epoch", "metrics by epoch"]


def test_tail_is_bounded() -> None:
    tail = _Tail(limit=100)
    for i in range(10_000):
        tail.add(f"line {i}\n".encode())
    assert tail.total == sum(len(f"line {i}\n") for i in range(10_000))
    assert len(tail.text()) <= 100 and tail.text().endswith("line 9999\n")
    assert len(tail.data) <= 200


def test_report_renders_to_80_columns() -> None:
    result = GradeResult(
        project="demo", passed=False, verdict="stopped after the 3 s budget", duration_s=4.2, device="cpu",
        thresholds=[ThresholdResult("test_accuracy", ">= 0.9", None, False)], diagnoses=[],
        output_tail="epoch 1\nepoch 2\n",
    )
    check = Check(result=result, curves=[{"epoch": 1.0, "train_loss": 0.9}, {"epoch": 2.0, "train_loss": 0.5}],
                  seed=42, budget_s=3)
    out = io.StringIO()
    render_check(check, Console(file=out, width=80, no_color=True))
    text = out.getvalue()
    assert "NOT YET  demo: stopped after the 3 s budget" in text
    assert "test_accuracy  >= 0.9" in text and "-  fail" in text
    assert "Losses by epoch" in text and "* train_loss" in text
    assert "The end of your code's output:\n  epoch 1\n  epoch 2" in text
    assert "test seed 42" in text
    assert max(len(line) for line in text.splitlines()) <= 80


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
def test_ctrl_c_stops_the_child_group_and_exits_130(tmp_path: Path) -> None:
    env = dict(os.environ, DLPATH_PROJECTS=str(FIXTURES))
    dlpath = [sys.executable, "-m", "dlpath"]
    subprocess.run([*dlpath, "start", "hangs", str(tmp_path / "h")], env=env, check=True, capture_output=True)
    proc = subprocess.Popen([*dlpath, "check", str(tmp_path / "h"), "--timeout", "120"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
    folder = str((tmp_path / "h").resolve())
    left = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{name}/cwd") == folder:
                with open(f"/proc/{name}/stat", "rb") as f:
                    if f.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X"):
                        left.append(int(name))
        except OSError:
            continue
    assert left == []
    from dlpath.progress import open_store

    with open_store() as store:
        assert store.attempts(project="hangs") == []  # an interrupted check is not an attempt
