"""`dlpath validate`: one test per kind of problem, each asserting file and line."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from dlpath.cli import app
from dlpath.course.loading import load_curriculum
from dlpath.course.model import CurriculumInvalid
from dlpath.grading.project import validate_course

INDEX = """\
format_version: 1
title: Test course
stages:
  - id: foundations
    title: Foundations
  - id: basics
    title: Basics
tracks:
  - id: vision
    title: Vision
lesson_files: [lessons.yaml]
"""

GOOD = """\
lessons:
  - id: alpha
    stage: foundations
    title: Alpha
    summary: First.
    objectives: [One]
    hours: 1
  - id: beta
    stage: basics
    title: Beta
    summary: Second.
    objectives: [Two]
    prerequisites: [alpha]
    hours: 2
"""


def make(tmp_path: Path, lessons: str = GOOD, index: str = INDEX, bodies: tuple[str, ...] = ("alpha", "beta")) -> Path:
    root = tmp_path / "course"
    (root / "lessons").mkdir(parents=True)
    (root / "curriculum.yaml").write_text(index)
    (root / "lessons.yaml").write_text(textwrap.dedent(lessons))
    for b in bodies:
        (root / "lessons" / f"{b}.md").write_text(f"# {b}\n\nText.\n")
    return root


def problems(root: Path) -> list[tuple[str, int | None, str]]:
    return [(p.file, p.line, p.message) for p in validate_course(root).problems]


def test_a_good_curriculum_has_no_problem(tmp_path: Path) -> None:
    assert problems(make(tmp_path)) == []


def test_unknown_prerequisite_names_line_and_suggests(tmp_path: Path) -> None:
    root = make(tmp_path, GOOD.replace("prerequisites: [alpha]", "prerequisites:\n      - alpah"))
    assert problems(root) == [("lessons.yaml", 14, "lesson 'beta' needs 'alpah', which does not exist (did you mean 'alpha'?)")]


def test_cycle_is_named_in_full(tmp_path: Path) -> None:
    lessons = GOOD.replace("    hours: 1\n", "    hours: 1\n    prerequisites: [gamma]\n", 1) + """\
  - id: gamma
    stage: foundations
    title: Gamma
    summary: Third.
    objectives: [Three]
    prerequisites: [alpha]
    hours: 1
"""
    root = make(tmp_path, lessons, bodies=("alpha", "beta", "gamma"))
    found = problems(root)
    assert found == [("lessons.yaml", 8, "prerequisites form a cycle (each needs the next): alpha -> gamma -> alpha")]


def test_duplicate_id(tmp_path: Path) -> None:
    root = make(tmp_path, GOOD.replace("id: beta", "id: alpha"))
    assert problems(root) == [("lessons.yaml", 8, "duplicate lesson id 'alpha' (also used at lessons.yaml:2)")]


def test_prerequisite_in_a_later_stage(tmp_path: Path) -> None:
    lessons = GOOD.replace("    hours: 1\n", "    prerequisites: [beta]\n    hours: 1\n", 1).replace(
        "    prerequisites: [alpha]\n", "")
    found = problems(make(tmp_path, lessons))
    assert found == [("lessons.yaml", 7, "lesson 'alpha' (foundations) needs 'beta', which is in the later "
                      "stage 'basics': move one of them, or drop the prerequisite")]


def test_missing_body(tmp_path: Path) -> None:
    root = make(tmp_path, bodies=("alpha",))
    assert problems(root) == [("lessons.yaml", 8, "lesson 'beta' has no body: write lessons/beta.md or give it a 'body'")]


def test_unknown_project(tmp_path: Path) -> None:
    root = make(tmp_path, GOOD.replace("    hours: 2\n", "    hours: 2\n    project: no-such-project\n"))
    (file, line, message), = problems(root)
    assert (file, line) == ("lessons.yaml", 15)
    assert message.startswith("lesson 'beta' names the project 'no-such-project', which does not exist")


def test_wrong_type(tmp_path: Path) -> None:
    root = make(tmp_path, GOOD.replace("hours: 2", "hours: two"))
    assert problems(root) == [("lessons.yaml", 14, "lesson 'beta': 'hours' must be a number above 0, not 'two'")]


def test_wrong_type_reports_the_value_line(tmp_path: Path) -> None:
    root = make(tmp_path, GOOD.replace("objectives: [Two]", "objectives: 3"))
    assert problems(root) == [("lessons.yaml", 12, "lesson 'beta': 'objectives' must be a list of texts")]


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    root = make(tmp_path, GOOD.replace("    prerequisites: [alpha]", "    prerequisite: [alpha]"))
    assert problems(root) == [("lessons.yaml", 13, "lesson 'beta' has an unknown key 'prerequisite' "
                               "(did you mean 'prerequisites'?)")]


def test_yaml_syntax_error(tmp_path: Path) -> None:
    root = make(tmp_path, GOOD.replace("title: Beta", "title: [Beta"))
    (file, line, message), = problems(root)
    assert file == "lessons.yaml" and line is not None and line >= 11
    assert message.startswith("YAML syntax error")


def test_unknown_stage_and_track(tmp_path: Path) -> None:
    root = make(tmp_path, GOOD.replace("stage: basics", "stage: basic").replace("    hours: 1\n", "    hours: 1\n    tracks: [vison]\n", 1))
    assert problems(root) == [
        ("lessons.yaml", 8, "lesson 'alpha' names the unknown track 'vison'"),
        ("lessons.yaml", 10, "lesson 'beta' is in the unknown stage 'basic' (stages: foundations, basics)"),
    ]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    root = make(tmp_path, GOOD.replace("[alpha]", "[nope]").replace("hours: 1", "hours: -1"), bodies=())
    assert problems(root) == [
        ("lessons.yaml", 2, "lesson 'alpha' has no body: write lessons/alpha.md or give it a 'body'"),
        ("lessons.yaml", 7, "lesson 'alpha': 'hours' must be a number above 0, not -1 (a whole number)"),
        ("lessons.yaml", 8, "lesson 'beta' has no body: write lessons/beta.md or give it a 'body'"),
        ("lessons.yaml", 13, "lesson 'beta' needs 'nope', which does not exist"),
    ]


def test_questions_need_one_right_answer_and_reasons(tmp_path: Path) -> None:
    lessons = GOOD + """\
    questions:
      - question: Which?
        choices:
          - text: A
          - text: B
"""
    assert problems(make(tmp_path, lessons)) == [
        ("lessons.yaml", 18, "lesson 'beta': question 1: every wrong choice needs a 'why' (one line: why it is wrong)"),
        ("lessons.yaml", 18, "lesson 'beta': question 1: exactly one choice must be 'correct: true' (found 0)"),
        ("lessons.yaml", 19, "lesson 'beta': question 1: every wrong choice needs a 'why' (one line: why it is wrong)"),
    ]


def test_newer_format_version_asks_for_an_upgrade(tmp_path: Path) -> None:
    root = make(tmp_path, index=INDEX.replace("format_version: 1", "format_version: 99"))
    (file, line, message), = problems(root)
    assert (file, line) == ("curriculum.yaml", 1)
    assert "upgrade dlpath" in message


def test_loading_an_invalid_curriculum_is_refused(tmp_path: Path) -> None:
    root = make(tmp_path, bodies=("alpha",))
    with pytest.raises(CurriculumInvalid) as info:
        load_curriculum(root)
    assert "has 1 problem(s)" in str(info.value)


def test_validate_command_exit_codes_and_json(tmp_path: Path, runner) -> None:
    good = make(tmp_path)
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # a long tmp path may wrap
    assert said.endswith("project folder(s) it can use: valid.") and "the curriculum (" in said

    (good / "lessons" / "beta.md").unlink()
    result = runner.invoke(app, ["validate", str(good), "--json"])
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["ok"] is False
    assert data["problems"] == [{"file": "lessons.yaml", "line": 8,
                                 "message": "lesson 'beta' has no body: write lessons/beta.md or give it a 'body'"}]

    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 2
    assert "lessons.yaml:8: lesson 'beta' has no body" in result.output


def test_validate_a_folder_that_is_not_a_curriculum(tmp_path: Path, runner) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert f"Error: {tmp_path}: this folder has no curriculum.yaml, so it is not a curriculum." in result.output


def test_other_commands_refuse_a_broken_curriculum_with_a_pointer(tmp_path: Path, runner) -> None:
    root = make(tmp_path, bodies=("alpha",))
    result = runner.invoke(app, ["--curriculum", str(root), "next"])
    assert result.exit_code == 2
    assert "has 1 problem(s)" in result.output
    assert f"Run `dlpath validate {root}`" in result.output
    assert "Traceback" not in result.output


def test_validate_finds_projects_where_start_and_check_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make(tmp_path, GOOD.replace("    hours: 2\n", "    hours: 2\n    project: own-project\n"))
    assert "names the project 'own-project', which does not exist" in problems(root)[0][2]
    extra = tmp_path / "instructor-projects"
    shutil.copytree(Path(__file__).parent / "fixtures" / "projects" / "rings", extra / "own-project")
    yaml_file = extra / "own-project" / "project.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("id: rings", "id: own-project").replace(
        "lesson: fixture-lesson", "lesson: beta"))
    monkeypatch.setenv("DLPATH_PROJECTS", str(extra))
    assert problems(root) == []


def test_validate_checks_the_course_projects_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 runner) -> None:
    root = make(tmp_path)
    extra = tmp_path / "instructor-projects"
    shutil.copytree(Path(__file__).parent / "fixtures" / "projects" / "rings", extra / "mine")
    yaml_file = extra / "mine" / "project.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("id: rings", "id: mine").replace(
        "metric: parameters", "metric: paramters").replace("hardware:", "hardwre:").replace(
        "noise: 0.05", "noize: 0.05"))
    shutil.rmtree(extra / "mine" / "solution")
    monkeypatch.setenv("DLPATH_PROJECTS", str(extra))
    result = runner.invoke(app, ["validate", str(root), "--json"])
    assert result.exit_code == 2
    found = {(Path(p["file"]).name, p["line"], p["message"]) for p in json.loads(result.output)["problems"]}
    assert found >= {
        ("project.yaml", 9, "dataset: data set 'rings' has no parameter 'noize' (its parameters: classes, noise)"),
        ("project.yaml", 16, "threshold 2 (paramters): task 'classification' has no metric 'paramters' "
                             "(its metrics: test_accuracy, parameters, learned_skill)"),
        ("project.yaml", 20, "project.yaml has an unknown key 'hardwre' (did you mean 'hardware'?)"),
        ("project.yaml", 2, "the project has no solution/train.py (every project needs a starter, a solution "
                            "that passes and a naive baseline that fails)"),
    }, found


def test_validate_checks_a_project_folder_or_a_folder_of_them(tmp_path: Path, runner) -> None:
    from tests.conftest import FIXTURE_PROJECTS

    mine = tmp_path / "mine"
    shutil.copytree(FIXTURE_PROJECTS / "rings", mine / "rings")
    shutil.copytree(FIXTURE_PROJECTS / "wave", mine / "wave")
    result = runner.invoke(app, ["validate", str(mine / "rings")])
    assert result.exit_code == 0 and " ".join(result.output.split()) == f"{mine / 'rings'}: the project: valid."
    result = runner.invoke(app, ["validate", str(mine), "--json"])
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["kind"] == "projects" and data["projects"] == ["rings", "wave"]
    yaml_file = mine / "wave" / "project.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("budget_s:", "budget_seconds:"))
    result = runner.invoke(app, ["validate", str(mine)])
    assert result.exit_code == 2
    assert "unknown key 'budget_seconds'" in result.output and "(2 project folder(s))" in result.output


def test_the_complete_example_of_the_project_format_validates_as_written(tmp_path: Path, runner,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/project-format.md's example, copied as its text says, passes `dlpath validate` against the shipped course."""
    from tests.conftest import FIXTURE_PROJECTS

    doc = (Path(__file__).resolve().parents[1] / "docs" / "project-format.md").read_text()
    example = doc.split("## A complete example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    folder = tmp_path / "my-projects" / "rings-mlp"
    for variant in ("starter", "solution", "naive"):
        shutil.copytree(FIXTURE_PROJECTS / "rings" / variant, folder / variant)
    (folder / "project.yaml").write_text(example)
    monkeypatch.setenv("DLPATH_PROJECTS", str(tmp_path / "my-projects"))
    result = runner.invoke(app, ["validate", "--json"])
    data = json.loads(result.output)
    assert "rings-mlp" in data["projects"]
    assert [p for p in data["problems"] if "rings-mlp" in p["file"]] == []
