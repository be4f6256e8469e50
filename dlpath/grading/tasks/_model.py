"""Shared pieces of the tasks whose learner hands over a ``torch.nn.Module``.

Learner side: checking the contract's functions, running the model on inputs
in chunks, and the two standard answers (``outputs``: the model's outputs on
inputs the judge sends; ``artifact``: the model traced into a graph the judge
replays, see ``dlpath.grading.artifact``).

Judge side: ``model_outputs`` asks for whichever the project needs and returns
the outputs the judge believes, with the facts about how it got them.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch
from torch import nn

from dlpath.grading.sources import read_learner_file
from dlpath.grading.tasks.api import ContractError, JudgeContext, LearnerError

__all__ = [
    "function",
    "train_module",
    "short",
    "run_model",
    "answer_model",
    "mix",
    "ModelOutputs",
    "model_outputs",
    "shape_text",
    "read_learner_file",
    "needs_artifact",
]

CHUNK = 2048  # samples per forward pass when answering
TRACE_BATCH = 256  # the batch the model is traced on (the judge replays in batches of this size)
PROBE = 256  # inputs on which the judge compares its replay with the learner process's own outputs
SKILL_ROWS = 512  # inputs the learned-weights ablation replays (twice): enough to tell skill from chance


def short(exc: BaseException, limit: int = 300) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def function(module: Any, name: str, params: tuple[str, ...]) -> Callable[..., Any]:
    """The learner's function ``name``, checked to accept ``params`` positionally."""
    wanted = f"{name}({', '.join(params)})"
    fn = getattr(module, name, None)
    if fn is None:
        raise ContractError(
            f"train.py has no function {wanted}; the grader calls it. "
            "Keep the names and arguments from the starter's contract at the top of the file."
        )
    if not callable(fn):
        raise ContractError(f"train.py: {name} is a {type(fn).__name__}, not a function {wanted}")
    try:
        inspect.signature(fn).bind(*params)
    except TypeError:
        raise ContractError(
            f"train.py: {name}{inspect.signature(fn)} cannot be called as {wanted}; "
            "keep the arguments of the contract (you may add ones with defaults)."
        ) from None
    except ValueError:  # no signature (a builtin); let the call decide
        pass
    return fn


def run_model(model: nn.Module, x: torch.Tensor, device: str) -> torch.Tensor:
    """``model`` on ``x`` in chunks, without gradients, on the device its parameters are on."""
    try:
        where = next(model.parameters()).device
    except StopIteration:
        where = torch.device(device)
    pieces = []
    with torch.no_grad():
        for start in range(0, x.shape[0], CHUNK):
            out = model(x[start: start + CHUNK].to(where))
            if not isinstance(out, torch.Tensor):
                raise TypeError(f"the model returned a {type(out).__name__}, not a tensor")
            pieces.append(out.detach().cpu())
    return torch.cat(pieces) if pieces else torch.empty(0)


def train_module(side: Any, data: Any) -> nn.Module:
    """The model contract's learner side: `build_model(info)`, then `train(model, data, device, log)`, watched.
    Returns the trained model (the one `train` returned, else the one it was given)."""
    build_model = function(side.module, "build_model", ("info",))
    train = function(side.module, "train", ("model", "data", "device", "log"))
    model = build_model(dict(data.info))
    if not isinstance(model, nn.Module):
        raise ContractError(
            f"build_model(info) returned a {type(model).__name__}; it must return a torch.nn.Module "
            "(for example an nn.Sequential)."
        )
    side.watch.raw_inputs(data.x_train)  # before the learner's code can touch them
    side.watch.attach(model)
    with side.watch.training():
        result = train(model, data, side.device, side.log)
    if result is not None and not isinstance(result, nn.Module):
        raise ContractError(
            f"train(model, data, device, log) returned a {type(result).__name__}; "
            "return nothing (the model you were given is used) or the trained torch.nn.Module."
        )
    trained = model if result is None else result
    side.watch.finish(trained)
    return trained


def answer_model(name: str, tensors: Mapping[str, Any], model: nn.Module,
                 device: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The standard answers about a trained model: ``outputs`` and ``artifact``."""
    from dlpath.grading import artifact

    x = tensors.get("x")
    if not isinstance(x, torch.Tensor):
        raise LearnerError("the request carries no inputs")
    if name == "outputs":
        try:
            return {}, {"y": run_model(model, x, device)}
        except Exception as exc:  # noqa: BLE001 - the learner's forward pass
            raise LearnerError(short(exc)) from None
    if name == "artifact":
        try:
            where = next(model.parameters()).device
        except StopIteration:
            where = torch.device(device)
        try:
            graph, weights = artifact.trace(model, x.to(where))
        except Exception as exc:  # noqa: BLE001 - tracing the learner's model
            raise LearnerError(f"tracing the model failed: {short(exc)}") from None
        return {"graph": graph}, {**{f"w:{k}": v for k, v in weights.items()}, **started(model, weights)}
    raise LearnerError(f"unknown request {name!r}")


def started(model: nn.Module, weights: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``{"s:<name>": value when build_model returned}`` for each traced tensor that is a parameter training moved
    by gradients (``observe.StartingPoint``): what the judge's learned-weights ablation puts back."""
    from dlpath.grading.observe import STARTING_POINT

    trained = STARTING_POINT.trained(model)
    out = {}
    for name, t in weights.items():
        hit = trained.get(t.data_ptr()) if t.numel() else None
        if hit is not None and hit[0].shape == t.shape and hit[0].stride() == t.stride():
            out[f"s:{name}"] = hit[1].to(t.dtype)
    return out


def mix(parts: list[torch.Tensor], seed: int) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The parts' rows shuffled together (so the learner process cannot tell which rows are the test),
    and for each part the positions of its rows in the mix."""
    sizes = [int(p.shape[0]) for p in parts]
    total = sum(sizes)
    order = torch.randperm(total, generator=torch.Generator().manual_seed(int(seed) % (2**62) + 911))
    mixed = torch.cat(parts)[order]
    where = torch.empty(total, dtype=torch.long)
    where[order] = torch.arange(total)
    out, start = [], 0
    for size in sizes:
        out.append(where[start:start + size])
        start += size
    return mixed, out


def shape_text(shape: Any, dtype: str = "float") -> str:
    dims = [str(int(d)) for d in shape]
    return f"({dims[0]},) {dtype}" if len(dims) == 1 else f"({', '.join(dims)}) {dtype}"


def needs_artifact(project: Any) -> bool:
    """Whether the project's thresholds need the judge's own count of the model's size."""
    return any(t.metric == "parameters" for t in project.thresholds)


@dataclass
class ModelOutputs:
    """The outputs the judge believes, and how it got them."""

    outputs: torch.Tensor | None = None
    forward_error: str | None = None
    parameters: int | None = None
    replay: str | None = None


def _replay_all(graph: Mapping[str, Any], weights: Mapping[str, torch.Tensor], x: torch.Tensor,
                edit: Any = None) -> torch.Tensor:
    """The replayed graph on every row of ``x``, in batches of the traced size (the last one padded); ``edit``
    as for ``artifact.replay``."""
    from dlpath.grading.artifact import ReplayError, replay

    batch = int(graph.get("batch", TRACE_BATCH)) if isinstance(graph.get("batch"), int) else TRACE_BATCH
    batch = max(1, min(batch, 8192))
    pieces = []
    for start in range(0, x.shape[0], batch):
        chunk = x[start:start + batch]
        n = chunk.shape[0]
        if n < batch:
            pad = torch.zeros((batch - n, *chunk.shape[1:]), dtype=chunk.dtype)
            chunk = torch.cat([chunk, pad])
        out = replay(graph, weights, [chunk], edit=edit)
        if isinstance(out, (tuple, list)):
            out = out[0]
        if not isinstance(out, torch.Tensor):
            raise ReplayError(f"the model's graph returns a {type(out).__name__}, not a tensor")
        pieces.append(out[:n].detach().cpu())
    return torch.cat(pieces)


def model_outputs(ctx: JudgeContext, x: torch.Tensor, artifact: bool | None = None) -> ModelOutputs:
    """The model's outputs on ``x``: replayed by the judge from the traced graph when the project
    counts parameters (the count and the grade then come from the same graph) or ``artifact`` says
    so, else the learner process's own outputs."""
    from dlpath.grading.artifact import ReplayError, count_parameters, output_difference

    result = ModelOutputs()
    if needs_artifact(ctx.project) if artifact is None else artifact:
        example = x[:TRACE_BATCH]
        try:
            values, tensors = ctx.ask("artifact", tensors={"x": example})
            weights = {k[2:]: v for k, v in tensors.items() if k.startswith("w:")}
            graph = values.get("graph")
            if not isinstance(graph, Mapping):
                raise ReplayError("no graph came back")
            result.parameters = count_parameters(graph, weights)
            result.outputs = _replay_all(graph, weights, x)
        except (LearnerError, ReplayError) as exc:
            result.parameters = None
            result.replay = f"unavailable: {exc}"
        if result.outputs is not None:
            probe = x[:PROBE]
            try:
                _, own = ctx.ask("outputs", tensors={"x": probe})
                difference = output_difference(result.outputs[:PROBE], own.get("y", torch.empty(0)))
                result.replay = "exact" if difference <= 1e-3 else f"differs by {difference:.3g}"
            except LearnerError as exc:
                result.forward_error = str(exc)
                result.replay = "exact"
            return result
    try:
        _, tensors = ctx.ask("outputs", tensors={"x": x})
        out = tensors.get("y")
        result.outputs = out if isinstance(out, torch.Tensor) else None
        if result.outputs is None:
            result.forward_error = "the model's outputs did not come back"
    except LearnerError as exc:
        result.forward_error = str(exc)
    return result


@dataclass
class Asked:
    """The judge's question to a model, shared by the model tasks: the test inputs shuffled among public
    rows (`mixed`; `at[i]` are the positions of part i's rows), what came back, and the metrics so far."""

    mixed: torch.Tensor
    at: list[torch.Tensor]
    got: ModelOutputs
    metrics: dict[str, float]

    def facts(self, task: Any, expected_output: str, **more: Any) -> dict[str, Any]:
        """The facts every model task reports about the outputs it asked for, and `more`."""
        return {"primary": task.primary, "expected_output": expected_output, "forward_error": self.got.forward_error,
                "parameters": self.got.parameters, "replay": self.got.replay, **more}


def ask_model(ctx: JudgeContext, parts: list[torch.Tensor], metrics: Mapping[str, float],
              outputs: Callable[[JudgeContext, torch.Tensor], Any] | None = None) -> Asked:
    """Shuffle `parts` (the hidden test inputs first) together, ask for the model's outputs on them
    (`outputs`, default `model_outputs`), and start the metrics from `metrics` (the values a model
    that answers nothing gets) and the judge's own parameter count when it made one."""
    mixed, at = mix(parts, ctx.test_seed)
    got = (outputs or model_outputs)(ctx, mixed)
    start = dict(metrics)
    if got.parameters is not None:
        start["parameters"] = float(got.parameters)
    return Asked(mixed, at, got, start)


def majority_share(y: torch.Tensor, classes: int) -> float:
    """The accuracy of always answering the most common class of `y` (the chance score of a classifier)."""
    return float(torch.bincount(y, minlength=classes).max()) / max(len(y), 1)


def label_entropy(y: torch.Tensor, classes: int) -> float:
    counts = torch.bincount(y.long().clamp(0, classes - 1), minlength=classes).float()
    p = counts / counts.sum().clamp_min(1)
    return float(-(p[p > 0] * p[p > 0].log()).sum())


def finite_or(value: float, fallback: float) -> float:
    return value if math.isfinite(value) else fallback


@dataclass
class LearnedSkill:
    """How much of a model's skill training put into its weights, by the judge's own ablation of its replay."""

    skill: float = 0.0  #: the score of the replay, minus the score of the replay with training undone
    score: float | None = None  #: the score of the judge's replay of the traced model
    ablated: float | None = None  #: the score of that replay with every trained weight back where it started
    trained: int = 0  #: tensors of the replay that training moved by gradients (put back by the ablation)
    problem: str | None = None  #: why it could not be measured (then `skill` is 0)


def learned_skill(ctx: JudgeContext, x: torch.Tensor, score: Callable[[torch.Tensor], float]) -> LearnedSkill:
    """The learned-weights ablation: the judge asks for the model traced on ``x``, checks that its replay gives
    the learner process's own outputs, and measures ``score(outputs)`` on its replay and on the same replay with
    every weight that training moved by gradients put back where it was when ``build_model`` returned it (the
    ``s:`` tensors of the answer: ``started``), both on the first ``SKILL_ROWS`` rows of ``x`` (``score`` gets
    their outputs, in order). What is lost is what training taught the model. A skill written in the code of
    ``forward()`` (a known algorithm, a slice of the input that carries the answer), in weights set by hand or
    in buffers, or in a model that was good before it trained, survives the ablation: its skill is about 0."""
    from dlpath.grading.artifact import ReplayError, output_difference

    x = x[:SKILL_ROWS]
    try:
        values, tensors = ctx.ask("artifact", tensors={"x": x[:TRACE_BATCH]})
        graph = values.get("graph")
        if not isinstance(graph, Mapping):
            raise ReplayError("no graph came back")
        weights = {k[2:]: v for k, v in tensors.items() if k.startswith("w:")}
        starts = {k[2:]: v for k, v in tensors.items() if k.startswith("s:") and k[2:] in weights
                  and isinstance(v, torch.Tensor) and v.shape == weights[k[2:]].shape}
        replayed = _replay_all(graph, weights, x)
        _, own = ctx.ask("outputs", tensors={"x": x[:PROBE]})
        difference = output_difference(replayed[:PROBE], own.get("y", torch.empty(0)))
        if difference > 1e-3:
            raise ReplayError(f"its replay differs from your model's own outputs by {difference:.3g}")
        ablated = _replay_all(graph, {**weights, **{k: v.to(weights[k].dtype) for k, v in starts.items()}}, x)
    except (LearnerError, ReplayError) as exc:
        return LearnedSkill(problem=short(exc))
    mine, before = score(replayed), score(ablated)
    return LearnedSkill(skill=mine - before, score=mine, ablated=before, trained=len(starts))


def add_learned_skill(ctx: JudgeContext, x: torch.Tensor, score: Callable[[torch.Tensor], float],
                      metrics: dict[str, float], extra: dict[str, Any]) -> None:
    """When a threshold of the project names ``learned_skill``, measure it (``learned_skill``) into ``metrics``
    and the ablation's figures into ``extra`` (the facts the mentor reads); else nothing."""
    from dlpath.grading.tasks._learned import LEARNED_SKILL, asks_learned_skill

    if asks_learned_skill(ctx.project):
        checked = learned_skill(ctx, x, score)
        metrics[LEARNED_SKILL] = checked.skill
        extra.update(skill_facts(checked))


def skill_facts(checked: LearnedSkill) -> dict[str, Any]:
    """The ablation's figures, for the facts' ``extra`` (the mentor's evidence)."""
    return {"skill_score": checked.score, "skill_ablated": checked.ablated, "skill_problem": checked.problem,
            "skill_trained": checked.trained}
