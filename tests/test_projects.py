"""project.yaml loading: typed fields, strict keys, ids without path tricks, lookup order."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlpath.projects import (
    BadProjectId,
    ProjectError,
    Threshold,
    UnknownProject,
    check_project_id,
    list_projects,
    load_project,
)

FIXTURES = Path(__file__).parent / "fixtures" / "projects"

GOOD = """\
format_version: 1
id: demo
title: A demo
lesson: multilayer-perceptron
summary: Build a thing.
task: classification
dataset: {name: rings, params: {classes: 2}, train: 100, val: 20, test: 50}
thresholds:
  - metric: test_accuracy
    min: 0.9
  - metric: parameters
    max: 100
budget_s: 30
memory_mb: 1024
hardware: Any CPU.
hints: [Look at the data first.]
"""


def write(root: Path, text: str, name: str = "demo") -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "project.yaml").write_text(text)
    return folder


@pytest.fixture
def fixture_projects(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DLPATH_PROJECTS", str(FIXTURES))
    return FIXTURES


def test_loads_typed_fields(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, GOOD))
    assert project.id == "demo"
    assert project.thresholds == (Threshold("test_accuracy", min=0.9), Threshold("parameters", max=100.0))
    assert project.budget_s == 30.0 and project.memory_mb == 1024
    assert project.dataset["params"] == {"classes": 2}
    assert project.hints == ("Look at the data first.",)
    assert project.path == (tmp_path / "demo").resolve()


def test_public_seed_is_fixed_per_project(tmp_path: Path) -> None:
    a = load_project(write(tmp_path, GOOD))
    assert a.public_seed == load_project(tmp_path / "demo").public_seed
    other = write(tmp_path, GOOD.replace("id: demo", "id: other"), "other")
    assert load_project(other).public_seed != a.public_seed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("hardware:", "hardwre:"), "unknown key(s) 'hardwre'"),
        (("budget_s: 30", "budget_s: -1"), "'budget_s' must be a positive number of seconds."),
        (("memory_mb: 1024", "memory_mb: lots"), "'memory_mb' must be a whole number, not 'lots'."),
        (("title: A demo\n", ""), "missing key 'title'."),
        (("    max: 100", "    most: 100"), "threshold 2 (parameters): unknown key(s) 'most'."),
        (("id: demo", "id: ../demo"), "'../demo' is not a project id"),
        (("id: demo", "id: other"), "id 'other' differs from the folder name 'demo'."),
    ],
)
def test_rejects_bad_files_naming_the_file(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    folder = write(tmp_path, GOOD.replace(*change))
    with pytest.raises((ProjectError, BadProjectId)) as info:
        load_project(folder)
    assert message in str(info.value)


def test_newer_format_asks_for_an_upgrade(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as info:
        load_project(write(tmp_path, GOOD.replace("format_version: 1", "format_version: 9")))
    assert "format_version 9 is newer than this dlpath understands (1)" in str(info.value)
    assert info.value.hint == "Upgrade dlpath (`pip install -U dlpath`)."


def test_invalid_yaml_gives_the_line(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as info:
        load_project(write(tmp_path, GOOD + "oops: [\n"))
    assert f"{tmp_path / 'demo' / 'project.yaml'}:" in str(info.value)
    assert "not valid YAML" in str(info.value)


@pytest.mark.parametrize("bad", ["../x", "/abs", "a/b", "", ".", "..", "A", "x\\y", "~root"])
def test_ids_with_path_tricks_are_rejected(bad: str) -> None:
    with pytest.raises(BadProjectId):
        check_project_id(bad)


def test_lookup_by_id_in_dlpath_projects(fixture_projects: Path) -> None:
    assert load_project("passes").path == (fixture_projects / "passes").resolve()
    ids = [p.id for p in list_projects()]
    assert "passes" in ids and "hangs" in ids


def test_unknown_project_suggests_close_ids(fixture_projects: Path) -> None:
    with pytest.raises(UnknownProject) as info:
        load_project("passe")
    assert str(info.value) == "there is no project 'passe'."
    assert info.value.hint == "Did you mean 'passes'?"


def test_every_fixture_project_loads(fixture_projects: Path) -> None:
    for project in list_projects():
        if project.path.parent == fixture_projects.resolve():
            assert (project.starter_dir / "train.py").is_file()
