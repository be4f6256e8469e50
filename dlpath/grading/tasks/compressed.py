"""``compressed_model``: shrink a trained model (the teacher) on disk while keeping its accuracy.

The project ships the teacher in its folder, ``teacher/`` (a model that loads
without pickle: ``dlpath.envs.pretrained``, with the script that made it and its
provenance). In the learner process the task loads a copy of it and calls the
learner's ``compress(teacher, data, device, log)``, which returns a smaller
model (quantized, pruned, distilled: their choice); ``export(model, example,
path)`` then writes it as a file, exactly as for ``exported_model``.

The judge grades the file, never the learner's process: the loader (a fresh
process that never imports train.py) serves it on fresh inputs. The judge also
loads its own copy of the teacher, runs it on the same inputs, and exports it
with ``torch.export`` in float32 to know the size the learner must beat. Two
metrics follow: ``accuracy_drop`` (the teacher's accuracy minus the file's) and
``size_ratio`` (the file's bytes over the exported teacher's).

A data set with worlds (the spirals) is graded in the grade's secret world, as
every project is: the judge carries the teacher, made in world 0, into it
(``world_teacher``: the world's map folded into the first layer, exact since a
world only turns and mirrors the plane) and sends that teacher, weights and
all, to the learner's process. So the arms of a grade are not the published
ones, and a classifier written from the published formula fails.

The third metric asks that the file be a compression of *the teacher*, not a
model of the data: ``teacher_agreement``, the share of points off the data
(drawn evenly over the square the training inputs cover, the quarter of them
farthest from every fresh test input: between and around the arms) where the
file's class is the teacher's. Quantizing or pruning the teacher's weights and
distilling its outputs keep its answers there; a model trained on the labels or
written from what the data look like is right on the data and decides
differently where no data lie.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import ContractError, Evaluation, JudgeContext, LearnerSide, Metric, SplitData
from dlpath.grading.tasks.exported import (
    EXPORT_CODES,
    EXPORT_EXCLUSIVE,
    EXPORT_RULES,
    LATENCY_BATCH,
    ExportedModelTask,
    serve,
    write_export,
)

TEACHER_DIR = "teacher"  # the teacher's folder inside the project's folder (dlpath.envs.pretrained's format)
LESSON = "model-compression"
PROBE_DRAWN = 16384  # points drawn evenly over the square of the training inputs for teacher_agreement
PROBE_KEPT = 4096  # of them, those farthest from every test input: the points off the data that are compared
WEIGHT_PREFIX = "teacher/"  # the teacher's weights travel to the learner's process as tensors named so

#: generators with worlds whose world is a map of the plane: name -> function(world_seed) giving the 2x2 matrix M
#: that carries world 0 onto it (a teacher made in world 0 serves world w as teacher(M^T x))
WORLD_MAPS = {"spirals": "dlpath.datasets.points:spirals_map"}


@dataclass(frozen=True)
class TeacherData(SplitData):
    """The learner's data, and the teacher in the grade's world: its layers (dlpath.envs.pretrained's list) and its
    weights, as the judge built them (the learner's process never reads the shipped teacher)."""

    teacher_layers: list = field(default_factory=list)
    teacher_weights: dict = field(default_factory=dict)


def world_teacher(project: Any, world: int | None) -> tuple[list, Any]:
    """(layers, model): the project's teacher in the world ``world`` (None: the published one).

    The shipped teacher was made in world 0. Where the project's data set draws worlds (and the project does not
    pin one), the world's map M (``WORLD_MAPS``) is folded into the teacher's first layer: W becomes W @ M^-1, so
    the teacher answers on a point of world ``world`` what it answered on the same point carried back to world 0.
    A data set with worlds and no map cannot be graded this way (the project must pin ``world_seed``)."""
    import importlib
    import json

    import torch

    from dlpath.datasets import WORLD_PARAM, has_worlds
    from dlpath.envs import pretrained

    folder = Path(project.path) / TEACHER_DIR
    teacher = pretrained.load(folder)
    layers = json.loads((folder / "model.json").read_text(encoding="utf-8"))["layers"]
    spec = project.dataset
    params = dict(getattr(spec, "params", None) or {})
    if world is None or WORLD_PARAM in params or not has_worlds(spec.name):
        return layers, teacher
    where = WORLD_MAPS.get(spec.name)
    first = teacher[0] if len(teacher) else None
    if where is None or not isinstance(first, torch.nn.Linear):
        raise ValueError(f"project {project.id}: its data set {spec.name!r} draws a secret world per grade and the "
                         "grader cannot carry the teacher into it; pin world_seed in dataset.params")
    module, name = where.split(":")
    matrix = torch.tensor(getattr(importlib.import_module(module), name)(int(world)), dtype=torch.float64)
    if first.in_features != matrix.shape[0]:
        raise ValueError(f"project {project.id}: the teacher takes {first.in_features} inputs, the world's map "
                         f"{matrix.shape[0]}")
    with torch.no_grad():
        first.weight.copy_((first.weight.double() @ torch.linalg.inv(matrix)).float())
    return layers, teacher


def probe_points(low: Any, high: Any, data: Any, seed: int) -> Any:
    """The points off the data where ``teacher_agreement`` compares the file with the teacher: ``PROBE_DRAWN``
    drawn evenly over the box [low, high] (from ``seed``), of which the ``PROBE_KEPT`` farthest from every row of
    ``data`` (between and around where the data lie)."""
    import torch

    g = torch.Generator().manual_seed(int(seed) % 2**63)
    low, high = low.float(), high.float()
    points = low + (high - low) * torch.rand((PROBE_DRAWN, *low.shape), generator=g)
    flat, reference = points.flatten(1), data.float().flatten(1)
    nearest = torch.cat([torch.cdist(chunk, reference).min(dim=1).values for chunk in flat.split(1024)])
    return points[nearest.topk(min(PROBE_KEPT, len(points))).indices]


def teacher_size(teacher: Any, example: Any) -> int:
    """Bytes of ``teacher`` exported as the starter exports it: torch.export with a dynamic batch, float32."""
    import torch

    example = example.clone()  # a view would save the whole tensor it views in the file
    program = torch.export.export(teacher, (example,), dynamic_shapes=({0: torch.export.Dim("batch")},))
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    return len(buffer.getvalue())


def _file_too_large(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, _pct, make

    bad = run.failed("size_ratio")
    if not bad or bad[0].value is None or bad[0].max is None:
        return []
    file, teacher = run.facts.extra.get("file") or {}, run.facts.extra.get("teacher") or {}
    width, zeros = file.get("bytes_per_value"), file.get("zero_share") or 0.0
    tensors, program = _fmt(file.get("weights_kb")), _fmt(file.get("program_kb"))
    if width is not None and width >= 3.5 and zeros >= 0.25:
        advice = (f"{_pct(zeros)} of your weights are exactly zero, yet each zero still takes 4 bytes: a dense "
                  "tensor stores every entry, so unstructured pruning does not shrink a file. Remove whole hidden "
                  "units instead (a row of one layer and the matching column of the next), or store the weights "
                  "as int8.")
    elif width is not None and width >= 3.5:
        advice = (f"Your weights are 32-bit floats, 4 bytes each ({tensors} KB of the file). Store each weight as "
                  "an int8 with one float scale per output row (w is about q * scale, with scale = max |w| / 127; "
                  "dequantize inside forward()): 1 byte each. Removing whole hidden units (structured pruning, "
                  "then fine-tuning) shrinks the file too.")
    elif width is not None and width <= 1.5:
        advice = (f"Your weights already take 1 byte each ({tensors} KB); the other {program} KB of the file is the "
                  "program (the graph of operations, names and shapes), which does not shrink with the weights. "
                  "int8 alone reaches at best a quarter of the weights' bytes, so to go below a quarter of the "
                  "whole file also store fewer weights: keep fewer hidden units (structured pruning, then "
                  "fine-tuning), or distil the teacher into a narrower student, and quantize that.")
    else:
        advice = (f"The file holds {tensors} KB of tensors and {program} KB of program. Store fewer numbers (fewer "
                  "hidden units) or smaller ones (int8 with a scale).")
    evidence = [f"your file {_fmt(run.metrics.get('artifact_kb'))} KB", f"the teacher exported {_fmt(teacher.get('kb'))} KB",
                f"tensors {tensors} KB, program {program} KB"] + ([f"zero weights {_pct(zeros)}"] if zeros >= 0.25 else [])
    return [make("file-too-large", f"""Your exported file is {_pct(bad[0].value)} of the size of the teacher
        exported the same way ({_fmt(run.metrics.get('artifact_kb'))} KB against {_fmt(teacher.get('kb'))} KB); the
        target is at most {_pct(bad[0].max)}. {advice}""", evidence=evidence, codes=CompressedModelTask.codes)]


def _accuracy_lost(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, _pct, make

    bad = run.failed("accuracy_drop")
    if not bad or bad[0].value is None or (run.facts.extra.get("export") or {}).get("problem"):
        return []
    teacher = (run.facts.extra.get("teacher") or {}).get("test_accuracy")
    accuracy = run.metrics.get("test_accuracy")
    recipe = run.observation.recipe
    if not (recipe and recipe.steps):
        advice = ("compress() never trained anything (no optimizer step), so nothing made up for what the "
                  "compression removed. Hidden units removed without fine-tuning take their part of the work with "
                  "them: after pruning, train the smaller model for a few hundred steps to copy the teacher's "
                  "outputs (distillation: the teacher labels any input you make, so you are not limited to the "
                  "labelled examples). For int8, one scale per output row (max |w| / 127), rounding and a clamp to "
                  "[-127, 127] keep the error to half a step.")
    else:
        advice = ("Your training did not win it back: distil on the teacher's outputs rather than the few labels "
                  "(it labels any input you make, so draw as many as you like from the region the data covers), "
                  "train for more steps, or remove fewer units.")
    return [make("accuracy-lost", f"""Your compressed model is right on {_pct(accuracy or 0.0)} of fresh inputs
        where the teacher is right on {_pct(teacher or 0.0)}: {_fmt(100 * bad[0].value)} points lost, and at most
        {_fmt(100 * bad[0].max)} may be. {advice}""",
                 evidence=[f"teacher {_pct(teacher or 0.0)}", f"yours {_pct(accuracy or 0.0)}"],
                 codes=CompressedModelTask.codes)]


def _teacher_not_copied(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    bad = run.failed("teacher_agreement")
    if not bad or bad[0].value is None or bad[0].min is None or (run.facts.extra.get("export") or {}).get("problem"):
        return []
    teacher = run.facts.extra.get("teacher") or {}
    on_data = teacher.get("agreement_on_test")
    recipe = run.observation.recipe
    if on_data is not None and on_data >= bad[0].min:
        where = (f"On the fresh inputs themselves it gives the teacher's class {_pct(on_data)} of the time: it "
                 "copies the teacher where the data lie and decides otherwise between them.")
    else:
        where = (f"On the fresh inputs themselves it agrees {_pct(on_data or 0.0)} of the time." if on_data is not None
                 else "")
    if not (recipe and recipe.steps):
        how = ("compress() trained nothing, so these answers come from weights or code set by hand. Start from the "
               "teacher's own weights: quantize them (int8 with a scale per row) or remove whole hidden units, and "
               "fine-tune what is left on the teacher's outputs.")
    else:
        how = ("A model fitted to the labels, or to the teacher's outputs at the training points only, learns the "
               "data and is free to decide anything where no data lie. Distil on the teacher's outputs at points "
               "drawn evenly over the whole square the training inputs cover (the teacher labels any point you "
               "make), starting from the teacher's own weights, pruned or quantized.")
    return [make("teacher-not-copied", f"""Your compressed model gives the teacher's class on only
        {_pct(bad[0].value)} of the points the grader drew off the data (evenly over the square your training inputs
        cover, the quarter of them farthest from any fresh input: between and around the classes); at least
        {_pct(bad[0].min)} is asked. {where} A compressed model is the teacher made smaller: it should answer as
        the teacher does on any input, not only on the inputs the data set has. {how}""",
                 evidence=[f"agreement off the data {_pct(bad[0].value)}"]
                 + ([f"agreement on fresh inputs {_pct(on_data)}"] if on_data is not None else [])
                 + [f"points compared {teacher.get('probe_points', PROBE_KEPT)}"],
                 codes=CompressedModelTask.codes)]


class CompressedModelTask(ExportedModelTask):
    kind = "compressed_model"
    summary = ("Compress a trained teacher (shipped with the project) into a smaller file with the same accuracy: "
               "compress(teacher, data, device, log) + export(model, example, path).")
    contract = """\
compress(teacher, data, device, log) -> torch.nn.Module
    teacher is the trained model (an nn.Sequential in eval mode, on the CPU). data.x_train, data.y_train,
    data.x_val, data.y_val, data.info: a few labelled examples (the teacher can label any input you make).
    Return a smaller model that maps a batch of inputs to raw scores of shape (N, num_classes).
    log(...) records your curves.
export(model, example, path) -> None
    Save the compressed model to `path` so that it runs WITHOUT your code (torch.export, as in the
    starter). The grader loads the file in a fresh process that never imports train.py and compares
    it with the teacher, exported the same way, on fresh inputs: the files' sizes and the accuracies,
    and how often it gives the teacher's class at points between and around the data."""
    contract_lines = ("compress(teacher, data, device, log) -> torch.nn.Module", "export(model, example, path)")
    metrics = (
        Metric("accuracy_drop", "min", "fraction",
               "the teacher's accuracy minus the exported model's, on the same fresh test inputs (0.02: two points)"),
        Metric("size_ratio", "min", "fraction",
               "bytes of the exported file over the bytes of the teacher exported with torch.export in float32"),
        Metric("teacher_agreement", "max", "fraction",
               f"share of {PROBE_KEPT} points off the data (drawn evenly over the square of the training inputs, "
               "those farthest from every test input) where the exported model's class is the teacher's"),
    ) + ExportedModelTask.metrics
    primary = "accuracy_drop"
    rules = (_file_too_large, _accuracy_lost, _teacher_not_copied) + EXPORT_RULES
    codes = {**EXPORT_CODES, "file-too-large": CodeInfo(LESSON), "accuracy-lost": CodeInfo(LESSON),
             "teacher-not-copied": CodeInfo(LESSON)}
    # a model that lost the accuracy is not the teacher off the data either: accuracy-lost's advice (fine-tune,
    # distil) answers both
    exclusive = {**EXPORT_EXCLUSIVE, "accuracy-lost": {"underfitting", "plateau", "overfitting", "teacher-not-copied"}}
    public_type = TeacherData

    def public_data(self, project: Any, seed: int, world: int | None = None) -> TeacherData:
        data = super().public_data(project, seed, world)
        layers, teacher = world_teacher(project, world)
        weights = {name: t.detach().clone() for name, t in teacher.state_dict().items()}
        return TeacherData(data.x_train, data.y_train, data.x_val, data.y_val, data.info,
                           teacher_layers=layers, teacher_weights=weights)

    def pack_public(self, data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        values, tensors = super().pack_public(replace(data, teacher_weights={}))
        values.pop("teacher_weights", None)
        tensors.update({WEIGHT_PREFIX + name: t for name, t in data.teacher_weights.items()})
        return values, tensors

    def unpack_public(self, values: Any, tensors: Any) -> TeacherData:
        weights = {k[len(WEIGHT_PREFIX):]: v for k, v in tensors.items() if k.startswith(WEIGHT_PREFIX)}
        data = super().unpack_public(values, {k: v for k, v in tensors.items() if not k.startswith(WEIGHT_PREFIX)})
        return replace(data, teacher_weights=weights)

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        from torch import nn

        from dlpath.envs import pretrained
        from dlpath.grading.tasks._model import function

        compress = function(side.module, "compress", ("teacher", "data", "device", "log"))
        function(side.module, "export", ("model", "example", "path"))
        teacher = pretrained.build(list(getattr(data, "teacher_layers", None) or []))
        teacher.load_state_dict(dict(getattr(data, "teacher_weights", None) or {}))
        teacher.eval()
        public = SplitData(data.x_train, data.y_train, data.x_val, data.y_val, data.info)  # the teacher comes apart
        with side.watch.training():
            model = compress(teacher, public, side.device, side.log)
        if not isinstance(model, nn.Module):
            raise ContractError(f"compress(teacher, data, device, log) returned a {type(model).__name__}; it must "
                                "return the compressed torch.nn.Module (return the teacher itself to start with).")
        side.watch.finish(model)
        write_export(side, model, data.x_train[:LATENCY_BATCH])
        return model

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.facts import Facts

        test = ctx.test
        metrics: dict[str, float] = {"test_accuracy": 0.0}
        extra: dict[str, Any] = {}
        served = serve(ctx, test.x, metrics, extra)
        facts = self._facts(test, served, metrics, extra)
        _, teacher = world_teacher(ctx.project, ctx.world_seed)  # the teacher the learner was given
        with torch.no_grad():
            teacher_test = teacher(test.x).argmax(dim=1)
        teacher_accuracy = float((teacher_test == test.y).float().mean())
        reference = teacher_size(teacher, test.x[:LATENCY_BATCH])
        extra["teacher"] = {"test_accuracy": teacher_accuracy, "kb": reference / 1024}
        metrics["accuracy_drop"] = teacher_accuracy - metrics["test_accuracy"]
        if "artifact_kb" in metrics:
            metrics["size_ratio"] = metrics["artifact_kb"] * 1024 / reference
        if facts.get("outputs_finite") and facts.get("got_output") == facts.get("expected_output"):
            extra["teacher"]["agreement_on_test"] = float((served.argmax(dim=1) == teacher_test).float().mean())
            self._agreement(ctx, teacher, metrics, extra)
        return Evaluation({k: v for k, v in metrics.items() if math.isfinite(v)}, Facts(**facts, extra=extra))

    @staticmethod
    def _agreement(ctx: JudgeContext, teacher: Any, metrics: dict[str, float], extra: dict[str, Any]) -> None:
        """teacher_agreement: the file against the teacher at points off the data (``probe_points``, drawn from
        the hidden test seed over the square of the training inputs)."""
        import torch

        from dlpath.grading.tasks import LearnerError

        train = ctx.public.x_train
        points = probe_points(train.min(dim=0).values, train.max(dim=0).values, ctx.test.x, ctx.test_seed + 1)
        extra["teacher"]["probe_points"] = len(points)
        try:
            _, got = ctx.ask("outputs", tensors={"x": points}, target="loader")
        except LearnerError as exc:
            extra["teacher"]["probe_problem"] = str(exc)[:300]
            metrics["teacher_agreement"] = 0.0
            return
        out = got.get("y")
        if not (isinstance(out, torch.Tensor) and out.shape[:1] == points.shape[:1] and out.dim() == 2
                and bool(torch.isfinite(out.float()).all())):
            metrics["teacher_agreement"] = 0.0
            return
        with torch.no_grad():
            mine = teacher(points).argmax(dim=1)
        metrics["teacher_agreement"] = float((out.float().argmax(dim=1) == mine).float().mean())
