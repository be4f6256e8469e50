"""``autograd_by_hand``: a tiny reverse-mode autograd written by the learner, checked against torch's.

The learner writes a ``Value`` class (a number that remembers how it was made,
micrograd-style) and trains a small network built from Values. The judge then:

1. sends expression graphs, as a list of operations on numbered values (never
   code): first one graph per operation alone, then a value used twice by one
   operation (``a * a``), a value feeding two operations (a diamond), and
   random graphs full of shared sub-expressions. The task's learner side builds
   each graph with the learner's ``Value``, calls ``backward()`` on the last
   value and returns its value and the leaves' gradients; the judge compares
   them with torch autograd's, in float64;
2. asks the trained network's score for fresh points and measures the accuracy;
3. counts torch autograd and torch.optim: in the source (read, never run) and
   while the learner's code ran;
4. times, from its own side of the channel, forward and backward on two graphs of
   the same size, one with 2 leaves and one with 1024 (``backward_scaling``):
   reverse mode costs about the same on both, while an engine that works out each
   leaf's gradient apart (a finite or complex step per leaf, re-running the graph
   per leaf) costs a hundred times more and more on the wide one. The gradient
   check alone cannot tell them apart: a complex step is exact to the last digit.

A graph is ``{"leaves": [x0, x1, ...], "ops": [[name, i, arg], ...]}``: the
leaves are values 0..L-1 and operation k makes value L+k from value ``i`` and
``arg`` (another value's number for ``add`` and ``mul``, a plain number for
``add_number``, ``times_number`` and ``pow``, nothing for ``tanh``, ``relu``,
``exp``, ``log``). ``backward()`` starts from the last value.
"""

from __future__ import annotations

import ast
import math
import random
import time
from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, SplitData, Task
from dlpath.grading.tasks.regression_by_hand import (_FORBIDDEN_MODULES, _duration, imported_modules,
                                                     learner_trees, no_collection, scaling_timings, timed_ratio,
                                                     unchecked_evidence, unchecked_sentence, used_names,
                                                     uses_dispatch_modes)

RANDOM_GRAPHS = 4  # random graphs with shared sub-expressions, after the fixed checks
TOLERANCE = 1e-6  # a check passes when the relative error is below this

# What each operation means (the learner side builds it), and its local derivative in words (for the diagnosis).
OPERATIONS = {
    "add": ("a + b", "d(a + b)/da = 1 and d(a + b)/db = 1"),
    "mul": ("a * b", "d(a * b)/da = b and d(a * b)/db = a"),
    "add_number": ("a + 2.5", "adding a plain number: d/da = 1 (the number is wrapped in a Value or used as is)"),
    "times_number": ("2.5 * a", "a plain number on the left: Python calls a.__rmul__(2.5); d/da = 2.5"),
    "pow": ("a ** k", "d(a ** k)/da = k * a ** (k - 1), for a plain number k"),
    "tanh": ("a.tanh()", "d tanh(a)/da = 1 - tanh(a) ** 2"),
    "relu": ("a.relu()", "d relu(a)/da = 1 where a > 0, else 0"),
    "exp": ("a.exp()", "d exp(a)/da = exp(a), the output itself"),
    "log": ("a.log()", "d log(a)/da = 1 / a"),
}
SAME_TWICE = "a * a (one value used twice by one operation)"
DIAMOND = "a value feeding two operations"

# The cost of backward() against the number of leaves (``backward_scaling``). Two graphs of SCALING_NODES values
# each, balanced (about 25 deep, so a recursive topological sort is safe), one with SCALING_LEAVES[0] leaves and one
# with SCALING_LEAVES[1]; fresh leaf values at every round (an answer remembered from the round before is no use).
# Measured in grades on a 2-core machine under load 11: reverse mode 0.9 to 1.9, a topological sort that searches a
# list 5.5; a complex step per leaf 98, a central difference per leaf 130 (forward mode with a dict of derivatives
# per Value: 18, under the bar: not what this is built for).
SCALING_NODES = 4096
SCALING_LEAVES = (2, 1024)
SCALING_ROUNDS = 3  # the best of up to this many timings of each graph (load only ever adds time)
# rounds stop at a ratio of at most SCALING_STOP (the project's bar, if it has one) or above 10 times it
SCALING_STOP = 20.0
# The narrow graph's time counts for at most this many times what the judge's own engine takes on it (in CPU time),
# so that an engine cannot slow its narrow graph down on purpose (a sleep, a busy loop) to hide a wide graph that
# takes hundreds of times longer: the complex-step attack's wide graph takes about 500 times the judge's narrow one,
# so padded it still scores about 60. An honest engine up to SCALING_STOP * SCALING_CAP times slower than the
# judge's still passes: a topological sort that searches a list is about 20 times slower, an engine of 0-d torch
# tensors about 40 times (its ratio 7.4 with a cap of 5, in one process under load 10).
SCALING_CAP = 8.0
SCALING_UNMEASURED = 1.0e6  # backward_scaling when the engine could not answer the timed graphs


# ------------------------------------------------------------------ graphs (judge side)


def _leaf(rng: random.Random, low: float = 0.3, high: float = 1.5) -> float:
    return round(rng.choice((-1, 1)) * rng.uniform(low, high), 6)


def fixed_checks(rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """One graph per operation alone, then the two smallest shapes where a value is reused."""
    a, b, c = _leaf(rng), _leaf(rng), round(rng.uniform(0.5, 2.5), 6)
    positive = abs(a)
    checks = [
        ("add", {"leaves": [a, b], "ops": [["add", 0, 1]]}),
        ("mul", {"leaves": [a, b], "ops": [["mul", 0, 1]]}),
        ("add_number", {"leaves": [a], "ops": [["add_number", 0, c]]}),
        ("times_number", {"leaves": [a], "ops": [["times_number", 0, c]]}),
        ("pow", {"leaves": [a], "ops": [["pow", 0, rng.choice((2, 3))]]}),
        ("pow", {"leaves": [positive], "ops": [["pow", 0, -1]]}),
        ("tanh", {"leaves": [a], "ops": [["tanh", 0]]}),
        ("relu", {"leaves": [positive, -positive], "ops": [["relu", 0], ["relu", 1], ["add", 2, 3]]}),
        ("exp", {"leaves": [a], "ops": [["exp", 0]]}),
        ("log", {"leaves": [positive], "ops": [["log", 0]]}),
        (SAME_TWICE, {"leaves": [a], "ops": [["mul", 0, 0]]}),
        (DIAMOND, {"leaves": [a, b], "ops": [["mul", 0, 1], ["tanh", 2], ["mul", 2, 3], ["add", 4, 0]]}),
    ]
    return checks


def random_graph(rng: random.Random, leaves: int = 3, ops: int = 12) -> dict[str, Any]:
    """A random expression whose values are reused (shared sub-expressions), every value feeding the output."""
    values = [_leaf(rng) for _ in range(leaves)]
    graph: dict[str, Any] = {"leaves": list(values), "ops": []}
    uses = [0] * leaves

    def pick(ok: Any) -> int | None:
        candidates = [i for i, v in enumerate(values) if ok(v)]
        if not candidates:
            return None
        recent = candidates[-4:]
        return rng.choice(recent if rng.random() < 0.6 else candidates)

    while len(graph["ops"]) < ops:
        name = rng.choice(("add", "mul", "mul", "tanh", "relu", "exp", "log", "pow", "add_number", "times_number"))
        bounded = (lambda v: abs(v) < 3.0)
        i = pick({"log": lambda v: v > 0.2, "exp": lambda v: v < 2.0, "relu": lambda v: abs(v) > 0.05}.get(
            name, bounded))
        if i is None:
            continue
        x = values[i]
        op: list[Any] = [name, i]
        if name in ("add", "mul"):
            j = pick(bounded)
            if j is None:
                continue
            op.append(j)
            result = x + values[j] if name == "add" else x * values[j]
            uses[j] += 1
        elif name in ("add_number", "times_number"):
            number = round(rng.uniform(0.5, 2.0) * rng.choice((-1, 1)), 6)
            op.append(number)
            result = x + number if name == "add_number" else number * x
        elif name == "pow":
            k = rng.choice((2, 3, -1)) if abs(x) > 0.3 else 2
            op.append(k)
            result = x ** k
        else:
            result = {"tanh": math.tanh, "relu": lambda v: max(v, 0.0), "exp": math.exp, "log": math.log}[name](x)
        if not math.isfinite(result) or abs(result) > 20.0 or (name == "relu" and result == 0.0 and rng.random() < 0.5):
            continue
        uses[i] += 1
        graph["ops"].append(op)
        values.append(result)
        uses.append(0)
    # tie every value nobody used into the output, so that every leaf and operation matters
    loose = [i for i in range(len(values) - 1) if uses[i] == 0]
    last = len(values) - 1
    for i in loose:
        graph["ops"].append(["add", last, i])
        values.append(values[last] + values[i])
        last = len(values) - 1
    return graph


def _balanced_sum(ops: list[list[Any]], items: list[int], first: int) -> tuple[int, int]:
    """Add the values numbered ``items`` pairwise, level by level (depth log2 of their count); the sum's number and
    the next free number."""
    number = first
    while len(items) > 1:
        pairs = []
        for i in range(0, len(items) - 1, 2):
            ops.append(["add", items[i], items[i + 1]])
            pairs.append(number)
            number += 1
        items = pairs + items[len(items) - len(items) % 2:]
    return items[0], number


def scaling_graph(rng: random.Random, leaves: int, nodes: int | None = None) -> dict[str, Any]:
    """About ``nodes`` values whatever ``leaves`` is: the leaves' sum, scaled to about [-1, 1], then as many units
    tanh(sum * leaf) as fill the rest, summed. Every value past the first sum depends on every leaf (an engine that
    carries derivatives forward carries all of them), the operations take Values (one plain number only: an engine
    that wraps numbers in Values gets no extra leaves from them), and the balanced sums keep the graph about 25
    values deep."""
    nodes = SCALING_NODES if nodes is None else nodes
    xs = [round(rng.choice((-1, 1)) * rng.uniform(0.5, 1.0), 6) for _ in range(leaves)]
    ops: list[list[Any]] = []
    total, number = _balanced_sum(ops, list(range(leaves)), leaves)
    ops.append(["times_number", total, round(1.0 / math.sqrt(leaves), 9)])
    scaled, number = number, number + 1
    units = []
    for j in range(max(1, (nodes - leaves - len(ops)) // 3)):
        ops.append(["mul", scaled, j % leaves])
        ops.append(["tanh", number])
        units.append(number + 1)
        number += 2
    _balanced_sum(ops, units, number)
    return {"leaves": xs, "ops": ops}


class _Reference:
    """The judge's own reverse-mode engine (the shipped solution's), timed on the narrow graph: the yardstick
    that bounds how slow the learner's narrow graph may count (see SCALING_CAP)."""

    def __init__(self, data: float, children: tuple = (), local: tuple = ()) -> None:
        self.data, self.grad, self.children, self.local = float(data), 0.0, children, local

    def __add__(self, other: Any) -> "_Reference":
        other = other if isinstance(other, _Reference) else _Reference(other)
        return _Reference(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Any) -> "_Reference":
        other = other if isinstance(other, _Reference) else _Reference(other)
        return _Reference(self.data * other.data, (self, other), (other.data, self.data))

    __radd__, __rmul__ = __add__, __mul__

    def __pow__(self, k: float) -> "_Reference":
        return _Reference(self.data ** k, (self,), (k * self.data ** (k - 1),))

    def tanh(self) -> "_Reference":
        t = math.tanh(self.data)
        return _Reference(t, (self,), (1 - t * t,))

    def relu(self) -> "_Reference":
        return _Reference(max(self.data, 0.0), (self,), (1.0 if self.data > 0 else 0.0,))

    def exp(self) -> "_Reference":
        e = math.exp(self.data)
        return _Reference(e, (self,), (e,))

    def log(self) -> "_Reference":
        return _Reference(math.log(self.data), (self,), (1 / self.data,))

    def backward(self) -> None:
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            v, done = stack.pop()
            if done:
                order.append(v)
            elif id(v) not in seen:
                seen.add(id(v))
                stack.append((v, True))
                stack.extend((c, False) for c in v.children)
        self.grad = 1.0
        for v in reversed(order):
            for child, local in zip(v.children, v.local):
                child.grad += local * v.grad


def reference_seconds(graph: Mapping[str, Any], repeats: int = 3) -> float:
    """The judge's own engine on ``graph``: the best of ``repeats`` timings, in this thread's CPU time (what other
    processes do to the machine, the learner's included, does not count)."""
    best = math.inf
    for _ in range(repeats):
        with no_collection():
            start = time.thread_time()
            build_and_backward(_Reference, graph)
            best = min(best, time.thread_time() - start)
    return best


def oracle(graph: Mapping[str, Any]) -> tuple[float, list[float]]:
    """The graph's output and the leaves' gradients, by torch autograd in float64."""
    import torch

    leaves = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in graph["leaves"]]
    values = list(leaves)
    for op in graph["ops"]:
        name, a = op[0], values[op[1]]
        if name == "add":
            values.append(a + values[op[2]])
        elif name == "mul":
            values.append(a * values[op[2]])
        elif name == "add_number":
            values.append(a + op[2])
        elif name == "times_number":
            values.append(op[2] * a)
        elif name == "pow":
            values.append(a ** op[2])
        else:
            values.append(getattr(torch, name)(a))
    out = values[-1]
    grads = torch.autograd.grad(out, leaves, allow_unused=True)
    return float(out.detach()), [float(g) if g is not None else 0.0 for g in grads]


# ------------------------------------------------------------------ the learner's side


def build_and_backward(value_class: Any, graph: Mapping[str, Any]) -> dict[str, Any]:
    """Build ``graph`` with the learner's Value class, call backward() on the last value; its value and leaf grads."""
    from dlpath.grading.tasks._model import short

    leaves = graph.get("leaves") or []
    try:
        values = [value_class(float(x)) for x in leaves]
    except Exception as exc:  # noqa: BLE001 - the learner's class
        raise LearnerError(f"Value(2.0) failed: {short(exc)}") from None
    for op in graph.get("ops") or []:
        name, a = op[0], values[op[1]]
        shown = OPERATIONS.get(name, (name, ""))[0]
        try:
            if name == "add":
                result = a + values[op[2]]
            elif name == "mul":
                result = a * values[op[2]]
            elif name == "add_number":
                result = a + op[2]
            elif name == "times_number":
                result = op[2] * a
            elif name == "pow":
                result = a ** op[2]
            elif name in ("tanh", "relu", "exp", "log"):
                result = getattr(a, name)()
            else:
                raise LearnerError(f"unknown operation {name!r}")
        except LearnerError:
            raise
        except Exception as exc:  # noqa: BLE001 - the learner's operations
            raise LearnerError(f"{shown} failed: {short(exc)}") from None
        if not hasattr(result, "data") or not hasattr(result, "backward"):
            raise LearnerError(f"{shown} returned a {type(result).__name__}, not a Value")
        values.append(result)
    out = values[-1]
    try:
        out.backward()
        grads = [_number(v.grad) for v in values[:len(leaves)]]
        return {"value": _number(out.data), "grads": grads}
    except Exception as exc:  # noqa: BLE001 - the learner's backward
        raise LearnerError(f"backward() failed: {short(exc)}") from None


def _number(value: Any) -> float | None:
    number = float(value.item() if hasattr(value, "item") else value)
    return number if math.isfinite(number) else None


# ------------------------------------------------------------------ reading the source for torch autograd


_FORBIDDEN = _FORBIDDEN_MODULES + ("autograd.", "optim.")


def count_torch_autograd(trees: list[ast.AST]) -> int:
    """Uses of torch's autograd and optimizers written in the learner's Python files (read, never run).

    Counts ``torch.autograd...``, ``torch.optim...``, ``torch.func...`` (calls, names read, imports), any use of
    torch's dispatch-mode stack (where this process's own count sits),
    ``requires_grad`` (as an attribute, a method or a keyword) and ``.retain_grad()``. The
    learner's own ``backward()`` is not counted: it is what the project asks for.
    """
    total = 0
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("requires_grad", "requires_grad_", "retain_grad"):
                total += 1
            elif isinstance(node, ast.keyword) and node.arg == "requires_grad":
                total += 1
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                total += sum(1 for name in imported_modules(node)
                             if name.startswith(_FORBIDDEN_MODULES) or uses_dispatch_modes(name))
        total += sum(1 for name in used_names(tree) if name.startswith(_FORBIDDEN) or uses_dispatch_modes(name))
    return total


# ------------------------------------------------------------------ the diagnoses


def _gradient_mismatch(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, make

    error = run.metrics.get("gradient_error")
    if error is None or not run.failed("gradient_error"):
        return []
    extra = run.facts.extra
    failed = [str(name) for name in extra.get("checks_failed") or []]
    wrong_values = [str(name) for name in extra.get("values_wrong") or []]
    singles = [name for name in failed if name in OPERATIONS]
    if extra.get("graph_problem"):
        detail = f"Building a graph with your Value failed: {str(extra['graph_problem']).rstrip('.')}."
    elif extra.get("all_zero"):
        detail = ("Every gradient came back 0: backward() does not run the chain rule yet. It must set the output's "
                  "grad to 1, then go from the output back to the leaves, every value adding (its local derivative "
                  "x its own grad) to the grad of each value it was computed from.")
    elif wrong_values:
        shown = ", ".join(OPERATIONS[name][0] for name in wrong_values if name in OPERATIONS)
        detail = f"Even the forward values are wrong for {shown}: check what each operation computes first."
    elif singles:
        rules = "; ".join(OPERATIONS[name][1] for name in dict.fromkeys(singles))
        shown = ", ".join(OPERATIONS[name][0] for name in dict.fromkeys(singles))
        detail = f"The operation(s) {shown} pass back the wrong gradient on their own. The local derivatives: {rules}."
    elif SAME_TWICE in failed:
        detail = ("Every operation is right on its own, but a * a is wrong: the two uses of a each pass back a "
                  "gradient, and the second overwrites the first. Add to .grad (+=) instead of setting it (=): a "
                  "value used several times collects the sum of what each use sends back.")
    elif failed:
        detail = ("Every operation is right on its own and so is a * a, but graphs where a value feeds two "
                  "operations are wrong: a value passed its gradient on before every use had sent it its share. "
                  "backward() must visit values in reverse topological order (each value after all the values "
                  "made from it): build that order with a depth-first walk over the children, then go through it "
                  "backwards.")
    else:
        detail = f"Your gradients differ from torch's by {_fmt(error)} (relative)."
    evidence = [f"largest relative error {_fmt(error)}"] + ([f"wrong: {', '.join(dict.fromkeys(failed))}"]
                                                           if failed else [])
    return [make("gradient-mismatch", f"""The grader built expression graphs with your Value class, called
        backward() and compared the gradients with torch autograd's. {detail}""", evidence=evidence,
                 codes=AutogradByHandTask.codes)]


def _not_reverse_mode(run: Any) -> list[Any]:
    """backward() whose cost grows with the number of leaves: it does not propagate backwards once."""
    from dlpath.grading.diagnose import _fmt, make

    ratio = run.metrics.get("backward_scaling")
    extra = run.facts.extra
    if ratio is None or not run.failed("backward_scaling") or extra.get("graph_problem"):
        return []
    if extra.get("scaling_problem"):
        return [make("not-reverse-mode", f"""The grader times your Value on two graphs of {SCALING_NODES} values,
            one with {SCALING_LEAVES[0]} leaves and one with {SCALING_LEAVES[1]}, and your engine failed on them:
            {str(extra["scaling_problem"]).rstrip(".")}. They use only +, *, a plain number times a Value and
            tanh(), and are about 25 values deep.""", evidence=[str(extra["scaling_problem"])[:200]],
                     codes=AutogradByHandTask.codes)]
    narrow, wide, reference = scaling_timings(extra)
    if extra.get("scaling_capped") is True:
        compared = (f"{_duration(wide)}, {_fmt(ratio)} times the {_duration(SCALING_CAP * (reference or 0.0))} that "
                    f"a graph of the same size with {SCALING_LEAVES[0]} leaves counts for (yours took "
                    f"{_duration(narrow)}; it counts for at most {SCALING_CAP:g} times what the grader's own engine "
                    "needs, so that a narrow graph made slow cannot hide a wide one).")
    else:
        compared = (f"{_duration(wide)}, {_fmt(ratio)} times as long as on a graph of the same size with "
                    f"{SCALING_LEAVES[0]} leaves ({_duration(narrow)}).")
    return [make("not-reverse-mode", f"""Forward and backward on a graph of {SCALING_NODES} values with
        {SCALING_LEAVES[1]} leaves took {compared} Reverse mode costs about
        the same on both: one pass from the output back visits each value once, however many leaves there are.
        A cost that grows with the leaves means your engine works out each leaf's gradient apart: re-running the
        graph with one leaf nudged (a finite or complex step), or carrying forward the derivatives with respect to
        every leaf. Such gradients can be exact, but that is not backpropagation, and on a network with millions
        of weights it would take millions of passes. Make backward() one pass: set the output's grad to 1, then go
        through the values in reverse topological order, each adding (local derivative x its own grad) to the grad
        of each value it was computed from.""",
                 evidence=[f"{SCALING_LEAVES[1]} leaves: {_duration(wide)}; {SCALING_LEAVES[0]} leaves: "
                           f"{_duration(narrow)} (the grader's own engine: {_duration(reference)}, CPU time)"],
                 codes=AutogradByHandTask.codes)]


def _autograd_used(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import make

    uses = run.metrics.get("autograd_uses")
    if not uses:
        return []
    return [make("autograd-used", f"""Your code used torch's autograd or torch.optim {int(uses)} time(s)
        (requires_grad, torch.autograd, an optimizer). This project is about building that machinery yourself:
        compute everything with your Value class and update the weights with plain arithmetic.{unchecked_sentence(run)}""",
                 evidence=[f"{int(uses)} use(s) of torch autograd or torch.optim"] + unchecked_evidence(run),
                 codes=AutogradByHandTask.codes)]


def _loop(run: Any) -> list[Any]:
    """The by-hand training loop: flat (no step applied), or a loss that climbs (grads never reset)."""
    from dlpath.grading.diagnose import _flat, _fmt, make

    points = run.loss()
    if _flat(points) and run.failed("test_accuracy"):
        return [make("no-learning", f"""Your loss did not move during training ({_fmt(points[0][1])} from start to
            end). Either the gradients are zero (local derivatives still 0, or a backward() that stops at the output)
            or the loop never uses
            them: each step must reset every parameter's grad to 0, call loss.backward(), then move each parameter
            with p.data -= LEARNING_RATE * p.grad.""", evidence=[f"training loss {_fmt(points[0][1])} from start to "
                                                                 "end"], lesson="forward-and-backprop")]
    values = [v for _, v in points if math.isfinite(v)]
    if len(values) >= 3 and run.failed("test_accuracy") and values[-1] > 1.2 * min(values) and max(values) > values[0]:
        return [make("divergence", f"""Your loss went up again during training ({_fmt(values[0])} at the start,
            lowest {_fmt(min(values))}, {_fmt(values[-1])} at the end). With an engine that adds to .grad, the usual
            cause is a loop that never resets the parameters' grads: each step then follows the sum of every past
            gradient. Set p.grad = 0 for every parameter before each loss.backward(). If you already do, lower
            LEARNING_RATE.""", evidence=[f"training loss {_fmt(values[0])} -> {_fmt(values[-1])}"],
                     causes=("grads never reset between steps", "learning rate too large"),
                     lesson="forward-and-backprop")]
    return []


# ------------------------------------------------------------------ the task


class AutogradByHandTask(Task):
    kind = "autograd_by_hand"
    summary = ("Reverse-mode autograd by hand: a Value class with backward(), checked against torch on shared "
               "expression graphs, then a tiny network trained with it.")
    contract = """\
class Value: Value(data) -> a number that remembers how it was computed
    v.data (a float) and v.grad (0.0 until backward() fills it in);
    v + w and v * w (w a Value or a plain number, on either side), v ** k (k a plain number),
    v.tanh(), v.relu(), v.exp(), v.log(), and v.backward(): the gradient of v with respect to every
    Value it was computed from, in their .grad. The grader checks them against torch autograd, and
    times backward() on a graph with 1024 leaves against one of the same size with 2: one pass back
    (backpropagation) costs about the same on both.
build_model(info) -> model
    A network made of Values. model(point) takes one input, a list of info["input_shape"][0] floats,
    and returns a Value: its score (above 0 means class 1, below 0 class 0).
train(model, data, log) -> None (or the trained model)
    data.x_train (N, 2) float32 and data.y_train (N,) int64 labels 0/1 (torch tensors: use .tolist()),
    and data.x_val, data.y_val. log(epoch=..., train_loss=..., val_accuracy=...) records your curves.
No torch autograd (requires_grad, torch.autograd) and no torch.optim anywhere: the grader counts them."""
    contract_lines = ("Value(data)", "build_model(info) -> model", "train(model, data, log)")
    dataset_kinds = ("classification",)
    metrics = (
        Metric("gradient_error", "min", "relative error",
               "largest relative difference between your Value's results (forward values and the leaves' "
               "gradients after backward()) and torch autograd's, on graphs with shared sub-expressions"),
        Metric("test_accuracy", "max", "fraction",
               "share of fresh test points whose score has the right sign (above 0 for class 1)"),
        Metric("autograd_uses", "min", "count",
               "uses of torch autograd or torch.optim: found in the source of your files, or counted while it ran"),
        Metric("backward_scaling", "min", "ratio",
               f"time the grader waited for forward and backward on a graph of {SCALING_NODES} values with "
               f"{SCALING_LEAVES[1]} leaves, over the same on {SCALING_NODES} values with {SCALING_LEAVES[0]} leaves "
               "(best of up to 3 timings each): about 1 for reverse mode, a hundred and more for an engine that "
               "works out each leaf's gradient apart"),
    )
    primary = "test_accuracy"
    reads_sources = True  # "no autograd" is read in the sources as they were before the code ran
    hand_written_updates = True  # no optimizer: the diagnoses judge the loop, not optimizer calls
    codes = {"gradient-mismatch": CodeInfo("forward-and-backprop"), "autograd-used": CodeInfo("forward-and-backprop"),
             "not-reverse-mode": CodeInfo("forward-and-backprop")}
    rules = (_gradient_mismatch, _not_reverse_mode, _autograd_used, _loop)
    exclusive = {"gradient-mismatch": {"underfitting", "plateau", "below-threshold", "non-finite-loss", "divergence",
                                        "learning-rate-too-high", "learning-rate-extreme", "not-reverse-mode"},
                 "not-reverse-mode": {"below-threshold"}}

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        from dlpath.grading.tasks import ContractError
        from dlpath.grading.tasks._model import function

        if not isinstance(getattr(side.module, "Value", None), type):
            raise ContractError("train.py has no class Value; the grader builds its expression graphs with it. Keep "
                                "the names from the starter's contract at the top of the file.")
        build_model = function(side.module, "build_model", ("info",))
        train = function(side.module, "train", ("model", "data", "log"))
        with side.watch.counting_autograd():
            model = build_model(dict(data.info))
            if not callable(model):
                raise ContractError(f"build_model(info) returned a {type(model).__name__}, which cannot be called; "
                                    "it must return a model that maps one point to a Value.")
            result = train(model, data, side.log)
        return model if result is None else result

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        import torch

        from dlpath.grading.tasks._model import short

        if name == "graph":
            with side.watch.counting_autograd(), no_collection():  # a full collection would be timed too
                return build_and_backward(side.module.Value, values), {}
        if name == "timed graph":  # not counted: counting runs every torch operation through Python, a cost
            with no_collection():  # that is the grader's, not the engine's (the checks' graphs are counted)
                return build_and_backward(side.module.Value, values), {}
        if name == "outputs":
            x = tensors.get("x")
            if not isinstance(x, torch.Tensor):
                raise LearnerError("the request carries no inputs")
            model, scores = side.state, []
            if not callable(model):
                raise LearnerError(f"train(model, data, log) returned a {type(model).__name__}, not a model")
            try:
                with side.watch.counting_autograd():
                    for point in x.tolist():
                        score = model(point)
                        scores.append(float(getattr(score, "data", score)))
            except Exception as exc:  # noqa: BLE001 - the learner's model
                raise LearnerError(f"model(point) failed on a fresh point: {short(exc)}") from None
            return {}, {"y": torch.tensor(scores, dtype=torch.float64)}
        if name == "usage":
            return {"autograd_calls": int(side.watch.autograd_calls)}, {}
        raise LearnerError(f"unknown request {name!r}")

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import mix, shape_text

        test, public = ctx.test, ctx.public
        extra: dict[str, Any] = {}
        metrics = {"gradient_error": self._gradient_check(ctx, extra), "test_accuracy": 0.0,
                   "backward_scaling": SCALING_UNMEASURED}
        if "graph_problem" not in extra:  # an engine that cannot build the checks' graphs is not timed
            metrics["backward_scaling"], error = self._scaling_check(ctx, extra)
            if error > TOLERANCE:
                extra["checks_failed"] = [*extra.get("checks_failed", []), "the timed graphs"]
            metrics["gradient_error"] = max(metrics["gradient_error"], error)
        facts: dict[str, Any] = {"primary": self.primary, "expected_output": shape_text((len(test),)),
                                 "chance_score": float(torch.bincount(test.y).max()) / max(len(test), 1),
                                 "extra": extra}
        mixed, (at_test, at_train, at_val) = mix([test.x, public.x_train, public.x_val], ctx.test_seed)
        try:
            _, got = ctx.ask("outputs", tensors={"x": mixed})
            out = got.get("y")
        except LearnerError as exc:
            facts["forward_error"] = str(exc)
            out = None
        trees, unchecked = learner_trees(ctx)
        static = count_torch_autograd(trees) + len(unchecked)
        if unchecked:
            extra["sources_unchecked"] = unchecked[:20]
        try:
            values, _ = ctx.ask("usage")
            reported = values.get("autograd_calls")
            runtime = int(reported) if isinstance(reported, int) and reported >= 0 else 0
        except LearnerError:
            runtime = 0
        metrics["autograd_uses"] = float(max(static, runtime))
        if not isinstance(out, torch.Tensor) or out.shape != (mixed.shape[0],):
            if out is not None:
                facts["output_problem"] = "model(point) must return one score (a Value) per point"
            return Evaluation(metrics, Facts(**facts))
        finite = bool(torch.isfinite(out).all())
        facts["outputs_finite"] = finite

        def accuracy(rows: Any, y: Any) -> float:
            return float(((out[rows] > 0).long() == y).float().mean()) if len(rows) and finite else 0.0

        metrics["test_accuracy"] = accuracy(at_test, test.y)
        facts["train_score"] = accuracy(at_train, public.y_train)
        facts["val_score"] = accuracy(at_val, public.y_val) if len(at_val) else None
        return Evaluation(metrics, Facts(**facts))

    @staticmethod
    def _gradient_check(ctx: JudgeContext, extra: dict[str, Any]) -> float:
        """Every check's relative error (values and gradients); the worst, and which checks failed, in ``extra``."""
        rng = random.Random(int(ctx.test_seed) * 7919 + 17)
        checks = fixed_checks(rng) + [("random graph", random_graph(rng)) for _ in range(RANDOM_GRAPHS)]
        worst, failed, values_wrong, zero = 0.0, [], [], True
        for name, graph in checks:
            truth = oracle(graph)
            try:
                answer, _ = ctx.ask("graph", values=graph)
            except LearnerError as exc:
                extra["graph_problem"] = str(exc)
                return 1.0
            error, problem, value_wrong = _compare(answer, *truth)
            if problem:
                extra["graph_problem"] = problem
                return 1.0
            if value_wrong:
                values_wrong.append(name)
            zero = zero and all(g == 0 for g in answer["grads"])
            if error > TOLERANCE:
                failed.append(name)
            worst = max(worst, error)
        extra.update(checks_failed=failed, values_wrong=values_wrong, all_zero=zero and bool(failed))
        return worst

    @staticmethod
    def _scaling_check(ctx: JudgeContext, extra: dict[str, Any]) -> tuple[float, float]:
        """``backward_scaling`` and the worst gradient error on the timed graphs (their answers are checked too:
        a fast wrong answer proves nothing).

        Each round asks for a narrow graph, then a wide one (fresh leaf values each round), and times each request
        from the judge's side of the channel (the learner's process cannot make a round trip shorter than it is);
        each size keeps its best time. The ratio is the wide graph's time over the narrow one's, the narrow one
        counted at most SCALING_CAP times the judge's own engine on it (CPU time). Rounds stop as ``timed_ratio``
        says.
        """
        bar = next((float(t.max) for t in getattr(ctx.project, "thresholds", None) or ()
                    if t.metric == "backward_scaling" and t.max is not None), SCALING_STOP)
        rng = random.Random(int(ctx.test_seed) * 104729 + 3)
        reference = reference_seconds(scaling_graph(rng, SCALING_LEAVES[0]))

        def time_one(k: int) -> tuple[float, float] | str:
            graph = scaling_graph(rng, SCALING_LEAVES[k])
            truth = oracle(graph)
            start = time.perf_counter()
            try:
                answer, _ = ctx.ask("timed graph", values=graph)
            except LearnerError as exc:
                return str(exc)
            seconds = time.perf_counter() - start
            error, problem, _ = _compare(answer, *truth)
            return problem or (seconds, error)

        ratio, worst = timed_ratio(time_one, reference, bar, SCALING_ROUNDS, SCALING_CAP, extra)
        return ratio, worst


def _compare(answer: Mapping[str, Any], value: float, grads: list[float]) -> tuple[float, str | None, bool]:
    """An answer against the oracle's: the relative error (at most 1e6; at least 1 when the value is wrong), what
    is wrong with its form (None if nothing), and whether the forward value is wrong."""
    got_value, got = answer.get("value"), answer.get("grads")
    if not isinstance(got, list) or len(got) != len(grads) or not all(
            isinstance(g, (int, float)) and not isinstance(g, bool) for g in got):
        return 1.0, (f"backward() must fill in a number in the .grad of each of the {len(grads)} leaves; got "
                     f"{str(got)[:80]}"), False
    value_wrong = not isinstance(got_value, (int, float)) or abs(got_value - value) > TOLERANCE * max(1.0, abs(value))
    truth = math.sqrt(sum(t * t for t in grads))
    error = math.sqrt(sum((g - t) ** 2 for g, t in zip(got, grads))) / max(truth, 1e-9)
    if value_wrong:
        error = max(error, 1.0)
    return min(error, 1.0e6), None, value_wrong
