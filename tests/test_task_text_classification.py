"""The ``text_classification`` task, in one process: texts go to the learner's encode as strings, the judge
measures all of them and the negated ones apart, and the mentor names a bag of words for what it is."""

from __future__ import annotations

import types

import pytest
import torch

from dlpath.datasets import draw
from dlpath.datasets.text import decode_texts
from dlpath.grading.tasks import ContractError, JudgeContext, LearnerError, get_task
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor, run_task

REVIEWS = dict(id="t", task="text_classification", lesson="natural-language-processing", calibration=None,
               thresholds=(Threshold("test_accuracy", 0.95), Threshold("negation_accuracy", 0.9)),
               dataset=DatasetSpec("reviews", {"negation": 0.3, "two_phrases": 0.5}, 1500, 200, 800))


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here trains on one thread (see conftest)."""


HELPERS = """
import re
import torch
from torch import nn
PAD = 0
def tokenize(text):
    return re.findall(r"[a-z']+|[.,!?]", text.lower())
def build_vocab(texts):
    vocab = {"<pad>": 0, "<unk>": 1}
    for text in texts:
        for token in tokenize(text):
            vocab.setdefault(token, len(vocab))
    return vocab
def encode(texts, vocab):
    rows = [[vocab.get(t, 1) for t in tokenize(text)] for text in texts]
    ids = torch.zeros(len(rows), max(len(r) for r in rows), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, ids.shape[1] - len(row):] = torch.tensor(row)
    return ids
def train(model, data, device, log):
    torch.manual_seed(0)
    x, y = encode(data.x_train, data.info["vocab"]), data.y_train
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    for epoch in range(EPOCHS):
        model.train()
        for start in range(0, len(x), 50):
            loss = nn.functional.cross_entropy(model(x[start:start + 50]), y[start:start + 50])
            opt.zero_grad(); loss.backward(); opt.step()
        log(epoch=epoch, train_loss=loss.item())
    model.eval()
"""

GRU = HELPERS + """
LR, EPOCHS = 0.01, 6
class Reader(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.embed, self.gru, self.head = nn.Embedding(n, 16, padding_idx=0), nn.GRU(16, 32, batch_first=True), nn.Linear(32, 2)
    def forward(self, ids):
        return self.head(self.gru(self.embed(ids))[1][0])
def build_model(info):
    torch.manual_seed(0)
    return Reader(len(info["vocab"]))
"""

BAG = HELPERS + """
LR, EPOCHS = 0.02, 8
class Bag(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.embed, self.head = nn.Embedding(n, 16, padding_idx=0), nn.Linear(16, 2)
    def forward(self, ids):
        return self.head(self.embed(ids).mean(dim=1))
def build_model(info):
    torch.manual_seed(0)
    return Bag(len(info["vocab"]))
"""


def test_a_model_that_reads_in_order_passes_without_a_word_from_the_mentor():
    diagnoses, got = mentor(GRU, REVIEWS)
    assert got["metrics"]["test_accuracy"] >= 0.95 and got["metrics"]["negation_accuracy"] >= 0.9, got["metrics"]
    assert got["asked"] == ["scores"]
    assert diagnoses == []


def test_a_bag_of_words_is_told_that_negation_needs_the_order():
    diagnoses, got = mentor(BAG, REVIEWS)
    extra = got["facts"].extra
    assert extra["plain_accuracy"] > 0.9 and got["metrics"]["negation_accuracy"] < 0.5
    assert diagnoses[0].code == "negation-blind" and diagnoses[0].lesson == "natural-language-processing"
    assert "'not good' as good" in diagnoses[0].message and "nn.GRU" in diagnoses[0].message
    assert "bag of words" in diagnoses[0].message  # the watch saw a linear model
    assert not {"underfitting", "stacked-linear", "below-threshold"} & {d.code for d in diagnoses}


def _truth(spec: dict) -> dict[str, int]:
    """Every text the judge may send (train, val and test), with its label."""
    project = types.SimpleNamespace(**spec)
    parts = dict(draw(project.dataset, 1, ("train", "val")), **draw(project.dataset, 99, ("test",)))
    return {text: int(y) for part in parts.values() for text, y in zip(decode_texts(part.x), part.y.tolist())}


ORACLE = """
import torch
from torch import nn
TRUTH, FLIP_NEGATED = {}, False
NEGATORS = ("not ", "never ", "hardly ", "far from ")
def build_vocab(texts):
    return {"right": 0}
def encode(texts, vocab):
    labels = [TRUTH[t] for t in texts]
    if FLIP_NEGATED:
        labels = [1 - y if any(n in t.lower() for n in NEGATORS) else y for t, y in zip(texts, labels)]
    return torch.tensor(labels).unsqueeze(1)  # (N, 1)
class OneHot(nn.Module):
    def forward(self, ids):
        return nn.functional.one_hot(ids[:, 0], 2).float()
def build_model(info):
    return OneHot()
def train(model, data, device, log):
    pass
"""


@pytest.mark.parametrize("flip", [False, True])
def test_the_judge_measures_the_negated_reviews_apart(flip):
    """An oracle that knows every label is perfect; the same oracle wrong on exactly the negated reviews scores 0
    there, and 1 minus their share overall: the judge's subsets are the ones the data set marks."""
    source = ORACLE.replace("TRUTH, FLIP_NEGATED = {}, False", f"TRUTH, FLIP_NEGATED = {_truth(REVIEWS)!r}, {flip}")
    got = run_task(source, REVIEWS)
    share = got["facts"].extra["negated_share"]
    if flip:
        assert got["metrics"]["negation_accuracy"] == 0.0
        assert got["metrics"]["test_accuracy"] == pytest.approx(1 - share, abs=1e-6)
        assert got["facts"].extra["plain_accuracy"] == 1.0
    else:
        assert got["metrics"] == {"test_accuracy": 1.0, "negation_accuracy": 1.0}


def test_texts_travel_as_strings_shuffled_among_training_texts():
    task, spec = get_task("text_classification"), types.SimpleNamespace(**REVIEWS)
    asked = []

    def ask(name, values=None, tensors=None):
        asked.append((name, values, tensors))
        return {}, {"y": torch.zeros(len(values["texts"]), 2)}

    ctx = JudgeContext(project=spec, public=task.public_data(spec, 1), test=task.test_data(spec, 99), ask=ask,
                       folder=None, test_seed=99)
    task.judge(ctx)
    (name, values, tensors), = asked
    texts = values["texts"]
    test_texts = decode_texts(ctx.test.x)
    assert name == "scores" and not tensors and all(isinstance(t, str) for t in texts)
    assert len(texts) == 800 + 1500 + 200 and set(test_texts) <= set(texts)
    assert texts[:800] != test_texts  # the test texts are not simply first


def test_the_contract_is_checked_where_it_breaks():
    with pytest.raises(ContractError, match="build_vocab\\(texts\\) returned None"):
        run_task(GRU.replace("    return vocab\n", "    return None\n", 1), REVIEWS)
    floats = GRU.replace("    return ids\n", "    return ids.float()\n")
    diagnoses, got = mentor(floats.replace("x, y = encode(data.x_train, data.info[\"vocab\"])",
                                           "x, y = encode(data.x_train, data.info[\"vocab\"]).long()"), REVIEWS)
    assert "token ids are whole numbers" in got["facts"].forward_error
    assert diagnoses[0].code == "evaluation-crashed"


def test_a_wrong_number_of_scores_is_a_wrong_output():
    out = "self.head(self.gru(self.embed(ids))[1][0])"
    diagnoses, got = mentor(GRU.replace(f"return {out}", f"return {out} if self.training else {out}[:, :1]"),
                            REVIEWS)
    assert "expected (2500, 2) float" in got["facts"].output_problem
    assert diagnoses[0].code == "wrong-output"


def test_a_learner_error_while_answering_is_reported_not_raised():
    task = get_task("text_classification")
    side = types.SimpleNamespace(state=types.SimpleNamespace(encode=lambda texts, vocab: 1 / 0, vocab={}, model=None),
                                 device="cpu")
    with pytest.raises(LearnerError, match="encode\\(texts, vocab\\) failed: ZeroDivisionError"):
        task.answer("scores", {"texts": ["Good."]}, {}, side)
    with pytest.raises(LearnerError, match="no texts"):
        task.answer("scores", {"texts": [1, 2]}, {}, side)
