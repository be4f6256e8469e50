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
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
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


@dataclass(frozen=True)
class TeacherData(SplitData):
    """The learner's data, and where the project keeps its teacher."""

    teacher_dir: str = ""


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
    it with the teacher, exported the same way, on fresh inputs: the files' sizes and the accuracies."""
    contract_lines = ("compress(teacher, data, device, log) -> torch.nn.Module", "export(model, example, path)")
    metrics = (
        Metric("accuracy_drop", "min", "fraction",
               "the teacher's accuracy minus the exported model's, on the same fresh test inputs (0.02: two points)"),
        Metric("size_ratio", "min", "fraction",
               "bytes of the exported file over the bytes of the teacher exported with torch.export in float32"),
    ) + ExportedModelTask.metrics
    primary = "accuracy_drop"
    rules = (_file_too_large, _accuracy_lost) + EXPORT_RULES
    codes = {**EXPORT_CODES, "file-too-large": CodeInfo(LESSON), "accuracy-lost": CodeInfo(LESSON)}
    exclusive = {**EXPORT_EXCLUSIVE, "accuracy-lost": {"underfitting", "plateau", "overfitting"}}
    public_type = TeacherData

    def public_data(self, project: Any, seed: int, world: int | None = None) -> TeacherData:
        data = super().public_data(project, seed, world)
        return TeacherData(data.x_train, data.y_train, data.x_val, data.y_val, data.info,
                           teacher_dir=str(Path(project.path) / TEACHER_DIR))

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        from torch import nn

        from dlpath.envs import pretrained
        from dlpath.grading.tasks._model import function

        compress = function(side.module, "compress", ("teacher", "data", "device", "log"))
        function(side.module, "export", ("model", "example", "path"))
        teacher = pretrained.load(Path(getattr(data, "teacher_dir", "")))
        with side.watch.training():
            model = compress(teacher, data, side.device, side.log)
        if not isinstance(model, nn.Module):
            raise ContractError(f"compress(teacher, data, device, log) returned a {type(model).__name__}; it must "
                                "return the compressed torch.nn.Module (return the teacher itself to start with).")
        side.watch.finish(model)
        write_export(side, model, data.x_train[:LATENCY_BATCH])
        return model

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.envs import pretrained
        from dlpath.grading.facts import Facts

        test = ctx.test
        metrics: dict[str, float] = {"test_accuracy": 0.0}
        extra: dict[str, Any] = {}
        facts = self._facts(test, serve(ctx, test.x, metrics, extra), metrics, extra)
        teacher = pretrained.load(Path(ctx.project.path) / TEACHER_DIR)
        with torch.no_grad():
            teacher_accuracy = float((teacher(test.x).argmax(dim=1) == test.y).float().mean())
        reference = teacher_size(teacher, test.x[:LATENCY_BATCH])
        extra["teacher"] = {"test_accuracy": teacher_accuracy, "kb": reference / 1024}
        metrics["accuracy_drop"] = teacher_accuracy - metrics["test_accuracy"]
        if "artifact_kb" in metrics:
            metrics["size_ratio"] = metrics["artifact_kb"] * 1024 / reference
        return Evaluation({k: v for k, v in metrics.items() if math.isfinite(v)}, Facts(**facts, extra=extra))
