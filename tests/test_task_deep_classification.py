"""``deep_classification``, in one process: depth counted on the traced graph, and the replay is what is graded."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlpath.grading import artifact
from dlpath.grading.tasks.deep_classification import weight_layer_depth
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor, run_task

DEEP = dict(id="t", task="deep_classification", lesson="vanishing-exploding-gradients", calibration=None,
            thresholds=(Threshold("test_accuracy", 0.8), Threshold("depth", min=8)),
            dataset=DatasetSpec("spirals", {"classes": 3, "noise": 0.1}, 300, 100, 300))

LEARNER = """
import torch
from torch import nn
DEPTH, ACT, STD, LR, EPOCHS = 8, nn.ReLU, None, 1e-2, 100
def build_model(info):
    torch.manual_seed(0)
    layers, width = [], 2
    for _ in range(DEPTH - 1):
        layers += [nn.Linear(width, 32), ACT()]
        width = 32
    model = nn.Sequential(*layers, nn.Linear(width, info["num_classes"]))
    for layer in model:
        if isinstance(layer, nn.Linear):
            if STD is None:
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            else:
                nn.init.normal_(layer.weight, std=STD)
            nn.init.zeros_(layer.bias)
    return model
def train(model, data, device, log):
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    for epoch in range(EPOCHS):
        loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
        if epoch % 10 == 0:
            log(epoch=epoch, train_loss=loss.item())
    model.eval()
"""


def _depth(model: nn.Module, features: int = 4) -> int:
    graph, _ = artifact.trace(model.eval(), torch.randn(8, features))
    return weight_layer_depth(graph)


class Residual(nn.Module):
    def __init__(self, blocks: int) -> None:
        super().__init__()
        self.first = nn.Linear(4, 8)
        self.blocks = nn.ModuleList(nn.Sequential(nn.LayerNorm(8), nn.Linear(8, 8), nn.ReLU()) for _ in range(blocks))
        self.last = nn.Linear(8, 3)

    def forward(self, x):
        x = self.first(x)
        for block in self.blocks:
            x = x + block(x)
        return self.last(x)


class SideBySide(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.branches = nn.ModuleList(nn.Linear(4, 3) for _ in range(10))

    def forward(self, x):
        return sum(branch(x) for branch in self.branches)


class Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.q, self.out = nn.Linear(4, 4), nn.Linear(4, 3)

    def forward(self, x):
        q = self.q(x)
        mixed = torch.softmax(q @ q.T, dim=1) @ x  # data times data: no weight layer
        return self.out(mixed)


@pytest.mark.parametrize(
    ("model", "depth"),
    [
        (nn.Sequential(*[m for _ in range(5) for m in (nn.Linear(4, 4), nn.Sigmoid())]), 5),
        (nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3)), 2),
        (Residual(6), 8),
        (SideBySide(), 1),
        (Attention(), 2),
        (nn.Sequential(nn.Flatten(), nn.ReLU()), 0),
    ],
)
def test_depth_counts_weight_layers_on_the_longest_path(model, depth):
    assert _depth(model) == depth


def test_convolutions_count_too():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3), nn.Flatten(), nn.LazyLinear(3))
    model(torch.randn(2, 1, 8, 8))
    graph, _ = artifact.trace(model.eval(), torch.randn(2, 1, 8, 8))
    assert weight_layer_depth(graph) == 3


def test_a_deep_network_that_trains_passes_and_is_counted_on_its_replay():
    got = run_task(LEARNER, DEEP)
    assert got["asked"][:2] == ["artifact", "outputs"]
    assert got["metrics"]["depth"] == 8 and got["metrics"]["test_accuracy"] > 0.8
    assert got["facts"].replay == "exact" and got["facts"].extra["depth"] == 8
    diagnoses, _ = mentor(LEARNER, DEEP)
    assert [d for d in diagnoses if d.severity == "error"] == []


def test_the_graded_outputs_are_the_replay_not_what_the_learner_process_answers(monkeypatch):
    from dlpath.grading.tasks.deep_classification import DeepClassificationTask

    honest = DeepClassificationTask.answer

    def forged(self, name, values, tensors, side):
        if name == "outputs":  # claims a perfect score: every row's scores say "class 0" loudly
            return {}, {"y": torch.tensor([[9.0, 0.0, 0.0]]).repeat(len(tensors["x"]), 1)}
        return honest(self, name, values, tensors, side)

    monkeypatch.setattr(DeepClassificationTask, "answer", forged)
    got = run_task(LEARNER, DEEP)
    assert got["metrics"]["test_accuracy"] > 0.8  # the replay of the traced model, not the forged outputs
    assert got["facts"].replay.startswith("differs")


def test_a_shallow_network_is_told_why_the_depth_counts():
    diagnoses, got = mentor(LEARNER.replace("= 8, nn.ReLU, None", "= 3, nn.ReLU, None"), DEEP)
    assert got["metrics"]["depth"] == 3
    first = diagnoses[0]
    assert first.code == "too-shallow" and first.lesson == "vanishing-exploding-gradients"
    assert first.message.startswith("The grader counted 3 weight layer(s) on the longest path from your model's "
                                    "input to its output; this project asks for at least 8.")


def test_sigmoids_with_small_weights_are_diagnosed_as_vanishing_gradients():
    source = LEARNER.replace("DEPTH, ACT, STD, LR, EPOCHS = 8, nn.ReLU, None, 1e-2, 100",
                             "DEPTH, ACT, STD, LR, EPOCHS = 12, nn.Sigmoid, 0.05, 1e-2, 30")
    diagnoses, got = mentor(source, DEEP)
    assert got["metrics"]["test_accuracy"] < 0.5
    assert "vanishing-gradients" in [d.code for d in diagnoses if d.severity == "error"]


def test_a_model_the_judge_cannot_replay_gets_no_accuracy():
    source = LEARNER.replace("    model.eval()\n", "    model.eval()\n    model.forward = lambda x: torch.empty(len(x), 3)\n")
    got = run_task(source, DEEP)
    assert got["metrics"] == {"test_accuracy": 0.0, "depth": 0.0}
    assert got["facts"].replay.startswith("unavailable")


PADDED = """
import torch
from torch import nn
class Cancel(nn.Module):
    '''A = [Q; -Q] (32 -> 64), ReLU, B = [Q^T, -Q^T] (64 -> 32): relu(Qh) - relu(-Qh) = Qh, and Q^T Q h = h.'''
    def __init__(self, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        q, _ = torch.linalg.qr(torch.randn(32, 32, generator=g))
        self.a, self.b = nn.Linear(32, 64, bias=False), nn.Linear(64, 32, bias=False)
        with torch.no_grad():
            self.a.weight.copy_(torch.cat([q, -q]))
            self.b.weight.copy_(torch.cat([q.t(), -q.t()], dim=1))
        self.a.weight.requires_grad_(False)
        self.b.weight.requires_grad_(False)
    def forward(self, h):
        return self.b(torch.relu(self.a(h)))
def build_model(info):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), *[Cancel(k) for k in range(3)], nn.Linear(32, 32), nn.ReLU(),
                         nn.Linear(32, info["num_classes"]))
def train(model, data, device, log):
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for epoch in range(150):
        loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
    log(epoch=150, train_loss=loss.item())
    model.eval()
"""


def test_pairs_of_layers_that_cancel_out_do_not_count():
    """Three pairs of layers that give back their input (each layer alone is neither a copy nor skippable), between
    three trained ones: 9 weight layers on the path, 3 that the outputs need."""
    found, got = mentor(PADDED, DEEP)
    assert got["facts"].extra["traced_depth"] == 9 and got["metrics"]["depth"] == 3, got["facts"].extra
    assert got["metrics"]["test_accuracy"] > 0.8  # the 3 trained layers do the work
    assert found[0].code == "too-shallow"
