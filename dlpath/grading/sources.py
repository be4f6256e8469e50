"""The learner's Python sources as they were before the learner's code ran: what static rules read.

A rule such as "no autograd" that the judge checks by reading the learner's files
must read them before any of the learner's code runs: a train.py can rewrite itself
(or a helper module) while it trains. So the parent reads them, for the tasks that
declare ``reads_sources``, before it starts the learner process, and hands them to
the judge in its configuration (``JudgeConfig.sources``, as ``to_json``).

What is read: every ``*.py`` file in the learner's folder and below it, except in
hidden folders, ``__pycache__`` and virtual environments (a folder holding
``pyvenv.cfg``); each file through ``read_learner_file`` (regular files only, never
following a link, never blocking on a pipe, bounded). A Python file that cannot be
read (a link, a device, too large, past the total limit) is listed in ``unread``
with the reason: a rule counts it as a file it cannot vouch for.
"""

from __future__ import annotations

import base64
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

__all__ = ["Sources", "read_sources", "read_learner_file"]

MAX_FILE = 1 << 20  #: bytes of one Python file the grader reads
MAX_TOTAL = 4 << 20  #: bytes of all of them together
MAX_FILES = 500  #: Python files read at most


@dataclass(frozen=True)
class Sources:
    """The learner's Python files by path relative to its folder, and those that could not be read."""

    files: dict[str, bytes] = field(default_factory=dict)
    unread: dict[str, str] = field(default_factory=dict)  #: path -> why it was not read

    def to_json(self) -> dict[str, Any]:
        return {"files": {k: base64.b64encode(v).decode("ascii") for k, v in self.files.items()},
                "unread": dict(self.unread)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "Sources | None":
        """The sources a configuration carried (None when it carried none: the judge then reads the folder)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("files"), Mapping):
            return None
        files = {}
        for name, text in data["files"].items():
            try:
                files[str(name)] = base64.b64decode(str(text), validate=True)
            except ValueError:
                files[str(name)] = b"\0"  # unreadable: it will not parse, and counts as a file not vouched for
        unread = data.get("unread") if isinstance(data.get("unread"), Mapping) else {}
        return cls(files, {str(k): str(v) for k, v in unread.items()})


def read_sources(folder: Path) -> Sources:
    """Every Python file under ``folder`` (see the module's docstring), read now."""
    files: dict[str, bytes] = {}
    unread: dict[str, str] = {}
    total = 0
    root = str(folder)
    for here, dirs, names in os.walk(root):  # os.walk never follows a link to a folder
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__"
                         and not os.path.exists(os.path.join(here, d, "pyvenv.cfg")))
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            relative = os.path.relpath(os.path.join(here, name), root)
            if len(files) >= MAX_FILES or total >= MAX_TOTAL:
                unread[relative] = "more Python than the grader reads"
                continue
            got = read_learner_file(here, name, min(MAX_FILE, MAX_TOTAL - total))
            if isinstance(got, str):
                unread[relative] = got
                continue
            files[relative] = got
            total += len(got)
    return Sources(files, unread)


def read_learner_file(folder: Any, name: str, limit: int) -> bytes | str:
    """The bytes of a regular file the learner's code wrote in its folder (never following a link, never
    blocking on a pipe), or a sentence saying why not. For the judge: it reads, never imports."""
    try:
        fd = os.open(os.path.join(str(folder), name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        return f"no file {name} ({exc.strerror})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return f"{name} is not a regular file"
        if info.st_size > limit:
            return f"{name} is larger than {limit // 1024} KB"
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks)[:limit]
    finally:
        os.close(fd)
