"""``binary_scores``: the ranking and calibration measurements, the judge in one process, and its diagnoses.

The measurements are checked against hand-worked answers (ties shared the way
the module's docstring says); the judge and the mentor run on tiny learners
written here, each making one mistake the task has a diagnosis for.
"""

from __future__ import annotations

import math

import pytest
import torch

from dlpath.grading.tasks.binary_scores import (
    average_precision,
    expected_calibration_error,
    recall_at_budget,
    reliability,
    roc_auc,
    sensitivity_at_specificity,
)
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor, run_task

SCREENING = dict(id="t", task="binary_scores", lesson="evaluation-metrics", calibration=None,
                 thresholds=(Threshold("recall_at_2pct_alerts", 0.5), Threshold("majority_accuracy_error", max=0.001)),
                 dataset=DatasetSpec("screening", {"positive_rate": 0.02, "separation": 3.5}, 3000, 1000, 5000))
CREDIT = dict(id="t", task="binary_scores", lesson="finance-ai", calibration=None,
              thresholds=(Threshold("test_auc", 0.75), Threshold("test_ece", max=0.03)),
              dataset=DatasetSpec("credit", {"positive_rate": 0.15}, 3000, 1000, 5000))


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here trains on one thread (see conftest)."""


def t(values):
    return torch.tensor(values, dtype=torch.float64)


# ------------------------------------------------------------------ the measurements


def test_roc_auc_counts_ties_as_half():
    y = t([1, 1, 0, 0])
    assert roc_auc(t([0.9, 0.8, 0.2, 0.1]), y) == 1.0
    assert roc_auc(t([0.1, 0.2, 0.8, 0.9]), y) == 0.0
    assert roc_auc(t([0.5, 0.5, 0.5, 0.5]), y) == 0.5
    assert roc_auc(t([0.9, 0.5, 0.5, 0.1]), y) == pytest.approx(0.875)  # one tied pair of four
    assert math.isnan(roc_auc(t([0.3, 0.4]), t([0, 0])))


def test_average_precision_groups_ties_and_has_the_prevalence_as_floor():
    y = t([1, 0, 1, 0, 0])
    assert average_precision(t([5, 4, 3, 2, 1]), y) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision(t([1, 1, 1, 1, 1]), y) == pytest.approx(0.4)
    assert average_precision(t([1, 0, 1, 0, 0]), y) == 1.0


def test_recall_at_a_budget_shares_the_tie_it_cuts_through():
    y = t([1] * 10 + [0] * 90)
    ranked = t(list(range(100, 0, -1)))
    assert recall_at_budget(ranked, y, 0.05) == pytest.approx(0.5)  # 5 slots, all positives
    assert recall_at_budget(torch.zeros(100, dtype=torch.float64), y, 0.05) == pytest.approx(0.05)
    # decisions: 4 positives and 1 negative flagged, 5 more slots shared among the 95 unflagged (6 positives)
    decisions = t([1, 1, 1, 1] + [0] * 6 + [1] + [0] * 89)
    assert recall_at_budget(decisions, y, 0.10) == pytest.approx((4 + 5 * 6 / 95) / 10)


def test_sensitivity_at_specificity_interpolates_between_tied_scores():
    y = t([1] * 10 + [0] * 90)
    assert sensitivity_at_specificity(t(list(range(100, 0, -1))), y, 0.9) == 1.0
    assert sensitivity_at_specificity(torch.zeros(100, dtype=torch.float64), y, 0.9) == pytest.approx(0.1)
    # decisions flag 6 positives and 3 negatives; 9 - 3 = 6 more negatives of the 87 unflagged may be flagged
    decisions = t([1] * 6 + [0] * 4 + [1] * 3 + [0] * 87)
    assert sensitivity_at_specificity(decisions, y, 0.9) == pytest.approx((6 + 4 * 6 / 87) / 10)


def test_calibration_error_and_the_reliability_table():
    g = torch.Generator().manual_seed(0)
    p = torch.rand(200_000, generator=g, dtype=torch.float64)
    y = (torch.rand(200_000, generator=g, dtype=torch.float64) < p).double()
    assert expected_calibration_error(p, y) < 0.01  # drawn from its own probabilities: calibrated
    assert expected_calibration_error(torch.full((1000,), 0.5, dtype=torch.float64), (torch.arange(1000) < 100).double()) \
        == pytest.approx(0.4)
    table = reliability(t([0.05, 0.05, 0.95, 1.0]), t([0, 1, 1, 1]))
    assert table == [(0, 0.05, 0.5, 2), (9, 0.975, 1.0, 2)]


# ------------------------------------------------------------------ the judge and the mentor

LOGISTIC = """
import torch
from torch import nn
SHIFT = 0.0
SHARPEN = 1.0
def always_negative_accuracy(labels):
    return (labels == 0).float().mean().item()
def build_model(info):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(info["input_shape"][0], 16), nn.ReLU(), nn.Linear(16, 1))
def train(model, data, device, log):
    x = (data.x_train - data.x_train.mean(0)) / data.x_train.std(0)
    mean, std = data.x_train.mean(0), data.x_train.std(0)
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    for epoch in range(150):
        loss = nn.functional.binary_cross_entropy_with_logits(model(x).squeeze(1), data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
        if epoch % 10 == 0:
            log(epoch=epoch, train_loss=loss.item())
    model.eval()
    class Probability(nn.Module):
        def __init__(self):
            super().__init__(); self.net = model
        def forward(self, x):
            return OUTPUT(self.net((x - mean) / std).squeeze(1))
    return Probability()
"""


def learner(output: str = "torch.sigmoid(SHARPEN * z + SHIFT)", **settings: float) -> str:
    source = LOGISTIC.replace("OUTPUT(self.net((x - mean) / std).squeeze(1))",
                              f"(lambda z: {output})(self.net((x - mean) / std).squeeze(1))")
    for name, value in settings.items():
        source = source.replace(f"{name} = ", f"{name} = {value!r} #")
    return source


def codes(diagnoses):
    return [d.code for d in diagnoses]


def test_a_calibrated_learner_passes_without_a_diagnosis_and_the_judge_measures_it():
    found, got = mentor(learner(), CREDIT)
    metrics, facts = got["metrics"], got["facts"]
    assert metrics["test_auc"] > 0.75 and metrics["test_ece"] < 0.03, metrics
    assert set(metrics) >= {"test_pr_auc", "recall_at_2pct_alerts", "sensitivity_at_90pct_specificity",
                            "test_accuracy"}
    assert "majority_accuracy_error" not in metrics and got["asked"] == ["outputs"]  # not graded: not asked
    assert sum(facts.extra["reliability_count"]) == 5000 and len(facts.extra["reliability_mean"]) == 10
    assert facts.train_score > 0.75 and facts.val_score > 0.7 and facts.expected_output == "(5000,) float"
    assert found == []


def test_raw_scores_are_not_probabilities():
    found, got = mentor(learner("z"), CREDIT)
    assert got["metrics"]["test_ece"] == 1.0 and got["metrics"]["test_accuracy"] == 0.0
    assert got["metrics"]["test_auc"] > 0.75  # the ranking still counts
    assert codes(found)[0] == "not-probabilities" and "torch.sigmoid" in found[0].message


def test_an_overconfident_model_is_told_about_temperature():
    found, _ = mentor(learner(SHARPEN=4.0), CREDIT)
    assert "miscalibrated" in codes(found)
    message = next(d for d in found if d.code == "miscalibrated").message
    assert "overconfident" in message and "temperature" in message


def test_probabilities_pushed_up_are_told_to_shift_back():
    found, _ = mentor(learner(SHIFT=1.5), CREDIT)
    shifted = next(d for d in found if d.code == "shifted-probabilities")
    assert "too high" in shifted.message and "pos_weight" in shifted.message
    assert any(line.startswith("0.") and "truly positive" in line for line in shifted.evidence)


def test_an_overconfident_model_whose_mean_is_off_is_overconfident_not_shifted():
    """Overconfidence tilts the reliability table, and it can move the mean probability off the truth too (the
    naive baseline of probabilities-you-can-trust: either way, by the seed): the tilt is the mistake to name."""
    from dlpath.grading.tasks.binary_scores import logit_slope

    found, got = mentor(learner(SHARPEN=3.0, SHIFT=-1.5), CREDIT)
    extra = got["facts"].extra
    rows = [(b, m, r, c) for b, (c, m, r) in
            enumerate(zip(extra["reliability_count"], extra["reliability_mean"], extra["reliability_rate"])) if c]
    total = sum(c for *_, c in rows)
    mean_p, mean_y = (sum(m * c for _, m, _, c in rows) / total, sum(r * c for _, _, r, c in rows) / total)
    assert abs(mean_p - mean_y) >= 0.5 * got["metrics"]["test_ece"]  # as large a shift as a shifted model's
    assert logit_slope(rows) < 0.5
    assert "miscalibrated" in codes(found) and "shifted-probabilities" not in codes(found)
    message = next(d for d in found if d.code == "miscalibrated")
    assert "overconfident" in message.message and any("logit slope" in line for line in message.evidence)


def test_the_logit_slope_reads_a_shift_and_a_tilt():
    from dlpath.grading.tasks.binary_scores import logit_slope

    def table(truth):  # bins of mean 0.05, 0.15, ..., 0.95 and 1000 inputs each
        return [(b, (b + 0.5) / 10, truth((b + 0.5) / 10), 1000) for b in range(10)]

    def sigmoid(z):
        return 1 / (1 + math.exp(-z))

    def logit(p):
        return math.log(p / (1 - p))

    assert logit_slope(table(lambda p: p)) == pytest.approx(1.0)
    assert logit_slope(table(lambda p: sigmoid(logit(p) - 1.5))) == pytest.approx(1.0)  # shifted: spread right
    assert logit_slope(table(lambda p: sigmoid(logit(p) / 2 - 0.7))) == pytest.approx(0.5)  # overconfident
    assert logit_slope(table(lambda p: sigmoid(logit(p) * 2))) == pytest.approx(2.0)  # underconfident
    assert logit_slope(table(lambda p: p)[:1]) is None


def test_decisions_are_not_scores():
    found, got = mentor(learner("(torch.sigmoid(z) > 0.2).float()"), SCREENING)
    assert got["facts"].extra["distinct_outputs"] == 2 and got["facts"].extra["output_values"] == [0.0, 1.0]
    assert codes(found)[0] == "decisions-not-scores" and "one of two values (0 and 1)" in found[0].message


def test_the_accuracy_quiz_is_checked_on_labels_the_judge_draws():
    _, got = mentor(learner(), SCREENING)
    assert got["metrics"]["majority_accuracy_error"] == 0.0
    assert got["asked"].count("always_negative_accuracy") == 3
    assert got["facts"].extra["quiz_truth"] == pytest.approx(0.98)
    wrong = learner().replace("return (labels == 0).float().mean().item()", "return 0.99")
    found, got = mentor(wrong, SCREENING)
    assert got["metrics"]["majority_accuracy_error"] > 0.2
    assert "accuracy-paradox" in codes(found)
    missing = learner().replace("def always_negative_accuracy(labels):", "def something_else(labels):")
    found, got = mentor(missing, SCREENING)
    assert got["metrics"]["majority_accuracy_error"] == 1.0
    assert "no function always_negative_accuracy(labels)" in next(d for d in found if d.code == "accuracy-paradox").message


def test_a_model_that_learned_only_the_base_rate_is_told_to_weigh_the_rare_class():
    weak = learner("torch.sigmoid(0.05 * z - 4.0)")
    found, got = mentor(weak, dict(SCREENING, thresholds=(Threshold("recall_at_2pct_alerts", 0.99),)))
    assert got["facts"].extra["flagged_share"] == 0.0
    majority = next(d for d in found if d.code == "majority-class")
    assert "pos_weight" in majority.message and majority.lesson == "class-imbalance"


def test_a_wrong_shape_is_reported():
    found, got = mentor(learner("torch.stack([torch.sigmoid(z), 1 - torch.sigmoid(z)], dim=1)"), CREDIT)
    assert got["facts"].output_problem.startswith("your model's output has shape (")
    assert codes(found)[0] == "wrong-output"


def test_public_and_test_data_are_binary_and_the_positives_rare():
    got = run_task(learner(), SCREENING)
    assert got["failure"] is None and got["facts"].extra["train_positive_rate"] == pytest.approx(0.02)
