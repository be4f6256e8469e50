"""compress-to-fit: the compressed model must be a compression of the teacher it was given (issue "Integrity v3",
classes 3 and 5).

The red team's round 2 passed the project with no compression at all: the project pinned world 0, so the arms
were the published ones, and compress() returned a likelihood classifier written from the published formula
(size_ratio 0.108, accuracy_drop -0.001). Now a grade draws its own world (the teacher, made in world 0, is
carried into it by the judge), and the judge compares the file with the teacher at points off the data
(``teacher_agreement``), where a model of the data and a copy of the teacher part ways.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import torch

from dlpath.grading.grade import world_seed_for
from dlpath.grading.project import load_project
from dlpath.grading.tasks import compressed
from dlpath.grading.thresholds import compare
from tests.conftest import FIXTURES
from tests.taskrun import delivered, mentor, run_task

ATTACKS = FIXTURES / "measure_attacks"
WORLD = world_seed_for(11)


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """The attacks run small models: fastest on one thread."""


def spec(**dataset: Any) -> dict[str, Any]:
    project = load_project("compress-to-fit")
    return dict(id=project.id, task=project.task, lesson=project.lesson, calibration=None, path=project.path,
                thresholds=project.thresholds, dataset=dataclasses.replace(project.dataset, **dataset))


def results(got: dict[str, Any], project: dict[str, Any]) -> dict[str, Any]:
    assert got["failure"] is None, got["failure"]  # the attack ran to the end: it did its trick
    return {r.metric: r for r in compare(project["thresholds"], got["metrics"])}


def test_the_published_arms_are_right_only_in_the_published_world(tmp_path: Path) -> None:
    project = spec(test=2000)
    source = (ATTACKS / "written_arms_published_world.py").read_text()
    published = results(run_task(source, project, test_seed=11, folder=tmp_path), project)
    assert published["accuracy_drop"].passed and published["size_ratio"].passed  # what passed the grade before
    assert not published["teacher_agreement"].passed  # and now: not the teacher's answers between the arms
    got = results(run_task(source, project, test_seed=11, folder=tmp_path, world_seed=WORLD), project)
    assert got["accuracy_drop"].value > 0.4 and not got["accuracy_drop"].passed  # the grade's arms lie elsewhere


def test_arms_fitted_to_the_grades_world_are_refused_as_not_the_teacher(tmp_path: Path) -> None:
    """The same classifier with the world's turn and winding read off the training points: right on the data, and
    not the teacher (it never looked at it). In the worlds of grade seeds 11 to 222 (10 of them) it agreed with the
    teacher off the data 0.926 to 0.978 of the time, the reference 0.991 to 0.999 (2026-12-07); here 0.972."""
    project = spec()
    diagnoses, got = mentor((ATTACKS / "written_arms_fitted_world.py").read_text(), project, test_seed=11,
                            folder=tmp_path, world_seed=WORLD)
    found = results(got, project)
    assert found["accuracy_drop"].passed and found["size_ratio"].passed, got["metrics"]
    assert got["facts"].extra["teacher"]["agreement_on_test"] > 0.98  # on the data it looks like the teacher
    assert not found["teacher_agreement"].passed, got["metrics"]  # off the data it is not
    told = next(d for d in diagnoses if d.code == "teacher-not-copied")
    assert "trained nothing" in told.message and told.lesson == "model-compression"


def test_the_teacher_is_carried_into_the_grades_world_exactly() -> None:
    from dlpath.datasets import draw
    from dlpath.datasets.points import spirals_map

    project = load_project("compress-to-fit")
    _, published = compressed.world_teacher(project, None)
    _, moved = compressed.world_teacher(project, WORLD)
    x = torch.rand(500, 2) * 2.4 - 1.2
    matrix = torch.tensor(spirals_map(WORLD))
    with torch.no_grad():
        assert torch.allclose(moved(x @ matrix.T), published(x), atol=1e-4)  # the same answer, turned
        test = draw(project.dataset, 5, ("test",), world=WORLD)["test"]
        accuracy = float((moved(test.x).argmax(dim=1) == test.y).float().mean())
    assert accuracy > 0.9  # as good in the grade's world as in its own (0.925)


def test_the_learner_gets_the_grades_teacher_and_not_the_shipped_one() -> None:
    project = spec(train=20, val=10, test=10)
    task = compressed.CompressedModelTask()
    data = delivered(task, task.public_data(dataclasses.replace(load_project("compress-to-fit")), 1, WORLD))
    _, judged = compressed.world_teacher(load_project("compress-to-fit"), WORLD)
    assert set(data.teacher_weights) == set(judged.state_dict()) and project["dataset"].name == "spirals"
    assert all(torch.equal(data.teacher_weights[k], v) for k, v in judged.state_dict().items())
    assert not hasattr(data, "teacher_dir")  # the learner's process never reads the teacher the project ships


@pytest.mark.slow
def test_the_solution_is_the_teacher_off_the_data(tmp_path: Path) -> None:
    project = spec()
    got = run_task((project["path"] / "solution" / "train.py").read_text(), project, test_seed=11, folder=tmp_path,
                   world_seed=WORLD)
    assert all(r.passed for r in results(got, project).values()), got["metrics"]
