"""``autograd_by_hand``: the judge's graphs and oracle, the learner's side, and what the mentor says of each bug.

Every learner here is a complete little engine with one classic mistake
(gradients overwritten, no topological order, a wrong local derivative, torch
autograd underneath); the judge must find it and the diagnosis must name it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dlpath.grading.tasks import ContractError, JudgeContext
from dlpath.grading.tasks.autograd_by_hand import (
    DIAMOND,
    SAME_TWICE,
    build_and_backward,
    count_torch_autograd,
    fixed_checks,
    oracle,
    random_graph,
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
