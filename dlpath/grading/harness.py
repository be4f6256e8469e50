"""The child side of a grade: runs the learner's train.py in a fresh interpreter.

Started by `dlpath.grading.runner` as `python -m dlpath.grading.harness IN OUT`,
where IN and OUT are the file descriptors of a private channel to the parent
(JSON lines; never stdout, which belongs to the learner). The conversation:

    parent -> child   {"t": "config", ...}           what to grade and how
    child -> parent   {"t": "ready", "device": ...}  torch imported, data built: the budget starts
    child -> parent   {"t": "log", "v": {...}}       each `log(...)` call of the learner
    child -> parent   {"t": "trained"}               `train` returned
    parent -> child   {"t": "seed", "seed": N}       the hidden test seed, only now
    child -> parent   {"t": "result", "evaluation": {...}}
 or child -> parent   {"t": "error", "kind": ..., "message": ..., ...}

The hidden test seed reaches this process only after the learner's `train`
has returned, so the learner's code cannot have seen it while training.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import random
import sys
import threading
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["main"]

_MAX_MESSAGE = 2000  # characters of an error message sent to the parent


class _Channel:
    """JSON lines to and from the parent over two inherited file descriptors."""

    def __init__(self, fd_in: int, fd_out: int) -> None:
        self._in = os.fdopen(fd_in, "rb", buffering=0)
        self._out = fd_out
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, default=_fallback, allow_nan=True) + "\n").encode()
        with self._lock:
            view = memoryview(data)
            while view:
                written = os.write(self._out, view)
                view = view[written:]

    def receive(self) -> dict[str, Any]:
        line = bytearray()
        while not line.endswith(b"\n"):
            chunk = self._in.read(1)
            if not chunk:
                raise EOFError("the grader closed the channel")
            line += chunk
        return json.loads(line)


def _fallback(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _number(value: Any) -> Any:
    """A logged value as a float when it is a number (tensors included), else a short string."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        if hasattr(value, "numel") and value.numel() == 1:
            return float(value.detach().float().cpu().item())
        return float(value)
    except Exception:
        return str(value)[:100]


def _learner_frame(tb: Any, folder: Path) -> tuple[str | None, int | None]:
    """The innermost traceback frame in the learner's folder, as (file name, line)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(tb):
        try:
            path = Path(frame.filename).resolve()
        except (OSError, ValueError):
            continue
        if folder == path.parent or folder in path.parents:
            found = (str(path.relative_to(folder)), frame.lineno)
    return found


def _from_learner(tb: Any, folder: Path) -> Any:
    """The traceback from the first frame in the learner's folder on: the grader's
    own frames above it say nothing to the learner. All of it if none is theirs."""
    start = tb
    while start is not None:
        try:
            path = Path(start.tb_frame.f_code.co_filename).resolve()
        except (OSError, ValueError):
            path = None
        if path is not None and (folder == path.parent or folder in path.parents):
            return start
        start = start.tb_next
    return tb


def _error(kind: str, exc: BaseException | None, folder: Path, message: str | None = None,
           stage: str = "setup") -> dict[str, Any]:
    file, line = _learner_frame(exc.__traceback__, folder) if exc is not None else (None, None)
    text = message if message is not None else str(exc)
    trace = ""
    if exc is not None:
        trace = "".join(traceback.format_exception(type(exc), exc, _from_learner(exc.__traceback__, folder)))[-4000:]
    return {
        "t": "error",
        "kind": kind,
        "exc_type": type(exc).__name__ if exc is not None else None,
        "message": text[:_MAX_MESSAGE],
        "file": file,
        "line": line,
        "trace": trace,
        "stage": stage,
    }


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the grader dies (no orphaned training)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _cap_address_space(memory_mb: int) -> None:
    """A backstop on CPU: address space may grow by twice the cap, then allocations fail."""
    try:
        import resource

        with open("/proc/self/status", encoding="ascii") as status:
            vm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
        limit = vm_kb * 1024 + 2 * memory_mb * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except Exception:
        pass


def _import_learner(path: Path) -> ModuleType:
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


def _grade(channel: _Channel, config: dict[str, Any]) -> None:
    folder = Path(config["folder"]).resolve()
    train_path = folder / config.get("train_file", "train.py")

    # Grader setup: a failure here is dlpath's or the machine's, not the learner's.
    import warnings

    # A torch wheel without numpy says so on import; it is noise to a learner.
    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    try:
        import torch
    except Exception as exc:  # torch missing or broken
        channel.send(_error("environment", exc, folder, f"PyTorch cannot be imported here: {exc}"))
        return
    device = config["device"]
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    elif device == "cuda" and not torch.cuda.is_available():
        channel.send(_error("environment", None, folder,
                            "--device cuda was asked for, but PyTorch sees no CUDA device here "
                            f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'none'})."))
        return
    try:
        from dlpath.projects import load_project

        tasks = importlib.import_module(config.get("task_module", "dlpath.grading.tasks"))
        project = load_project(Path(config["project_path"]))
        task = tasks.get_task(project.task)
        data = task.training_data(project, int(config["public_seed"]))
    except Exception as exc:
        channel.send(_error("environment", exc, folder, f"the grader could not prepare the task: "
                                                        f"{type(exc).__name__}: {exc}"))
        return
    contract_error: type[BaseException] = getattr(tasks, "ContractError", ())  # type: ignore[assignment]
    if device == "cpu" and config.get("memory_mb"):
        _cap_address_space(int(config["memory_mb"]))
    channel.send({"t": "ready", "device": device, "torch": torch.__version__})

    def log(**values: Any) -> None:
        """Record one point of the learning curves (`log(epoch=3, train_loss=0.41, ...)`)."""
        channel.send({"t": "log", "v": {str(k)[:60]: _number(v) for k, v in list(values.items())[:32]}})

    # The learner's code, from here until `train` returns.
    seed = int(config["public_seed"])
    torch.manual_seed(seed)
    random.seed(seed)
    stage = "import"
    try:
        module = _import_learner(train_path)
        stage = "train"
        trained = task.run_learner(module, data, device, log)
    except contract_error as exc:
        channel.send(_error("contract", exc, folder, stage=stage))
        return
    except MemoryError as exc:
        channel.send(_error("memory", exc, folder, "MemoryError: the process ran out of memory", stage=stage))
        return
    except SystemExit as exc:
        channel.send(_error("exit", exc, folder, f"sys.exit({exc.code!r})", stage=stage))
        return
    except BaseException as exc:  # noqa: BLE001 - everything the learner raises is reported
        channel.send(_error("exception", exc, folder, stage=stage))
        return
    channel.send({"t": "trained"})

    # Only now the hidden seed, then the grader's own evaluation.
    try:
        message = channel.receive()
    except (EOFError, ValueError):
        return
    try:
        evaluation = task.evaluate(module, trained, project, int(message["seed"]), device)
    except contract_error as exc:
        channel.send(_error("contract", exc, folder, stage="evaluate"))
        return
    except MemoryError as exc:
        channel.send(_error("memory", exc, folder, "MemoryError while evaluating the model", stage="evaluate"))
        return
    except SystemExit as exc:
        channel.send(_error("exit", exc, folder, f"sys.exit({exc.code!r})", stage="evaluate"))
        return
    except BaseException as exc:  # noqa: BLE001
        channel.send(_error("exception", exc, folder, stage="evaluate"))
        return
    metrics = {str(k): _number(v) for k, v in dict(evaluation.get("metrics", {})).items()}
    metrics = {k: v for k, v in metrics.items() if isinstance(v, float)}
    channel.send({"t": "result", "evaluation": {"metrics": metrics, "facts": evaluation.get("facts", {})}})


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    channel = _Channel(int(args[0]), int(args[1]))
    _die_with_parent()
    try:
        config = channel.receive()
        _grade(channel, config)
    except BaseException as exc:  # noqa: BLE001 - the parent must hear about anything
        try:
            channel.send(_error("environment", exc, Path.cwd(), f"the grading harness failed: "
                                                                f"{type(exc).__name__}: {exc}"))
        except Exception:
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        os._exit(0)


if __name__ == "__main__":
    main()
