"""``autograd_by_hand``: the judge's graphs and oracle, the learner's side, and what the mentor says of each bug.

Every learner here is a complete little engine with one classic mistake
(gradients overwritten, no topological order, a wrong local derivative, torch
autograd underneath); the judge must find it and the diagnosis must name it.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest

from dlpath.grading.tasks import ContractError, JudgeContext
from dlpath.grading.tasks.autograd_by_hand import (
    DIAMOND,
    SAME_TWICE,
    SCALING_CAP,
    SCALING_LEAVES,
    SCALING_NODES,
    SCALING_STOP,
    build_and_backward,
    count_torch_autograd,
    fixed_checks,
    oracle,
    random_graph,
    scaling_graph,
)
from dlpath.grading.project import DatasetSpec, Threshold
from dlpath.grading.tasks.regression_by_hand import learner_trees
from tests.taskrun import learner, mentor

RINGS = dict(id="t", task="autograd_by_hand", lesson="forward-and-backprop", calibration=None,
             thresholds=(Threshold("gradient_error", max=1e-6), Threshold("test_accuracy", 0.85),
                         Threshold("autograd_uses", max=0)),
             dataset=DatasetSpec("rings", {"classes": 2, "noise": 0.1}, 60, 30, 300))

ENGINE = """
import math, random
class Value:
    def __init__(self, data, children=(), local=()):
        self.data, self.grad, self._children, self._local = float(data), 0.0, children, local
    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))
    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))
    def __pow__(self, k):
        return Value(self.data ** k, (self,), (k * self.data ** (k - 1),))
    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1 - t * t,))
    def relu(self):
        return Value(max(self.data, 0.0), (self,), (1.0 if self.data > 0 else 0.0,))
    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), (e,))
    def log(self):
        return Value(math.log(self.data), (self,), (1 / self.data,))
    __radd__, __rmul__ = __add__, __mul__
    def backward(self):
        order, seen = [], set()
        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for c in v._children:
                    visit(c)
                order.append(v)
        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            for c, local in zip(v._children, v._local):
                c.grad += local * v.grad
def build_model(info):
    random.seed(0)
    hidden = [[Value(random.uniform(-1, 1)) for _ in range(3)] for _ in range(6)]
    out = [Value(random.uniform(-1, 1)) for _ in range(7)]
    def model(point):
        h = [(w[0] * point[0] + w[1] * point[1] + w[2]).tanh() for w in hidden]
        return sum((w * x for w, x in zip(out, h)), out[-1])
    model.parameters = [p for unit in hidden + [out] for p in unit]
    return model
def train(model, data, log):
    xs, ys = data.x_train.tolist(), [1.0 if c == 1 else -1.0 for c in data.y_train.tolist()]
    for epoch in range(40):
        total = 0.0
        for x, y in zip(xs, ys):
            loss = ((-y * model(x)).exp() + 1).log()
            for p in model.parameters:
                p.grad = 0.0
            loss.backward()
            for p in model.parameters:
                p.data -= 0.2 * (1 - epoch / 45) * p.grad
            total += loss.data
        log(epoch=epoch, train_loss=total / len(xs))
"""

RECURSIVE_BACKWARD = """
    def backward(self, first=True):
        if first:
            self.grad = 1.0
        for c, local in zip(self._children, self._local):
            c.grad += local * self.grad
            c.backward(False)
"""


def engine(*changes: tuple[str, str]) -> str:
    source = ENGINE
    for old, new in changes:
        assert old in source, old
        source = source.replace(old, new)
    return source


def diagnosis(source: str, code: str = "gradient-mismatch") -> tuple[str, dict]:
    found, got = mentor(source, RINGS)
    assert got["failure"] is None, got["failure"]
    return next((d.message for d in found if d.code == code), ""), got


# ------------------------------------------------------------------ the graphs and the oracle


def test_random_graphs_reuse_values_stay_finite_and_feed_the_output():
    rng = random.Random(3)
    for _ in range(20):
        graph = random_graph(rng)
        leaves, ops = len(graph["leaves"]), graph["ops"]
        uses = [0] * (leaves + len(ops))
        for op in ops:
            uses[op[1]] += 1
            if op[0] in ("add", "mul"):
                uses[op[2]] += 1
        assert all(u >= 1 for u in uses[:-1]), "every value feeds a later one"
        assert max(uses) >= 2, "some value is shared"
        value, grads = oracle(graph)
        assert len(grads) == leaves and all(abs(g) < 1e6 for g in grads) and abs(value) < 1e6


def test_the_fixed_checks_cover_every_operation_and_the_two_reuse_shapes():
    names = {name for name, _ in fixed_checks(random.Random(0))}
    assert {"add", "mul", "add_number", "times_number", "pow", "tanh", "relu", "exp", "log"} <= names
    assert {SAME_TWICE, DIAMOND} <= names
    assert oracle({"leaves": [3.0], "ops": [["mul", 0, 0]]}) == (9.0, [6.0])


def test_the_learner_side_builds_the_graph_with_the_learners_class():
    module = learner(ENGINE)
    graph = {"leaves": [0.5, -1.2], "ops": [["mul", 0, 1], ["tanh", 2], ["times_number", 3, 2.0], ["add", 4, 0]]}
    got = build_and_backward(module.Value, graph)
    value, grads = oracle(graph)
    assert got["value"] == pytest.approx(value) and got["grads"] == pytest.approx(grads)


# ------------------------------------------------------------------ the judge and the mentor


def test_a_correct_engine_passes_with_no_diagnosis():
    found, got = mentor(ENGINE, RINGS)
    assert got["metrics"]["gradient_error"] < 1e-9 and got["metrics"]["autograd_uses"] == 0
    assert got["metrics"]["test_accuracy"] > 0.85
    assert found == []


def test_overwritten_gradients_are_caught_by_a_value_used_twice():
    message, got = diagnosis(engine(("c.grad += local * v.grad", "c.grad = local * v.grad")))
    assert SAME_TWICE in got["facts"].extra["checks_failed"]
    assert "(+=) instead of setting it (=)" in message


@pytest.fixture()
def small_timed_graphs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Smaller timed graphs, for a test about something else: an engine without topological order walks every
    path of the graph, about 1.4 million steps on the project's wide graph."""
    from dlpath.grading.tasks import autograd_by_hand as task

    monkeypatch.setattr(task, "SCALING_NODES", 400)
    monkeypatch.setattr(task, "SCALING_LEAVES", (2, 100))


@pytest.mark.usefixtures("small_timed_graphs")
def test_a_backward_without_topological_order_is_caught_by_a_diamond():
    start = ENGINE.index("    def backward(self):")
    end = ENGINE.index("def build_model")
    message, got = diagnosis(ENGINE[:start] + RECURSIVE_BACKWARD + ENGINE[end:])
    failed = got["facts"].extra["checks_failed"]
    assert SAME_TWICE not in failed and DIAMOND in failed
    assert "reverse topological order" in message


def test_a_wrong_local_derivative_is_named():
    message, got = diagnosis(engine(("(self,), (1 - t * t,)", "(self,), (1 - t,)")))
    assert "tanh" in got["facts"].extra["checks_failed"]
    assert "a.tanh()" in message and "1 - tanh(a) ** 2" in message


def test_an_engine_without_backward_gives_zero_gradients_and_no_learning():
    found, got = mentor(engine(("        self.grad = 1.0\n        for v in reversed(order):",
                                "        self.grad = 1.0\n        for v in []:")), RINGS)
    assert got["facts"].extra["all_zero"] is True
    assert [d.code for d in found][:2] == ["gradient-mismatch", "no-learning"]


def test_a_missing_operation_is_reported_with_its_name():
    message, _ = diagnosis(engine(("    def relu(self):", "    def relu_(self):")))
    assert "a.relu() failed: AttributeError" in message


@pytest.mark.usefixtures("small_timed_graphs")  # the timed graphs are not what this test is about
def test_torch_autograd_underneath_is_counted(tmp_path: Path):
    (tmp_path / "train.py").write_text("import torch\nx = torch.zeros(2, requires_grad=True)\n"
                                       "w = torch.ones(1).requires_grad_()\nloss.backward()\n"
                                       "from torch.optim import SGD\n")
    trees, unchecked = learner_trees(JudgeContext(project=None, public=None, test=None, ask=None, folder=tmp_path))
    assert count_torch_autograd(trees) == 3 and unchecked == []  # the keyword, the method, the import; not .backward()
    cheat = ENGINE.replace("def train(model, data, log):",
                           "import torch\ndef train(model, data, log):\n"
                           "    torch.ones(1, requires_grad=True).sum().backward()")
    found, got = mentor(cheat, RINGS)
    assert got["metrics"]["autograd_uses"] >= 1 and "autograd-used" in [d.code for d in found]


def test_a_missing_value_class_breaks_the_contract():
    with pytest.raises(ContractError, match="train.py has no class Value"):
        mentor(ENGINE.replace("class Value:", "class Number:").replace("Value(", "Number("), RINGS)


def test_python_files_the_judge_cannot_vouch_for_are_listed(tmp_path: Path):
    """Every .py file below the folder is read; one that is a link or does not parse is listed (and so counted)."""
    (tmp_path / "train.py").write_text("x = 1\n")
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "grad.py").write_text("import torch.autograd\n")
    (tmp_path / "broken.py").write_bytes(b"# -*- coding: no-such-codec -*-\nx = 1\n")
    (tmp_path / "linked.py").symlink_to(tmp_path / "train.py")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "site.py").write_text("import torch.autograd\n")  # hidden: not the learner's code
    trees, unchecked = learner_trees(JudgeContext(project=None, public=None, test=None, ask=None, folder=tmp_path))
    assert count_torch_autograd(trees) == 1  # the subfolder's import
    assert sorted(u.split(" ")[0] for u in unchecked) == ["broken.py", "linked.py"], unchecked


@pytest.mark.parametrize("source, uses", [
    ("slope = torch.autograd.grad\nslope(loss, [w])", 1),  # read under one name, called under another
    ("from torch.utils._python_dispatch import _disable_current_modes", 1),  # the stack the process's count is on
    ("with torch.utils._python_dispatch._disable_current_modes():\n    pass", 1),
    ("torch.autograd.grad(loss, [w])", 1),  # a call counts once, not once per attribute of its name
    ("import torch\nw = w - lr * gradient\nwith torch.no_grad():\n    pass\nprint(w.grad, w.data)", 0),
])
def test_the_source_scans_count_names_read_and_the_mode_stack(source: str, uses: int) -> None:
    import ast

    from dlpath.grading.tasks.autograd_by_hand import count_torch_autograd
    from dlpath.grading.tasks.regression_by_hand import count_autograd_in_source

    assert count_autograd_in_source([ast.parse(source)]) == uses
    assert count_torch_autograd([ast.parse(source)]) == uses


# ------------------------------------------------------------------ the cost of backward() against the leaves

ATTACKS = Path(__file__).parent / "fixtures" / "measure_attacks"


def scaling(source: str, monkeypatch: pytest.MonkeyPatch, delay: dict[int, float] | None = None,
            asked: list[dict[str, Any]] | None = None, **constants: Any) -> tuple[float, float, dict[str, Any]]:
    """The judge's timing of `source`'s Value (``backward_scaling``, the worst gradient error on the timed graphs,
    the facts), asked in this process; `delay` adds seconds to each answer by the graph's number of leaves (an
    engine that slows a graph down on purpose); `constants` replace the task's SCALING_* constants."""
    import types

    from dlpath.grading.tasks import autograd_by_hand as task

    for name, value in constants.items():
        monkeypatch.setattr(task, name, value)
    value_class = learner(source).Value

    def ask(name: str, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        time.sleep((delay or {}).get(len(values["leaves"]), 0.0))
        if asked is not None:
            asked.append(values)
        return build_and_backward(value_class, values), {}

    extra: dict[str, Any] = {}
    ctx = types.SimpleNamespace(test_seed=5, project=types.SimpleNamespace(thresholds=()), ask=ask)
    ratio, error = task.AutogradByHandTask._scaling_check(ctx, extra)
    return ratio, error, extra


def depth(graph: dict[str, Any]) -> int:
    depths = [0] * len(graph["leaves"])
    for op in graph["ops"]:
        depths.append(1 + max(depths[op[1]], depths[op[2]] if op[0] in ("add", "mul") else 0))
    return max(depths)


def test_the_timed_graphs_are_the_same_size_shallow_and_every_leaf_counts():
    narrow, wide = (scaling_graph(random.Random(7), leaves) for leaves in SCALING_LEAVES)
    sizes = [len(g["leaves"]) + len(g["ops"]) for g in (narrow, wide)]
    assert abs(sizes[0] - sizes[1]) <= 3 and SCALING_NODES - 3 <= min(sizes), sizes
    assert max(depth(narrow), depth(wide)) <= 30  # a recursive topological sort stays far from Python's limit
    for graph in (narrow, wide):
        value, grads = oracle(graph)
        assert all(g != 0 and abs(g) < 1e4 for g in grads) and abs(value) < 1e4


def test_a_correct_engine_costs_the_same_on_both_timed_graphs(monkeypatch: pytest.MonkeyPatch):
    ratio, error, extra = scaling(ENGINE, monkeypatch)  # its topological sort is recursive
    # about 1 to 2 on a quiet machine; the behaviour that matters is that it passes, in however many rounds a
    # busy machine (the suite's other workers) takes
    assert ratio < SCALING_STOP and error < 1e-9, extra


@pytest.mark.parametrize("name", ["complex_step_backward", "finite_difference_backward"])
def test_gradients_worked_out_leaf_by_leaf_cost_more_with_more_leaves(name: str, monkeypatch: pytest.MonkeyPatch):
    """Exact gradients (a complex step, a central difference per leaf); on smaller timed graphs than the
    project's, to stay cheap (the full measurement: test_the_complex_step_attack_fails_for_its_cost)."""
    ratio, error, extra = scaling((ATTACKS / f"{name}.py").read_text(), monkeypatch, SCALING_NODES=1000,
                                  SCALING_LEAVES=(2, 384), SCALING_ROUNDS=1)
    assert error < 1e-6, extra  # right gradients: only the cost tells
    assert ratio > SCALING_STOP, (ratio, extra)  # about 60 (complex step) and 100 (differences) here


def test_a_narrow_graph_slowed_on_purpose_counts_at_most_its_cap(monkeypatch: pytest.MonkeyPatch):
    """An engine that sleeps on the narrow graph to hide the wide one's cost: the narrow graph counts for at most
    SCALING_CAP times the judge's own engine, so the ratio stays the wide graph's cost over an honest narrow."""
    ratio, _, extra = scaling(ENGINE, monkeypatch, delay={SCALING_LEAVES[0]: 0.6, SCALING_LEAVES[1]: 1.2},
                              SCALING_ROUNDS=1)
    narrow, wide = extra["scaling_ms"]
    assert wide / narrow < 3  # what the ratio would be without the cap
    assert extra["scaling_capped"] is True
    assert ratio == pytest.approx(wide / (SCALING_CAP * extra["scaling_reference_ms"]), rel=1e-3)
    assert ratio > wide / narrow, extra  # about 20 here, 10 times (the judge's engine: about 7 ms)


def test_every_round_times_fresh_graphs(monkeypatch: pytest.MonkeyPatch):
    """A ratio above the bar is timed again, on new leaf values: an engine that remembers its answers from the
    round before gains nothing. Here a wide graph that is slow on purpose keeps the ratio above a bar of 2."""
    asked: list[dict[str, Any]] = []
    _, _, extra = scaling(ENGINE, monkeypatch, delay={SCALING_LEAVES[1]: 0.1}, asked=asked, SCALING_STOP=2.0)
    assert extra["scaling_rounds"] == 3 and len(asked) == 6
    leaves = [tuple(graph["leaves"]) for graph in asked]
    assert len(set(leaves)) == 6 and [len(x) for x in leaves] == [*SCALING_LEAVES] * 3


@pytest.mark.parametrize("extra, words", [
    ({"scaling_ms": [12.0, 3400.0], "scaling_reference_ms": 6.0, "scaling_capped": False},
     "took 3.4 s, 283 times as long as on a graph of the same size with 2 leaves (12 ms)"),
    ({"scaling_ms": [900.0, 3400.0], "scaling_reference_ms": 6.0, "scaling_capped": True},
     "took 3.4 s, 70.8 times the 48 ms that a graph of the same size with 2 leaves counts for (yours took 900 ms"),
    ({"scaling_problem": "backward() failed: RecursionError: maximum recursion depth exceeded"},
     "your engine failed on them: backward() failed: RecursionError"),
])
def test_the_cost_diagnosis_says_what_was_timed(extra: dict[str, Any], words: str):
    import types

    from dlpath.grading.tasks.autograd_by_hand import _not_reverse_mode

    ratio = 1e6 if "scaling_problem" in extra else 3400.0 / min(extra["scaling_ms"][0], SCALING_CAP * 6.0)
    run = types.SimpleNamespace(metrics={"backward_scaling": ratio}, facts=types.SimpleNamespace(extra=extra),
                                failed=lambda metric: metric == "backward_scaling")
    [found] = _not_reverse_mode(run)
    assert found.code == "not-reverse-mode" and words in found.message, found.message
    run.failed = lambda metric: False
    assert _not_reverse_mode(run) == []


@pytest.mark.slow
def test_the_complex_step_attack_fails_for_its_cost():
    """The red team's attack on the project's own specification: exact gradients, no torch autograd, a trained
    network; refused by backward_scaling alone, and told why."""
    import dataclasses

    from dlpath.grading.project import load_project

    project = load_project("backprop-by-hand")
    found, got = mentor((ATTACKS / "complex_step_backward.py").read_text(), dict(
        id=project.id, task=project.task, lesson=project.lesson, calibration=None, path=project.path,
        thresholds=project.thresholds, dataset=dataclasses.replace(project.dataset, train=60)))
    assert got["failure"] is None, got["failure"]
    metrics = got["metrics"]
    assert metrics["gradient_error"] < 1e-12 and metrics["autograd_uses"] == 0 and metrics["test_accuracy"] >= 0.9
    assert metrics["backward_scaling"] > 2 * SCALING_STOP, got["facts"].extra
    assert [d.code for d in found] == ["not-reverse-mode"]
    assert "works out each leaf's gradient apart" in found[0].message
