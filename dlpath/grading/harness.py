"""The learner process: runs the learner's train.py, sandboxed, and answers the judge's questions.

Started by `dlpath.grading.runner` as a fresh interpreter running `main(IN, OUT)`,
where IN and OUT are the file descriptors of a private channel to the parent
(frames, see `dlpath.grading.protocol`; never stdout, which belongs to the
learner). The conversation:

    parent -> learner   LearnerConfig              what to train (no secret: no test seed, no world seed)
                        [the process enters its namespaces: network, mount, PID; imports torch]
    parent -> learner   PublicData(values, tensors)  the training data, built by the judge and relayed
                        [hides dlpath's data generators, then locks the filesystem]
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
Nor does it hold the generator of its world, or the world's seed: it never
imports `dlpath.datasets` (its training data arrive as tensors), the folder the
boot line put first on `sys.path` leaves it before the learner's code is
imported, and in the sandbox the generators' folder (and the shipped data
sets', with their held-back rows) is hidden under an empty mount, so that the
learner's code cannot draw more labelled rows of the world it is graded in.

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
from dlpath.grading.processes import ALLOCATION, cap_address_space
from dlpath.grading.sandbox import PRIVATE_DIRS, Isolation, landlock_abi
from dlpath.grading.protocol import (
    Answer,
    Failed,
    Failure,
    FailureKind,
    Finish,
    LearnerConfig,
    Log,
    PublicData,
    Ready,
    Request,
    SandboxReport,
    Telemetry,
    Trained,
    failure_to_json,
)

__all__ = ["main"]

_MAX_LOG_KEYS = 32
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
    if not path_text or path_text.startswith("<"):  # "<frozen importlib._bootstrap>", "<string>": no file at all
        return False
    try:
        path = Path(path_text).resolve()
    except (OSError, ValueError):
        return False
    return folder == path.parent or folder in path.parents


def _learner_frame(exc: BaseException, folder: Path) -> tuple[str | None, int | None]:
    """Where in the learner's folder it went wrong, as (file name, line): the line Python could not read (a
    SyntaxError), else the innermost traceback frame there."""
    if isinstance(exc, SyntaxError) and exc.filename and _in_folder(exc.filename, folder):
        return str(Path(exc.filename).resolve().relative_to(folder)), exc.lineno
    found: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
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
#: dlpath's folders the learner's process must not read: the data generators (its world) and the shipped real
#: data sets (their held-back rows); in the sandbox each becomes an empty folder in the process's mount namespace
_HIDDEN = ("datasets", "data")


def _trace(exc: BaseException, folder: Path) -> str:
    """The traceback as the learner should read it: from their first frame on, without the grader's own
    frames (the watch's hooks sit between their code and torch's); the exception as Python prints it."""
    if isinstance(exc, SyntaxError) and exc.filename and _in_folder(exc.filename, folder):
        return "".join(traceback.format_exception_only(type(exc), exc))  # the line, the caret, the message
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
    file, line = _learner_frame(exc, folder)
    if message is None and isinstance(exc, SyntaxError) and file is not None:
        message = str(exc.msg)  # the file and line are in `file` and `line`
    text = message if message is not None else str(exc)
    requested = None
    if kind is None:
        if isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and ALLOCATION.search(text)):
            kind = FailureKind.MEMORY
            requested = _requested_mb(text)
        else:
            kind = FailureKind.RAISED
    trace = _trace(exc, folder)[-4000:]
    failure = Failure(kind=kind, message=text[:2000], exc_type=type(exc).__name__, file=file, line=line,
                      stage=stage, requested_mb=requested)
    return Failed(failure=failure_to_json(failure), trace=trace)


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


_SAID = {"filesystem": "writes limited to the project folder", "network": "no network",
         "processes": "a private process namespace", "signals": "no signal outside",
         "sockets": "the session daemons' sockets out of reach"}


def _sandbox_report(asked: bool, layers: dict[str, bool], why: list[str], hidden: bool = False) -> SandboxReport:
    if not asked:
        return SandboxReport("none", "turned off with --no-sandbox")
    have = [name for name in SandboxReport.LAYERS if layers.get(name)]
    level = "full" if len(have) == len(SandboxReport.LAYERS) else ("partial" if have else "none")
    said = "; ".join(w for w in why if w)
    if level == "full":
        text = ", ".join(_SAID[name] for name in have)
        text += ", dlpath's data generators hidden" if hidden else ""
        text += f" ({said})" if said else ""
    else:
        missing = [name for name in SandboxReport.LAYERS if name not in have]
        text = f"no {', no '.join(missing)} isolation" + (f": {said}" if said else "")
    return SandboxReport(level, text, **{name: name in have for name in SandboxReport.LAYERS},
                         generators_hidden=hidden)


def _kept(config: LearnerConfig) -> tuple[str, ...]:
    """What the learner process must still see inside the private /tmp, /run, ...: its folders, the project,
    the home folder, Python, its libraries and dlpath."""
    paths = [config.folder, config.temp_dir, *config.shown, os.environ.get("HOME", ""), sys.prefix,
             sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
             str(Path(__file__).resolve().parents[2]), *sys.path,
             *os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep)]
    return tuple(p for p in paths if p)


def _confine(config: LearnerConfig, namespaces: Isolation) -> SandboxReport:
    """Put this process in the sandbox while it still has ONE thread: capabilities, no_new_privs and Landlock
    hold for the calling thread only (and the threads it starts later), so a thread started before them (torch's
    import starts one, its thread pool more) would keep every right and could undo the mounts. Nothing here
    imports torch; the task's modules are imported after it."""
    folder = Path(config.folder).resolve()
    reasons = [namespaces.why]
    fs = tcp = False
    hidden = False
    if config.sandbox:
        from dlpath.grading.sandbox import drop_capabilities, hide_files, hide_folders, restrict_filesystem

        if namespaces.network:  # the namespaces were entered: a mount namespace of its own, capabilities kept
            # for these mounts (before Landlock, which forbids changing mounts); then they are all given up,
            # before anything of the learner's runs
            # and the checkout's git objects, when dlpath runs from a clone: they hold the shipped data too
            hidden = bool(hide_folders([_DLPATH / name for name in _HIDDEN] + [_DLPATH.parent / ".git"]))
            if config.role == "learner":  # the answers: importing a reference at grade time passes nothing
                answers = [Path(a) for a in config.answers]
                hide_folders([a for a in answers if a.is_dir()])
                hide_files([a for a in answers if a.is_file()])
            drop_capabilities()

        # the GPU's device files, where a GPU may be used (torch is not imported yet to ask whether one is)
        devices = tuple(str(p) for p in Path("/dev").glob("nvidia*")) if config.device in ("cuda", "auto") else ()
        own = [folder] if config.role == "learner" else []  # the loader writes nowhere but its temp folder
        writable = own + [Path(config.temp_dir)] + ([Path("/dev/shm")] if Path("/dev/shm").is_dir() else [])
        fs, tcp, reason = restrict_filesystem(writable, deny_tcp=not namespaces.network and config.processes <= 1,
                                              extra_files=devices)
        if not (namespaces.processes and reason.startswith("Landlock ABI")):  # the namespace stops signals
            reasons.append(reason)
    scoped = fs and landlock_abi() >= 6
    return _sandbox_report(config.sandbox, {
        "filesystem": fs, "network": namespaces.network or tcp, "processes": namespaces.processes,
        "signals": namespaces.processes or scoped, "sockets": namespaces.sockets}, reasons, hidden)


def _all_threads_confined(asked: bool, report: SandboxReport) -> SandboxReport:
    """The report, checked against every thread of this process: a thread that escaped the confinement (no
    no_new_privs, or a capability left) means the sandbox does not hold, whatever the layers say."""
    from dlpath.grading.sandbox import unconfined_threads

    if not asked:
        return report
    loose = unconfined_threads()
    if not loose:
        return report
    return _sandbox_report(True, {}, [f"{len(loose)} thread(s) of the learner's process run outside the sandbox "
                            f"(started before it: {', '.join(loose[:3])})"], False)


def _run(channel: Channel, config: LearnerConfig, namespaces: Isolation) -> None:
    folder = Path(config.folder).resolve()
    report = _confine(config, namespaces)
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

        task = get_task(config.task)  # not the project: reading project.yaml would import the generators
        task.prepare(device, config.role)
        data = _receive_public_data(channel, task) if config.role == "learner" else None
        if device == "cuda":
            torch.cuda.init()
        (torch.ones(64, 64) @ torch.ones(64, 64)).sum()  # start the thread pool before the memory cap
    except Exception as exc:  # noqa: BLE001 - dlpath's or the machine's problem, not the learner's
        channel.send(Failed(environment=f"the grader could not prepare the task: {type(exc).__name__}: {exc}"))
        return
    if device == "cpu" and config.memory_mb:  # a backstop on CPU: then allocations fail, reported as memory
        cap_address_space(2 * int(config.memory_mb))
    _leave_the_package_path()
    report = _all_threads_confined(config.sandbox, report)
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
        module = _import_learner(folder / task.entry)
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


def _receive_public_data(channel: Channel, task: Any) -> Any:
    """The training data the judge built (relayed by the parent), as the task's `public_type`."""
    message, tensors = channel.receive()
    if not isinstance(message, PublicData):
        raise ValueError(f"expected the training data, got {message.tag!r}")
    return task.unpack_public(message.values, tensors)


def _leave_the_package_path() -> None:
    """Take off `sys.path` the folder the grader's boot line put first (the one that holds dlpath): the
    learner's code imports its own modules and what is installed. Only that entry goes: where dlpath is
    installed, its folder is site-packages, which stays on the path as it was. What this process already
    imported stays in `sys.modules`; the data generators never were among it."""
    root = str(_DLPATH.parent)
    for index, entry in enumerate(sys.path):
        if entry and os.path.abspath(entry) == root:
            del sys.path[index]
            return


def _send_observation(channel: Channel, watch: Any) -> None:
    try:
        channel.send(Telemetry(observation=watch.observation().to_json()))
    except Exception:  # noqa: BLE001 - advice is optional
        pass


class _Finished(BaseException):
    """The parent said Finish (or closed the channel) while a task consulted the judge mid-answer."""


def _answer_loop(channel: Channel, task: Any, side: Any, folder: Path) -> None:
    from dlpath.grading.tasks import LearnerError
    from dlpath.grading.tasks._model import short

    current = [0]  # the request being answered: an interim answer (consult) moves it to the judge's next one

    def consult(values: dict, tensors: dict) -> tuple[dict, dict]:
        channel.send(Answer(id=current[0], values=values), tensors)
        while True:
            try:
                message, got = channel.receive()
            except EOFError:
                raise _Finished() from None
            if isinstance(message, Finish):
                raise _Finished()
            if isinstance(message, Request):
                current[0] = message.id
                return dict(message.values), got

    side.consult = consult
    while True:
        try:
            message, tensors = channel.receive()
        except EOFError:
            return
        if isinstance(message, Finish):
            return
        if not isinstance(message, Request):
            continue
        current[0] = message.id
        try:
            values, out = task.answer(message.name, message.values, tensors, side)
            channel.send(Answer(id=current[0], values=values), out)
        except _Finished:
            return
        except LearnerError as exc:
            channel.send(Answer(id=current[0], error=str(exc)[:1000]))
        except SystemExit as exc:
            channel.send(_failed(exc, folder, "evaluate", FailureKind.EXIT, f"sys.exit({exc.code!r})"))
            return
        except MemoryError as exc:
            channel.send(_failed(exc, folder, "evaluate"))
            return
        except Exception as exc:  # noqa: BLE001 - the learner's objects misbehaved while answering
            channel.send(Answer(id=current[0], error=short(exc)))


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
        namespaces = Isolation()
        if message.sandbox:
            namespaces = enter_namespaces((fd_in, fd_out), keep=_kept(message), home=os.environ.get("HOME"),
                                          private=tuple(message.private_dirs) or PRIVATE_DIRS,
                                          shm_mb=int(message.memory_mb), keep_capabilities=True)
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
