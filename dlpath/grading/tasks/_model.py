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
COMPANY_ROWS = 64  # rows the judge asks a second time, in other company, to check that no output depends on its batch
COMPANY_BATCHES = (2, 9)  # the sizes (from, to) of the small batches those rows are asked in again
BATCH_TOLERANCE = 1e-3  # the most a row's output may move with its batch: `artifact.output_difference`, relative to
#                         1 + the largest output (float rounding between batch sizes is about 1e-6)


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


def run_model(model: nn.Module, x: torch.Tensor, device: str, sizes: list[int] | None = None) -> torch.Tensor:
    """``model`` on ``x`` in chunks (of ``CHUNK`` rows, or the judge's ``sizes``, in order), without gradients, on
    the device its parameters are on."""
    try:
        where = next(model.parameters()).device
    except StopIteration:
        where = torch.device(device)
    if not sizes:
        sizes = [CHUNK] * math.ceil(x.shape[0] / CHUNK)
    pieces = []
    with torch.no_grad():
        start = 0
        for size in sizes:
            if start >= x.shape[0]:
                break
            out = model(x[start: start + size].to(where))
            start += size
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
        sizes = _batch_sizes(tensors.get("batches"), int(x.shape[0]))
        try:
            return {}, {"y": run_model(model, x, device, sizes)}
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


def _batch_sizes(plan: Any, rows: int) -> list[int] | None:
    """The batch sizes the judge asked for (``batches``: a 1-D integer tensor of positive sizes summing to
    ``rows``), else None (chunks of ``CHUNK``)."""
    if not isinstance(plan, torch.Tensor) or plan.dim() != 1 or plan.dtype not in (torch.int32, torch.int64):
        return None
    sizes = [int(v) for v in plan.tolist()]
    if not sizes or min(sizes) < 1 or sum(sizes) != rows:
        raise LearnerError(f"the grader's batch sizes do not add up to the {rows} inputs it sent")
    return sizes


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
    batch_dependence: str | None = None  #: how a row's output moved with the rows beside it (then ``outputs`` is None)


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
    so, else the learner process's own outputs. Either way ``COMPANY_ROWS`` of the rows are asked (or
    replayed) a second time in other company; when an output moved with its batch by more than
    ``BATCH_TOLERANCE``, ``batch_dependence`` says how and ``outputs`` is None: nothing is graded."""
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
            again = _again(ctx, x.shape[0])
            try:
                alone = _replay_all(graph, weights, x[again])  # beside the zeros that pad a batch, not its rows
            except ReplayError:
                alone = None
            if alone is not None:
                result.batch_dependence = _moved(alone, result.outputs[again], "replayed beside zeros", None)
                if result.batch_dependence:
                    result.outputs = None
                    return result
            probe = x[:PROBE]
            try:
                _, own = ctx.ask("outputs", tensors={"x": probe})
                difference = output_difference(result.outputs[:PROBE], own.get("y", torch.empty(0)))
                result.replay = "exact" if difference <= 1e-3 else f"differs by {difference:.3g}"
            except LearnerError as exc:
                result.forward_error = str(exc)
                result.replay = "exact"
            return result
    rows = int(x.shape[0])
    again = _again(ctx, rows)
    g = torch.Generator().manual_seed(int(ctx.test_seed) % (2**62) + 4051)
    small, sizes = _draw_sizes(len(again), *COMPANY_BATCHES, g), _draw_sizes(rows, CHUNK // 2, CHUNK, g)
    try:  # the rows asked again come first, in small batches: a model cannot have seen their company yet
        _, tensors = ctx.ask("outputs", tensors={"x": torch.cat([x[again], x]),
                                                 "batches": torch.tensor(small + sizes, dtype=torch.int64)})
        out = tensors.get("y")
        result.outputs = out if isinstance(out, torch.Tensor) else None
        if result.outputs is None:
            result.forward_error = "the model's outputs did not come back"
    except LearnerError as exc:
        result.forward_error = str(exc)
    out = result.outputs
    if out is not None and out.dim() >= 1 and out.shape[0] == len(again) + rows:
        alone, result.outputs = out[:len(again)], out[len(again):]
        batch_of = torch.repeat_interleave(torch.tensor(sizes, dtype=torch.int64),
                                           torch.tensor(sizes, dtype=torch.int64))
        result.batch_dependence = _moved(alone, result.outputs[again], f"in batches of {COMPANY_BATCHES[0]} to "
                                         f"{COMPANY_BATCHES[1]}", batch_of[again])
        if result.batch_dependence:
            result.outputs = None
    return result


def _again(ctx: JudgeContext, rows: int) -> torch.Tensor:
    """The rows (positions in the request) the judge asks a second time, in other company."""
    g = torch.Generator().manual_seed(int(ctx.test_seed) % (2**62) + 4049)
    return torch.randperm(rows, generator=g)[:COMPANY_ROWS]


def _draw_sizes(total: int, low: int, high: int, g: torch.Generator) -> list[int]:
    """Batch sizes drawn between ``low`` and ``high`` that add up to ``total`` (a last batch of one row joins the
    one before it: a model may squeeze a batch of one away)."""
    sizes: list[int] = []
    while total > 0:
        size = min(total, int(torch.randint(low, high + 1, (1,), generator=g)))
        sizes.append(size)
        total -= size
    if len(sizes) > 1 and sizes[-1] == 1:
        last = sizes.pop()
        sizes[-1] += last
    return sizes


def _moved(alone: torch.Tensor, among: torch.Tensor, how: str, batch_of: torch.Tensor | None) -> str | None:
    """None when each row's output ``alone`` (asked again, ``how``) is its output ``among`` the graded request's
    rows, within ``BATCH_TOLERANCE``; else what moved, in a sentence."""
    from dlpath.grading.artifact import output_difference

    difference = output_difference(alone, among)
    if difference <= BATCH_TOLERANCE:
        return None
    if alone.shape != among.shape or not alone.numel():
        return f"the outputs of {len(among)} inputs asked again {how} came back shaped {tuple(alone.shape)}"
    a, b = alone.detach().double().reshape(len(alone), -1), among.detach().double().reshape(len(among), -1)
    gap = (a - b).abs().nan_to_num(nan=math.inf).amax(dim=1)
    worst = int(gap.argmax())
    moved = int((gap > BATCH_TOLERANCE * (1.0 + float(b.abs().nan_to_num(0.0).max()))).sum())
    column = int((a[worst] - b[worst]).abs().nan_to_num(nan=math.inf).argmax())
    beside = f" (in a batch of {int(batch_of[worst])})" if batch_of is not None else ""
    return (f"{moved} of {len(among)} inputs asked again {how} got other outputs, by up to {difference:.3g} of "
            f"the outputs' scale (float rounding allows {BATCH_TOLERANCE:g}): one gave "
            f"{float(b[worst, column]):.4g} in the graded request{beside} and {float(a[worst, column]):.4g} again")


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
                "parameters": self.got.parameters, "replay": self.got.replay,
                "batch_dependence": getattr(self.got, "batch_dependence", None),  # a task's own outputs may not check
                **more}


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


SKILL_REDRAW_SEED = 7321  # the judge's draw of the numbers training never moved (the written-weights ablation)
WRITTEN_SHARE = 0.5  # the share of the learned skill whose loss, when those numbers are redrawn, says they carry it
MOVED_FLOOR = 0.05  # the least share of the model's numbers (the judge's count) that training must have moved
MOVED_WITH_WRITTEN = 0.5  # ... and the least when the numbers it never moved carry the skill
_RUNNING_STATISTICS = {"aten::batch_norm": (3, 4), "aten::native_batch_norm": (3, 4), "aten::instance_norm": (3, 4),
                       "aten::_native_batch_norm_legit_no_training": (3, 4)}  # (running_mean, running_var)


@dataclass
class LearnedSkill:
    """How much of a model's skill training put into its weights, by the judge's own ablations of its replay."""

    skill: float = 0.0  #: the score of the replay, minus the score of the replay with training undone (0 if refused)
    score: float | None = None  #: the score of the judge's replay of the traced model
    ablated: float | None = None  #: the score of that replay with every trained weight back where it started
    trained: int = 0  #: tensors of the replay that training moved by gradients (put back by the ablation)
    problem: str | None = None  #: why it could not be measured (then `skill` is 0)
    redrawn: float | None = None  #: the score with every tensor training never moved redrawn at random (`written`)
    written: int = 0  #: numbers in the tensors training never moved (buffers, untouched parameters, constants)
    moved: int = 0  #: numbers that training moved by gradients
    counted: int = 0  #: the judge's count of the numbers the replayed model holds (`artifact.count_parameters`)
    refused: str | None = None  #: why the skill lost by undoing training is not counted as learned: "moved" or
    #                                "written" (`written_verdict`); then `skill` is 0


def value_uses(graph: Mapping[str, Any]) -> dict[str, bool]:
    """{stored tensor name: whether the graph uses its values} for every stored tensor the graph reads: a tensor
    that only feeds the running statistics of a normalization (``running_mean``, ``running_var``: what a
    BatchNorm counts, not what it is taught) or only operators that read its shape does not count as used."""
    from dlpath.grading.artifact import _NO_VALUES, _collect_tensor_names

    nodes = graph.get("nodes", [])
    name_of: dict[int, str] = {}
    used: dict[str, bool] = {}
    for node in nodes:
        if node.get("op") == "prim::Constant":
            found: set[str] = set()
            _collect_tensor_names(node.get("value"), found)
            for name in found:
                used.setdefault(name, False)
            value = node.get("value")
            outs = node.get("out", [])
            if len(outs) == 1 and isinstance(value, Mapping) and isinstance(value.get("tensor"), str):
                name_of[outs[0]] = value["tensor"]
            elif found:  # a list of tensors: their values are used wherever it goes
                for name in found:
                    used[name] = True
    for node in nodes:
        op = node.get("op")
        if op == "prim::Constant" or op in _NO_VALUES:
            continue
        skip = _RUNNING_STATISTICS.get(op, ())
        for position, ref in enumerate(node.get("in", [])):
            if ref in name_of and position not in skip:
                used[name_of[ref]] = True
    for ref in graph.get("outputs", []):
        if ref in name_of:
            used[name_of[ref]] = True
    return used


def redrawn(weights: Mapping[str, torch.Tensor], names: Any, seed: int = SKILL_REDRAW_SEED) -> dict[str, torch.Tensor]:
    """``weights`` with the tensors ``names`` redrawn at random with their shape and spread: a floating-point
    tensor gets fresh uniform values with its mean and standard deviation (one number: around its magnitude), an
    integer or boolean tensor its own values in a random order."""
    generator = torch.Generator().manual_seed(seed)
    out = dict(weights)
    for name in sorted(names):
        w = weights[name]
        if not w.numel():
            continue
        if w.is_floating_point():
            v = w.detach().double().cpu()
            finite = v[v.isfinite()]
            mean = float(finite.mean()) if finite.numel() else 0.0
            spread = float(finite.std()) if finite.numel() > 1 else abs(mean)
            fresh = mean + (torch.rand(w.shape, generator=generator, dtype=torch.float64) * 2 - 1) * spread * 3 ** 0.5
            out[name] = fresh.to(w.dtype)
        else:
            out[name] = w.reshape(-1)[torch.randperm(w.numel(), generator=generator)].reshape(w.shape)
    return out


def written_verdict(skill: float, score: float, redrawn_score: float, moved: int, counted: int) -> str | None:
    """Why the ``skill`` lost by undoing training is not what training taught, or None: "written" when training
    moved less than ``MOVED_WITH_WRITTEN`` of the model's numbers (``counted``) and redrawing the numbers it never
    moved loses more than ``WRITTEN_SHARE`` of that skill (they carry it: a hand-written answer that a trained
    gate switches on); else "moved" when training moved less than ``MOVED_FLOOR`` of them (the answer is
    elsewhere: the code of forward())."""
    share = moved / counted if counted > 0 else 0.0
    if skill <= 0:
        return None
    if share < MOVED_WITH_WRITTEN and score - redrawn_score > WRITTEN_SHARE * skill:
        return "written"
    if share < MOVED_FLOOR:
        return "moved"
    return None


def learned_skill(ctx: JudgeContext, x: torch.Tensor, score: Callable[[torch.Tensor], float]) -> LearnedSkill:
    """The learned-weights ablation: the judge asks for the model traced on ``x``, checks that its replay gives
    the learner process's own outputs, and measures ``score(outputs)`` on its replay and on the same replay with
    every weight that training moved by gradients put back where it was when ``build_model`` returned it (the
    ``s:`` tensors of the answer: ``started``), both on the first ``SKILL_ROWS`` rows of ``x`` (``score`` gets
    their outputs, in order). What is lost is what training taught the model. A skill written in the code of
    ``forward()`` (a known algorithm, a slice of the input that carries the answer), in weights set by hand or
    in buffers, or in a model that was good before it trained, survives the ablation: its skill is about 0.

    A hand-written answer times one trained number that starts at 0 (a gate) loses everything when that number
    goes back: so the judge also counts the numbers training moved (``moved``, against its own count of the
    model's numbers) and replays the model with every tensor training never moved redrawn at random
    (``redrawn``; not the running statistics of a normalization), and the skill is 0 when ``written_verdict``
    says it lives in numbers training never changed."""
    from dlpath.grading.artifact import ReplayError, count_parameters, output_difference

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
        counted = count_parameters(graph, weights)
    except (LearnerError, ReplayError) as exc:
        return LearnedSkill(problem=short(exc))
    mine, before = score(replayed), score(ablated)
    used = value_uses(graph)
    written = [name for name, value in used.items() if value and name in weights and name not in starts]
    moved = sum(int((weights[k].detach().cpu() != v.to(weights[k].dtype)).sum()) for k, v in starts.items())
    try:
        again = score(_replay_all(graph, redrawn(weights, written), x)) if written else mine
    except ReplayError:  # the model cannot even run without those numbers as they are
        again = before
    checked = LearnedSkill(skill=mine - before, score=mine, ablated=before, trained=len(starts), redrawn=again,
                           written=sum(int(weights[k].numel()) for k in written), moved=moved, counted=counted)
    checked.refused = written_verdict(checked.skill, mine, again, moved, counted)
    if checked.refused:
        checked.skill = 0.0
    return checked


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
            "skill_trained": checked.trained, "skill_redrawn": checked.redrawn, "skill_written": checked.written,
            "skill_moved": checked.moved, "skill_counted": checked.counted, "skill_refused": checked.refused}
