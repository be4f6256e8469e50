"""``exported_model``: a classifier the learner trains, then saves as a file that runs without their code.

Deployment in one contract: after training, the learner's ``export(model, example, path)``
writes the model to ``path`` (``torch.export`` is the way taught; anything
``torch.export.load`` reads works). The judge reads that file's bytes itself (so
it knows their size) and hands them to the *loader*, a fresh sandboxed process
that never imports the learner's code, which loads the file and answers with its
outputs. A pickled module, or a file that needs ``train.py`` to load, fails there,
as it would on a server. The judge measures the accuracy of the loaded model on
fresh inputs, checks that its outputs match the trained model's in the learner
process, times it per batch on the CPU (round trips through the grader, so a
little slower than in-process), and counts the file's size.
"""

from __future__ import annotations

import io
import math
import statistics
import time
from pathlib import Path
from typing import Any, Mapping

from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, SplitData, Task

FILE_NAME = "model.pt2"  # what export() must write, in the project folder
MAX_BYTES = 64 * 2**20  # a larger file is not read
LATENCY_BATCH = 64  # inputs per timed batch
LATENCY_ROUNDS = 20  # timed batches (the median is the metric)


class ExportedModelTask(Task):
    kind = "exported_model"
    summary = ("Classify, then export the trained model to a file that loads without the learner's code: "
               "build_model + train + export(model, example, path).")
    contract = """\
build_model(info) -> torch.nn.Module
    info["input_shape"] is one sample's shape and info["num_classes"] the number of classes.
    The model maps a batch of inputs to raw scores (logits) of shape (N, num_classes).
train(model, data, device, log) -> None (or the trained model)
    data.x_train, data.y_train, data.x_val, data.y_val, data.info; log(...) records your curves.
export(model, example, path) -> None
    Save the trained model to `path` so that it runs WITHOUT your code: torch.export.export(model,
    (example,), dynamic_shapes=...) then torch.export.save(program, path). `example` is a batch of
    inputs. The grader loads the file in a fresh process that never imports train.py, checks its
    outputs match your model's, measures accuracy on fresh inputs, latency per batch, and file size."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, data, device, log)",
                      "export(model, example, path)")
    dataset_kinds = ("classification",)
    metrics = (
        Metric("test_accuracy", "max", "fraction",
               "accuracy of the EXPORTED model, loaded without the learner's code, on fresh test inputs"),
        Metric("output_difference", "min", "relative difference",
               "largest difference between the exported model's outputs and the trained model's, relative to "
               "their scale (0: identical)"),
        Metric("latency_ms", "min", "milliseconds",
               f"median time for the loaded model to answer a batch of {LATENCY_BATCH} inputs on the CPU, measured "
               "by the judge (a round trip through the grader)"),
        Metric("artifact_kb", "min", "kilobytes", "size of the exported file"),
    )
    primary = "test_accuracy"
    uses_loader = True

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        from dlpath.grading.tasks._model import function, short, train_module

        function(side.module, "export", ("model", "example", "path"))
        model = train_module(side, data)
        path = Path(side.module.__file__).resolve().parent / FILE_NAME
        path.unlink(missing_ok=True)
        export = side.module.export
        try:
            model.eval()
            export(model, data.x_train[:LATENCY_BATCH].clone(), str(path))
        except Exception as exc:  # noqa: BLE001 - the learner's export: a failure is a grade, not a crash
            side.log(export_failed=short(exc))
            with open(path.with_name(FILE_NAME[:-4] + ".failed"), "w", encoding="utf-8") as fh:
                fh.write(short(exc))
        return model

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        from dlpath.grading.tasks._model import answer_model, run_model, short

        if side.role == "learner":
            return answer_model(name, tensors, side.state, side.device)
        if name == "load":  # the loader: the file's bytes, as the judge read them
            import torch

            raw = tensors.get("file")
            if not isinstance(raw, torch.Tensor):
                raise LearnerError("no file came with the request")
            try:
                program = torch.export.load(io.BytesIO(raw.numpy().tobytes()))
                side.state = program.module()
            except Exception as exc:  # noqa: BLE001 - whatever the file holds
                raise LearnerError(f"the file does not load without your code: {short(exc)}") from None
            return {}, {}
        if name == "outputs":
            if side.state is None:
                raise LearnerError("nothing was loaded")
            try:
                return {}, {"y": run_model(side.state, tensors["x"], "cpu")}
            except Exception as exc:  # noqa: BLE001
                raise LearnerError(f"the loaded model failed on fresh inputs: {short(exc)}") from None
        raise LearnerError(f"unknown request {name!r}")

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.artifact import output_difference
        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import shape_text

        test = ctx.test
        classes = int(test.info["num_classes"])
        metrics: dict[str, float] = {"test_accuracy": 0.0}
        facts: dict[str, Any] = {"primary": self.primary, "expected_output": shape_text((len(test), classes)),
                                 "chance_score": float(torch.bincount(test.y, minlength=classes).max()) / max(len(test), 1)}
        extra: dict[str, Any] = {}
        from dlpath.grading.tasks._model import read_learner_file

        data = read_learner_file(Path(ctx.folder), FILE_NAME, MAX_BYTES)
        if isinstance(data, str):
            failed = read_learner_file(Path(ctx.folder), FILE_NAME[:-4] + ".failed", 2000)
            why = failed.decode("utf-8", "replace")[:300] if isinstance(failed, bytes) else data
            facts["output_problem"] = f"export(model, example, path) wrote no usable {FILE_NAME} ({why})"
            return Evaluation(metrics, Facts(**facts, extra=extra))
        metrics["artifact_kb"] = len(data) / 1024
        try:
            ctx.ask("load", tensors={"file": torch.frombuffer(bytearray(data), dtype=torch.uint8)}, target="loader")
            _, got = ctx.ask("outputs", tensors={"x": test.x}, target="loader")
        except LearnerError as exc:
            facts["forward_error"] = str(exc)
            extra["export"] = str(exc)
            return Evaluation(metrics, Facts(**facts, extra=extra))
        out = got.get("y")
        if not isinstance(out, torch.Tensor) or out.shape != (len(test), classes):
            facts["output_problem"] = (f"the exported model's output has shape "
                                       f"{shape_text(out.shape) if isinstance(out, torch.Tensor) else 'none'}; the "
                                       f"grader expected {facts['expected_output']}")
            return Evaluation(metrics, Facts(**facts, extra=extra))
        out = out.float()
        facts["outputs_finite"] = bool(torch.isfinite(out).all())
        metrics["test_accuracy"] = float((out.argmax(dim=1) == test.y).float().mean()) if facts["outputs_finite"] else 0.0
        probe = test.x[:256]
        try:
            _, own = ctx.ask("outputs", tensors={"x": probe})
            metrics["output_difference"] = min(output_difference(out[:256], own["y"]), 1e6)
        except LearnerError as exc:
            extra["trained_model"] = str(exc)
        times = []
        for i in range(LATENCY_ROUNDS):
            batch = test.x[(i * LATENCY_BATCH) % max(len(test) - LATENCY_BATCH, 1):][:LATENCY_BATCH]
            start = time.perf_counter()
            try:
                ctx.ask("outputs", tensors={"x": batch}, target="loader")
            except LearnerError:
                break
            times.append((time.perf_counter() - start) * 1000)
        if times:
            metrics["latency_ms"] = statistics.median(times)
        facts["extra"] = extra
        return Evaluation({k: v for k, v in metrics.items() if math.isfinite(v)}, Facts(**facts))
