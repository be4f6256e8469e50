"""`dlpath start`: copies the starter with a marker, never overwrites, rejects path tricks."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlpath.cli import app
from dlpath.grading.workspace import MARKER, find_project

FIXTURES = Path(__file__).parent / "fixtures" / "projects"


@pytest.fixture(autouse=True)
def fixture_projects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLPATH_PROJECTS", str(FIXTURES))


def test_start_copies_starter_and_writes_marker(runner, tmp_path: Path) -> None:
    target = tmp_path / "mine"
    result = runner.invoke(app, ["start", "rings", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "train.py").read_text() == (FIXTURES / "rings" / "starter" / "train.py").read_text()
    assert "project: rings" in (target / MARKER).read_text()
    assert f"Started rings in {target.resolve()}" in result.output
    project, folder = find_project(target)
    assert project.id == "rings" and folder == target.resolve()


def test_start_defaults_to_a_folder_named_after_the_project(runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["start", "rings", "--json"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rings" / MARKER).is_file()
    assert '"backup": null' in result.output


def test_start_into_an_empty_existing_folder(runner, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert runner.invoke(app, ["start", "rings", str(tmp_path / "empty")]).exit_code == 0


def test_start_refuses_a_non_empty_folder(runner, tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("my work")
    result = runner.invoke(app, ["start", "rings", str(target)])
    assert result.exit_code == 2
    assert f"Error: {target} is not empty; dlpath never overwrites your work." in result.output
    assert (target / "notes.txt").read_text() == "my work"
    assert not (target / "train.py").exists()


def test_force_moves_old_files_to_a_backup_and_says_where(runner, tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "train.py").write_text("my own attempt")
    result = runner.invoke(app, ["start", "rings", str(target), "--force"])
    assert result.exit_code == 0, result.output
    backups = [p for p in tmp_path.iterdir() if p.name.startswith("mine.backup-")]
    assert len(backups) == 1
    assert (backups[0] / "train.py").read_text() == "my own attempt"
    assert f"to {backups[0]}" in result.output.replace("\n", "")
    assert "TODO" in (target / "train.py").read_text() or "def train" in (target / "train.py").read_text()


@pytest.mark.parametrize("bad", ["../x", "/abs", "a/b", "..", "x/../../y"])
def test_path_tricks_in_ids_are_rejected(runner, tmp_path: Path, bad: str) -> None:
    result = runner.invoke(app, ["start", bad, str(tmp_path / "t")])
    assert result.exit_code == 2
    assert f"Error: '{bad}' is not a project id: ids are lowercase letters, digits" in result.output
    assert not (tmp_path / "t").exists()


def test_unknown_project(runner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["start", "ringz", str(tmp_path / "t")])
    assert result.exit_code == 2
    assert "Error: there is no project 'ringz'.\nDid you mean 'rings'?" in result.output


def test_a_file_in_the_way(runner, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    result = runner.invoke(app, ["start", "rings", str(tmp_path / "f")])
    assert result.exit_code == 2
    assert f"Error: {tmp_path / 'f'} is a file, not a folder" in result.output


def test_commands_outside_a_project_folder_say_how_to_start(runner, tmp_path: Path) -> None:
    for command in (["check"], ["hint"], ["solution"]):
        result = runner.invoke(app, [*command, str(tmp_path)])
        assert result.exit_code == 2
        assert f"Error: {tmp_path} is not a dlpath project folder (no .dlpath-project file)." in result.output


def test_hint_gives_one_more_each_time(runner, tmp_path: Path) -> None:
    runner.invoke(app, ["start", "rings", str(tmp_path / "p")])
    first = runner.invoke(app, ["hint", str(tmp_path / "p")])
    assert first.exit_code == 0
    assert "Hint 1 of 2: First hint." in first.output and "Hint 2" not in first.output
    second = runner.invoke(app, ["hint", str(tmp_path / "p")])
    assert "Hint 2 of 2: Second hint." in second.output
    third = runner.invoke(app, ["hint", str(tmp_path / "p")])
    assert "That was every hint." in third.output


def test_solution_needs_a_pass_or_a_spoiler(runner, tmp_path: Path) -> None:
    runner.invoke(app, ["start", "rings", str(tmp_path / "p")])
    refused = runner.invoke(app, ["solution", str(tmp_path / "p")])
    assert refused.exit_code == 1
    assert "Error: the solution of 'rings' is shown once your own code passes `dlpath check`." in refused.output
    spoiled = runner.invoke(app, ["solution", str(tmp_path / "p"), "--spoiler"])
    assert spoiled.exit_code == 0
    assert "Spoiler:" in spoiled.output and "def build_model" in spoiled.output


def test_solution_after_a_recorded_pass(runner, tmp_path: Path) -> None:
    from dlpath.learner.store import open_store

    runner.invoke(app, ["start", "rings", str(tmp_path / "p")])
    with open_store() as store:
        store.record_attempt(project="rings", lesson="fixture-lesson", passed=True, verdict="every threshold met")
    result = runner.invoke(app, ["solution", str(tmp_path / "p")])
    assert result.exit_code == 0
    assert "Spoiler" not in result.output and "def build_model" in result.output


def test_solution_of_a_project_without_one_says_so(runner, tmp_path: Path, monkeypatch) -> None:
    import shutil

    root = tmp_path / "projects"
    shutil.copytree(FIXTURES / "rings", root / "rings")
    for item in (root / "rings" / "solution").iterdir():
        item.unlink()
    monkeypatch.setenv("DLPATH_PROJECTS", str(root))
    folder = tmp_path / "mine"
    (folder).mkdir()
    (folder / MARKER).write_text("project: rings\n")
    result = runner.invoke(app, ["solution", str(folder), "--spoiler"])
    assert result.exit_code == 2
    assert "Error: the project in" in result.output and "solution/train.py" in result.output


def test_projects_never_cut_an_id_in_narrow_or_piped_output(runner, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    result = runner.invoke(app, ["projects"])
    assert result.exit_code == 0
    assert "gradient-descent-by-hand" in result.output and "…" not in result.output


def test_projects_says_which_are_exercise_folders(runner) -> None:
    import json

    rows = json.loads(runner.invoke(app, ["projects", "--json"]).output)["projects"]
    kinds = {row["id"]: row["kind"] for row in rows}
    assert kinds["mlp-spirals"] == "project" and kinds["ex-activation-functions"] == "exercise"
    stages = [row["stage"] for row in rows if row["stage"]]  # (this module's fixture projects have no lesson here)
    assert stages == sorted(stages, key=["foundations", "basics", "advanced", "specialization"].index)


def test_a_subfolder_of_a_project_finds_the_project_above(runner, tmp_path: Path, monkeypatch) -> None:
    runner.invoke(app, ["start", "rings", str(tmp_path / "p")])
    inner = tmp_path / "p" / "data" / "raw"
    inner.mkdir(parents=True)
    project, folder = find_project(inner)
    assert project.id == "rings" and folder == (tmp_path / "p").resolve()
    monkeypatch.chdir(inner)
    result = runner.invoke(app, ["hint"])
    assert result.exit_code == 0 and "Hint 1 of 2" in result.output


def test_a_folder_of_several_projects_lists_them(runner, tmp_path: Path, monkeypatch) -> None:
    runner.invoke(app, ["start", "rings", str(tmp_path / "b-rings")])
    runner.invoke(app, ["start", "rings", str(tmp_path / "week2" / "a-again")])
    runner.invoke(app, ["start", "rings", str(tmp_path / "rings")])
    (tmp_path / "notes").mkdir()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert (f"Error: {tmp_path.resolve()} is not a dlpath project folder (no .dlpath-project file), but it holds "
            "3 project folders: b-rings (rings), rings, week2/a-again (rings).") in text
    assert "Name one after the command (`dlpath run b-rings`, `dlpath check b-rings`, ...)" in text
    as_json = runner.invoke(app, ["hint", "--json"])
    assert "week2/a-again (rings)" in as_json.output and as_json.exit_code == 2
