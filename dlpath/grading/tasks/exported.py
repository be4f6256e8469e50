"""``exported_model``: a classifier the learner trains, then saves as a file that runs without their code.

Deployment in one contract: after training, the learner's ``export(model, example, path)``
writes the model to ``path`` (``torch.export`` is the way taught). The judge reads
that file's bytes itself (so it knows their size, and what kind of file it is,
from the zip's directory: it never unpickles anything) and inspects them
(`dlpath.grading.pt2`: a plain program of tensors and tensor operators, nothing
that ``torch.export.load`` would unpickle, evaluate or open); only then does it
hand them to the *loader*, a fresh sandboxed process that never imports the
learner's code, which inspects them again, loads them and answers with their
outputs. A pickled module, or a file that needs ``train.py`` to load, is not
loaded, as a server would not load it.

The judge sends the fresh inputs in batches of several sizes, as a server
receives them (the example's size first, then 1, 7 and the rest): a program
exported without a dynamic batch dimension answers the first and fails on the
others. It measures the accuracy of the loaded model, checks that its outputs
match the trained model's in the learner process, times it per batch on the CPU
(round trips through the grader, so a little slower than in-process), and counts
the file's size.

The pieces the judge uses (``inspect_file``, ``serve``) and the learner side's
``write_export`` are shared with the tasks that grade an exported file too
(``compressed_model``); so are the diagnosis rules and ``EXPORT_CODES``.
"""

from __future__ import annotations

import io
import math
import statistics
import time
import zipfile
from pathlib import Path
from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, SplitData, Task

FILE_NAME = "model.pt2"  # what export() must write, in the project folder
FAILED_NAME = "model.failed"  # where the learner side notes why export() raised (read by the judge)
MAX_BYTES = 64 * 2**20  # a larger file is not read
LATENCY_BATCH = 64  # inputs per timed batch, and in the example handed to export()
LATENCY_ROUNDS = 20  # timed batches (the median is the metric)
SERVING_BATCHES = (LATENCY_BATCH, 1, 7)  # the example's size first, then sizes a server also sees; then the rest
PROBE = 256  # inputs on which the file's outputs are compared with the trained model's

EXPORT_LESSON = "deploying-models"

# ------------------------------------------------------------------ what the file is (read, never unpickled)


def inspect_file(data: bytes) -> dict[str, Any]:
    """What kind of file the learner wrote, from the zip's directory and a look at raw bytes (never unpickled).

    ``format`` is "exported-program" (torch.export.save), "pickled-module" (torch.save of a module),
    "pickled-weights" (torch.save of a state_dict or tensors), "torchscript" (torch.jit.save), "zip" or
    "not-zip". An exported program also gets ``weights_kb`` (its tensors), ``program_kb`` (the rest: graph,
    names, shapes), ``bytes_per_value`` (over its tensors) and ``zero_share`` (values exactly zero)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return {"format": "not-zip"}
    names = [e.filename for e in entries]
    if any(n.endswith("/archive_format") for n in names):
        return {"format": "exported-program", **_tensor_bytes(archive, entries, len(data))}
    if any("/code/" in n for n in names):
        return {"format": "torchscript"}
    pickles = [e for e in entries if e.filename.endswith("/data.pkl")]
    if pickles:
        try:
            with archive.open(pickles[0]) as handle:
                head = handle.read(1 << 16)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            head = b""
        # a pickled class is named by its module: torch.nn's, or the learner's own (train.py, __main__)
        module = any(name in head for name in (b"torch.nn.modules", b"__main__", b"ctrain\n", b"\x8c\x05train\x94"))
        return {"format": "pickled-module" if module else "pickled-weights"}
    return {"format": "zip"}


def _tensor_bytes(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], total: int) -> dict[str, Any]:
    import torch

    tensors = [e for e in entries if "/data/weights/" in e.filename or "/data/constants/" in e.filename]
    tensors = [e for e in tensors if not e.filename.endswith(".json")]
    weights = sum(e.file_size for e in tensors)
    config = next((e for e in entries if e.filename.endswith("/model_weights_config.json")), None)
    values = zeros = 0
    sizes: dict[str, int] = {}
    if config is not None and config.file_size < 2**22:
        import json

        try:
            described = json.loads(archive.read(config)).get("config", {})
            for item in described.values():
                meta = item.get("tensor_meta", {})
                sizes[item["path_name"]] = math.prod(int(d["as_int"]) for d in meta.get("sizes", []))
        except (ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile, OSError):
            sizes = {}
    for entry in tensors:
        count = sizes.get(entry.filename.rsplit("/", 1)[-1])
        if not count or entry.file_size % count or entry.file_size // count not in (1, 2, 4, 8) or (
                entry.compress_type != zipfile.ZIP_STORED or entry.file_size > MAX_BYTES):  # torch stores, never deflates
            continue
        width = entry.file_size // count
        try:
            raw = archive.read(entry)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            continue
        kind = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[width]
        words = torch.frombuffer(bytearray(raw), dtype=kind) if raw else torch.zeros(0, dtype=kind)
        if width > 1:  # without the sign bit: a pruned float weight is often -0.0
            words = words & ~(torch.ones((), dtype=kind) << (8 * width - 1))
        values += count
        zeros += int((words == 0).sum())
    out: dict[str, Any] = {"weights_kb": weights / 1024, "program_kb": max(total - weights, 0) / 1024}
    if values:
        out["bytes_per_value"] = weights / values
        out["zero_share"] = zeros / values
    return out


# ------------------------------------------------------------------ the learner side


def write_export(side: LearnerSide, model: Any, example: Any) -> None:
    """Call the learner's ``export(model, example, path)`` on the trained model, on the CPU, in eval mode.
    A failure is noted in FAILED_NAME for the judge (it is a grade, not a crash)."""
    from dlpath.grading.tasks._model import short

    folder = Path(side.module.__file__).resolve().parent
    path, failed = folder / FILE_NAME, folder / FAILED_NAME
    path.unlink(missing_ok=True)
    failed.unlink(missing_ok=True)
    try:
        model.to("cpu").eval()  # the server is a CPU
        side.module.export(model, example.clone(), str(path))
    except Exception as exc:  # noqa: BLE001 - the learner's export: a failure is a grade, not a crash
        path.unlink(missing_ok=True)  # a file half written is not what to grade: the exception is
        failed.write_text(short(exc, 600), encoding="utf-8")


# ------------------------------------------------------------------ the judge side


def serve(ctx: JudgeContext, x: Any, metrics: dict[str, float], extra: dict[str, Any]) -> Any:
    """Load the learner's file in the loader and serve ``x`` with it, as a server would.

    Fills ``metrics`` (artifact_kb, output_difference, latency_ms) and ``extra`` ("file": what
    ``inspect_file`` saw; "export": what went wrong, {"problem", "detail", ...}), and returns the outputs
    on ``x`` (a tensor), or None when the file could not serve them."""
    import torch

    from dlpath.grading.artifact import output_difference
    from dlpath.grading.sources import read_learner_file

    folder = Path(ctx.folder)
    data = read_learner_file(folder, FILE_NAME, MAX_BYTES)
    if isinstance(data, str):
        failed = read_learner_file(folder, FAILED_NAME, 4000)
        raised = failed.decode("utf-8", "replace")[:600] if isinstance(failed, bytes) else None
        extra["export"] = {"problem": "missing", "detail": raised or data, "raised": raised is not None}
        return None
    metrics["artifact_kb"] = len(data) / 1024
    extra["file"] = inspect_file(data)
    from dlpath.grading.pt2 import UnsafeFile, check

    try:
        check(data)
    except UnsafeFile as exc:  # refused before anything loads it
        form = extra["file"]["format"]
        extra["export"] = ({"problem": "unsafe", "detail": str(exc)} if form == "exported-program" else
                           {"problem": "not-loadable", "detail": f"the grader does not load it: {exc}", "format": form})
        return None
    try:
        ctx.ask("load", tensors={"file": torch.frombuffer(bytearray(data), dtype=torch.uint8)}, target="loader")
    except LearnerError as exc:
        extra["export"] = {"problem": "not-loadable", "detail": str(exc), "format": extra["file"]["format"]}
        return None
    sizes = [s for s in SERVING_BATCHES if s < len(x)]
    sizes.append(len(x) - sum(sizes))
    pieces, start, served = [], 0, []
    for size in sizes:
        batch = x[start:start + size]
        start += size
        try:
            _, got = ctx.ask("outputs", tensors={"x": batch}, target="loader")
        except LearnerError as exc:
            problem = "fixed-batch" if served else "failed-on-inputs"
            extra["export"] = {"problem": problem, "detail": str(exc), "failed": size,
                               "served": " and ".join(str(n) for n in served)}
            return None
        out = got.get("y")
        if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != size or (
                pieces and out.shape[1:] != pieces[0].shape[1:]):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            extra["export"] = {"problem": "wrong-output", "batch": size, "got": str(shape)}
            return None
        pieces.append(out)
        served.append(size)
    outputs = torch.cat(pieces)
    try:
        _, own = ctx.ask("outputs", tensors={"x": x[:PROBE]})
        metrics["output_difference"] = min(output_difference(outputs[:PROBE], own.get("y", torch.empty(0))), 1e6)
    except LearnerError as exc:
        extra["trained_model"] = str(exc)
    times = []
    for i in range(LATENCY_ROUNDS):
        batch = x[(i * LATENCY_BATCH) % max(len(x) - LATENCY_BATCH, 1):][:LATENCY_BATCH]
        begin = time.perf_counter()
        try:
            ctx.ask("outputs", tensors={"x": batch}, target="loader")
        except LearnerError:
            break
        times.append((time.perf_counter() - begin) * 1000)
    if times:
        metrics["latency_ms"] = statistics.median(times)
    return outputs


# ------------------------------------------------------------------ diagnoses


_DYNAMIC_EXPORT = ("batch = torch.export.Dim('batch'); program = torch.export.export(model, (example,), "
                   "dynamic_shapes=({0: batch},))")


def _export_failed(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import make

    problem = run.facts.extra.get("export") or {}
    if problem.get("problem") != "missing":
        return []
    detail = str(problem.get("detail", ""))
    if not problem.get("raised"):
        return [make("export-failed", f"""Your export(model, example, path) returned without writing {FILE_NAME} at
            the path it was given. Export the trained model, then save it there: {_DYNAMIC_EXPORT}, then
            torch.export.save(program, path).""", evidence=[f"no {FILE_NAME} in your folder"], codes=EXPORT_CODES)]
    lowered = detail.lower()
    if "constraint" in lowered or "specializ" in lowered or "dim(" in lowered:
        advice = ("You marked the batch dimension dynamic, but forward() fixes its size somewhere: a reshape with "
                  "a number where the batch goes (x.view(64, -1)). Use x.flatten(1) or x.reshape(x.shape[0], -1).")
    elif "data-dependent" in lowered or "data dependent" in lowered or "guardondatadependent" in lowered:
        advice = ("forward() takes a Python decision on a tensor's value (an `if` on x.sum(), a loop over .item()): "
                  "torch.export traces one path through forward, the same for every input. Compute both branches "
                  "and pick with torch.where, or remove the decision.")
    else:
        advice = ("torch.export.export(model, (example,), dynamic_shapes=...) follows forward() once and records "
                  "every tensor operation; the error names what it could not follow. Keep forward() to tensor "
                  "operations on its input.")
    first = detail.strip().splitlines()[0][:300].rstrip(".") if detail.strip() else "an exception"
    return [make("export-failed", f"""Your export(model, example, path) raised {first}. {advice} `dlpath run`
        shows the whole message.""", evidence=[detail], codes=EXPORT_CODES)]


_FORMATS = {"pickled-module": "a pickle of a module (torch.save)", "pickled-weights": "a pickle of weights (torch.save)",
            "torchscript": "a TorchScript archive (torch.jit.save)", "zip": "a zip archive of another kind",
            "not-zip": "not a zip archive", "exported-program": "a torch.export program"}


def _not_loadable(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import make

    problem = run.facts.extra.get("export") or {}
    if problem.get("problem") != "not-loadable":
        return []
    detail, form = str(problem.get("detail", "")), problem.get("format")
    export = (f"Export the graph instead, which holds the computation and the weights together: {_DYNAMIC_EXPORT}, "
              "then torch.export.save(program, path).")
    evidence = [f"{FILE_NAME}: {_FORMATS.get(form, form)}"]
    if form == "pickled-module":
        return [make("needs-your-code", f"""Your {FILE_NAME} is a pickle of the whole module (torch.save(model,
            path)). A pickle is a recipe for rebuilding Python objects: it names their classes (yours, in train.py)
            and loading it imports them and runs whatever the recipe says. A server that has only the file cannot
            load it (and should not load pickles at all), and neither could the grader's loader, which never
            imports your code. {export}""", evidence=evidence, codes=EXPORT_CODES)]
    if form == "pickled-weights":
        return [make("needs-your-code", f"""Your {FILE_NAME} holds only weights (a state_dict saved with
            torch.save). To use them a server would first rebuild the model from your class in train.py, which it
            does not have: the grader's loader, which never imports your code, could not load it. {export}""",
                     evidence=evidence, codes=EXPORT_CODES)]
    if form == "torchscript":
        what = ("a TorchScript file (torch.jit.script or torch.jit.trace, then torch.jit.save). TorchScript is "
                "deprecated since PyTorch 2.13, and the grader serves torch.export programs")
    else:
        what = (f"not a torch.export program ({detail}). The grader loads it with torch.export.load; ONNX and other "
                "formats are not graded here")
    return [make("not-an-exported-program", f"""Your {FILE_NAME} is {what}. {export}""",
                 evidence=evidence + [detail], codes=EXPORT_CODES)]


def _unsafe_file(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import make

    problem = run.facts.extra.get("export") or {}
    if problem.get("problem") != "unsafe":
        return []
    detail = str(problem.get("detail", ""))
    return [make("unsafe-file", f"""The grader refused to load your {FILE_NAME}: {detail.rstrip('.')}. Loading a
        file like this would run what it holds (unpickle it, evaluate it, or call it), so the grader reads the
        file first and loads only a plain program: tensors stored as raw bytes and a graph of tensor operators,
        which is what torch.export.save writes for an ordinary model. Export the trained model again and save it
        as it comes: {_DYNAMIC_EXPORT}, then torch.export.save(program, path); do not edit the file after.""",
                 evidence=[detail], codes=EXPORT_CODES)]


def _fixed_batch(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import make

    problem = run.facts.extra.get("export") or {}
    if problem.get("problem") != "fixed-batch":
        return []
    served, failed = problem.get("served"), problem.get("failed")
    return [make("fixed-batch-size", f"""Your exported model answered a batch of {served} inputs (the size of
        the example it was exported with) but failed on a batch of {failed}: {str(problem.get('detail', '')).rstrip('.')}.
        torch.export fixes every dimension you do not mark as dynamic, so this file serves batches of exactly
        {served} and nothing else; a server gets requests one at a time or in batches of any size. Mark the batch
        dimension: {_DYNAMIC_EXPORT}.""", evidence=[f"batch of {served}: answered", f"batch of {failed}: failed"],
                 codes=EXPORT_CODES)]


def _outputs_differ(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, make

    bad = run.failed("output_difference")
    if not bad:
        return []
    broken = run.facts.extra.get("trained_model")
    if bad[0].value is None and broken:
        return [make("outputs-differ", f"""The grader could not compare the file with the model you trained: in
            your process, the trained model failed on fresh inputs ({broken}). Make sure its forward pass works on
            any batch size, after train returns.""", evidence=[str(broken)], codes=EXPORT_CODES)]
    if bad[0].value is None:
        return []
    return [make("outputs-differ", f"""On the same inputs, the model loaded from your file and the model you
        trained disagree (relative difference {_fmt(bad[0].value)}, the limit is {_fmt(bad[0].max)}). The file must
        hold the model you trained, exactly: export the model that training produced (not a fresh build_model(info)
        or a copy made before training), in eval mode (dropout off, batch normalization on its running statistics),
        with no randomness left in forward().""", evidence=[f"output difference {_fmt(bad[0].value)}"],
                 codes=EXPORT_CODES)]


def _too_slow(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, make

    bad = run.failed("latency_ms")
    if not bad or bad[0].value is None:
        return []
    size = run.metrics.get("artifact_kb")
    weight = f" Your file is {_fmt(size)} KB." if size is not None else ""
    return [make("too-slow", f"""The exported model took {_fmt(bad[0].value)} ms (median) to answer a batch of
        {LATENCY_BATCH} inputs on the CPU; the budget is {_fmt(bad[0].max)} ms.{weight} Time goes into the
        multiplications, so a smaller model answers faster: fewer units or channels, a pooling layer before the
        wide layers, no repeated work in forward() (an ensemble, test-time augmentation, a Python loop over the
        batch).""", evidence=[f"latency {_fmt(bad[0].value)} ms", f"budget {_fmt(bad[0].max)} ms"],
                 codes=EXPORT_CODES)]


EXPORT_CODES = {
    "export-failed": CodeInfo(EXPORT_LESSON),
    "needs-your-code": CodeInfo(EXPORT_LESSON),
    "unsafe-file": CodeInfo(EXPORT_LESSON),
    "not-an-exported-program": CodeInfo(EXPORT_LESSON),
    "fixed-batch-size": CodeInfo(EXPORT_LESSON),
    "outputs-differ": CodeInfo(EXPORT_LESSON),
    "too-slow": CodeInfo(EXPORT_LESSON),
}
EXPORT_RULES = (_export_failed, _unsafe_file, _not_loadable, _fixed_batch, _outputs_differ, _too_slow)
# A file that cannot serve makes the stories about the model's fit (read off a test accuracy of 0) beside the point.
_NOT_SERVED = {"underfitting", "overfitting", "plateau", "suspicious-validation", "labels-not-learnable",
               "no-learning", "below-threshold"}
EXPORT_EXCLUSIVE = {code: _NOT_SERVED for code in ("export-failed", "unsafe-file", "needs-your-code",
                                                   "not-an-exported-program", "fixed-batch-size")}


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
    Save the trained model (on the CPU, in eval mode) to `path` so that it runs WITHOUT your code:
    torch.export.export(model, (example,), dynamic_shapes=...) then torch.export.save(program, path).
    `example` is a batch of 64 inputs. The grader loads the file in a fresh process that never imports
    train.py, sends it batches of several sizes, checks its outputs match your model's, and measures
    accuracy on fresh inputs, latency per batch of 64 on the CPU, and the file's size."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, data, device, log)",
                      "export(model, example, path)")
    dataset_kinds = ("classification",)
    metrics = (
        Metric("test_accuracy", "max", "fraction",
               "accuracy of the EXPORTED model, loaded without the learner's code, on fresh test inputs sent in "
               "batches of several sizes"),
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
    rules = EXPORT_RULES
    codes = EXPORT_CODES
    exclusive = EXPORT_EXCLUSIVE

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        from dlpath.grading.tasks._model import function, train_module

        function(side.module, "export", ("model", "example", "path"))
        model = train_module(side, data)
        write_export(side, model, data.x_train[:LATENCY_BATCH])
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
            from dlpath.grading.pt2 import UnsafeFile, loadable

            try:
                clean = loadable(raw.numpy().tobytes())
            except UnsafeFile as exc:
                raise LearnerError(f"the loader refused it: {exc}") from None
            try:
                program = torch.export.load(io.BytesIO(clean))
                side.state = program.module()
            except Exception as exc:  # noqa: BLE001 - whatever the file holds
                why = short(exc).replace(" Please check the warnings above for possible errors.", "").strip()
                raise LearnerError(f"torch.export.load, without your code, could not load it: {why}") from None
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
        from dlpath.grading.facts import Facts

        test = ctx.test
        metrics: dict[str, float] = {"test_accuracy": 0.0}
        extra: dict[str, Any] = {}
        facts = self._facts(test, serve(ctx, test.x, metrics, extra), metrics, extra)
        return Evaluation({k: v for k, v in metrics.items() if math.isfinite(v)}, Facts(**facts, extra=extra))

    def _facts(self, test: Any, out: Any, metrics: dict[str, float], extra: dict[str, Any]) -> dict[str, Any]:
        """The facts about the served outputs ``out``, and test_accuracy into ``metrics``."""
        import torch

        from dlpath.grading.tasks._model import shape_text

        classes = int(test.info["num_classes"])
        facts: dict[str, Any] = {"primary": self.primary, "expected_output": shape_text((len(test), classes)),
                                 "chance_score": float(torch.bincount(test.y, minlength=classes).max()) / max(len(test), 1)}
        problem = extra.get("export") or {}
        if problem.get("problem") == "failed-on-inputs":
            facts["forward_error"] = str(problem.get("detail"))
        if problem.get("problem") == "wrong-output":
            facts["expected_output"] = shape_text((problem["batch"], classes))
            facts["got_output"] = problem["got"]
            facts["output_problem"] = (f"for a batch of {problem['batch']} inputs the exported model returned "
                                       f"{problem['got']}; the grader expected {facts['expected_output']}: one row of "
                                       "raw class scores per input")
        if out is None:
            return facts
        if out.shape[1] != classes or not out.is_floating_point():
            facts["got_output"] = shape_text(out.shape, str(out.dtype).replace("torch.", ""))
            facts["output_problem"] = (f"the exported model's output has shape {facts['got_output']}; the grader "
                                       f"expected {facts['expected_output']}: one row of raw class scores per input")
            return facts
        out = out.float()
        facts["outputs_finite"] = bool(torch.isfinite(out).all())
        facts["got_output"] = facts["expected_output"]
        metrics["test_accuracy"] = float((out.argmax(dim=1) == test.y).float().mean()) if facts["outputs_finite"] else 0.0
        return facts
