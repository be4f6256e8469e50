"""A traced model the judge replays and counts: faithful outputs, every tensor counted, only allowed operators."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlpath.grading.artifact import (ReplayError, count_parameters, graph_numbers, output_difference, replay,
                                     tensor_numbers, trace)
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
    assert tensor_numbers(graph, weights) == count
    assert count_parameters(graph, weights) == count + graph_numbers(graph)
    assert len(graph["nodes"]) <= graph_numbers(graph) < count  # the graph's own numbers: a few per layer


class Positions(nn.Module):
    """Token and position embeddings, the positions counted from the input's length (a transformer's first layer)."""

    def __init__(self) -> None:
        super().__init__()
        self.token, self.position = nn.Embedding(12, 4), nn.Embedding(16, 4)

    def forward(self, x):
        return self.token(x) + self.position(torch.arange(x.shape[1], device=x.device))


def test_a_size_read_from_the_input_stays_an_integer_on_replay() -> None:
    torch.manual_seed(0)
    model, x = Positions().eval(), torch.randint(0, 12, (5, 9))
    graph, weights = trace(model, x)
    assert any(node["op"] == "prim::NumToTensor" for node in graph["nodes"])  # x.shape[1], traced as a tensor
    assert output_difference(replay(graph, weights, [x]), model(x)) < 1e-6


def test_a_nan_in_the_same_place_on_both_sides_is_the_same_output() -> None:
    nan, inf = float("nan"), float("inf")
    assert output_difference(torch.tensor([[nan, 1.0], [inf, 2.0]]), torch.tensor([[nan, 1.0], [inf, 2.0]])) == 0.0
    assert output_difference(torch.full((3, 2), nan), torch.full((3, 2), nan)) == 0.0
    assert output_difference(torch.tensor([nan, 1.0]), torch.tensor([0.5, 1.0])) == float("inf")
    assert output_difference(torch.tensor([inf, 1.0]), torch.tensor([-inf, 1.0])) == float("inf")
    assert 0.2 < output_difference(torch.tensor([nan, 1.0]), torch.tensor([nan, 2.0])) < 0.5


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
    assert tensor_numbers(sneaky_graph, sneaky_weights) == tensor_numbers(graph, weights) == 162
    assert count_parameters(sneaky_graph, sneaky_weights) >= count_parameters(graph, weights)


class Baked(nn.Module):
    """A trained linear layer written into forward() as Python numbers: no tensor holds its weights."""

    def __init__(self, layer: nn.Linear) -> None:
        super().__init__()
        self.w, self.b = layer.weight.detach().tolist(), layer.bias.detach().tolist()

    def forward(self, x):
        cols = x.unbind(1)
        return torch.stack([sum((c * v for c, v in zip(cols[1:], row[1:])), cols[0] * row[0] + bias)
                            for row, bias in zip(self.w, self.b)], 1)


def test_numbers_written_into_forward_are_counted() -> None:
    torch.manual_seed(0)
    layer = nn.Linear(6, 5)
    graph, weights = trace(Baked(layer), torch.randn(4, 6))
    assert tensor_numbers(graph, weights) == 0  # what a count of the tensors sees
    assert count_parameters(graph, weights) >= 35  # each of the 35 numbers is a constant of the graph
    x = torch.randn(4, 6)
    assert output_difference(replay(graph, weights, [x]), layer(x)) < 1e-5


def test_a_constant_list_counts_each_number_and_64_bit_tensors_count_twice() -> None:
    numbers = {"list": [{"f": "0.5"}, {"v": 3}, {"v": True}, {"v": None}, {"list": [{"f": "1.5"}, {"v": -2}]}]}
    graph = {"format": 1, "inputs": [1], "outputs": [3], "batch": 1, "nodes": [
        {"op": "prim::Constant", "in": [], "out": [2], "value": numbers},
        {"op": "prim::Constant", "in": [], "out": [4], "value": {"tensor": "t0"}},
        {"op": "aten::relu", "in": [1], "out": [3], "overload": ""}]}
    assert graph_numbers(graph) == 4 + 1 + 1  # four numbers in the list (the bool and None are not), two nodes
    assert tensor_numbers(graph, {"t0": torch.zeros(10, dtype=torch.float64)}) == 20
    assert tensor_numbers(graph, {"t0": torch.zeros(10, dtype=torch.float16)}) == 10
    # integers count one number per byte: four int8 weights packed into an int32 count four
    assert tensor_numbers(graph, {"t0": torch.zeros(10, dtype=torch.int32)}) == 40
    assert tensor_numbers(graph, {"t0": torch.zeros(10, dtype=torch.int8)}) == 10
    assert tensor_numbers(graph, {"t0": torch.zeros(10, dtype=torch.int64)}) == 80
    assert tensor_numbers(graph, {"t0": torch.zeros(10, dtype=torch.bool)}) == 10


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
