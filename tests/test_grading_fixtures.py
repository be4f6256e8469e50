"""`dlpath check` end to end on fixture variants named by outcome.

Each variant (tests/fixtures/variants/<outcome>.py) is a train.py for the
tiny `rings` fixture project; each test asserts the verdict, the diagnosis
where there is one, the exit status, that the check ends (bounded time), that
no process is left behind, and that the store holds the attempt and is intact.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from dlpath.cli import app
from tests.conftest import processes_in, learner_folder

# variant -> (extra options, exit status, verdict starts with, a diagnosis code expected or None)
CASES = {
    "passes": ([], 0, "every threshold met", None),
    "below_threshold": ([], 1, "test_accuracy is 0.", "underfitting"),
    "raises": ([], 1, "your code raised ValueError at train.py:20: expected 3 features, got 2", "crashed"),
    "hangs": (["--timeout", "3"], 1, "stopped after the 3 s budget", "budget-exhausted"),
    "exits_early": ([], 1, "your code called sys.exit(3) at train.py:", "exited-early"),
    "aborts": ([], 1, "the process aborted (SIGABRT) before grading finished", "killed-by-signal"),
    "nan_loss": ([], 1, "test_accuracy is ", "learning-rate-too-high"),
    "floods_stdout": ([], 0, "every threshold met", None),
    "forks_and_lingers": ([], 0, "every threshold met", None),
    "memory_runaway": (["--memory-mb", "600"], 1, "stopped: your code", "out-of-memory"),
    "wrong_output_shape": ([], 1, "test_accuracy is 0", "wrong-output"),
    "softmax_before_ce": ([], None, "", "softmax-before-cross-entropy"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_outcome(runner, tmp_path: Path, fixture_projects: Path, name: str) -> None:
    options, status, verdict, code = CASES[name]
    folder = learner_folder(tmp_path, name)
    result = runner.invoke(app, ["check", str(folder), "--json", "--device", "cpu", "--seed", "11", *options])
    assert result.exit_code in (0, 1), result.output
    grade = json.loads(result.stdout)
    if status is not None:
        assert result.exit_code == status, grade
    assert grade["passed"] == (result.exit_code == 0)
    assert grade["verdict"].startswith(verdict), grade["verdict"]
    assert grade["project"] == "rings"
    assert grade["duration_s"] < 90  # it ends, whatever the code does
    assert {t["metric"] for t in grade["thresholds"]} == {"test_accuracy", "parameters"}
    assert grade["sandbox"]["level"] in ("full", "partial", "none") and grade["sandbox"]["why"]
    if code is not None:
        assert code in [d["code"] for d in grade["diagnoses"]], grade["diagnoses"]
    for d in grade["diagnoses"]:
        assert d["severity"] in ("error", "warning", "info") and isinstance(d["evidence"], list)
    if grade["passed"]:  # nothing explains a failure that did not happen
        assert not [d for d in grade["diagnoses"] if d["severity"] == "error"]
    assert processes_in(folder) == []

    from dlpath.learner.store import open_store, store_path

    with open_store() as store:
        attempts = store.attempts(project="rings")
        assert len(attempts) == 1
        # graded with --seed (to be reproducible): a pass is recorded as an attempt that does not count
        counted = grade["verdict"] + (", with --seed 11: not counted" if grade["passed"] else "")
        assert attempts[0].passed is False and attempts[0].verdict == counted
        assert attempts[0].seed == 11
    with sqlite3.connect(store_path()) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_memory_runaway_reports_the_peak(tmp_path: Path, fixture_projects: Path) -> None:
    from dlpath.grading.grade import grade
    from dlpath.grading.project import load_project

    report = grade(load_project("rings"), learner_folder(tmp_path, "memory_runaway"), device="cpu", seed=3,
                   memory_mb=600)
    assert report.failure is not None and report.failure.kind.value == "memory"
    assert report.failure.memory_mb == 600 and report.failure.peak_mb and report.failure.peak_mb >= 500
    assert "600 MB memory cap" in report.verdict and "peak" in report.verdict


@pytest.mark.slow
def test_one_huge_allocation_is_a_memory_verdict_too(tmp_path: Path, fixture_projects: Path) -> None:
    from dlpath.grading.grade import grade
    from dlpath.grading.project import load_project

    report = grade(load_project("rings"), learner_folder(tmp_path, "allocates_too_much"), device="cpu", seed=3,
                   memory_mb=600)
    assert report.failure is not None and report.failure.kind.value == "memory", report.verdict
    assert report.verdict.startswith("stopped: your code asked for ") and "600 MB memory cap" in report.verdict
    assert "out-of-memory" in [d.code for d in report.diagnoses]


@pytest.mark.slow
def test_floods_keep_only_a_bounded_tail(tmp_path: Path, fixture_projects: Path) -> None:
    from dlpath.grading.grade import grade
    from dlpath.grading.report import OUTPUT_TAIL_CHARS
    from dlpath.grading.project import load_project

    report = grade(load_project("rings"), learner_folder(tmp_path, "floods_stdout"), device="cpu", seed=3)
    assert report.output_bytes > 5_000_000
    assert len(report.output_tail) <= OUTPUT_TAIL_CHARS


@pytest.mark.slow
def test_human_report_of_a_failure(runner, tmp_path: Path, fixture_projects: Path) -> None:
    folder = learner_folder(tmp_path, "raises")
    result = runner.invoke(app, ["check", str(folder), "--device", "cpu", "--seed", "5"])
    assert result.exit_code == 1
    out = result.output
    assert "NOT YET  rings: your code raised ValueError at train.py:20: expected 3 features, got 2" in out
    assert "test_accuracy  >= 0.9" in out and "fail" in out
    assert "The end of your code's output:" in out and 'raise ValueError("expected 3 features, got 2")' in out
    assert "`dlpath check --seed 5`" in out.replace("\n", " ")
    assert "\nSandbox: " in out


@pytest.mark.slow
def test_run_trains_without_grading_or_recording(runner, tmp_path: Path, fixture_projects: Path) -> None:
    folder = learner_folder(tmp_path, "passes")
    result = runner.invoke(app, ["run", str(folder), "--device", "cpu", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["finished"] is True and report["verdict"].startswith("training finished in ")
    assert "thresholds" not in report and "seed" not in report
    assert [s["name"] for s in report["curves"]["series"]][:2] == ["train_loss", "val_loss"]
    from dlpath.learner.store import open_store

    with open_store() as store:
        assert store.attempts(project="rings") == []
    crashed = runner.invoke(app, ["run", str(learner_folder(tmp_path, "raises")), "--device", "cpu"])
    assert crashed.exit_code == 1
    assert "STOPPED  rings: your code raised ValueError at train.py:20" in crashed.output


@pytest.mark.slow
def test_timeout_option_overrides_the_budget(runner, tmp_path: Path, fixture_projects: Path) -> None:
    result = runner.invoke(app, ["check", str(learner_folder(tmp_path, "hangs")), "--json", "--timeout", "1.5"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["verdict"] == "stopped after the 1.5 s budget"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--device", "tpu"], "Error: --device must be one of auto, cpu, cuda, not 'tpu'."),
        (["--timeout", "0"], "Error: --timeout must be a positive number of seconds."),
        (["--memory-mb", "10"], "Error: --memory-mb must be at least 64"),
        (["--format", "xml"], "Error: unknown format 'xml'; dlpath writes: gradescope, json, junit, prairielearn, text"),
    ],
)
def test_bad_options_are_usage_errors(runner, tmp_path: Path, fixture_projects: Path, options: list[str],
                                      message: str) -> None:
    result = runner.invoke(app, ["check", str(learner_folder(tmp_path, "passes")), *options])
    assert result.exit_code == 2
    assert message in result.output


def test_missing_train_py_is_a_usage_error(runner, tmp_path: Path, fixture_projects: Path) -> None:
    folder = learner_folder(tmp_path, "passes")
    (folder / "train.py").unlink()
    result = runner.invoke(app, ["check", str(folder)])
    assert result.exit_code == 2
    assert f"Error: {folder / 'train.py'} does not exist" in result.output


@pytest.mark.slow
def test_the_third_task_kind_grades_a_regression(runner, tmp_path: Path, fixture_projects: Path) -> None:
    good = runner.invoke(app, ["check", str(learner_folder(tmp_path, "solution", "wave")), "--json", "--seed", "4"])
    assert good.exit_code == 0, good.output
    report = json.loads(good.stdout)
    assert report["task"] == "regression" and report["passed"] is True
    assert {t["metric"] for t in report["thresholds"]} == {"test_r2", "test_mse"}
    bad = runner.invoke(app, ["check", str(learner_folder(tmp_path, "naive", "wave")), "--json", "--seed", "4"])
    assert bad.exit_code == 1
    assert "underfitting" in [d["code"] for d in json.loads(bad.stdout)["diagnoses"]]


@pytest.mark.slow
def test_an_exported_model_is_loaded_without_the_learners_code(runner, tmp_path: Path, fixture_projects: Path) -> None:
    """The loader: a fresh sandboxed process that never imports train.py loads the file the learner saved."""
    good = runner.invoke(app, ["check", str(learner_folder(tmp_path, "solution", "exported")), "--json", "--seed", "3"])
    assert good.exit_code == 0, good.output
    report = json.loads(good.stdout)
    values = {t["metric"]: t["value"] for t in report["thresholds"]}
    assert values["test_accuracy"] >= 0.9 and values["output_difference"] < 1e-6 and values["latency_ms"] > 0
    assert report["sandbox"]["files_inspected"] is True  # the file was inspected before the loader loaded it
    pickled = runner.invoke(app, ["check", str(learner_folder(tmp_path, "naive", "exported")), "--json", "--seed", "3"])
    assert pickled.exit_code == 1
    diagnosis = json.loads(pickled.stdout)["diagnoses"][0]
    assert diagnosis["code"] == "needs-your-code" and "never imports your code" in diagnosis["message"]


@pytest.mark.slow
def test_the_parent_grades_and_explains_without_importing_torch(tmp_path: Path, fixture_projects: Path) -> None:
    """Torch lives in the learner process and the judge; the process that runs `dlpath check` only starts them,
    reads their answers and runs the mentor's rules. A rule that imported a module importing torch (the
    learned-weights diagnosis did, for a day) added 1.5 s to every grade."""
    import os
    import subprocess
    import sys
    import textwrap

    from tests.conftest import learner_folder

    folder = learner_folder(tmp_path, "solution")
    code = textwrap.dedent(f"""
        import sys
        from typer.testing import CliRunner
        from dlpath.cli import app
        result = CliRunner().invoke(app, ["check", {str(folder)!r}, "--json", "--device", "cpu", "--no-record"])
        print(result.exit_code, "torch" in sys.modules)
    """)
    env = dict(os.environ, DLPATH_PROJECTS=str(fixture_projects), DLPATH_HOME=str(tmp_path / "home"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.stdout.split()[-2:] == ["0", "False"], (out.stdout[-2000:], out.stderr[-2000:])
