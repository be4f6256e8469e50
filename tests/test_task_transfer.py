"""``transfer`` in one process: the shipped backbone handed to build_model, and how far training moved it.

The project's own backbone (projects/transfer-with-40-labels/backbone) is used, on
a small slice of its data: training here takes a fraction of a second per test.
"""

from __future__ import annotations

import copy

import pytest
import torch

from dlpath import pretrained
from dlpath.grading.tasks import ContractError, get_task
from dlpath.grading.tasks.transfer import NOT_USED, distance_from, feature_size
from dlpath.projects import DatasetSpec, Threshold, load_project
from tests.taskrun import mentor, run_task

SHIPPED = load_project("transfer-with-40-labels")
PROJECT = dict(id="t", task="transfer", path=SHIPPED.path, thresholds=(Threshold("test_accuracy", 0.8),),
               dataset=DatasetSpec("chosen_shapes", dict(SHIPPED.dataset.params), 40, 0, 400))

PROBE = """
import torch
from torch import nn
def build_model(backbone, info):
    torch.manual_seed(0)
    for p in backbone.parameters():
        p.requires_grad_(False)
    return nn.Sequential(backbone, nn.Linear(info["feature_size"], info["num_classes"]))
def train(model, data, device, log):
    opt = torch.optim.Adam(model[1].parameters(), lr=LR)
    for step in range(STEPS):
        loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
        log(epoch=step, train_loss=loss.item())
    model.eval()
"""
SCRATCH = PROBE.replace("nn.Sequential(backbone,", "nn.Sequential(nn.Flatten(), nn.Linear(256, 32), nn.ReLU(),")
FINE_TUNE_HARD = PROBE.replace("p.requires_grad_(False)", "pass").replace("model[1].parameters()", "model.parameters()")


def source(template: str, lr: float = 0.01, steps: int = 150) -> str:
    return f"LR = {lr}\nSTEPS = {steps}\n" + template


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here trains on one thread (see conftest)."""


def test_the_learner_gets_the_backbone_s_folder_and_its_feature_size():
    data = get_task("transfer").public_data(SHIPPED, SHIPPED.public_seed)
    assert data.backbone_dir == str(SHIPPED.path / "backbone")
    assert data.info["feature_size"] == 32 == feature_size(SHIPPED.path / "backbone")
    assert data.x_train.shape == (40, 1, 16, 16) and data.x_val.shape[0] == 0


def test_a_linear_probe_passes_and_its_backbone_did_not_move():
    diagnoses, got = mentor(source(PROBE), PROJECT)
    assert got["metrics"]["test_accuracy"] >= 0.8, got["metrics"]
    assert got["facts"].extra["backbone"] == {"reported": True, "start": 0.0, "end": 0.0}
    assert got["facts"].extra["labels"] == 40 and "backbone" in got["asked"]
    assert diagnoses == []


def test_a_model_trained_from_scratch_is_told_the_backbone_was_not_used():
    diagnoses, got = mentor(source(SCRATCH), PROJECT)
    assert got["metrics"]["test_accuracy"] < 0.8
    assert got["facts"].extra["backbone"]["start"] is None  # no tensor of the backbone's shapes in the model
    codes = [d.code for d in diagnoses]
    assert codes[0] == "backbone-not-used" and "overfitting" not in codes, codes
    assert "trained from scratch on 40 labelled images" in diagnoses[0].message
    assert diagnoses[0].lesson == "transfer-learning"


def test_a_backbone_fine_tuned_too_hard_is_told_it_was_overwritten():
    diagnoses, got = mentor(source(FINE_TUNE_HARD, lr=0.05, steps=60), PROJECT)
    moved = got["facts"].extra["backbone"]
    assert moved["start"] == 0.0 and moved["end"] > 1.0, moved
    assert [d.code for d in diagnoses][0] == "backbone-forgotten", [d.code for d in diagnoses]
    assert "two parameter groups" in diagnoses[0].message


def test_the_backbone_diagnoses_only_explain_a_failure():
    easy = dict(PROJECT, thresholds=(Threshold("test_accuracy", 0.2),))
    diagnoses, got = mentor(source(SCRATCH), easy)
    assert got["facts"].extra["backbone"]["start"] is None
    assert not {"backbone-not-used", "backbone-forgotten"} & {d.code for d in diagnoses}


def test_distance_from_finds_the_backbone_s_weights_wherever_they_sit():
    backbone = pretrained.load(SHIPPED.path / "backbone")
    shipped = {k: v.clone() for k, v in backbone.state_dict().items()}
    wrapped = torch.nn.Sequential(torch.nn.Identity(), copy.deepcopy(backbone), torch.nn.Linear(32, 6))
    assert distance_from(shipped, wrapped) == 0.0
    fresh = pretrained.build(pretrained_layers())
    assert distance_from(shipped, fresh) > NOT_USED
    assert distance_from(shipped, torch.nn.Linear(256, 6)) is None


def pretrained_layers() -> list:
    import json

    return json.loads((SHIPPED.path / "backbone" / "model.json").read_text())["layers"]


def test_build_model_must_return_a_module():
    bad = "def build_model(backbone, info):\n    return 3\ndef train(model, data, device, log):\n    pass\n"
    with pytest.raises(ContractError, match=r"build_model\(backbone, info\) returned a int"):
        run_task(bad, PROJECT)
