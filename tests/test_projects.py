"""project.yaml: typed fields, every problem at once with file and line, ids without path tricks, lookup order."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlpath.grading.project import (
    BadProjectId,
    DatasetSpec,
    ProjectError,
    Threshold,
    UnknownProject,
    check_project_id,
    list_projects,
    load_project,
    validate_project,
)

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
    weight: 3
  - metric: parameters
    max: 100
budget_s: 30
memory_mb: 1024
hardware: Any CPU.
hints: [Look at the data first.]
expect:
  starter: [no-learning]
calibration:
  machine: 2-core CPU
  seeds: [11, 22]
  solution: {test_accuracy: [0.91, 0.95], train_s: [1, 2]}
"""


def write(root: Path, text: str, name: str = "demo", variants: tuple[str, ...] = ("starter", "solution", "naive")) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "project.yaml").write_text(text)
    for variant in variants:
        (folder / variant).mkdir()
        (folder / variant / "train.py").write_text("# a train.py\n")
    return folder


def problems(folder: Path) -> list[str]:
    return [f"{Path(p.file).name}:{p.line}: {p.message}" for p in validate_project(folder)]


def test_loads_typed_fields(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, GOOD))
    assert project.id == "demo"
    assert project.thresholds == (Threshold("test_accuracy", min=0.9, weight=3.0), Threshold("parameters", max=100.0))
    assert project.budget_s == 30.0 and project.memory_mb == 1024
    assert project.dataset == DatasetSpec("rings", {"classes": 2}, 100, 20, 50)
    assert project.hints == ("Look at the data first.",)
    assert project.expect.starter == ("no-learning",) and project.expect.naive == ()
    assert project.calibration is not None and project.calibration.seeds == (11, 22)
    assert project.calibration.figures["solution"]["test_accuracy"] == (0.91, 0.95)
    assert project.requires.cuda is False and project.requires.processes == 1
    assert project.advice == ()
    told = load_project(write(tmp_path / "told", GOOD.replace("expect:", "advice:\n  underfitting: >-\n    Two  rings\n"
                                                                      "    need a hidden layer.\nexpect:")))
    assert told.advice == (("underfitting", "Two rings need a hidden layer."),)


def test_public_seed_is_fixed_per_project(tmp_path: Path) -> None:
    a = load_project(write(tmp_path / "a", GOOD))
    b = load_project(write(tmp_path / "b", GOOD))
    assert a.public_seed == b.public_seed
    assert a.public_seed == load_project(write(tmp_path / "c", GOOD.replace("id: demo", "id: other"), "other")).public_seed - (
        load_project(tmp_path / "c" / "other").public_seed - a.public_seed)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("hardware:", "hardwre:"), "project.yaml:16: project.yaml has an unknown key 'hardwre' (did you mean 'hardware'?)"),
        (("budget_s: 30", "budget_s: -1"), "project.yaml:14: project.yaml: 'budget_s' must be a number above 0, not -1 (a whole number)"),
        (("memory_mb: 1024", "memory_mb: lots"), "project.yaml:15: project.yaml: 'memory_mb' must be a whole number above 0, not 'lots'"),
        (("title: A demo\n", ""), "project.yaml:1: project.yaml is missing the required key 'title'"),
        (("    max: 100", "    most: 100"), "project.yaml:13: threshold 2 has an unknown key 'most'"),
        (("id: demo", "id: other"), "project.yaml:2: id 'other' differs from the folder name 'demo'"),
        (("metric: test_accuracy", "metric: test_acc"),
         "project.yaml:9: threshold 1 (test_acc): task 'classification' has no metric 'test_acc' (its metrics: test_accuracy, parameters, learned_skill)"),
        (("params: {classes: 2}", "params: {classes: 2, colour: red}"),
         "project.yaml:7: dataset: data set 'rings' has no parameter 'colour' (its parameters: classes, noise)"),
        (("params: {classes: 2}", "params: {classes: two}"),
         "project.yaml:7: dataset: parameter 'classes' of 'rings' must be a whole number, not 'two'"),
        (("name: rings", "name: ringz"), "project.yaml:7: dataset: unknown data set 'ringz' (did you mean 'rings'?)"),
        (("name: rings", "name: linear"), "project.yaml:7: dataset: 'linear' is a regression data set; task 'classification' takes classification data"),
        (("task: classification", "task: clasification"), "project.yaml:6: unknown task kind 'clasification' (did you mean 'classification'?)"),
        (("starter: [no-learning]", "starter: [no-learnin]"), "project.yaml:19: expect: starter: unknown diagnosis code 'no-learnin' (did you mean 'no-learning'?)"),
        (("    weight: 3", "    weight: -3"), "project.yaml:11: threshold 1 (test_accuracy): 'weight' must be a number above 0, not -3"),
        (("expect:", "advice: {overfiting: Here the MLP memorises.}\nexpect:"),
         "project.yaml:18: advice: unknown diagnosis code 'overfiting' (did you mean 'overfitting'?)"),
        (("expect:", "advice: {overfitting: [a, list]}\nexpect:"),
         "project.yaml:18: advice: 'overfitting' must be a non-empty text, not a list"),
    ],
)
def test_each_problem_names_the_file_and_line(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    folder = write(tmp_path, GOOD.replace(*change))
    assert expected in problems(folder)
    with pytest.raises(ProjectError, match="problem"):
        load_project(folder)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("hardware:", "hardwre:").replace("metric: test_accuracy", "metric: test_acc").replace(
        "name: rings", "name: ringz")
    found = problems(write(tmp_path, text, variants=("starter",)))
    assert len(found) == 5, found
    assert "project.yaml:2: the project has no solution/train.py (every project needs a starter, a solution that passes and a naive baseline that fails)" in found


def test_newer_format_asks_for_an_upgrade(tmp_path: Path) -> None:
    found = problems(write(tmp_path, GOOD.replace("format_version: 1", "format_version: 9")))
    assert found == ["project.yaml:1: format_version 9 is newer than this dlpath reads (1): upgrade dlpath (pip install --upgrade dlpath)"]


def test_invalid_yaml_gives_the_line(tmp_path: Path) -> None:
    found = problems(write(tmp_path, GOOD + "thresholds: [unclosed\n"))
    assert len(found) == 1 and found[0].startswith("project.yaml:") and "YAML syntax error" in found[0]


@pytest.mark.parametrize("bad", ["../x", "/abs", "a/b", "", ".", "..", "A", "x\\y", "~root"])
def test_ids_with_path_tricks_are_rejected(bad: str) -> None:
    with pytest.raises(BadProjectId):
        check_project_id(bad)


def test_lookup_by_id_in_dlpath_projects(fixture_projects: Path) -> None:
    project = load_project("rings")
    assert project.path == (fixture_projects / "rings").resolve()
    assert project.task == "classification"


def test_unknown_project_suggests_close_ids(fixture_projects: Path) -> None:
    with pytest.raises(UnknownProject) as info:
        load_project("ring")
    assert info.value.message == "there is no project 'ring'."
    assert "'rings'" in (info.value.hint or "")


def test_every_fixture_and_shipped_project_loads(fixture_projects: Path) -> None:
    ids = {p.id for p in list_projects()}
    assert {"rings", "wave", "mlp-spirals", "cnn-shapes", "gradient-descent-by-hand"} <= ids
