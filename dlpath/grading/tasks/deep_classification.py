"""``deep_classification``: classification graded at a required depth, counted on the model the judge replays.

The learner's contract is the ``classification`` one. What changes is in the
judge: it always asks for the trained model traced into a graph
(``dlpath.grading.artifact``), counts the weight layers (linear, matmul and
convolution operators that apply a trained tensor to the data) on the longest
path from the input to the output (``depth``), and grades the outputs of its
own replay of that graph, so that the model that is counted is the model that
is graded. A residual block counts once per weight layer on its path; layers
side by side do not add depth.
"""

from __future__ import annotations

import dataclasses
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
_PROBE_ROWS = 256  # inputs on which the replay is compared with the learner process's own outputs


def weight_layer_depth(graph: Mapping[str, Any]) -> int:
    """Weight layers on the longest path from the graph's inputs to its outputs.

    A value is *data* when it depends on an input of the graph, *static* when it
    comes from constants only (weights, and anything computed from them alone). A
    node of ``WEIGHT_OPS`` that combines data with a static tensor is a weight
    layer: the data leaving it is one layer deeper than the deepest data entering.
    """
    depth: dict[int, int] = {int(i): 0 for i in graph.get("inputs", [])}  # data values -> weight layers so far
    for node in graph.get("nodes", []):
        data_in = [depth[i] for i in node.get("in", []) if i in depth]
        if not data_in:
            continue  # a constant, or computed from constants only: static
        static_in = any(i not in depth for i in node.get("in", []))
        here = max(data_in) + (1 if node.get("op") in WEIGHT_OPS and static_in else 0)
        for out in node.get("out", []):
            depth[out] = here
    return max((depth.get(o, 0) for o in graph.get("outputs", [])), default=0)


def _too_shallow(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import make

    bad = run.failed("depth")
    if not bad or bad[0].value is None or bad[0].min is None:
        return []
    depth, wanted = int(bad[0].value), int(bad[0].min)
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
               "input to the output of the traced model the judge replays and grades"),
    )
    codes = {"too-shallow": CodeInfo("vanishing-exploding-gradients")}
    rules = (_too_shallow,)
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
            depth = weight_layer_depth(graph)
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
            if name == "artifact":
                return {"graph": graph}, {f"w:{k}": v for k, v in weights.items()}
            if name == "outputs":
                try:
                    return {}, {"y": _replay_all(graph, weights, (tensors or {})["x"])}
                except ReplayError as exc:
                    raise LearnerError(f"the replay of your model failed: {exc}") from None
            return ctx.ask(name, values, tensors)

        evaluation = super().judge(dataclasses.replace(ctx, ask=ask))
        metrics = dict(evaluation.metrics, depth=float(depth))
        facts = dataclasses.replace(evaluation.facts, replay=replay,
                                    extra={**evaluation.facts.extra, "depth": depth})
        return Evaluation(metrics, facts)

    def _unreplayable(self, ctx: JudgeContext, replay: str) -> Evaluation:
        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import shape_text

        classes = int(ctx.test.info["num_classes"])
        return Evaluation({"test_accuracy": 0.0, "depth": 0.0},
                          Facts(primary=self.primary, expected_output=shape_text((len(ctx.test), classes)),
                                replay=replay))
