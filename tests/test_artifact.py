"""A traced model the judge replays and counts: faithful outputs, every tensor counted, only allowed operators."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlpath.grading.artifact import ReplayError, count_parameters, output_difference, replay, trace
from dlpath.grading.tensors import pack, unpack


class Hidden(nn.Module):
    """Weights kept out of parameters(): a buffer and a plain tensor attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(64, 3)
        self.register_buffer("first", torch.randn(2, 64))
        self.secret = torch.randn(64, 64)

    def forward(self, x):
        return self.head(torch.relu(torch.relu(x @ self.first) @ self.secret))


def closure_model() -> nn.Module:
    weights = torch.randn(2, 3)

    class Closure(nn.Module):
        def forward(self, x):
            return x @ weights  # a tensor captured by forward, held nowhere else

    return Closure()


class Recurrent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 8)
        self.rnn = nn.GRU(8, 16, batch_first=True)
        self.out = nn.Linear(16, 2)

    def forward(self, x):
        h, _ = self.rnn(self.embed(x))
        return self.out(h[:, -1])


CASES = [
    (lambda: nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)), lambda: torch.randn(8, 2), 99),
    (lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 2)),
     lambda: torch.randn(8, 1, 8, 8), 40 + 130),
    (Hidden, lambda: torch.randn(8, 2), 128 + 4096 + 64 * 3 + 3),
    (closure_model, lambda: torch.randn(8, 2), 6),
    (Recurrent, lambda: torch.randint(0, 10, (8, 5)), 80 + 3 * (16 * 8 + 16 * 16 + 32) + 34),
    (lambda: nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 2)), lambda: torch.randn(8, 2), 24 + 16 + 16 + 18),
]


@pytest.mark.parametrize(("build", "example", "count"), CASES)
def test_replay_matches_the_model_and_counts_every_tensor(build, example, count) -> None:
    torch.manual_seed(0)
    model = build().eval()
    x = example()
    graph, weights = trace(model, x)
    index, body = pack(weights)
    weights = unpack(index, body)  # what the judge receives
    out = replay(graph, weights, [x])
    assert output_difference(out, model(x)) < 1e-5
    assert count_parameters(graph, weights) == count


def test_moving_weights_into_buffers_changes_nothing() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2)).eval()
    graph, weights = trace(model, torch.randn(4, 2))
    as_buffers = nn.Module()
    for name, p in model[0].named_parameters():
        as_buffers.register_buffer(name, p.detach().clone())

    class Sneaky(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = as_buffers
            self.b = model[2]

        def forward(self, x):
            return self.b(torch.relu(x @ self.a.weight.t() + self.a.bias))

    sneaky = Sneaky().eval()
    assert sum(p.numel() for p in sneaky.parameters()) == 66  # what parameters() says
    sneaky_graph, sneaky_weights = trace(sneaky, torch.randn(4, 2))
    assert count_parameters(sneaky_graph, sneaky_weights) == count_parameters(graph, weights) == 162


@pytest.mark.parametrize("op", ["aten::from_file", "aten::empty", "aten::set_", "prim::PythonOp", "aten::_local_scalar_dense",
                                "dlpath::backdoor"])
def test_operators_off_the_allow_list_are_refused(op: str) -> None:
    graph = {"format": 1, "inputs": [1], "outputs": [2], "batch": 1,
             "nodes": [{"op": op, "in": [1], "out": [2], "overload": ""}]}
    with pytest.raises(ReplayError, match="does not replay"):
        replay(graph, {}, [torch.zeros(1)])


@pytest.mark.parametrize(
    "graph",
    [
        None,
        {"format": 2},
        {"format": 1, "inputs": [1], "outputs": [3], "nodes": [{"op": "aten::relu", "in": [7], "out": [3]}]},
        {"format": 1, "inputs": [1], "outputs": [2], "nodes": [{"op": "prim::Constant", "in": [], "out": [2],
                                                                "value": {"tensor": "missing"}}]},
        {"format": 1, "inputs": [1], "outputs": [2], "nodes": [{"op": "prim::Constant", "in": [], "out": [2],
                                                                "value": {"pickle": "gASV"}}]},
    ],
)
def test_malformed_graphs_are_refused(graph) -> None:
    with pytest.raises(ReplayError):
        replay(graph, {}, [torch.zeros(1)])
