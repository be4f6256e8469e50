"""``honest_classification``, in one process: the learner's estimate is checked against the judge's own accuracy."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from dlpath.grading.grade import world_seed_for
from dlpath.grading.project import DatasetSpec, Threshold, load_project
from dlpath.grading.tasks import ContractError, get_task
from dlpath.grading.thresholds import compare
from tests.conftest import FIXTURES
from tests.taskrun import mentor, run_task

PATIENTS = dict(id="t", task="honest_classification", lesson="common-mistakes", calibration=None,
                thresholds=(Threshold("test_accuracy", 0.7), Threshold("honesty_gap", max=0.05)),
                dataset=DatasetSpec("patient_visits", {"features": 6, "visit_noise": 0.05, "missing": 0.03}, 4000, 0,
                                    2000))

HONEST = """
import torch
from torch import nn
SPLIT = "patients"
class Clean(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.register_buffer("center", torch.zeros(f)); self.register_buffer("scale", torch.ones(f))
    def fit(self, x):
        median = x.nanmedian(dim=0).values
        q1, q3 = torch.nanquantile(x, torch.tensor([0.25, 0.75]), dim=0)
        self.center.copy_(median); self.scale.copy_((q3 - q1).clamp_min(1e-9))
    def forward(self, x):
        x = torch.where(torch.isnan(x), self.center, x)
        return ((x - self.center) / self.scale).clamp(-5, 5)
def build_model(info):
    torch.manual_seed(0)
    f = info["input_shape"][0]
    return nn.Sequential(Clean(f), nn.Linear(f, 16), nn.ReLU(), nn.Linear(16, info["num_classes"]))
def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()
def train(model, data, device, log):
    g = torch.Generator().manual_seed(0)
    if SPLIT == "patients":
        patients = data.group.unique()
        held = patients[torch.randperm(len(patients), generator=g)[: len(patients) // 4]]
        val = torch.isin(data.group, held)
    else:
        val = torch.rand(len(data.x), generator=g) < 0.25
    model[0].fit(data.x[~val])
    x, y = data.x[~val], data.y[~val]
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(EPOCHS):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(); loss.backward(); opt.step()
        if epoch % 20 == 0:
            log(epoch=epoch, train_loss=loss.item())
    model.eval()
    return model, ESTIMATE(model, data, val)
EPOCHS = 60
ESTIMATE = lambda model, data, val: accuracy(model, data.x[val], data.y[val])
"""


def test_the_public_table_carries_the_patient_of_each_row_and_no_validation_split():
    data = get_task("honest_classification").public_data(_spec(), 1)
    assert data.x.shape == (4000, 6) and data.y.shape == (4000,) and data.group.shape == (4000,)
    assert bool(torch.isnan(data.x).any()), "the learner gets the raw rows, missing values included"
    assert data.group.unique().numel() < 1200  # several visits per patient
    assert data.info["feature_names"][:2] == ["age_years", "weight_grams"] and data.info["num_classes"] == 2


def test_an_honest_split_gives_an_estimate_the_judge_confirms():
    got = run_task(HONEST, PATIENTS)
    metrics, extra = got["metrics"], got["facts"].extra
    assert got["asked"] == ["estimate", "outputs"]
    assert metrics["test_accuracy"] > 0.75
    assert metrics["honesty_gap"] == pytest.approx(abs(extra["estimate"] - metrics["test_accuracy"]))
    assert metrics["honesty_gap"] < 0.05
    assert extra["test_rows"] == 2000 and extra["missing_rows_broken"] == 0.0
    diagnoses, _ = mentor(HONEST, PATIENTS)
    assert diagnoses == []


def test_an_estimate_measured_on_seen_patients_is_diagnosed_as_optimistic():
    source = HONEST.replace("ESTIMATE = lambda model, data, val: accuracy(model, data.x[val], data.y[val])",
                            "ESTIMATE = lambda model, data, val: 0.99")
    diagnoses, got = mentor(source, PATIENTS)
    assert got["metrics"]["honesty_gap"] > 0.1
    first = diagnoses[0]
    assert first.code == "optimistic-estimate" and first.lesson == "common-mistakes"
    assert first.message.startswith("Your code estimated 99% accuracy on new patients; on 2,000 rows of patients "
                                    "your code never saw the grader measured")
    assert "Split by patient" in first.message


def test_an_estimate_below_the_truth_is_pessimistic():
    source = HONEST.replace("ESTIMATE = lambda model, data, val: accuracy(model, data.x[val], data.y[val])",
                            "ESTIMATE = lambda model, data, val: 0.5")
    diagnoses, _ = mentor(source, PATIENTS)
    assert [d.code for d in diagnoses][:1] == ["pessimistic-estimate"]


def test_missing_values_left_in_the_model_are_named_and_not_blamed_on_the_learning_rate():
    source = HONEST.replace("        x = torch.where(torch.isnan(x), self.center, x)\n", "")
    diagnoses, got = mentor(source, PATIENTS)
    codes = [d.code for d in diagnoses]
    assert codes[0] == "missing-values-not-handled" and diagnoses[0].lesson == "data-cleaning"
    assert "non-finite-loss" not in codes and "optimistic-estimate" not in codes
    assert got["facts"].extra["missing_rows_broken"] == 1.0


def test_raw_measurements_and_outliers_are_read_from_what_the_first_layer_saw():
    raw = HONEST.replace("        return ((x - self.center) / self.scale).clamp(-5, 5)", "        return x")
    diagnoses, _ = mentor(raw, PATIENTS)
    assert diagnoses[0].code == "inputs-not-normalized" and "grams next to fractions" in diagnoses[0].message
    assert "exploding-gradients" not in [d.code for d in diagnoses]
    unclipped = HONEST.replace(".clamp(-5, 5)", "")
    codes = [d.code for d in mentor(unclipped, PATIENTS)[0]]
    assert "outliers-not-handled" in codes and "inputs-not-normalized" not in codes


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ("0.8", "train(model, data, device, log) returned 0.8; it must return the pair (model, estimated_accuracy)"),
        ("(model, 83.0)", "an estimated accuracy of 83 (it looks like a percentage: divide by 100)"),
        ("(model, 'high')", "returned (model, 'high'); the estimated accuracy must be a number between 0 and 1"),
        ("(0.8, model)", "returned (float, ...); the first of the pair must be the trained torch.nn.Module"),
    ],
)
def test_the_pair_train_returns_is_checked(result, message):
    source = HONEST.replace("    return model, ESTIMATE(model, data, val)", f"    return {result}").replace(
        "EPOCHS = 60", "EPOCHS = 1")
    with pytest.raises(ContractError) as info:
        run_task(source, PATIENTS)
    assert message in str(info.value)


def test_the_estimate_may_be_a_one_element_tensor():
    source = HONEST.replace("    return model, ESTIMATE(model, data, val)",
                            "    return model, torch.tensor([0.75])").replace("EPOCHS = 60", "EPOCHS = 1")
    got = run_task(source, PATIENTS)
    assert got["facts"].extra["estimate"] == 0.75
    assert got["metrics"]["honesty_gap"] == pytest.approx(abs(0.75 - got["metrics"]["test_accuracy"]))


def _spec():
    import types

    return types.SimpleNamespace(**PATIENTS)


CLINICS = dict(PATIENTS, dataset=DatasetSpec("patient_visits", {"features": 6, "visit_noise": 0.05, "missing": 0.03,
                                                                 "label_noise": 0.2, "clinics": 3,
                                                                 "clinic_spread": 0.15}, 3000, 0, 3000))


def test_each_clinic_is_measured_and_the_gap_is_the_worst_clinics():
    source = HONEST.replace("    return model, ESTIMATE(model, data, val)",
                            "    return model, [0.9, 0.5, 0.7]").replace("EPOCHS = 60", "EPOCHS = 20")
    got = run_task(source, CLINICS, world_seed=4)
    metrics, extra = got["metrics"], got["facts"].extra
    measured = extra["measured_accuracies"]
    gaps = [abs(e - m) for e, m in zip([0.9, 0.5, 0.7], measured)]
    assert len(measured) == 3 and extra["estimates"] == [0.9, 0.5, 0.7]
    assert metrics["honesty_gap"] == pytest.approx(max(gaps))
    assert extra["clinic"] == gaps.index(max(gaps)) and extra["measured"] == measured[extra["clinic"]]
    assert metrics["clean_accuracy"] > metrics["test_accuracy"]  # the flipped labels count against no one there


@pytest.mark.parametrize("result", ["0.8", "[0.8, 0.8]", "torch.full((2, 3), 0.8)"])
def test_one_estimate_per_clinic_is_asked_for(result):
    source = HONEST.replace("    return model, ESTIMATE(model, data, val)",
                            f"    return model, {result}").replace("EPOCHS = 60", "EPOCHS = 1")
    with pytest.raises(ContractError) as info:
        run_task(source, CLINICS)
    assert "the estimated accuracy must be a list of 3 numbers, one per clinic (data.info['clinics'] is 3)" in str(
        info.value)


def test_each_worlds_clinics_differ_by_more_than_the_gap_allowed():
    """The clinics' shares of flipped labels, drawn by the world: one fixed figure per clinic cannot follow them."""
    from dlpath.datasets import generate

    params = load_project("honest-evaluation").dataset.params
    rows = [generate("patient_visits", 3000, 1, **dict(params, world_seed=w)).extra for w in range(12)]
    shares = torch.tensor([[float(r["flipped"][r["clinic"] == c].float().mean()) for c in range(3)]
                           for r in rows])  # (worlds, clinics) each clinic's share of flipped labels
    assert float(shares.min()) < 0.12 and float(shares.max()) > 0.28  # accuracies some 0.15 apart and more
    spread = shares.max(dim=1).values - shares.min(dim=1).values  # (worlds,) how far one world's clinics differ
    assert float((spread > 0.1).float().mean()) > 0.5


@pytest.mark.parametrize("seed", [11, 22])
def test_a_constant_estimate_read_off_an_earlier_report_is_refused_as_dishonest(seed):
    """The attack: the naive pipeline, its estimate a constant (0.79) from an earlier report, on the project's own
    data (its worlds, its clinics), at a grade's world: the honesty gap refuses it, and says why."""
    source = (FIXTURES / "measure_attacks" / "constant_estimate.py").read_text()
    project = load_project("honest-evaluation")
    spec = dict(id=project.id, task=project.task, lesson=project.lesson, calibration=None, path=project.path,
                thresholds=project.thresholds, dataset=dataclasses.replace(project.dataset, train=9_000, test=9_000))
    diagnoses, got = mentor(source, spec, test_seed=seed, world_seed=world_seed_for(seed))
    assert got["facts"].extra["estimates"] == [0.79, 0.79, 0.79]
    results = {r.metric: r for r in compare(project.thresholds, got["metrics"])}
    assert not results["honesty_gap"].passed and got["metrics"]["honesty_gap"] > 0.06
    codes = [d.code for d in diagnoses]
    assert {"optimistic-estimate", "pessimistic-estimate"} & set(codes)
    assert f"of clinic {got['facts'].extra['clinic']}" in diagnoses[codes.index(
        next(c for c in codes if c.endswith("-estimate")))].message
