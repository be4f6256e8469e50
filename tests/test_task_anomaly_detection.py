"""``anomaly_detection``: the judge computes every reconstruction error itself and ranks faults by it."""

from __future__ import annotations

import itertools
import types

import pytest
import torch

from dlpath.grading.tasks import get_task
from dlpath.grading.tasks.anomaly_detection import roc_auc
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor, run_task

SENSORS = dict(id="t", task="anomaly_detection", lesson="autoencoders-vae", calibration=None,
               thresholds=(Threshold("roc_auc", 0.9),),
               dataset=DatasetSpec("sensors", {"noise": 0.2, "strength": 0.5}, 200, 100, 600))

# Hand-made reconstructions, no training: a linear map given as the model's only weight.
LEARNER = """
import math
import torch
from torch import nn
def build_model(info):
    length = info["input_shape"][0]
    t = torch.arange(length) / length
    {build}
def train(model, data, device, log):
    model.eval()
"""
# The projection onto the two harmonics a healthy signal is made of: an ideal bottleneck of 4 numbers.
PROJECTION = """basis = torch.stack([f(2 * math.pi * k * t) for k in (3, 7) for f in (torch.sin, torch.cos)])  # (4, L)
    basis = basis / basis.norm(dim=1, keepdim=True)
    model = nn.Linear(length, length, bias=False)
    model.weight.data = basis.T @ basis
    return model"""
COPY = """model = nn.Linear(length, length, bias=False)
    model.weight.data = torch.eye(length)
    return model"""
SILENCE = """model = nn.Linear(length, length, bias=False)
    model.weight.data.zero_()
    return model"""


def learner(build: str) -> str:
    return LEARNER.replace("{build}", build)


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Tiny models run fastest on one thread."""


def test_roc_auc_counts_pairs_and_ties_count_half():
    g = torch.Generator().manual_seed(0)
    scores = torch.randint(0, 5, (40,), generator=g).float()
    labels = torch.randint(0, 2, (40,), generator=g)
    pairs = [(1.0 if a > b else 0.5 if a == b else 0.0) for a, b in itertools.product(
        scores[labels == 1].tolist(), scores[labels == 0].tolist())]
    assert roc_auc(scores, labels) == pytest.approx(sum(pairs) / len(pairs))
    assert roc_auc(torch.zeros(6), torch.tensor([0, 1, 0, 1, 0, 1])) == 0.5
    assert roc_auc(torch.tensor([0.1, 0.9]), torch.tensor([0, 1])) == 1.0


def test_the_learner_trains_on_healthy_signals_only():
    task, spec = get_task("anomaly_detection"), types.SimpleNamespace(**SENSORS)
    data = task.public_data(spec, 3)
    assert (data.y_train == 0).all() and 60 < len(data.x_train) < 140
    assert len(data.x_val) == 100 and 0 < int(data.y_val.sum()) < 100


def test_an_ideal_bottleneck_finds_the_faults():
    got = run_task(learner(PROJECTION), SENSORS)
    assert got["metrics"]["roc_auc"] > 0.9 and got["asked"] == ["outputs"]
    extra = got["facts"].extra
    assert extra["noise_error"] > 0.8 and extra["healthy_error"] < 0.1
    assert set(extra["auc_by_anomaly"]) == {"spike", "frequency", "flatline", "burst", "phase-jump"}
    assert got["facts"].val_score > 0.9


def test_a_model_that_copies_its_input_finds_nothing():
    diagnoses, got = mentor(learner(COPY), SENSORS)
    assert got["metrics"]["roc_auc"] == 0.5  # every error is 0: all ties
    assert diagnoses[0].code == "copies-input" and "bottleneck" in diagnoses[0].message
    assert diagnoses[0].lesson == "autoencoders-vae"


def test_silence_is_a_loudness_score_and_is_told_it_reconstructs_nothing():
    diagnoses, got = mentor(learner(SILENCE), SENSORS)
    assert got["metrics"]["roc_auc"] < 0.7 and got["facts"].extra["healthy_error"] == pytest.approx(1.0)
    assert diagnoses[0].code == "not-reconstructing"


def test_with_a_size_budget_the_judge_replays_and_counts():
    project = dict(SENSORS, thresholds=(Threshold("roc_auc", 0.9), Threshold("parameters", max=5000)))
    got = run_task(learner(PROJECTION), project)
    # the weights, and one number per operation of the traced graph (artifact.graph_numbers)
    assert 64 * 64 < got["metrics"]["parameters"] <= 64 * 64 + 20 and got["facts"].replay == "exact"


def test_a_wrong_output_shape_is_reported():
    got = run_task(learner(PROJECTION.replace("return model", "return nn.Sequential(model, nn.Flatten(0))")),
                   SENSORS)
    assert got["metrics"]["roc_auc"] == 0.0 and "one reconstruction per signal" in got["facts"].output_problem
