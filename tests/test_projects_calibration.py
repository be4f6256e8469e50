"""Every shipped project is calibrated, found from projects/*/project.yaml (no list to keep up to date).

Exercise folders have nothing to calibrate: tests/test_exercises.py proves them.

In CI each project's reference solution is graded on one grade seed, and its
starter and naive baseline once each, through `dlpath.grading.devcheck` (the
same code as `dlpath dev check`). The multi-seed calibration
(`dlpath dev check --seeds 5 --update-calibration`) is run when a project is
added or changed; its figures live in the project's `calibration:` block.
"""

from __future__ import annotations

import ast

import pytest

from dlpath.grading.devcheck import GRADE_SEEDS, grade_variant
from dlpath.grading.tasks import TASKS
from dlpath.paths import projects_dir
from dlpath.grading.project import load_project

SHIPPED = sorted(p.parent.name for p in projects_dir().glob("*/project.yaml")
                 if "\nexercises:" not in p.read_text(encoding="utf-8"))  # exercise folders: test_exercises.py


def _needs(project) -> None:
    if project.requires.cuda:
        pytest.skip(f"{project.id} needs a CUDA GPU")


@pytest.mark.slow
@pytest.mark.parametrize("project_id", SHIPPED)
def test_the_solution_passes(project_id: str) -> None:
    project = load_project(project_id)
    _needs(project)
    report = grade_variant(project, "solution", GRADE_SEEDS[0])
    assert report.passed, (report.verdict, [d.code for d in report.diagnoses])
    assert report.training_s < project.budget_s
    assert not [d for d in report.diagnoses if d.severity == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("project_id", SHIPPED)
@pytest.mark.parametrize("variant", ["starter", "naive"])
def test_the_starter_and_the_naive_baseline_fail_as_expected(project_id: str, variant: str) -> None:
    project = load_project(project_id)
    _needs(project)
    report = grade_variant(project, variant, GRADE_SEEDS[0])
    assert not report.passed, report.verdict
    codes = [d.code for d in report.diagnoses]
    expected = project.expect.starter if variant == "starter" else project.expect.naive
    assert set(expected) <= set(codes), (expected, codes, report.verdict)
    assert codes, "a failing grade should come with a diagnosis"
    if variant == "starter":
        assert report.failure is None, "the starter must run to the end"


@pytest.mark.parametrize("project_id", SHIPPED)
def test_every_project_has_its_calibration_and_expectations(project_id: str) -> None:
    project = load_project(project_id)
    assert project.calibration is not None and len(project.calibration.seeds) >= 3, "run dev check --seeds 5"
    figures = project.calibration.figures
    assert {"solution", "starter", "naive"} <= set(figures)
    thresholded = [t.metric for t in project.thresholds]
    primary = TASKS[project.task].primary  # as dev check reads it: the task's, or else the first threshold's
    primary = primary if primary in thresholded else thresholded[0]
    assert primary in figures["solution"] and "train_s" in figures["solution"]
    assert figures["solution"]["train_s"][1] <= 60, "the solution must train inside 60 s on a 2-core CPU"
    assert project.expect.starter and project.expect.naive
    assert len(project.hints) >= 3
    notes = project.calibration.notes or ""
    assert len(notes.split()) >= 20 and "to be written" not in notes, "say in notes where the thresholds sit and why"


@pytest.mark.parametrize("project_id", SHIPPED)
def test_every_variant_states_the_contract_and_the_commands(project_id: str) -> None:
    project = load_project(project_id)
    task = TASKS[project.task]
    for variant in ("starter", "solution", "naive"):
        text = (project.path / variant / "train.py").read_text(encoding="utf-8")
        doc = ast.get_docstring(ast.parse(text)) or ""
        assert "dlpath check" in doc, f"{variant}: say how to grade it"
        for line in task.contract_lines:
            assert line in doc, f"{project_id}/{variant}: the contract line {line!r} is missing"
        assert "import dlpath" not in text and "from dlpath" not in text
    starter = (project.path / "starter" / "train.py").read_text(encoding="utf-8")
    assert "TODO" in starter and len(starter.splitlines()) <= 120
