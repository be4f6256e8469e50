"""A row's output must not depend on the rows that share its batch (issue "Integrity v3", class 4).

The judge asks a sample of rows (`_model.COMPANY_ROWS`) a second time, first in its request and in small
batches, and the graded rows in batch sizes it draws; outputs that moved by more than `BATCH_TOLERANCE` (relative
to 1 + the largest output) are not graded, and the mentor says why (`batch-dependent-outputs`). Where the judge
replays a traced model, it replays those rows again beside the zeros that pad a batch.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from dlpath.grading.grade import world_seed_for
from dlpath.grading.project import DatasetSpec, Threshold, load_project
from dlpath.grading.tasks import _model
from dlpath.grading.thresholds import compare
from tests.conftest import FIXTURES
from tests.taskrun import mentor, run_task

SPIRALS = dict(id="t", task="classification", thresholds=(Threshold("test_accuracy", 0.85),),
               dataset=DatasetSpec("spirals", {"classes": 3}, 300, 100, 400))
COUNTED = dict(SPIRALS, thresholds=(Threshold("test_accuracy", 0.85), Threshold("parameters", max=10_000)))

MLP = """
import torch
from torch import nn
def build_model(info):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 32), NORM nn.ReLU(), nn.Linear(32, info["num_classes"]))
def train(model, data, device, log):
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for epoch in range(150):
        loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
        log(epoch=epoch, train_loss=loss.item())
    EVAL
"""
HONEST = MLP.replace("NORM", "nn.BatchNorm1d(32),").replace("EVAL", "model.eval()")
TRAINING_MODE = MLP.replace("NORM", "nn.BatchNorm1d(32),").replace("EVAL", "pass")  # BatchNorm on each batch
CENTRED = MLP.replace("NORM", "").replace("EVAL", "model.eval()").replace(
    "return nn.Sequential(", "return Centred(").replace("def build_model", """class Centred(nn.Sequential):
    def forward(self, x):
        return super().forward(x - x.mean(0))  # the batch's own mean: a batch statistic the trace keeps
def build_model""")


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Tiny models train fastest on one thread."""


def test_outputs_that_moved_more_than_float_rounding_are_named() -> None:
    among = torch.tensor([[0.1, 0.9], [0.5, 0.5], [0.3, 0.7]])
    assert _model._moved(among.clone(), among, "alone", None) is None
    assert _model._moved(among + 1e-6, among, "alone", None) is None  # float rounding between batch sizes
    moved = _model._moved(among + torch.tensor([[0.0, 0.0], [0.0, 0.05], [0.0, 0.0]]), among, "alone",
                          torch.tensor([2048, 1500, 7]))
    assert moved is not None and moved.startswith("1 of 3 inputs asked again alone got other outputs")
    assert "0.5 in the graded request (in a batch of 1500) and 0.55 again" in moved
    assert _model._moved(among[:2], among, "alone", None) is not None  # a shape that changed with the batch


def test_the_judges_batch_sizes_add_up_and_leave_no_batch_of_one() -> None:
    g = torch.Generator().manual_seed(3)
    for total in (1, 2, 11, 64, 4097):
        sizes = _model._draw_sizes(total, 2, 9, g)
        assert sum(sizes) == total and (min(sizes) >= 2 or total == 1) and max(sizes) <= 10


def test_an_honest_model_in_eval_mode_passes_with_one_request() -> None:
    got = run_task(HONEST.replace("range(150)", "range(60)"), SPIRALS)
    assert got["failure"] is None and got["facts"].batch_dependence is None
    assert got["metrics"]["test_accuracy"] > 0.5 and got["asked"] == ["outputs"]  # graded (chance is 1/3)


def test_batch_normalization_left_in_training_mode_is_not_graded_and_named() -> None:
    diagnoses, got = mentor(TRAINING_MODE, SPIRALS)
    assert got["facts"].batch_dependence.endswith("again") and got["metrics"]["test_accuracy"] == 0.0
    found = {d.code: d for d in diagnoses}
    assert diagnoses[0].code == "left-in-training-mode" and diagnoses[0].severity == "error"  # the real cause
    assert "batch-dependent-outputs" not in found
    assert "model.eval()" in found["left-in-training-mode"].message
    assert "none of its outputs were graded" in found["left-in-training-mode"].message
    assert not {"underfitting", "plateau", "below-threshold"} & set(found)  # nothing was graded to read them


def test_a_replayed_model_is_replayed_again_beside_other_rows() -> None:
    got = run_task(CENTRED, COUNTED)
    assert "replayed beside zeros" in (got["facts"].batch_dependence or ""), got["facts"]
    assert got["metrics"]["test_accuracy"] == 0.0
    honest = run_task(HONEST, COUNTED)
    assert honest["facts"].batch_dependence is None and honest["facts"].replay == "exact"


def _medical_screening(**sizes: int) -> dict:
    project = load_project("medical-screening")
    return dict(id=project.id, task=project.task, lesson=project.lesson, calibration=None, path=project.path,
                thresholds=project.thresholds, dataset=dataclasses.replace(project.dataset, **sizes),
                public_seed=project.public_seed)


ATTACK = (FIXTURES / "measure_attacks" / "batch_prevalence_calibration.py").read_text()


@pytest.mark.slow
def test_probabilities_shifted_per_batch_passed_when_no_row_was_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack is real: graded as the judge graded before (no row asked again), in grade 11's world, it passes
    every threshold of medical-screening, the calibration error included."""
    spec = _medical_screening()
    monkeypatch.setattr(_model, "COMPANY_ROWS", 0)
    got = run_task(ATTACK, spec, test_seed=11, world_seed=world_seed_for(11))
    results = compare(spec["thresholds"], got["metrics"])
    assert all(r.passed for r in results), [(r.metric, r.value) for r in results]


def test_probabilities_shifted_per_batch_to_the_published_prevalence_are_refused() -> None:
    spec = _medical_screening(train=500, val=500, test=1000)
    diagnoses, got = mentor(ATTACK, spec, test_seed=11, world_seed=world_seed_for(11))
    assert not any(r.passed for r in compare(spec["thresholds"], got["metrics"])), got["metrics"]
    assert [d.code for d in diagnoses][0] == "batch-dependent-outputs", [d.code for d in diagnoses]
    assert "in the graded request (in a batch of" in got["facts"].batch_dependence


def test_the_verdict_says_nothing_was_graded_not_that_the_model_scored_zero(tmp_path, fixture_projects) -> None:
    """The metrics of a model whose outputs moved with their batch keep the values of a model that answered
    nothing; the one-line verdict says why instead of quoting them ("test_accuracy is 0")."""
    from dlpath.grading.grade import grade

    folder = tmp_path / "rings"
    folder.mkdir()
    (folder / "train.py").write_text(TRAINING_MODE.replace("range(150)", "range(20)"))
    (folder / ".dlpath-project").write_text("project: rings\n")
    report = grade(load_project("rings"), folder, seed=11, in_process=True)
    assert not report.passed
    assert report.verdict.startswith("your model gave inputs other answers when they were asked again"), report.verdict
    assert report.diagnoses[0].code in ("left-in-training-mode", "batch-dependent-outputs")  # in process, no watch
