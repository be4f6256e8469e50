"""`dlpath check` end to end on fixture projects named by outcome.

Each fixture is a tiny classification project (tests/fixtures/projects/);
each test asserts the verdict, the diagnosis where there is one, the exit
status, that the check ends (bounded time), that no process is left behind,
and that the store holds the attempt and is intact.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
from pathlib import Path

import pytest

from dlpath.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "projects"
HAS_DIAGNOSE = importlib.util.find_spec("dlpath.grading.diagnose") is not None

# fixture -> (exit status, verdict starts with, a diagnosis code expected or None)
CASES = {
    "passes": (0, "every threshold met", None),
    "below_threshold": (1, "test_accuracy is 0.", None),
    "raises": (1, "your code raised ValueError at train.py:20: expected 3 features, got 2", None),
    "hangs": (1, "stopped after the 3 s budget", "budget-exhausted"),
    "exits_early": (1, "your code called sys.exit(3) at train.py:", "exited-early"),
    "aborts": (1, "the process aborted (SIGABRT) before grading finished", "killed-by-signal"),
    "nan_loss": (1, "test_accuracy is ", "non-finite-loss"),
    "floods_stdout": (0, "every threshold met", None),
    "forks_and_lingers": (0, "every threshold met", None),
    "memory_runaway": (1, "stopped: your code", "out-of-memory"),
    "wrong_output_shape": (1, "test_accuracy is 0", "wrong-output"),
    "softmax_before_ce": (None, "", "softmax-before-cross-entropy"),
}


def processes_in(folder: Path) -> list[int]:
    """Live (not zombie) processes whose working folder is `folder` (the harness and its children)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{name}/cwd")
            with open(f"/proc/{name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if cwd == str(folder) and state not in (b"Z", b"X"):
            found.append(int(name))
    return found


@pytest.fixture(autouse=True)
def fixture_projects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLPATH_PROJECTS", str(FIXTURES))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_outcome(runner, tmp_path: Path, name: str) -> None:
    status, verdict, code = CASES[name]
    folder = (tmp_path / name).resolve()
    assert runner.invoke(app, ["start", name, str(folder)]).exit_code == 0
    result = runner.invoke(app, ["check", str(folder), "--json", "--device", "cpu", "--seed", "11"])
    assert result.exit_code in (0, 1), result.output
    grade = json.loads(result.stdout)
    if status is not None:
        assert result.exit_code == status, grade
    assert grade["passed"] == (result.exit_code == 0)
    assert grade["verdict"].startswith(verdict), grade["verdict"]
    assert grade["project"] == name
    assert grade["duration_s"] < 90  # it ends, whatever the code does
    assert {t["metric"] for t in grade["thresholds"]} == {"test_accuracy", "parameters"}
    if code is not None and HAS_DIAGNOSE:
        assert code in [d["code"] for d in grade["diagnoses"]], grade["diagnoses"]
    assert processes_in(folder) == []

    from dlpath.progress import open_store, store_path

    with open_store() as store:
        attempts = store.attempts(project=name)
        assert len(attempts) == 1
        assert attempts[0].passed == grade["passed"] and attempts[0].verdict == grade["verdict"]
        assert attempts[0].seed == 11
        completed = store.completions().get("fixture-lesson")
        assert (completed is not None and completed.how == "passed") == grade["passed"]
    with sqlite3.connect(store_path()) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_floods_keep_only_a_bounded_tail(tmp_path: Path) -> None:
    from dlpath.grading.check import grade
    from dlpath.grading.report import OUTPUT_TAIL_CHARS
    from dlpath.projects import load_project

    project = load_project("floods_stdout")
    check = grade(project, project.starter_dir, device="cpu", seed=3)
    assert check.output_bytes > 5_000_000
    assert len(check.result.output_tail) <= OUTPUT_TAIL_CHARS


@pytest.mark.slow
def test_human_report_of_a_failure(runner, tmp_path: Path) -> None:
    folder = tmp_path / "r"
    runner.invoke(app, ["start", "raises", str(folder)])
    result = runner.invoke(app, ["check", str(folder), "--device", "cpu", "--seed", "5"])
    assert result.exit_code == 1
    out = result.output
    assert "NOT YET  raises: your code raised ValueError at train.py:20: expected 3 features, got 2" in out
    assert "test_accuracy  >= 0.9" in out and "fail" in out
    assert "The end of your code's output:" in out and 'raise ValueError("expected 3 features, got 2")' in out
    assert "`dlpath check --seed 5`" in out.replace("\n", " ")


@pytest.mark.slow
def test_timeout_option_overrides_the_budget(runner, tmp_path: Path) -> None:
    folder = tmp_path / "h"
    runner.invoke(app, ["start", "hangs", str(folder)])
    result = runner.invoke(app, ["check", str(folder), "--json", "--timeout", "1.5"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["verdict"] == "stopped after the 1.5 s budget"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--device", "tpu"], "Error: --device must be one of auto, cpu, cuda, not 'tpu'."),
        (["--timeout", "0"], "Error: --timeout must be a positive number of seconds."),
        (["--memory-mb", "10"], "Error: --memory-mb must be at least 64"),
    ],
)
def test_bad_options_are_usage_errors(runner, tmp_path: Path, options: list[str], message: str) -> None:
    runner.invoke(app, ["start", "passes", str(tmp_path / "p")])
    result = runner.invoke(app, ["check", str(tmp_path / "p"), *options])
    assert result.exit_code == 2
    assert message in result.output


def test_missing_train_py_is_a_usage_error(runner, tmp_path: Path) -> None:
    runner.invoke(app, ["start", "passes", str(tmp_path / "p")])
    (tmp_path / "p" / "train.py").unlink()
    result = runner.invoke(app, ["check", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert f"Error: {(tmp_path / 'p' / 'train.py').resolve()} does not exist" in result.output
