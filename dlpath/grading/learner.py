"""The learner process: runs the learner's train.py, sandboxed, and answers the judge's questions.

Started by `dlpath.grading.runner` as a fresh interpreter running `main(IN, OUT)`,
where IN and OUT are the file descriptors of a private channel to the parent
(frames, see `dlpath.grading.protocol`; never stdout, which belongs to the
learner). The conversation:

    parent -> learner   LearnerConfig              what to train (no secret: no test seed)
                        [the process enters its namespaces: network, mount, PID]
                        [imports torch, builds the public data, then locks the filesystem]
    learner -> parent   Ready(device, sandbox)     the budget starts now
    learner -> parent   Log(values)                each `log(...)` call of the learner
                        [imports train.py, calls the task's `train`]
    learner -> parent   Telemetry(observation)     what the watch saw (advice only)
    learner -> parent   Trained                    `train` returned
    parent -> learner   Request(name, tensors)     the judge's questions, relayed: outputs on
    learner -> parent   Answer(values, tensors)    inputs, a traced model, ... (or Answer.error)
    parent -> learner   Finish                     (or the parent kills the process group)
 or learner -> parent   Failed(failure, trace)     at any point: the learner's code raised, broke
                                                   the contract, exited, or an allocation failed

This process never holds the hidden test seed nor any target the judge grades
with; everything it says is advice or an answer, never a metric or a verdict.

The same module runs the *loader* (`LearnerConfig.role == "loader"`): a second
sandboxed process, started beside the learner process for tasks that declare
`uses_loader`, that never imports the learner's code. It answers the judge's
requests about a file the learner saved (the judge reads the file's bytes and
sends them: a model exported to be served without the learner's Python code).
It may write only its private temporary folder.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from dlpath.grading.channel import Channel
from dlpath.grading.protocol import (
    Answer,
    Failed,
    Failure,
    FailureKind,
    Finish,
    LearnerConfig,
    Log,
    Ready,
    Request,
    SandboxReport,
    Telemetry,
    Trained,
    failure_to_json,
)

__all__ = ["main"]

_MAX_LOG_KEYS = 32
_ALLOCATION = re.compile(r"can't allocate memory|out of memory|OutOfMemoryError|std::bad_alloc|"
                         r"Cannot allocate memory", re.I)
_TRIED = re.compile(r"tried to allocate ([0-9.]+) ?(bytes|[KMGT]i?B)?", re.I)
_UNITS = {None: 1, "bytes": 1, "kb": 1e3, "kib": 1024, "mb": 1e6, "mib": 2**20, "gb": 1e9, "gib": 2**30,
          "tb": 1e12, "tib": 2**40}


def _number(value: Any) -> Any:
    """A logged value as a float when it is a number (tensors included), else a short text."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        if hasattr(value, "numel") and value.numel() == 1:
            return float(value.detach().float().cpu().item())
        return float(value)
    except Exception:  # noqa: BLE001 - anything the learner logs
        return str(value)[:100]


def _in_folder(path_text: str, folder: Path) -> bool:
    try:
        path = Path(path_text).resolve()
    except (OSError, ValueError):
        return False
    return folder == path.parent or folder in path.parents


def _learner_frame(tb: Any, folder: Path) -> tuple[str | None, int | None]:
    """The innermost traceback frame in the learner's folder, as (file name, line)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(tb):
        if _in_folder(frame.filename, folder):
            found = (str(Path(frame.filename).resolve().relative_to(folder)), frame.lineno)
    return found


def _from_learner(tb: Any, folder: Path) -> Any:
    """The traceback from the first frame in the learner's folder on (all of it if none is theirs)."""
    start = tb
    while start is not None:
        if _in_folder(start.tb_frame.f_code.co_filename, folder):
            return start
        start = start.tb_next
    return tb


_DLPATH = Path(__file__).resolve().parents[1]  # the dlpath package: the grader's own frames


def _trace(exc: BaseException, folder: Path) -> str:
    """The traceback as the learner should read it: from their first frame on, without the grader's own
    frames (the watch's hooks sit between their code and torch's); the exception as Python prints it."""
    frames = traceback.extract_tb(_from_learner(exc.__traceback__, folder))
    kept = [f for f in frames if not _in_folder(f.filename, _DLPATH) or _in_folder(f.filename, folder)]
    if len(kept) == len(frames) or not kept:
        return "".join(traceback.format_exception(type(exc), exc, _from_learner(exc.__traceback__, folder)))
    return "".join(["Traceback (most recent call last):\n", *traceback.StackSummary.from_list(kept).format(),
                    *traceback.format_exception_only(type(exc), exc)])


def _requested_mb(message: str) -> float | None:
    match = _TRIED.search(message)
    if not match:
        return None
    unit = (match.group(2) or "bytes").lower()
    return float(match.group(1)) * _UNITS.get(unit, 1) / 2**20


def _failed(exc: BaseException, folder: Path, stage: str, kind: FailureKind | None = None,
            message: str | None = None) -> Failed:
    file, line = _learner_frame(exc.__traceback__, folder)
    text = message if message is not None else str(exc)
    requested = None
    if kind is None:
        if isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and _ALLOCATION.search(text)):
            kind = FailureKind.MEMORY
            requested = _requested_mb(text)
        else:
            kind = FailureKind.RAISED
    trace = _trace(exc, folder)[-4000:]
    failure = Failure(kind=kind, message=text[:2000], exc_type=type(exc).__name__, file=file, line=line,
                      stage=stage, requested_mb=requested)
    return Failed(failure=failure_to_json(failure), trace=trace)


def _cap_address_space(memory_mb: int) -> None:
    """A backstop on CPU: address space may grow by twice the cap, then allocations fail (and are
    reported as the memory verdict)."""
    try:
        import resource

        with open("/proc/self/status", encoding="ascii") as status:
            vm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
        limit = vm_kb * 1024 + 2 * memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except Exception:  # noqa: BLE001 - no /proc, no resource module
        pass


def _import_learner(path: Path) -> ModuleType:
    import importlib.util

    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _sandbox_report(asked: bool, fs: bool, network: bool, processes: bool, why: list[str]) -> SandboxReport:
    if not asked:
        return SandboxReport("none", "turned off with --no-sandbox")
    have = [name for name, ok in (("filesystem", fs), ("network", network), ("processes", processes)) if ok]
    level = "full" if len(have) == 3 else ("partial" if have else "none")
    said = "; ".join(w for w in why if w)
    if level == "full":
        text = "writes limited to the project folder, no network, a private process namespace"
        text += f" ({said})" if said else ""
    else:
        missing = [name for name in ("filesystem", "network", "processes") if name not in have]
        text = f"no {', no '.join(missing)} isolation" + (f": {said}" if said else "")
    return SandboxReport(level, text, fs, network, processes)


def _run(channel: Channel, config: LearnerConfig, namespaces: tuple[bool, bool, str]) -> None:
    folder = Path(config.folder).resolve()
    import warnings

    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    try:
        import torch
    except Exception as exc:  # noqa: BLE001 - torch missing or broken
        channel.send(Failed(environment=f"PyTorch cannot be imported here: {exc}"))
        return
    device = config.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    elif device == "cuda" and not torch.cuda.is_available():
        channel.send(Failed(environment=(
            "--device cuda was asked for, but PyTorch sees no CUDA device here "
            f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'none'}).")))
        return
    try:
        from dlpath.grading.observe import Watch
        from dlpath.grading.tasks import LearnerSide, get_task
        from dlpath.projects import load_project

        project = load_project(Path(config.project_path))
        task = get_task(project.task)
        data = task.public_data(project, config.public_seed)
        if device == "cuda":
            torch.cuda.init()
        (torch.ones(64, 64) @ torch.ones(64, 64)).sum()  # start the thread pool before any cap or sandbox
    except Exception as exc:  # noqa: BLE001 - dlpath's or the machine's problem, not the learner's
        channel.send(Failed(environment=f"the grader could not prepare the task: {type(exc).__name__}: {exc}"))
        return
    if device == "cpu" and config.memory_mb:
        _cap_address_space(int(config.memory_mb))
    network, processes, why = namespaces
    reasons = [why]
    fs = tcp = False
    if config.sandbox:
        from dlpath.grading.sandbox import restrict_filesystem

        devices = tuple(str(p) for p in Path("/dev").glob("nvidia*")) if device == "cuda" else ()
        own = [folder] if config.role == "learner" else []  # the loader writes nowhere but its temp folder
        writable = own + [Path(config.temp_dir)] + ([Path("/dev/shm")] if Path("/dev/shm").is_dir() else [])
        fs, tcp, reason = restrict_filesystem(writable, deny_tcp=not network and config.processes <= 1,
                                              extra_files=devices)
        reasons.append(reason)
    report = _sandbox_report(config.sandbox, fs, network or tcp, processes, reasons)
    channel.send(Ready(device=device, torch=torch.__version__, sandbox=report.__dict__))
    if config.role == "loader":  # never imports the learner's code: answers about a file the judge sends
        side = LearnerSide(module=None, device=device, log=lambda **values: None, watch=Watch(enabled=False),
                           role="loader")
        _answer_loop(channel, task, side, folder)
        return

    def log(**values: Any) -> None:
        """Record one point of the learning curves (`log(epoch=3, train_loss=0.41, ...)`)."""
        channel.send(Log(values={str(k)[:60]: _number(v) for k, v in list(values.items())[:_MAX_LOG_KEYS]}))

    import random

    seed = int(config.public_seed)
    torch.manual_seed(seed)
    random.seed(seed)
    stage = "import"
    watch = None
    try:
        module = _import_learner(folder / "train.py")
        stage = "train"
        watch = Watch(module, enabled=config.observe)
        side = LearnerSide(module=module, device=device, log=log, watch=watch)
        side.state = task.train(side, data)
    except SystemExit as exc:
        channel.send(_failed(exc, folder, stage, FailureKind.EXIT, f"sys.exit({exc.code!r})"))
        return
    except BaseException as exc:  # noqa: BLE001 - everything the learner raises is reported
        from dlpath.grading.tasks import ContractError

        kind = FailureKind.CONTRACT if isinstance(exc, ContractError) else None
        channel.send(_failed(exc, folder, stage, kind))
        if watch is not None:
            _send_observation(channel, watch)
        return
    _send_observation(channel, watch)
    channel.send(Trained())
    _answer_loop(channel, task, side, folder)


def _send_observation(channel: Channel, watch: Any) -> None:
    try:
        channel.send(Telemetry(observation=watch.observation().to_json()))
    except Exception:  # noqa: BLE001 - advice is optional
        pass


def _answer_loop(channel: Channel, task: Any, side: Any, folder: Path) -> None:
    from dlpath.grading.tasks import LearnerError
    from dlpath.grading.tasks._model import short

    while True:
        try:
            message, tensors = channel.receive()
        except EOFError:
            return
        if isinstance(message, Finish):
            return
        if not isinstance(message, Request):
            continue
        try:
            values, out = task.answer(message.name, message.values, tensors, side)
            channel.send(Answer(id=message.id, values=values), out)
        except LearnerError as exc:
            channel.send(Answer(id=message.id, error=str(exc)[:1000]))
        except SystemExit as exc:
            channel.send(_failed(exc, folder, "evaluate", FailureKind.EXIT, f"sys.exit({exc.code!r})"))
            return
        except MemoryError as exc:
            channel.send(_failed(exc, folder, "evaluate"))
            return
        except Exception as exc:  # noqa: BLE001 - the learner's objects misbehaved while answering
            channel.send(Answer(id=message.id, error=short(exc)))


def main(argv: list[str] | None = None) -> None:
    from dlpath.grading.sandbox import die_with_parent, enter_namespaces

    args = sys.argv[1:] if argv is None else argv
    fd_in, fd_out = int(args[0]), int(args[1])
    channel = Channel(fd_in, fd_out)
    die_with_parent()
    try:
        message, _ = channel.receive()
        if not isinstance(message, LearnerConfig):
            raise ValueError(f"expected the configuration, got {message.tag!r}")
        namespaces = (False, False, "")
        if message.sandbox:
            namespaces = enter_namespaces((fd_in, fd_out))
        _run(channel, message, namespaces)
    except BaseException as exc:  # noqa: BLE001 - the parent must hear about anything
        try:
            channel.send(Failed(environment=f"the grading harness failed: {type(exc).__name__}: {exc}"))
        except Exception:  # noqa: BLE001
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:  # noqa: BLE001
            pass
        os._exit(0)


if __name__ == "__main__":
    main()
