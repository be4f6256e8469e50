"""The ``segmentation`` task, in one process: IoU and Dice on fresh images, the context probe, its diagnoses."""

from __future__ import annotations

import pytest

from dlpath.grading.tasks import TASKS
from dlpath.grading.tasks.segmentation import _context, _scores
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor
from tests.taskrun import run_task as _run_task

SEGMENT = dict(id="t", task="segmentation", lesson="computer-vision", calibration=None,
               thresholds=(Threshold("test_iou", 0.6),),
               dataset=DatasetSpec("shape_masks", {"size": 12, "noise": 0.2}, 200, 40, 100))
COUNTED = dict(SEGMENT, thresholds=(Threshold("test_iou", 0.6), Threshold("parameters", max=5000)))

CONV = """
import torch
from torch import nn
def build_model(info):
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(8, 1, 1))
def train(model, data, device, log):
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(40):
        loss = nn.functional.binary_cross_entropy_with_logits(model(data.x_train)[:, 0], data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
        log(epoch=epoch, train_loss=loss.item())
    model.eval()
"""

THRESHOLD = """
import torch
from torch import nn
class Level(nn.Module):
    def __init__(self):
        super().__init__(); self.level = nn.Parameter(torch.tensor(0.5))
    def forward(self, x):
        return (x - self.level) * 10
def build_model(info):
    return Level()
def train(model, data, device, log):
    model.eval()
"""


def run_task(source: str, project: dict) -> dict:
    got = _run_task(source, project)
    if got["failure"] is not None:
        raise AssertionError(got["failure"])
    return got


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here trains on one thread (see conftest)."""


def test_the_task_declares_its_contract_and_metrics():
    task = TASKS["segmentation"]
    assert task.primary == "test_iou" and task.dataset_kinds == ("segmentation",)
    assert {m.name for m in task.metrics} == {"test_iou", "test_dice", "parameters", "learned_skill"}
    assert all(line in task.contract for line in task.contract_lines)


def test_iou_and_dice_are_averaged_over_images():
    import torch

    truth = torch.zeros(2, 4, 4)
    truth[:, :2, :2] = 1  # 4 pixels each
    marked = torch.zeros(2, 4, 4, dtype=torch.bool)
    marked[0, :2, :2] = True  # perfect
    marked[1, :2, :1] = True  # 2 of 4, nothing extra
    iou, dice = _scores(marked, truth)
    assert iou == pytest.approx((1 + 0.5) / 2) and dice == pytest.approx((1 + 2 * 2 / 6) / 2)
    assert _scores(torch.zeros(1, 3, 3, dtype=torch.bool), torch.zeros(1, 3, 3)) == (1.0, 1.0)  # nothing to find


def test_a_small_convolutional_network_passes_and_sees_its_neighbours():
    got = run_task(CONV, SEGMENT)
    metrics, facts = got["metrics"], got["facts"]
    assert metrics["test_iou"] > 0.6 and metrics["test_dice"] > metrics["test_iou"]
    assert got["asked"] == ["outputs"] and "parameters" not in metrics
    assert facts.expected_output == "(100, 1, 12, 12) float" and facts.output_problem is None
    assert facts.train_score > 0.6 and facts.val_score > 0.6 and 0.1 < facts.chance_score < 0.4
    assert facts.extra["context_change"] > 1e-3 and facts.extra["own_change"] > 1e-3
    assert 0.5 * facts.extra["true_share"] < facts.extra["predicted_share"] < 2 * facts.extra["true_share"]


def test_with_a_size_budget_the_judge_replays_and_counts_the_model():
    got = run_task(CONV, COUNTED)
    assert got["asked"] == ["artifact", "outputs"] and got["facts"].replay == "exact"
    weights = 8 * 9 + 8 + 8 * 8 * 9 + 8 + 8 + 1  # and the graph's own numbers (artifact.graph_numbers): one per
    assert weights < got["metrics"]["parameters"] <= weights + 50  # operation, each stride, padding, size listed


def test_masks_without_the_channel_dimension_are_accepted():
    source = CONV.replace("nn.Conv2d(8, 1, 1))", "nn.Conv2d(8, 1, 1), nn.Flatten(1, 2))").replace("[:, 0]", "")
    got = run_task(source, SEGMENT)
    assert got["facts"].output_problem is None and got["metrics"]["test_iou"] > 0.6


def test_a_threshold_is_diagnosed_as_a_model_without_context():
    found, got = mentor(THRESHOLD, dict(SEGMENT, dataset=DatasetSpec("shape_masks", {"size": 12}, 100, 20, 200)))
    assert got["facts"].extra["context_change"] == 0.0 and got["facts"].extra["own_change"] > 0
    assert got["metrics"]["test_iou"] < 0.6
    assert found[0].code == "pixelwise-model" and found[0].lesson == "convolutional-networks"
    assert "3x3 convolutions with padding=1" in found[0].message
    assert "underfitting" not in [d.code for d in found]


def test_a_model_that_marks_nothing_is_told_about_the_background():
    source = THRESHOLD.replace("torch.tensor(0.5)", "torch.tensor(50.0)").replace(
        "return (x - self.level) * 10", "return (x - self.level) * 10 + 0 * nn.functional.avg_pool2d(x, 3, 1, 1)")
    found, got = mentor(source, SEGMENT)
    assert got["metrics"]["test_iou"] == 0.0 and got["facts"].extra["predicted_share"] == 0.0
    assert "background-everywhere" in [d.code for d in found]


def test_an_output_of_the_wrong_size_is_reported():
    source = CONV.replace("nn.Conv2d(8, 1, 1))", "nn.Conv2d(8, 1, 1), nn.MaxPool2d(2))").replace("range(40)", "range(0)")
    got = run_task(source, SEGMENT)
    assert got["metrics"]["test_iou"] == 0.0
    assert got["facts"].output_problem.startswith("your model's output has shape (")
    assert "the grader expected (100, 1, 12, 12) float" in got["facts"].output_problem


def test_the_context_probe_reads_only_the_neighbours():
    import torch

    out = torch.zeros(4, 9, 9)
    out[2:, 4, 4] = 3.0  # the changed pixel's own output moved
    assert _context(out, (4, 4)) == (3.0, 0.0)
    out[3, 6, 5] = 0.5  # a neighbour two rows down moved too
    assert _context(out, (4, 4)) == (3.0, 0.5)


def test_convolutions_without_padding_are_named_when_the_loss_refuses_the_masks():
    source = CONV.replace("3, padding=1)", "3)")
    found, got = mentor(source, SEGMENT)
    assert got["failure"] is not None
    codes = [d.code for d in found]
    assert codes[0] == "output-size-changed" and "crashed" not in codes
    assert "2 of them turn 12x12 into 8x8" in found[0].message and "padding=1" in found[0].message
    assert found[0].lesson == "convolutional-networks"
