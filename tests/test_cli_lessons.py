"""The everyday commands, end to end through the CLI, on the fixture curriculum."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlpath.cli import app

pytestmark = pytest.mark.usefixtures("course")


def run(runner, *args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def test_next_on_a_fresh_home_offers_the_first_lesson(runner) -> None:
    out = run(runner, "next").output
    assert out.startswith("Next: Maths you need  [maths]  foundations · about 2 h")
    assert "dlpath done maths" in out and "dlpath quiz maths" in out


def test_next_json_shape(runner) -> None:
    data = json.loads(run(runner, "next", "--json").output)
    assert set(data) == {"lesson", "reason", "passed_over", "available", "reviews_due"}
    assert set(data["lesson"]) >= {"id", "title", "stage", "summary", "objectives", "body", "prerequisites",
                                   "resources", "hours", "project", "tracks", "requires", "status"}
    assert data["lesson"]["id"] == "maths" and data["lesson"]["status"] == "available"
    assert data["available"] == ["maths", "python"]
    assert data["passed_over"] == []


def test_done_moves_next_on_and_undo_reverses(runner) -> None:
    assert run(runner, "done", "maths").output == "Marked 'maths' done.\n"
    assert json.loads(run(runner, "next", "--json").output)["lesson"]["id"] == "python"
    assert run(runner, "done", "maths").output == "'maths' is already done.\n"
    assert run(runner, "undo", "maths").output == "'maths' is no longer done; it is available now.\n"
    assert run(runner, "undo", "maths").output == "'maths' was not done or skipped; nothing changed.\n"


def test_done_refuses_unmet_prerequisites_unless_forced(runner) -> None:
    result = run(runner, "done", "convolutions", code=1)
    assert result.output == (
        "Error: 'convolutions' needs perceptron first.\n"
        "Do those lessons (or `dlpath skip` them if you know them), or mark it anyway with "
        "`dlpath done convolutions --force`.\n"
    )
    assert run(runner, "done", "convolutions", "--force").output == "Marked 'convolutions' done.\n"


def test_done_on_a_project_lesson_points_to_check(runner) -> None:
    result = run(runner, "done", "perceptron", code=1)
    assert result.output.startswith("Error: 'perceptron' has a project: pass `dlpath check` to complete it.\n")
    assert "dlpath start tiny-project" in result.output


def test_skip_counts_for_prerequisites_and_shows_as_skipped(runner) -> None:
    run(runner, "skip", "maths")
    run(runner, "skip", "python")
    run(runner, "skip", "perceptron")
    data = json.loads(run(runner, "map", "--json").output)
    status = {l["id"]: l["status"] for l in data["lessons"]}
    assert status["perceptron"] == "skipped" and status["convolutions"] == "available"
    progress = json.loads(run(runner, "progress", "--json").output)
    assert progress["skipped"] == ["maths", "python", "perceptron"]


def test_unknown_lesson_suggests_the_closest_ids(runner) -> None:
    result = run(runner, "show", "convolution", code=2)
    assert result.output.startswith("Error: there is no lesson 'convolution'. Did you mean 'convolutions'?\n")
    result = run(runner, "done", "kernels", code=2)
    assert "Did you mean 'cuda-kernels'?" in result.output


def test_aliases_keep_progress_across_renames(runner) -> None:
    run(runner, "done", "math-basics")  # the lesson's former id
    data = json.loads(run(runner, "show", "maths", "--json").output)
    assert data["status"] == "done"


def test_completions_of_lessons_that_left_the_curriculum_are_kept_and_listed(runner) -> None:
    from dlpath.learner.store import open_store

    with open_store() as store:
        store.complete("an-old-lesson", "done")
    out = run(runner, "progress").output
    assert "Kept from lessons no longer in this curriculum: an-old-lesson" in out
    assert json.loads(run(runner, "progress", "--json").output)["retired"] == ["an-old-lesson"]


def test_show_renders_the_body_and_json_has_the_shape(runner) -> None:
    out = run(runner, "show", "maths").output
    assert "Maths you need" in out and "The body of the maths lesson" in out
    data = json.loads(run(runner, "show", "maths", "--json").output)
    assert set(data) >= {"id", "title", "stage", "summary", "objectives", "body", "prerequisites", "resources",
                         "hours", "project", "tracks", "requires", "status"}
    assert data["resources"] == [{"title": "Essence of linear algebra", "kind": "video", "where": "3Blue1Brown on YouTube"}]


def test_gpu_lessons_are_passed_over_without_a_gpu(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLPATH_FAKE_GPU", "none")
    for lesson in ("maths", "python", "perceptron"):
        run(runner, "skip", lesson)
    data = json.loads(run(runner, "next", "--json").output)
    assert [p["id"] for p in data["passed_over"]] == ["cuda-kernels"]
    assert "needs an NVIDIA GPU" in data["passed_over"][0]["why"]
    assert "cuda-kernels" not in data["available"]


def test_gpu_lessons_are_offered_with_a_gpu(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLPATH_FAKE_GPU", "NVIDIA H100 80GB HBM3:81559")
    for lesson in ("maths", "python", "perceptron"):
        run(runner, "skip", lesson)
    data = json.loads(run(runner, "next", "--json").output)
    assert data["passed_over"] == [] and "cuda-kernels" in data["available"]


def test_when_everything_is_done_next_says_so(runner) -> None:
    from dlpath.course.loading import load_curriculum

    for lesson in load_curriculum().lessons:
        run(runner, "skip", lesson.id)
    data = json.loads(run(runner, "next", "--json").output)
    assert data["lesson"] is None
    assert data["reason"].startswith("You have finished every lesson of 'A tiny course for tests'.")


def test_track_lists_chooses_and_steers_next(runner) -> None:
    out = run(runner, "track").output
    assert "Computer vision  [vision]" in out and "Lessons: convolutions, vision-jobs" in out
    for lesson in ("maths", "python", "perceptron"):
        run(runner, "skip", lesson)
    run(runner, "track", "language")
    assert json.loads(run(runner, "next", "--json").output)["lesson"]["id"] == "sequences"
    result = run(runner, "track", "visoin", code=2)
    assert result.output.startswith("Error: there is no track 'visoin'. Did you mean 'vision'?")
    run(runner, "track", "none")
    assert json.loads(run(runner, "track", "--json").output)["chosen"] is None


def test_map_text_and_mermaid(runner) -> None:
    out = run(runner, "map").output
    assert "Foundations  (0/2)" in out and "→ maths" in out and "· perceptron" in out
    mermaid = run(runner, "map", "--format", "mermaid").output
    assert mermaid.startswith("flowchart LR\n")
    assert 'n_maths["→ Maths you need"]:::available' in mermaid
    assert "n_maths --> n_perceptron" in mermaid
    result = run(runner, "map", "--format", "svg", code=2)
    assert result.output.startswith("Error: unknown format 'svg'.")


def test_search_ranks_title_matches_first(runner) -> None:
    data = json.loads(run(runner, "search", "convolutions", "--json").output)
    assert data["results"][0]["id"] == "convolutions"
    assert set(data["results"][0]) == {"id", "title", "stage", "score", "status"}
    assert "No lesson matches 'zebra'" in run(runner, "search", "zebra").output


def test_progress_shows_stages_and_hours(runner) -> None:
    run(runner, "done", "maths")
    out = run(runner, "progress").output
    assert "Foundations" in out and "1/2" in out
    assert "Hours done: 2   hours left: 17.5" in out
    data = json.loads(run(runner, "progress", "--json").output)
    assert data["stages"][0] == {"id": "foundations", "title": "Foundations", "done": 1, "total": 2,
                                 "hours_done": 2.0, "hours_total": 3.5}
    assert data["done"] == ["maths"] and data["attempts"] == []


def test_curriculum_option_and_variable(runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLPATH_CURRICULUM")
    from tests.conftest import FIXTURES

    course = str(FIXTURES / "course" / "curriculum")
    assert json.loads(run(runner, "--curriculum", course, "next", "--json").output)["lesson"]["id"] == "maths"
    result = run(runner, "--curriculum", str(tmp_path / "nowhere"), "next", code=2)
    assert result.output.startswith(f"Error: {tmp_path / 'nowhere'}: no such curriculum folder.")


def test_version(runner) -> None:
    from dlpath.version import __version__

    assert run(runner, "--version").output == f"dlpath {__version__}\n"


def test_no_ansi_codes_when_piped(runner) -> None:
    assert "\x1b[" not in run(runner, "map").output


def test_every_command_has_help_text(runner) -> None:
    import typer

    command = typer.main.get_command(app)
    names = sorted(command.commands)  # type: ignore[attr-defined]
    assert {"next", "show", "done", "undo", "skip", "progress", "map", "search", "track", "validate"} <= set(names)
    for name in names:
        sub = command.commands[name]  # type: ignore[attr-defined]
        assert (sub.help or "").strip(), f"`dlpath {name}` has no help text"
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name


def test_an_internal_error_is_a_message_not_a_traceback(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    import dlpath.course.planner

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(dlpath.course.planner, "next_lesson", boom)
    result = run(runner, "next", code=2)
    assert result.output.startswith("Error: dlpath hit an internal error (RuntimeError: boom).")
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["--traceback", "next"])
    assert isinstance(result.exception, RuntimeError)


@pytest.mark.parametrize("argv, name", [
    (["next"], "next"), (["next", "--all"], "next"), (["--curriculum", "next", "map"], "map"),
    (["--curriculum=x", "--traceback", "progress", "export", "f"], "progress"), (["--help"], None),
    ([], None), (["--version"], None), (["nxt"], "nxt")])
def test_the_command_named_on_a_command_line_is_found(argv: list[str], name: str | None) -> None:
    from dlpath.cli import invoked_command

    assert invoked_command(argv) == name


def test_the_console_script_builds_only_the_command_it_runs_and_misspellings_see_them_all(
        dlpath_home: Path, tmp_path: Path) -> None:
    """`main()` builds the one command named (Typer would build all 29 at every start), and puts them all back;
    a command line without a known command (a typo, --help) is served by all of them as before."""
    import os
    import subprocess
    import sys

    from dlpath.course.loading import default_shipped_root

    env = dict(os.environ, DLPATH_HOME=str(dlpath_home))
    env.pop("DLPATH_CURRICULUM", None)
    probe = ("import sys; import dlpath.cli as c; from typer.main import get_group; seen = []; real = get_group\n"
             "import typer.main as m; m.get_group = lambda app: seen.append(len(app.registered_commands) + "
             "len(app.registered_groups)) or real(app)\n"
             "code = 0\n"
             "try:\n    c.main()\nexcept SystemExit as e:\n    code = e.code\n"
             "print('BUILT', seen, len(c.app.registered_commands) + len(c.app.registered_groups), code, file=sys.stderr)")

    def built(*args: str) -> tuple[str, str]:
        proc = subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True,
                              cwd=tmp_path, timeout=120)
        return [line for line in proc.stderr.splitlines() if line.startswith("BUILT")][-1], proc.stdout + proc.stderr

    line, _ = built("--curriculum", str(default_shipped_root()), "next")
    seen, total = line.split()[1], int(line.split()[2])
    assert seen == "[1]" and total > 20 and line.endswith(" 0"), line  # one command built, all of them back
    line, out = built("nxt")
    assert line.split()[1] == f"[{total}]" and line.endswith(" 2") and "Did you mean 'next'?" in out
    line, out = built("--help")
    assert line.split()[1] == f"[{total}]" and "portfolio" in out and "autograder" in out
