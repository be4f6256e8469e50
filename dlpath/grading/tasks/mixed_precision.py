"""``mixed_precision``: a classifier trained and run with torch.autocast, graded on the precision it really used.

What the judge verifies itself, and what it cannot:

- **The model's precision (verified).** The judge asks for the trained model
  traced into a graph (``dlpath.grading.artifact``) and replays that graph in
  its own process, counting the multiply-adds of every convolution and matrix
  product by the dtype they ran in (``_precision.HeavyWork``). A model whose
  forward runs under ``torch.autocast`` (or casts to bfloat16 itself) leaves
  its casts in the traced graph, so the replay runs in 16-bit; a float32 model
  replays in float32. Only work the outputs depend on counts: the judge
  replaces the result of each operator that ran in 16-bit by random numbers
  of its scale, and work whose replacement leaves the outputs as they were (a
  product multiplied by zero, a branch nothing reads), or changes fewer than
  one prediction in ten (a branch added at a few percent of the logits' scale)
  is left out (``_precision.live_work``). The accuracy is measured on that same replay, and
  the weights the graph reads show whether the master weights stayed float32.
- **The training's precision (counted in the learner process, so it can only
  count against).** How the training steps ran happens only in the learner
  process: the task counts the arithmetic of training steps drawn at random
  there (``_precision``) and reports it. A report cannot raise the grade: the metric
  ``reduced_precision`` is the *lower* of the verified share and the reported
  one, so a forged report gains nothing the replay does not show, and a
  missing or malformed one counts as float32. Whether a GradScaler was used
  (float16) is seen there too, and feeds advice only.
"""

from __future__ import annotations

import ast

from dataclasses import dataclass
from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, SplitData, Task

_SHARE = 0.5  # a share of 16-bit work above this reads as "this part ran in mixed precision"


@dataclass
class _Trained:
    """What the learner side keeps after training: the model, and what the counter saw while it trained."""

    model: Any
    work: dict  #: multiply-adds of sampled training steps, by dtype
    scaled: int  #: GradScaler.scale() calls


def _share(run: Any, name: str) -> float | None:
    value = run.facts.extra.get(name)
    return float(value) if isinstance(value, (int, float)) else None


def _precision(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    if not run.failed("reduced_precision"):
        return []
    model, training = _share(run, "model_share"), _share(run, "training_share")
    if model is None:
        return []
    training = training or 0.0
    evidence = [f"16-bit share of the model's arithmetic (replayed by the grader): "
                f"{_pct(model)}", f"16-bit share while training (counted in your process): {_pct(training)}"]
    codes = MixedPrecisionTask.codes
    dead = run.facts.extra.get("dead_work")
    unused = ""
    if isinstance(dead, int) and dead > 0:
        evidence.append(f"16-bit work your outputs do not depend on, not counted: {dead:,} multiply-adds in "
                        f"{run.facts.extra.get('dead_nodes', 0)} operators")
        unused = (" The 16-bit arithmetic it does is thrown away: the grader replaced those results by random "
                  "numbers and the outputs did not change, so it is not counted.")
    if model < _SHARE and (training < _SHARE or unused):  # dead work counted while training is dead there too
        return [make("full-precision", f"""Your model trained and computes in float32: {_pct(model)} of the work
            of its convolutions and matrix products ran in a 16-bit type.{unused} Mixed precision runs that heavy work under
            torch.autocast, in bfloat16 on a CPU (float16 with a GradScaler, or bfloat16, on a GPU), while the
            weights stay float32. In your model's forward, run the layers inside
            `with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):` and return the logits as
            .float(): training then runs in mixed precision too, and the grader, which replays the model you
            return, sees the casts.""",
                     evidence=evidence, codes=codes)]
    if model < _SHARE:
        return [make("autocast-outside-model", f"""Your training ran in 16-bit ({_pct(training)} of its heavy work),
            but the model you returned computes in float32 when it is called on its own: the autocast sits in your
            training loop, around the model, not inside it. The grader replays the model you hand back and can
            only see the precision written into it. Move the autocast into the model's forward (a `with
            torch.autocast(...)` around its body, or @torch.autocast(...) on forward) so that the model is mixed
            precision wherever it runs.""", evidence=evidence, codes=codes)]
    if run.facts.extra.get("counter_reached"):
        evidence.append("your code reaches torch's dispatch-mode stack or the optimizers' global hooks, where the "
                        "grader counts the training's precision: that count is not trusted")
    if training < _SHARE:
        return [make("trained-in-float32", f"""Your model computes in 16-bit now ({_pct(model)} of its heavy work),
            but its training steps ran in float32 ({_pct(training)}): the autocast was switched on after training,
            or only for evaluation. Training is where mixed precision saves time and memory: run the forward pass
            of every training step under it.""", evidence=evidence, codes=codes)]
    return [make("partly-full-precision", f"""Part of your model's heavy work still runs in float32: {_pct(model)}
        of it ran in 16-bit when the grader replayed the model, {_pct(training)} while it trained. Every
        convolution and linear layer should sit inside the autocast region: look for layers called before it
        starts or after it ends, or an explicit .float() in the middle of the network.""",
                 evidence=evidence, codes=codes)]


def _weights(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    bad = run.failed("float32_weights")
    if not bad or bad[0].value is None:
        return []
    return [make("weights-not-float32", f"""Only {_pct(bad[0].value)} of your model's weights are stored in float32:
        the model itself was turned into 16-bit (model.bfloat16() or model.half()). That is not mixed precision:
        in bfloat16, 1000 + 0.5 is 1000, so the many small updates of training are rounded away. Keep the weights
        float32 and let torch.autocast cast them to 16-bit on the fly for the heavy operations.""",
                 evidence=[f"float32 share of the weights {_pct(bad[0].value)}"], codes=MixedPrecisionTask.codes)]


def _scaler(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    extra = run.facts.extra
    half = _share(run, "training_float16_share")
    if half is None or half < _SHARE or extra.get("scaler_calls"):
        return []
    return [make("float16-without-scaler", f"""Your training ran in float16 ({_pct(half)} of its heavy work) without
        a gradient scaler. float16 cannot hold numbers below about 6e-8, so small gradients silently become zero
        and those weights stop learning. Use scaler = torch.amp.GradScaler(device), then
        scaler.scale(loss).backward(), scaler.step(optimizer), scaler.update(); or use bfloat16, which has
        float32's range and needs no scaler.""", evidence=[f"float16 share while training {_pct(half)}",
                                                           "no GradScaler.scale() call seen"],
                 severity="error" if run.failed() else "warning", codes=MixedPrecisionTask.codes)]


class MixedPrecisionTask(Task):
    kind = "mixed_precision"
    summary = ("Classify with a model trained and run under torch.autocast: graded on accuracy and on the share of "
               "its heavy work done in 16-bit.")
    contract = """\
build_model(info) -> torch.nn.Module
    info["input_shape"] is one sample's shape and info["num_classes"] the number of classes.
    The model maps a batch of inputs to raw scores (logits) of shape (N, num_classes), and
    its forward runs its heavy work (convolutions, linear layers) under torch.autocast:
    bfloat16 on a CPU; float16 (with a GradScaler) or bfloat16 on a GPU.
train(model, data, device, log) -> None (or the trained model)
    data.x_train, data.y_train (int64 labels), data.x_val, data.y_val, data.info.
    device is "cpu" or "cuda". Train in mixed precision: the weights stay float32, the heavy
    work runs in 16-bit. log(epoch=..., train_loss=..., val_loss=..., val_accuracy=...)
    records your learning curves. Leave the model in eval mode.
The grader replays the model you return in its own process: it measures the accuracy on fresh
inputs, the share of the model's arithmetic done in 16-bit (all of it, not only the convolutions
and matrix products), and whether
the weights stayed float32. How your training steps ran is counted in your own process and
can only lower that share."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, data, device, log)")
    dataset_kinds = ("classification",)
    metrics = (
        Metric("test_accuracy", "max", "fraction",
               "share of fresh test inputs whose highest score is the right class, on the judge's replay of the "
               "traced model"),
        Metric("reduced_precision", "max", "fraction",
               "share of the arithmetic done in bfloat16 or float16 (the multiply-adds of convolutions and matrix "
               "products, and the numbers each other computing operator reads or writes): the lower of the judge's "
               "replay of the model and training steps drawn at random (counted in the learner process)"),
        Metric("float32_weights", "max", "fraction",
               "share of the numbers in the model's floating-point weights stored in float32 (the master weights), "
               "read from the tensors its traced graph uses"),
        Metric("parameters", "min", "numbers",
               "numbers in every tensor the model computes with, counted by the judge on the trace it replays"),
    )
    primary = "test_accuracy"
    reads_sources = True  # what touches the training's count is read in the sources as they were before they ran
    codes = {"full-precision": CodeInfo("mixed-precision-gpus"),
             "autocast-outside-model": CodeInfo("mixed-precision-gpus"),
             "trained-in-float32": CodeInfo("mixed-precision-gpus"),
             "partly-full-precision": CodeInfo("mixed-precision-gpus"),
             "weights-not-float32": CodeInfo("mixed-precision-gpus"),
             "float16-without-scaler": CodeInfo("mixed-precision-gpus")}
    rules = (_precision, _weights, _scaler)

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        from dlpath.grading.tasks._model import train_module
        from dlpath.grading.tasks._precision import sampled_training

        with sampled_training() as counter, _counting_scaler() as scaled:
            model = train_module(side, data)
        return _Trained(model, dict(counter.work), scaled[0])

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        from dlpath.grading.tasks._model import answer_model

        state = side.state
        if name == "usage":
            return {"work": {str(k): int(v) for k, v in state.work.items()}, "scaler_calls": int(state.scaled)}, {}
        return answer_model(name, tensors, state.model, side.device)

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import ask_model, label_entropy, majority_share, shape_text
        from dlpath.grading.tasks._precision import reduced_share

        test, public = ctx.test, ctx.public
        classes = int(test.info["num_classes"])
        train_x, train_y = public.x_train[:2000], public.y_train[:2000]
        asked = ask_model(ctx, [test.x, train_x, public.x_val], {"test_accuracy": 0.0}, outputs=_replayed)
        mixed, (at_test, at_train, at_val), got, metrics = asked.mixed, asked.at, asked.got, asked.metrics
        training, scaler_calls = _reported_work(ctx)
        reached = _reaches_the_counter(ctx)
        if reached:  # what the learner process counted cannot be trusted: no 16-bit training work at all
            training = {}
        model_share = reduced_share(got.work) or 0.0
        training_share = reduced_share(training) or 0.0
        metrics.update({"reduced_precision": min(model_share, training_share), "float32_weights": got.float32_weights})
        total = sum(training.values())
        extra: dict[str, Any] = {
            "model_share": model_share, "training_share": training_share,
            "model_work": {k: int(v) for k, v in got.work.items()},
            "dead_work": int(got.dead_work), "dead_nodes": int(got.dead_nodes),
            "training_float16_share": training.get("float16", 0) / total if total else None,
            "scaler_calls": scaler_calls, "counter_reached": reached}
        facts = asked.facts(self, shape_text((len(test), classes)), chance_score=majority_share(test.y, classes),
                            label_entropy=label_entropy(public.y_train, classes), extra=extra)
        out = got.outputs
        if out is None:
            return Evaluation(metrics, Facts(**facts))
        if out.dim() != 2 or out.shape[0] != mixed.shape[0] or out.shape[1] != classes or not out.is_floating_point():
            facts["got_output"] = shape_text(out.shape, str(out.dtype).replace("torch.", ""))
            facts["output_problem"] = (f"your model's output has shape {facts['got_output']}; the grader expected "
                                       f"{facts['expected_output']}: one row of raw class scores per input")
            return Evaluation(metrics, Facts(**facts))
        out = out.float()
        finite = bool(torch.isfinite(out).all())
        facts["outputs_finite"] = finite
        if not finite:
            return Evaluation(metrics, Facts(**facts))
        right = out.argmax(dim=1)
        metrics["test_accuracy"] = float((right[at_test] == test.y).float().mean())
        facts["train_score"] = float((right[at_train] == train_y).float().mean())
        if len(at_val):
            facts["val_score"] = float((right[at_val] == public.y_val).float().mean())
        return Evaluation(metrics, Facts(**facts))


@dataclass
class _Replayed:
    outputs: Any = None
    work: dict | None = None
    parameters: int | None = None
    float32_weights: float = 0.0
    replay: str | None = None
    forward_error: str | None = None
    dead_work: int = 0  #: 16-bit multiply-adds the outputs do not depend on (left out of ``work``)
    dead_nodes: int = 0


def _replayed(ctx: JudgeContext, x: Any) -> _Replayed:
    """The model's outputs on ``x`` from the judge's own replay of its traced graph, with the heavy work counted."""
    import torch

    from dlpath.grading.artifact import ReplayError, count_parameters, output_difference
    from dlpath.grading.tasks._model import PROBE, TRACE_BATCH, _replay_all
    from dlpath.grading.tasks._precision import live_work

    result = _Replayed(work={})
    try:
        values, tensors = ctx.ask("artifact", tensors={"x": x[:TRACE_BATCH]})
        weights = {k[2:]: v for k, v in tensors.items() if k.startswith("w:")}
        graph = values.get("graph")
        if not isinstance(graph, Mapping):
            raise ReplayError("no graph came back")
        result.parameters = count_parameters(graph, weights)
        floating = [t for t in weights.values() if t.is_floating_point()]
        numbers = sum(t.numel() for t in floating)
        result.float32_weights = (sum(t.numel() for t in floating if t.dtype in (torch.float32, torch.float64))
                                  / numbers) if numbers else 1.0
        counted = live_work(lambda rows, edit=None: _replay_all(graph, weights, rows, edit=edit), x,
                            x[:TRACE_BATCH], decide=lambda logits: logits.argmax(dim=-1))
        result.outputs, result.work = counted.outputs, counted.work
        result.dead_work, result.dead_nodes = counted.dead, counted.dead_nodes
    except (LearnerError, ReplayError) as exc:
        result.replay = f"unavailable: {exc}"
        result.forward_error = f"the grader could not replay your model: {exc}"
        return result
    try:
        _, own = ctx.ask("outputs", tensors={"x": x[:PROBE]})
        difference = output_difference(result.outputs[:PROBE], own.get("y", torch.empty(0)))
        result.replay = "exact" if difference <= 1e-2 else f"differs by {difference:.3g}"
    except LearnerError as exc:
        result.replay = f"exact (your process could not answer: {exc})"
    return result


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62


#: where the count of the training steps sits in the learner's process: torch's dispatch-mode stack (taking it off
#: hides a step's work) and the optimizers' global hooks (clearing them hides which steps ran)
_COUNTER_NAMES = ("_global_optimizer_post_hooks", "_global_optimizer_pre_hooks", "register_optimizer_step_post_hook",
                  "register_optimizer_step_pre_hook")


def _reaches_the_counter(ctx: JudgeContext) -> bool:
    """Whether the learner's sources (read before they ran) touch what counts their training's precision."""
    from dlpath.grading.tasks.regression_by_hand import imported_modules, learner_trees, used_names, uses_dispatch_modes

    trees, _ = learner_trees(ctx)
    for tree in trees:
        names = used_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names += imported_modules(node) + [a.name for a in node.names]
        if any(uses_dispatch_modes(n) or n.endswith(_COUNTER_NAMES) for n in names):
            return True
    return False


def _reported_work(ctx: JudgeContext) -> tuple[dict[str, int], int]:
    """The heavy work the learner process counted while training, by dtype ({} when missing or malformed: it
    then counts as no 16-bit work at all), and the GradScaler.scale() calls it saw."""
    try:
        values, _ = ctx.ask("usage")
    except LearnerError:
        return {}, 0
    work = values.get("work")
    calls = values.get("scaler_calls")
    if not isinstance(work, Mapping):
        return {}, 0
    return ({str(k)[:20]: v for k, v in list(work.items())[:20] if _whole(v)}, calls if _whole(calls) else 0)


def _counting_scaler() -> Any:
    """A context that counts GradScaler.scale() calls (float16 training needs them)."""
    import contextlib

    import torch

    @contextlib.contextmanager
    def counting():
        calls = [0]
        original = torch.amp.GradScaler.scale

        def scale(self: Any, outputs: Any) -> Any:
            calls[0] += 1
            return original(self, outputs)

        torch.amp.GradScaler.scale = scale  # type: ignore[method-assign]
        try:
            yield calls
        finally:
            torch.amp.GradScaler.scale = original  # type: ignore[method-assign]

    return counting()
