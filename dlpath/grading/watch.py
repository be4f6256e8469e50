"""`dlpath watch`: rerun `dlpath run` (or `check`) each time a file of the project is saved.

Each run is a separate `dlpath run` process in its own process group, so a save
that arrives while a run is in progress cancels it cleanly (SIGINT: the run
stops its learner process and judge, as on Ctrl-C), and the next run starts on
the new code. Saves are debounced by watchfiles; the grader's own files,
Python's caches and editors' temporary copies (`sed -i`'s, vim's, ...) are ignored.
"""

from __future__ import annotations

import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from dlpath.grading.processes import interrupt_groups
from dlpath.grading.workspace import find_project
from dlpath.paths import dlpath_command
from dlpath.text import TextEnum

__all__ = ["WatchPhase", "WatchEvent", "watch_folder", "relevant_changes"]

_STOP_GRACE_S = 10.0  # seconds a run has to stop after Ctrl-C before it is killed


class WatchPhase(TextEnum):
    """What happened in the watch loop."""

    WAITING = "waiting"  #: waiting for a save
    START = "start"  #: a run started (after a save)
    CANCELLED = "cancelled"  #: a save during a run cancelled it
    END = "end"  #: a run ended on its own


@dataclass(frozen=True)
class WatchEvent:
    """What the watch loop tells the renderer."""

    kind: WatchPhase
    changed: tuple[str, ...] = ()  #: the files whose change started this run
    status: int | None = None  #: the run's exit status ("end")


# Files editors write beside the one being saved and remove (or leave) again: never "a file of the project".
# sed -i's sedXXXXXX, vim's 4913 and swap files, Emacs's #file# and .#file, JetBrains' safe-write copies,
# and anything ending in ~, .tmp, .swp/.swo/.swx.
_EDITOR_TEMP = re.compile(r"^(sed[A-Za-z0-9]{6}|4913|#.*#|.*___jb_(tmp|old)___|.*\.(tmp|swp|swo|swx|crswap))$")


def _ignored(path: str) -> bool:
    name = Path(path).name
    return (name.startswith((".dlpath", ".")) or name.endswith((".pyc", "~")) or "__pycache__" in path
            or _EDITOR_TEMP.match(name) is not None)


def _project_files(where: Path) -> set[str]:
    return {str(p.relative_to(where)) for p in where.rglob("*") if p.is_file() and not _ignored(str(p))}


def relevant_changes(paths: Iterable[str], where: Path, known: set[str]) -> tuple[str, ...]:
    """The project's files among `paths` (each changed since the last batch), relative to `where`: a file that
    is there now, or one of `known` (the project's files before) that is gone; a file born and removed between
    two looks (an editor's temporary copy whatever its name) is none of them. `known` is brought up to date."""
    found = set()
    for path in paths:
        if _ignored(path):
            continue
        name = str(Path(path).relative_to(where))
        if Path(path).is_file():
            found.add(name)
            known.add(name)
        elif name in known:
            found.add(name)
            known.discard(name)
    return tuple(sorted(found))


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
    command = dlpath_command(*(["--curriculum", str(curriculum)] if curriculum else []), verb, str(where), *extra_args)
    runs = 0
    proc: subprocess.Popen | None = None
    changed: tuple[str, ...] = ()
    known = _project_files(where)

    def start() -> subprocess.Popen:
        nonlocal runs
        runs += 1
        notify(WatchEvent(WatchPhase.START, changed))
        return subprocess.Popen(command, start_new_session=True)

    try:
        proc = start()
        for changes in watchfiles.watch(where, stop_event=stop, yield_on_timeout=True, rust_timeout=500,
                                        debounce=400, raise_interrupt=True):
            if proc is not None and proc.poll() is not None:
                notify(WatchEvent(WatchPhase.END, changed, proc.returncode))
                proc = None
                if max_runs is not None and runs >= max_runs:
                    break
                notify(WatchEvent(WatchPhase.WAITING))
            relevant = relevant_changes({p for _, p in changes}, where, known)
            if not relevant:
                continue
            if proc is not None:
                interrupt_groups([proc], _STOP_GRACE_S)
                notify(WatchEvent(WatchPhase.CANCELLED, relevant))
            changed = relevant
            proc = start()
    finally:
        if proc is not None:
            interrupt_groups([proc], _STOP_GRACE_S)
    return runs
