"""``sequence_to_sequence``: the judge writes the answers itself and holds a decoder to its causal promise."""

from __future__ import annotations

import pytest

from dlpath.grading.tasks import ContractError
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor, run_task

REVERSE = dict(id="t", task="sequence_to_sequence", lesson="attention-transformers", calibration=None,
               thresholds=(Threshold("exact_match", 0.9), Threshold("causal_leaks", max=0.0)),
               dataset=DatasetSpec("digit_strings", {"length": 4}, 32, 16, 200))

# Hand-written models, no training: prompt "d0 d1 d2 d3 =" then the answer; T = 8, position t scores token t + 1.
LEARNER = """
import torch
from torch import nn
CAUSAL = {causal}
class Oracle(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(10.0))
    def forward(self, x):  # (N, 8) -> (N, 8, 12)
        n, t = x.shape
        scores = torch.zeros(n, t, 12)
        for pos in range(4, t):
            j = pos - 4  # the answer's j-th token is scored at position 4 + j
            source = {source}
            scores[:, pos] = nn.functional.one_hot(source, 12).float()
        return self.scale * scores
def build_model(info):
    return Oracle()
def train(model, data, device, log):
    model.eval()
"""
REVERSED = "x[:, 3 - j]"  # reads only the prompt: a perfect, causal answer
IN_ORDER = "x[:, j]"  # the right digits, in the prompt's order
PEEKS = "x[:, pos + 1] if pos + 1 < t else x[:, 3 - j]"  # copies the next input token: right when shown the answer, a leak


def learner(source: str, causal: bool = True) -> str:
    return LEARNER.replace("{causal}", str(causal)).replace("{source}", source)


def test_a_causal_model_that_reverses_passes_and_keeps_its_promise():
    got = run_task(learner(REVERSED), REVERSE)
    assert got["metrics"] == {"exact_match": 1.0, "token_accuracy": 1.0, "causal_leaks": 0.0}
    assert got["asked"][0] == "declaration" and got["asked"].count("outputs") == 4 + 1 + 2 + 2  # write, forced, probes, order
    extra = got["facts"].extra
    assert extra["causal"] is True and extra["content_accuracy"] == 1.0 and extra["teacher_forced_accuracy"] == 1.0
    assert got["facts"].train_score == 1.0 and got["facts"].expected_output == "(200, 8, 12) float"


def test_an_encoder_is_read_in_one_pass_with_the_answer_blanked():
    got = run_task(learner(REVERSED, causal=False), REVERSE)
    assert got["metrics"]["exact_match"] == 1.0 and got["metrics"]["causal_leaks"] == 0.0
    assert got["asked"] == ["declaration", "outputs", "outputs", "outputs", "outputs"]  # answers, forced, order


def test_a_model_that_peeks_at_the_next_token_leaks_and_is_told_so():
    diagnoses, got = mentor(learner(PEEKS), REVERSE)
    assert got["metrics"]["causal_leaks"] > 0.3 and got["metrics"]["exact_match"] < 0.1
    assert got["facts"].extra["teacher_forced_accuracy"] == 1.0
    first = diagnoses[0]
    assert first.code == "causal-leak" and first.lesson == "attention-transformers"
    assert "masked_fill" in first.message and "teacher forcing" in first.message


def test_an_encoder_trained_to_peek_is_told_so_too():
    diagnoses, got = mentor(learner(PEEKS, causal=False), REVERSE)
    assert got["metrics"]["causal_leaks"] == 0.0 and got["metrics"]["exact_match"] < 0.1
    assert diagnoses[0].code == "causal-leak" and "CAUSAL = False" in diagnoses[0].message


def test_right_digits_in_the_wrong_order_is_order_blind():
    diagnoses, got = mentor(learner(IN_ORDER), REVERSE)
    assert got["facts"].extra["content_accuracy"] == 1.0 and got["metrics"]["token_accuracy"] < 0.5
    assert diagnoses[0].code == "order-blind" and "positional" in diagnoses[0].message


def test_train_py_must_declare_how_its_model_reads():
    with pytest.raises(ContractError, match="CAUSAL = True"):
        run_task(learner(REVERSED).replace("CAUSAL = True\n", ""), REVERSE)


def test_a_wrong_output_shape_is_reported():
    got = run_task(learner(REVERSED).replace("return self.scale * scores", "return self.scale * scores[:, :, :10]"),
                   REVERSE)
    assert got["metrics"]["exact_match"] == 0.0
    assert "the grader expected (" in got["facts"].output_problem and "one raw score per token" in (
        got["facts"].output_problem)
