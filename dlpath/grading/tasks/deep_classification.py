"""``deep_classification``: classification graded at a required depth, counted on the model the judge replays.

The learner's contract is the ``classification`` one. What changes is in the
judge: it always asks for the trained model traced into a graph
(``dlpath.grading.artifact``), counts the weight layers (linear, matmul and
convolution operators that apply a trained tensor to the data) on the longest
path from the input to the output (``depth``), and grades the outputs of its
own replay of that graph, so that the model that is counted is the model that
is graded. A residual block counts once per weight layer on its path; layers
side by side do not add depth. Only layers the outputs depend on count: the
judge leaves out a layer whose weight only copies its input (an identity, a
permutation, a scaled copy, every entry equal) and a layer whose output it can
zero, or (same shape in and out) replace by its input, without moving any
output of its replay by more than the replay's own tolerance (``learned_layers``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, Metric
from dlpath.grading.tasks.classification import ClassificationTask

#: Operators that apply a weight to the data: one layer of depth each (on the data's path).
WEIGHT_OPS = frozenset({
    "aten::linear", "aten::addmm", "aten::mm", "aten::matmul", "aten::bmm", "aten::baddbmm", "aten::addmv",
    "aten::mv", "aten::bilinear", "aten::conv1d", "aten::conv2d", "aten::conv3d", "aten::convolution",
    "aten::_convolution", "aten::conv_transpose1d", "aten::conv_transpose2d", "aten::conv_transpose3d",
})
_TRACE_ROWS = 256  # public inputs the model is traced on
_TOLERANCE = 1e-3  # an ablation that moves no output by more than this (the replay's own tolerance) changes nothing
_ZERO = 1e-6  # entries of a weight below this share of its largest count as zero
_PROBE_ROWS = 256  # inputs on which the replay is compared with the learner process's own outputs


@dataclass(frozen=True)
class WeightLayer:
    """A node of the graph that applies a weight to the data."""

    index: int  #: its position in the graph's node list
    data: tuple[int, ...]  #: positions of its arguments that depend on the graph's inputs
    static: tuple[int, ...]  #: positions of its arguments computed from constants alone (the weight, a bias)


def weight_layers(graph: Mapping[str, Any]) -> list[WeightLayer]:
    """Every node of ``WEIGHT_OPS`` that combines data with a static tensor, in graph order.

    A value is *data* when it depends on an input of the graph, *static* when it
    comes from constants only (weights, and anything computed from them alone).
    """
    data = {int(i) for i in graph.get("inputs", [])}
    layers = []
    for index, node in enumerate(graph.get("nodes", [])):
        refs = node.get("in", [])
        moving = tuple(k for k, ref in enumerate(refs) if ref in data)
        if not moving:
            continue  # a constant, or computed from constants only: static
        still = tuple(k for k, ref in enumerate(refs) if ref not in data)
        if node.get("op") in WEIGHT_OPS and still:
            layers.append(WeightLayer(index, moving, still))
        data.update(node.get("out", []))
    return layers


def weight_layer_depth(graph: Mapping[str, Any], counted: set[int] | None = None) -> int:
    """Weight layers on the longest path from the graph's inputs to its outputs (only the layers whose node
    index is in ``counted``, when given): the data leaving a layer is one layer deeper than the deepest data
    entering it; layers side by side do not add up."""
    layers = {layer.index for layer in weight_layers(graph)}
    if counted is not None:
        layers &= counted
    depth: dict[int, int] = {int(i): 0 for i in graph.get("inputs", [])}  # data values -> weight layers so far
    for index, node in enumerate(graph.get("nodes", [])):
        data_in = [depth[i] for i in node.get("in", []) if i in depth]
        if not data_in:
            continue
        here = max(data_in) + (1 if index in layers else 0)
        for out in node.get("out", []):
            depth[out] = here
    return max((depth.get(o, 0) for o in graph.get("outputs", [])), default=0)


def _is_copy(weight: Any, convolution: bool) -> bool:
    """A weight that only copies: every entry equal (an average, a zero layer), or a scaled selection
    (identity, permutation, duplication: each output reads at most one input)."""
    import torch

    if not isinstance(weight, torch.Tensor) or weight.dim() < 2 or not weight.numel() or not weight.is_floating_point():
        return False
    w = weight.detach().float()
    if float(w.max() - w.min()) == 0.0:
        return True
    m = w.reshape(w.shape[0], -1) if convolution else w.reshape(-1, w.shape[-1])
    nonzero = m.abs() > _ZERO * float(m.abs().max())
    return bool((nonzero.sum(dim=1) <= 1).all() or (nonzero.sum(dim=0) <= 1).all())


def learned_layers(graph: Mapping[str, Any], weights: Mapping[str, Any], x: Any) -> set[int]:
    """The weight layers (node indices) the model's outputs on ``x`` depend on, by the judge's own ablations
    of its replay: a layer is left out when its weight only copies (``_is_copy``), when zeroing its output,
    or (input and output of one shape) passing its input through instead, changes no output by more than
    the replay's own tolerance."""
    import torch

    from dlpath.grading.tasks._model import _replay_all

    layers = {layer.index: layer for layer in weight_layers(graph)}
    nodes = graph.get("nodes", [])
    statics: dict[int, list[Any]] = {}
    square: set[int] = set()  # layers whose data input and output have one shape: they can be skipped

    def record(index: int, args: list, result: Any) -> Any:
        if index in layers:
            statics[index] = [args[k] for k in layers[index].static if k < len(args)]
            if getattr(args[layers[index].data[0]], "shape", None) == getattr(result, "shape", ()):
                square.add(index)
        return result

    base = _replay_all(graph, weights, x, edit=record)
    counted = set()
    for index, layer in layers.items():
        convolution = "conv" in str(nodes[index].get("op", ""))
        if any(_is_copy(w, convolution) for w in statics.get(index, [])):
            continue
        if not _changes(graph, weights, x, base, lambda i, args, r, at=index: torch.zeros_like(r) if i == at else r):
            continue
        if index in square and not _changes(graph, weights, x, base,
                                            lambda i, args, r, at=index, k=layer.data[0]: args[k] if i == at else r):
            continue
        counted.add(index)
    return counted - _cancelling(graph, weights, x, base, layers, sorted(counted))


def _cancelling(graph: Mapping[str, Any], weights: Mapping[str, Any], x: Any, base: Any, layers: Mapping[int, Any],
                order: list[int]) -> set[int]:
    """Layers that only cancel each other out: runs of two or three consecutive weight layers whose first input
    can be passed straight to the last one's output without changing any output (A = [Q; -Q], a ReLU, then
    B = [Q^T, -Q^T] gives back its input, though neither layer alone is a copy nor can be skipped alone)."""
    dropped: set[int] = set()
    for span in (2, 3):
        for start in range(len(order) - span + 1):
            run = order[start:start + span]
            if dropped & set(run):
                continue
            seen: dict[str, Any] = {}

            def edit(index: int, args: list, result: Any, first: int = run[0], last: int = run[-1],
                     k: int = layers[run[0]].data[0], seen: dict = seen) -> Any:
                if index == first:
                    seen["input"] = args[k]
                if index == last and getattr(seen.get("input"), "shape", None) == getattr(result, "shape", ()):
                    seen["swapped"] = True
                    return seen["input"]
                return result

            if not _changes(graph, weights, x, base, edit) and seen.get("swapped"):
                dropped.update(run)
    return dropped


def _changes(graph: Mapping[str, Any], weights: Mapping[str, Any], x: Any, base: Any, edit: Any) -> bool:
    from dlpath.grading.artifact import ReplayError, output_difference
    from dlpath.grading.tasks._model import _replay_all

    try:
        return output_difference(_replay_all(graph, weights, x, edit=edit), base) > _TOLERANCE
    except ReplayError:
        return True  # the rest of the model cannot run without it


def _too_shallow(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import make

    bad = run.failed("depth")
    if not bad or bad[0].value is None or bad[0].min is None:
        return []
    depth, wanted = int(bad[0].value), int(bad[0].min)
    traced = run.facts.extra.get("traced_depth")
    if isinstance(traced, int) and traced >= wanted:
        if run.failed("test_accuracy"):
            return []  # the layers are there but did not learn: the generic findings (vanishing gradients) say why
        return [make("too-shallow", f"""Your model has {traced} weight layers on its longest path, but only {depth} of
            them change its answers: the others only copy their input (an identity, a permutation, a scaled copy,
            every weight equal), or the model's outputs stay the same when the grader zeroes them or passes their
            input straight through. The grader counts the layers your model needs, and this project asks for at
            least {wanted}: train {wanted} real layers and make the signal and the gradient travel through them (ReLU
            with He initialization, normalization, residual connections).""",
                     evidence=[f"{traced} weight layers traced, {depth} of them change the outputs",
                               f"at least {wanted} required"],
                     causes=("layers that copy their input added to reach the depth",), codes=DeepClassificationTask.codes)]
    return [make("too-shallow", f"""The grader counted {depth} weight layer(s) on the longest path from your
        model's input to its output; this project asks for at least {wanted}. A shallow network trains easily:
        the point here is to make a deep one train. Keep the {wanted} layers and change how the signal and the
        gradient travel through them: ReLU-family activations with He (Kaiming) initialization, a normalization
        layer in each block, or residual connections (x + layer(x)).""",
                 evidence=[f"{depth} weight layers counted on the replayed model", f"at least {wanted} required"],
                 causes=("layers removed to make training easier",), codes=DeepClassificationTask.codes)]


class DeepClassificationTask(ClassificationTask):
    kind = "deep_classification"
    summary = ("Classify with a network of a required depth: build_model(info) + train(model, data, device, log); "
               "the judge counts the weight layers of the model it replays and grades.")
    contract = ClassificationTask.contract + """
The grader traces the trained model, counts its weight layers (linear or convolution) on the
longest path from input to output, and grades its own replay of that trace: keep forward()
to tensor operations, the same for every input."""
    metrics = ClassificationTask.metrics + (
        Metric("depth", "max", "layers",
               "weight layers (linear, matmul, convolution applying a trained tensor) on the longest path from the "
               "input to the output of the traced model the judge replays and grades, counting only the layers the "
               "outputs depend on: not a weight that only copies (identity, permutation, scaled copy, all equal), "
               "nor a layer whose zeroing or skipping moves no output by more than 1e-3"),
    )
    codes = {**ClassificationTask.codes, "too-shallow": CodeInfo("vanishing-exploding-gradients")}
    rules = (_too_shallow, *ClassificationTask.rules)
    # The data and its labels are dlpath's here: a shallow model that learned nothing is about the model.
    exclusive = {"too-shallow": {"labels-not-learnable"}}

    def judge(self, ctx: JudgeContext) -> Evaluation:
        """The classification judge, with every output it grades coming from the replay of one traced graph."""
        import torch

        from dlpath.grading.artifact import ReplayError, output_difference
        from dlpath.grading.tasks._model import _replay_all, short

        example = ctx.public.x_train[:_TRACE_ROWS]
        try:
            values, tensors = ctx.ask("artifact", tensors={"x": example})
            graph = values.get("graph")
            if not isinstance(graph, Mapping):
                raise ReplayError("no graph came back")
            weights = {k[2:]: v for k, v in tensors.items() if k.startswith("w:")}
            answer = {k: v for k, v in tensors.items() if k.startswith(("w:", "s:"))}  # s: where trained ones started
            traced = weight_layer_depth(graph)
            depth = weight_layer_depth(graph, learned_layers(graph, weights, example[:_PROBE_ROWS]))
            probe = _replay_all(graph, weights, example[:_PROBE_ROWS])
        except (LearnerError, ReplayError, ValueError, TypeError, KeyError) as exc:
            return self._unreplayable(ctx, f"unavailable: {short(exc)}")
        try:
            _, own = ctx.ask("outputs", tensors={"x": example[:_PROBE_ROWS]})
            difference = output_difference(probe, own.get("y", torch.empty(0)))
            replay = "exact" if difference <= 1e-3 else f"differs by {difference:.3g}"
        except LearnerError:
            replay = "exact"  # the learner's own forward failed; the replay is what is graded

        def ask(name: str, values: Mapping[str, Any] | None = None,
                tensors: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
            if name == "artifact":  # the same trace, with where its trained weights started (learned_skill)
                return {"graph": graph}, answer
            if name == "outputs":
                try:
                    return {}, {"y": _replay_all(graph, weights, (tensors or {})["x"])}
                except ReplayError as exc:
                    raise LearnerError(f"the replay of your model failed: {exc}") from None
            return ctx.ask(name, values, tensors)

        evaluation = super().judge(dataclasses.replace(ctx, ask=ask))
        metrics = dict(evaluation.metrics, depth=float(depth))
        facts = dataclasses.replace(evaluation.facts, replay=replay,
                                    extra={**evaluation.facts.extra, "depth": depth, "traced_depth": traced})
        return Evaluation(metrics, facts)

    def _unreplayable(self, ctx: JudgeContext, replay: str) -> Evaluation:
        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import shape_text

        classes = int(ctx.test.info["num_classes"])
        return Evaluation({"test_accuracy": 0.0, "depth": 0.0},
                          Facts(primary=self.primary, expected_output=shape_text((len(ctx.test), classes)),
                                replay=replay))
