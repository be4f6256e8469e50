"""`dlpath watch`: rerun `dlpath run` (or `check`) each time a file of the project is saved.

Each run is a separate `dlpath run` process in its own process group, so a save
that arrives while a run is in progress cancels it cleanly (SIGINT: the run
stops its learner process and judge, as on Ctrl-C), and the next run starts on
the new code. Saves are debounced by watchfiles; the grader's own files and
Python's caches are ignored.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from dlpath.scaffold import find_project

__all__ = ["WatchEvent", "watch_folder"]


@dataclass(frozen=True)
class WatchEvent:
    """What the watch loop tells the renderer."""

    kind: str  #: "waiting", "start", "cancelled", "end"
    changed: tuple[str, ...] = ()  #: the files whose change started this run
    status: int | None = None  #: the run's exit status ("end")


def _ignored(path: str) -> bool:
    name = Path(path).name
    return name.startswith((".dlpath", ".")) or name.endswith((".pyc", "~")) or "__pycache__" in path


def _stop(proc: subprocess.Popen) -> None:
    """Interrupt a run as Ctrl-C would, then kill it if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def watch_folder(
    folder: Path | None = None,
    *,
    check: bool = False,
    extra_args: tuple[str, ...] = (),
    on_event: Callable[[WatchEvent], None] | None = None,
    stop: threading.Event | None = None,
    max_runs: int | None = None,
    curriculum: Path | None = None,
) -> int:
    """Run now, then again on every save, until `stop` is set (or Ctrl-C), or after `max_runs` runs.
    Returns the number of runs started."""
    import watchfiles

    _, where = find_project(folder, curriculum=curriculum)
    notify = on_event or (lambda event: None)
    stop = stop or threading.Event()
    verb = "check" if check else "run"
    command = [sys.executable, "-m", "dlpath"] + (["--curriculum", str(curriculum)] if curriculum else []) + [
        verb, str(where), *extra_args]
    runs = 0
    proc: subprocess.Popen | None = None
    changed: tuple[str, ...] = ()

    def start() -> subprocess.Popen:
        nonlocal runs
        runs += 1
        notify(WatchEvent("start", changed))
        return subprocess.Popen(command, start_new_session=True)

    try:
        proc = start()
        for changes in watchfiles.watch(where, stop_event=stop, yield_on_timeout=True, rust_timeout=500,
                                        debounce=400, raise_interrupt=True):
            if proc is not None and proc.poll() is not None:
                notify(WatchEvent("end", changed, proc.returncode))
                proc = None
                if max_runs is not None and runs >= max_runs:
                    break
                notify(WatchEvent("waiting"))
            relevant = tuple(sorted({str(Path(p).relative_to(where)) for _, p in changes if not _ignored(p)}))
            if not relevant:
                continue
            if proc is not None:
                _stop(proc)
                notify(WatchEvent("cancelled", relevant))
            changed = relevant
            proc = start()
    finally:
        if proc is not None:
            _stop(proc)
    return runs
