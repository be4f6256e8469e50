"""Grading a folder inside this process: the same task code as a real grade, without its processes.

`dlpath dev check --in-process` and the test suite grade the course's own
exercise variants this way: one grade costs milliseconds instead of two fresh
interpreters that import torch (about 3 s of CPU each time). The task's
`train`, `answer` and `judge` run exactly as in a real grade; only the
transport differs: the learner's file is imported here, and every request and
answer is copied as the channel would carry it (values through JSON, tensors
cloned), so neither side can hold the other's objects.

For trusted code only: nothing is sandboxed, there is no budget and no memory
cap, and the learner's code shares this process with the judge. A learner's
`dlpath check` always runs the learner process and the judge apart
(`dlpath.grading.runner`).
"""

from __future__ import annotations

import importlib.util
import json
import queue
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any, Mapping

from dlpath.grading.protocol import Failure, FailureKind, SandboxReport
from dlpath.grading.runner import RunOutcome

__all__ = ["run_in_process", "IN_PROCESS"]

IN_PROCESS = SandboxReport("none", "graded inside dlpath's own process (dev check --in-process): trusted code only")


def _import(path: Path) -> Any:
    name = f"dlpath_in_process_{zlib.crc32(str(path).encode()):08x}_{time.monotonic_ns()}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def _copy(values: Mapping[str, Any] | None, tensors: Mapping[str, Any] | None) -> tuple[dict, dict]:
    """What the channel would deliver: JSON values, fresh CPU tensors."""
    import torch

    carried = json.loads(json.dumps(dict(values or {}), allow_nan=True))
    return carried, {str(k): torch.as_tensor(v).detach().cpu().clone() for k, v in (tensors or {}).items()}


def run_in_process(project: Any, folder: Path, *, test_seed: int) -> RunOutcome:
    """Grade `folder` against `project` here; the same `RunOutcome` as `dlpath.grading.runner.run_grade`.

    On one thread: an exercise's tensors are tiny, and waking a thread pool for each of them costs more than
    the work (four times the whole grade on a busy 2-core machine)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _run(project, folder, test_seed)
    finally:
        torch.set_num_threads(threads)


def _run(project: Any, folder: Path, test_seed: int) -> RunOutcome:
    from dlpath.grading.observe import Watch
    from dlpath.grading.tasks import ContractError, JudgeContext, LearnerError, LearnerSide, get_task
    from dlpath.grading.tasks._model import short

    started = time.monotonic()
    task = get_task(project.task)
    curves: list[dict] = []
    stage = "import"
    try:
        module = _import(Path(folder) / project.entry)
        stage = "train"
        side = LearnerSide(module=module, device="cpu", log=lambda **values: curves.append(dict(values)),
                           watch=Watch(module, enabled=False))
        side.state = task.train(side, task.public_data(project, project.public_seed))
    except Exception as exc:  # noqa: BLE001 - the variant's code raised, as in the learner process
        kind = FailureKind.CONTRACT if isinstance(exc, ContractError) else FailureKind.RAISED
        failure = Failure(kind=kind, message=str(exc)[:2000], exc_type=type(exc).__name__, file=project.entry,
                          stage=stage)
        return RunOutcome(curves=curves, failure=failure, device="cpu", sandbox=IN_PROCESS,
                          duration_s=time.monotonic() - started)
    trained_s = time.monotonic() - started

    # The learner's side answers in a thread of its own, so that a task that consults the judge mid-answer
    # (side.consult: the exercise task's functions evaluated in the judge) waits there while the judge replies.
    outbox: queue.Queue = queue.Queue()  # learner -> judge: (final?, values, tensors) or (None, error text, None)
    inbox: queue.Queue = queue.Queue()  # judge -> learner: the judge's next request while the learner consults
    waiting = [False]  # the learner's side is inside consult, waiting for the judge's next request

    def consult(values: dict, tensors: dict) -> tuple[dict, dict]:
        outbox.put((False, *_copy(values, tensors)))
        return inbox.get()

    side.consult = consult

    def serve(name: str, values: dict, tensors: dict) -> None:
        try:
            got_values, got_tensors = task.answer(name, values, tensors, side)
            outbox.put((True, *_copy(got_values, got_tensors)))
        except LearnerError as exc:
            outbox.put((None, str(exc)[:1000], None))
        except Exception as exc:  # noqa: BLE001 - as the learner process's answer loop reports it
            outbox.put((None, short(exc), None))

    def ask(name: str, values: Mapping[str, Any] | None = None, tensors: Mapping[str, Any] | None = None,
            target: str = "learner") -> tuple[dict[str, Any], dict[str, Any]]:
        values, tensors = _copy(values, tensors)
        if waiting[0]:
            inbox.put((values, tensors))
        else:
            threading.Thread(target=serve, args=(name, values, tensors), daemon=True).start()
        final, got_values, got_tensors = outbox.get()
        waiting[0] = final is False
        if final is None:
            raise LearnerError(got_values)
        return got_values, got_tensors

    ctx = JudgeContext(project=project, public=task.public_data(project, project.public_seed),
                       test=task.test_data(project, test_seed), ask=ask, folder=Path(folder), device="cpu",
                       test_seed=int(test_seed))
    evaluation = task.judge(ctx)
    return RunOutcome(
        curves=curves, metrics={str(k): float(v) for k, v in evaluation.metrics.items()},
        facts=evaluation.facts.to_json(), device="cpu", sandbox=IN_PROCESS, duration_s=time.monotonic() - started,
        training_s=trained_s, trained=True,
    )
