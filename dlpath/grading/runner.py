"""The parent side of a grade: start the child, watch it, stop it, whatever it does.

The learner's code runs in a fresh interpreter (`dlpath.grading.harness`) in
its own session and process group. The parent, single-threaded, waits on the
private channel and on the child's output with a short timeout, and between
reads enforces:

- the wall-clock budget (it starts when the child reports "ready": torch
  imported and the training data built);
- the memory cap: the resident set size (RSS) of every process of the group,
  read from /proc and summed (and, once that sum is over the cap, the
  proportional set size, so pages a fork shares are counted once); on CPU
  the child also caps its own address space as a backstop;
- a bounded capture of stdout and stderr (only the tail is kept, so a flood
  of output cannot fill memory).

On every end (result, error, exit, timeout, memory, Ctrl-C) the whole group
is killed with SIGKILL, along with any descendant seen to have left it, and
the parent waits until none of them runs any more.
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from dlpath.projects import Project

__all__ = ["RunOutcome", "run_grade", "group_members", "STARTUP_LIMIT_S"]

STARTUP_LIMIT_S = 180.0  # seconds the child may take to import torch and build the data
_POLL_S = 0.25  # seconds between budget and memory checks
_SCAN_S = 1.0  # seconds between scans of /proc for new members of the group
_TAIL_BYTES = 32_000  # bytes of the learner's output kept
_MAX_LINE = 1_000_000  # bytes of one channel message
_MAX_CURVE_POINTS = 20_000  # logged points kept (the first ones)
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])

Event = Callable[[str, dict], None]


@dataclass
class RunOutcome:
    """What happened in the child, before any threshold is compared."""

    curves: list[dict] = field(default_factory=list)  #: the learner's log(...) calls, in order
    evaluation: dict | None = None  #: {"metrics": ..., "facts": ...} when evaluation finished
    failure: dict | None = None  #: see dlpath.grading.diagnose; None when evaluation finished
    environment: str | None = None  #: why grading could not happen at all (exit status 2)
    device: str | None = None  #: the device the child trained on
    output_tail: str = ""  #: the last lines the learner's code printed
    output_bytes: int = 0  #: how much it printed in all
    duration_s: float = 0.0  #: wall time from start to end
    training_s: float = 0.0  #: wall time within the budget (from "ready")


def _read_stat(pid: int) -> tuple[int, int, int, str] | None:
    """(ppid, pgid, sid, state) of `pid` from /proc, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    rest = raw[raw.rfind(b")") + 2:].split()
    try:
        return int(rest[1]), int(rest[2]), int(rest[3]), rest[0].decode()
    except (IndexError, ValueError):
        return None


_TOKEN_VARIABLE = "DLPATH_GRADE_TOKEN"


def _has_token(pid: int, token: bytes) -> bool:
    """Whether `pid` inherited this grade's token in its environment."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return token in f.read()
    except OSError:
        return False


def group_members(pgid: int, known: set[int] | None = None, token: str | None = None) -> set[int]:
    """Live (not zombie) pids in process group/session `pgid`, plus descendants of `known`.

    With `token`, every process whose environment carries it counts too: that
    finds a child that started its own session and whose parent has already
    exited (it was handed to init, so neither its group nor its parent says
    where it came from).
    """
    marker = f"{_TOKEN_VARIABLE}={token}".encode() if token else None
    members: set[int] = set()
    parents: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return members
    for name in entries:
        if not name.isdigit():
            continue
        stat = _read_stat(int(name))
        if stat is None or stat[3] in ("Z", "X"):
            continue
        ppid, group, sid, _ = stat
        parents[int(name)] = ppid
        if group == pgid or sid == pgid or (marker is not None and _has_token(int(name), marker)):
            members.add(int(name))
    if known:
        members |= {pid for pid in known if pid in parents}
        grown = True
        while grown:  # children of members that started their own session
            new = {pid for pid, ppid in parents.items() if ppid in members and pid not in members}
            members |= new
            grown = bool(new)
    return members


def _rss_bytes(pid: int) -> int:
    """Resident set size of `pid` (cheap: one small read, no page-table walk)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _pss_bytes(pid: int) -> int:
    """Proportional set size of `pid` (pages shared after a fork counted once), else its RSS."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return _rss_bytes(pid)


class _Child:
    """The running harness and everything it started."""

    def __init__(self, config: dict[str, Any], cwd: Path, cap: int) -> None:
        self.cap = cap
        self.current: set[int] = set()
        self.scanned_at = 0.0
        self.to_child_r, self.to_child_w = os.pipe()
        self.from_child_r, self.from_child_w = os.pipe()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no __pycache__ in the learner's folder
        env.setdefault("PYTHONFAULTHANDLER", "1")
        # OpenMP threads that spin while waiting make small models crawl when other
        # programs share the cores (a laptop, a class server): wait passively instead.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self.token = secrets.token_hex(16)
        env[_TOKEN_VARIABLE] = self.token  # inherited by everything the learner's code starts
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dlpath.grading.harness", str(self.to_child_r), str(self.from_child_w)],
            cwd=str(cwd),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(self.to_child_r, self.from_child_w),
            start_new_session=True,
        )
        os.close(self.to_child_r)
        os.close(self.from_child_w)
        self.pgid = self.proc.pid
        self.seen: set[int] = {self.proc.pid}
        self.send(config)

    def send(self, message: dict[str, Any]) -> None:
        try:
            os.write(self.to_child_w, (json.dumps(message) + "\n").encode())
        except OSError:
            pass  # the child is gone; its exit is noticed elsewhere

    def members(self) -> set[int]:
        found = group_members(self.pgid, self.seen, self.token)
        self.seen |= found
        self.current = found
        self.scanned_at = time.monotonic()
        return found

    def memory(self) -> int:
        """Memory of the group: the sum of RSS; where that is over the cap, the sum of PSS.

        All of /proc is scanned for new members at most once a second (the
        scan costs CPU time that training would otherwise get); in between,
        the members already known are measured.
        """
        if time.monotonic() - self.scanned_at >= _SCAN_S:
            self.members()
        rss = sum(_rss_bytes(pid) for pid in self.current)
        if rss <= self.cap:
            return rss
        return sum(_pss_bytes(pid) for pid in self.members())

    def kill_all(self) -> None:
        """SIGKILL the group and every descendant seen; wait until none runs (at most ~5 s)."""
        deadline = time.monotonic() + 5.0
        while True:
            alive = self.members()  # before the group dies, while descendants still show their parents
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if self.proc.poll() is None:
                try:
                    self.proc.wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    pass
            if (not alive and self.proc.poll() is not None) or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        for fd in (self.to_child_w, self.from_child_r):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class _Tail:
    """The last bytes of a stream, and how many there were in all."""

    def __init__(self, limit: int = _TAIL_BYTES) -> None:
        self.limit = limit
        self.data = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > 2 * self.limit:
            del self.data[: len(self.data) - self.limit]

    def text(self) -> str:
        data = bytes(self.data[-self.limit:])
        text = data.decode("utf-8", "replace")
        if self.total > len(data):
            text = text.split("\n", 1)[-1] if "\n" in text else text
        return text


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def run_grade(
    project: Project,
    folder: Path,
    *,
    budget_s: float,
    memory_mb: int,
    device: str,
    test_seed: int,
    on_event: Event | None = None,
    task_module: str = "dlpath.grading.tasks",
    train_file: str = "train.py",
) -> RunOutcome:
    """Train and evaluate the learner's code in `folder` in a child process, under limits.

    `on_event(kind, data)` is called with ("ready", {"device"}), ("log", point),
    ("trained", {}), and ("tick", {"elapsed_s", "budget_s"}) about five times a
    second while training runs. KeyboardInterrupt kills the child group and
    propagates.
    """
    notify = on_event or (lambda kind, data: None)
    outcome = RunOutcome()
    tail = _Tail()
    cap = memory_mb * 1024 * 1024
    started = time.monotonic()
    ready_at: float | None = None
    child = _Child(
        {
            "t": "config",
            "folder": str(folder),
            "train_file": train_file,
            "project_path": str(project.path),
            "device": device,
            "public_seed": project.public_seed,
            "memory_mb": memory_mb,
            "task_module": task_module,
        },
        folder,
        cap,
    )
    selector = selectors.DefaultSelector()
    assert child.proc.stdout is not None
    out_fd = child.proc.stdout.fileno()
    for fd in (child.from_child_r, out_fd):
        os.set_blocking(fd, False)
    selector.register(child.from_child_r, selectors.EVENT_READ, "channel")
    selector.register(out_fd, selectors.EVENT_READ, "output")
    pending = bytearray()
    done = False
    trained = False
    last_check = 0.0

    def handle(message: dict[str, Any]) -> None:
        nonlocal ready_at, done, trained
        kind = message.get("t")
        if kind == "ready" and ready_at is None:
            ready_at = time.monotonic()
            outcome.device = str(message.get("device"))
            notify("ready", {"device": outcome.device})
        elif kind == "log" and isinstance(message.get("v"), dict):
            if len(outcome.curves) < _MAX_CURVE_POINTS:
                outcome.curves.append(message["v"])
            notify("log", message["v"])
        elif kind == "trained" and not trained:
            trained = True
            notify("trained", {})
            child.send({"t": "seed", "seed": test_seed})
        elif kind == "result" and trained:
            evaluation = message.get("evaluation")
            outcome.evaluation = evaluation if isinstance(evaluation, dict) else {"metrics": {}, "facts": {}}
            done = True
        elif kind == "error":
            if message.get("kind") == "environment":
                outcome.environment = str(message.get("message"))
            else:
                outcome.failure = {
                    "kind": str(message.get("kind")),
                    "message": str(message.get("message", "")),
                    "exc_type": message.get("exc_type"),
                    "file": message.get("file"),
                    "line": message.get("line"),
                    "budget_s": budget_s,
                    "stage": message.get("stage"),
                }
                trace = message.get("trace")
                if trace:
                    tail.add(("\n" + str(trace)).encode())
            done = True

    def read_channel() -> bool:
        """Read what the channel holds; False at end of file."""
        while True:
            try:
                chunk = os.read(child.from_child_r, 65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not chunk:
                return False
            pending.extend(chunk)
            while not done:
                end = pending.find(b"\n")
                if end < 0:
                    if len(pending) > _MAX_LINE:
                        pending.clear()
                    break
                line = bytes(pending[:end])
                del pending[: end + 1]
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    handle(message)
            if done:
                return True

    def read_output() -> bool:
        while True:
            try:
                chunk = os.read(out_fd, 65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not chunk:
                return False
            tail.add(chunk)

    def fail(kind: str, message: str, **extra: Any) -> None:
        nonlocal done
        outcome.failure = {"kind": kind, "message": message, "exc_type": None, "file": None,
                           "line": None, "budget_s": budget_s, **extra}
        done = True

    try:
        while not done:
            for key, _ in selector.select(timeout=_POLL_S):
                if key.data == "channel":
                    if not read_channel():
                        selector.unregister(child.from_child_r)
                else:
                    if not read_output():
                        selector.unregister(out_fd)
                if done:
                    break
            if done:
                break
            now = time.monotonic()
            code = child.proc.poll()
            if code is not None:
                read_channel()
                read_output()
                if done:
                    break
                if code < 0:
                    fail("signal", f"the process was killed by {_signal_name(-code)}", signal=_signal_name(-code))
                elif trained:
                    fail("no-result", f"the process ended (exit status {code}) while the grader evaluated "
                                      "the model, without a result", exit_status=code)
                else:
                    fail("exit", f"the process ended with exit status {code} before training finished",
                         exit_status=code)
                break
            if ready_at is None:
                if now - started > STARTUP_LIMIT_S:
                    outcome.environment = (f"the grader's process did not start within {STARTUP_LIMIT_S:.0f} s "
                                           "(importing torch and building the data).")
                    break
            else:
                elapsed = now - ready_at
                if elapsed > budget_s:
                    fail("timeout", f"stopped after the {budget_s:g} s budget")
                    break
                if now - last_check >= _POLL_S:
                    last_check = now
                    used = child.memory()
                    if used > cap:
                        fail("memory", f"stopped: your code used more than the {memory_mb} MB memory cap "
                                       f"({used / 2**20:.0f} MB)", memory_mb=memory_mb)
                        break
                    notify("tick", {"elapsed_s": elapsed, "budget_s": budget_s, "memory_mb": used / 2**20})
    finally:
        selector.close()
        child.kill_all()
        end = time.monotonic()
        outcome.duration_s = end - started
        outcome.training_s = end - ready_at if ready_at is not None else 0.0
        outcome.output_tail = tail.text()
        outcome.output_bytes = tail.total
    if outcome.failure and outcome.failure.get("kind") == "exception" and outcome.failure.get("exc_type") in (
        "MemoryError",
    ):
        outcome.failure["kind"] = "memory"
    return outcome
