"""Rough edges a new learner hit: JSON errors, Ctrl-C, pipes, narrow terminals, `track`, YAML errors, bad variables."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from dlpath.cli import app

pytestmark = pytest.mark.usefixtures("course")


def run(runner, *args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


# ---------------------------------------------------------------- errors under --json


def test_a_dlpath_error_under_json_is_a_json_object(runner) -> None:
    result = run(runner, "show", "convolution", "--json", code=2)
    assert json.loads(result.stdout) == {"error": {
        "code": "unknown-lesson",
        "message": "there is no lesson 'convolution'. Did you mean 'convolutions'?",
        "hint": "`dlpath map` lists every lesson; `dlpath search WORDS` finds one by topic.",
    }}


def test_not_yet_under_json_keeps_its_exit_status(runner) -> None:
    result = run(runner, "quiz", "maths", "--answers", "1", "--json", code=1)
    assert json.loads(result.stdout)["passed"] is False  # a report, not an error
    result = run(runner, "plan", "--json", code=2)
    assert json.loads(result.stdout)["error"]["code"] == "no-hours"


def test_a_usage_error_under_json_is_a_json_object(runner) -> None:
    result = run(runner, "next", "--json", "--bogus", code=2)
    data = json.loads(result.stdout)
    assert data["error"]["code"] == "bad-usage"
    assert data["error"]["message"].startswith("No such option: --bogus")
    assert data["error"]["hint"] == "Run `dlpath next --help` to see how to use it."
    result = run(runner, "plan", "--hours", "six", "--json", code=2)
    assert json.loads(result.stdout)["error"]["code"] == "bad-usage"


def test_a_format_json_option_counts_as_json(runner) -> None:
    result = run(runner, "map", "--format", "json", code=2)
    assert json.loads(result.stdout)["error"] == {
        "code": "usage-error", "message": "unknown format 'json'.",
        "hint": "Use --format text or --format mermaid.",
    }


def test_an_internal_error_under_json(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    import dlpath.course.planner

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(dlpath.course.planner, "next_lesson", boom)
    data = json.loads(run(runner, "next", "--json", code=2).stdout)["error"]
    assert data["code"] == "internal-error" and data["message"] == "dlpath hit an internal error (RuntimeError: boom)."


def test_progress_json_errors_too(runner, dlpath_home: Path) -> None:
    dlpath_home.mkdir(parents=True)
    (dlpath_home / "progress.sqlite3").write_bytes(b"not a database" * 100)
    data = json.loads(run(runner, "progress", "--json", code=2).stdout)
    assert data["error"]["code"] == "store-damaged"


# ---------------------------------------------------------------- Ctrl-C and pipes


def test_ctrl_c_exits_130_with_one_message(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    import dlpath.course.planner

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(dlpath.course.planner, "next_lesson", interrupted)
    assert run(runner, "next", code=130).output == "Error: interrupted.\n"
    assert json.loads(run(runner, "next", "--json", code=130).stdout) == {
        "error": {"code": "interrupted", "message": "interrupted.", "hint": None}}


def test_ctrl_c_at_a_quiz_prompt_is_the_same(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    import dlpath.cli.quiz

    monkeypatch.setattr(dlpath.cli.quiz, "_interactive", lambda: True)

    def abort(*a, **k):
        raise typer.Abort()

    monkeypatch.setattr(typer, "prompt", abort)
    result = run(runner, "quiz", "maths", code=130)
    assert result.output.endswith("Error: interrupted.\n")


def test_a_closed_pipe_exits_quietly(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    import dlpath.render.lessons

    def closed(*a, **k):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(dlpath.render.lessons, "map_", closed)
    result = runner.invoke(app, ["map"])
    assert result.exit_code == 1 and result.output == ""


def test_map_into_a_closed_pipe_says_nothing(course: Path) -> None:
    # `dlpath map | head -1`, the reader gone before dlpath writes (pipe sizes vary too much to wait for it)
    proc = subprocess.Popen([sys.executable, "-m", "dlpath", "map"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 1
    assert err == b""


# ---------------------------------------------------------------- narrow terminals


def test_fifty_columns(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    run(runner, "done", "maths")
    progress = run(runner, "progress").output
    bars = [line for line in progress.splitlines() if "░" in line or "█" in line]
    assert len(bars) == 4 and all(len(line) <= 50 for line in bars)
    map_ = run(runner, "map").output
    assert all(len(line) <= 50 for line in map_.splitlines())
    for lesson in ("maths", "python", "perceptron", "convolutions", "cuda-kernels", "gpu-at-scale"):
        assert f" {lesson}" in map_  # whole, on one line


def test_wrapped_bullets_indent(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    run(runner, "skip", "maths")
    run(runner, "skip", "python")
    run(runner, "skip", "perceptron")
    monkeypatch.setenv("DLPATH_FAKE_GPU", "none")
    out = run(runner, "next").output
    lines = out.splitlines()
    bullet = next(i for i, line in enumerate(lines) if line.startswith("  • cuda-kernels"))
    assert lines[bullet + 1].startswith("    ") and lines[bullet + 1].strip()


def test_validate_never_cuts_a_long_path(runner, tmp_path: Path, course: Path) -> None:
    shutil.copytree(course.parent, tmp_path / ("a-rather-long-folder-name-" * 4))
    deep = tmp_path / ("a-rather-long-folder-name-" * 4) / "curriculum"
    out = run(runner, "validate", str(deep)).output
    assert out.startswith(f"{deep}: the curriculum (") and out.endswith("it can use: valid.\n") and out.count("\n") == 1


# ---------------------------------------------------------------- track


def test_choosing_a_track_confirms_it_and_shows_only_it(runner) -> None:
    out = run(runner, "track", "vision").output
    assert out.startswith("You now follow the 'vision' track: `dlpath next` prefers its lessons.\n\n● Computer vision")
    assert "Language" not in out and "Lessons: convolutions, vision-jobs" in out
    assert run(runner, "track", "none").output == (
        "You follow no track now: `dlpath next` offers lessons in the curriculum's order.\n")
    listing = run(runner, "track").output
    assert "Computer vision" in listing and "Language" in listing


# ---------------------------------------------------------------- a YAML syntax error


def test_a_yaml_syntax_error_is_reported_alone(runner, tmp_path: Path, course: Path) -> None:
    broken = tmp_path / "course"
    shutil.copytree(course, broken)
    (broken / "one.yaml").write_text((broken / "one.yaml").read_text().replace("  - id: python", "  - id: [python"))
    result = run(runner, "validate", str(broken), code=2)
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("one.yaml:") and "YAML syntax error" in lines[0]
    assert "does not exist" not in result.output
    assert lines[-1].startswith(f"1 problem(s) in {broken} (the curriculum (0 lessons)")
    result = run(runner, "--curriculum", str(broken), "next", code=2)
    assert "has 1 problem(s):\n  one.yaml:" in result.output and "does not exist" not in result.output


# ---------------------------------------------------------------- variables


def test_a_garbage_fake_gpu_is_reported(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLPATH_FAKE_GPU", "garbage")
    message = (
        "Error: DLPATH_FAKE_GPU='garbage' is not understood: write NAME:MiB (e.g. 'NVIDIA T4:15360'), several "
        "separated by commas, or 'none'.\nFix it, or remove it to detect the real hardware (unset DLPATH_FAKE_GPU).\n"
    )
    assert run(runner, "next", code=2).output == message
    assert run(runner, "gpu", code=2).output == message
    monkeypatch.setenv("DLPATH_FAKE_GPU", "NVIDIA T4:0")
    assert run(runner, "next", code=2).output.startswith("Error: DLPATH_FAKE_GPU='NVIDIA T4:0' is not understood")


def test_every_error_code_in_the_docs_exists() -> None:
    import importlib
    import re

    from dlpath.errors import DlpathError

    import pkgutil

    import dlpath

    for info in pkgutil.walk_packages(dlpath.__path__, "dlpath."):  # every error class, wherever it is defined
        importlib.import_module(info.name)

    def subclasses(cls: type) -> set[type]:
        return {cls} | {s for c in cls.__subclasses__() for s in subclasses(c)}

    known = {re.sub(r"(?<!^)(?=[A-Z])", "-", c.__name__).lower() for c in subclasses(DlpathError)}
    known |= {"bad-usage", "interrupted", "os-error", "internal-error"}
    docs = (Path(__file__).resolve().parents[1] / "docs" / "json.md").read_text()
    section = docs.split("## Errors under `--json`", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([a-z]+(?:-[a-z]+)+)`", section))
    assert documented and documented <= known, documented - known
