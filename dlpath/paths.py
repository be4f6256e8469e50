"""Where dlpath finds its content and keeps the learner's data.

Content (`curriculum/`, `projects/`) is found both from a checkout (next to
the package) and from an installed wheel (under `dlpath/_data/`).
The learner's data lives in the platform's user data directory, or in
`DLPATH_HOME` when it is set (tests always set it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["data_home", "content_dir", "curriculum_dir", "projects_dir", "project_roots", "import_path_without",
           "CLEAN_START", "dlpath_command"]

_PACKAGE = Path(__file__).resolve().parent


def content_dir(name: str) -> Path:
    """The shipped content folder `name` ("curriculum" or "projects")."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def curriculum_dir() -> Path:
    """The curriculum that ships with dlpath."""
    return content_dir("curriculum")


def projects_dir() -> Path:
    """The projects that ship with dlpath."""
    return content_dir("projects")


def project_roots(curriculum: Path | None = None) -> list[Path]:
    """Folders searched for projects, in order, each once.

    $DLPATH_PROJECTS (if set; several joined with os.pathsep), then `projects/`
    beside the curriculum folder in use (`curriculum`, else $DLPATH_CURRICULUM;
    an instructor's course keeps its projects there), then the projects dlpath ships.
    """
    roots: list[Path] = []
    extra = os.environ.get("DLPATH_PROJECTS")
    if extra:
        roots.extend(Path(p).expanduser() for p in extra.split(os.pathsep) if p)
    course = curriculum or (Path(os.environ["DLPATH_CURRICULUM"]) if os.environ.get("DLPATH_CURRICULUM") else None)
    if course is not None:
        beside = Path(course).expanduser().resolve().parent / "projects"
        if beside.is_dir():
            roots.append(beside)
    roots.append(projects_dir())
    unique: list[Path] = []
    for root in roots:
        if root not in unique:
            unique.append(root)
    return unique


def data_home() -> Path:
    """The folder that holds the learner's progress store (not created here)."""
    override = os.environ.get("DLPATH_HOME")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "dlpath"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "dlpath"
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "dlpath"


def import_path_without(folders: list[str | Path], path: list[str] | None = None) -> list[str]:
    """`sys.path` (or `path`) without the working folder ('' and the folder itself) and `folders`.

    dlpath's own process must never import from a folder a learner's code could write: it imports some modules
    only after a grade (the chart library, the date parser), and Python looks in the working folder first under
    `python -m` and in a notebook. `python -m dlpath` and the notebook's `check()` use this."""
    banned = {os.path.realpath(os.getcwd())} | {os.path.realpath(str(f)) for f in folders}
    return [p for p in (sys.path if path is None else path) if p and os.path.realpath(p) not in banned]


#: The first statement of every Python process dlpath starts: under `-c` (and `-m`) Python puts the working folder
#: first on `sys.path`, and a grader's child starts in the learner's project folder, where a `textwrap.py` or a
#: `__future__.py` would be imported by dlpath's own code before any sandbox exists. It uses only `sys` and `os`,
#: which the interpreter has loaded before it looks at the working folder.
CLEAN_START = ("import sys, os; _here = os.path.realpath(os.getcwd()); "
               "sys.path[:] = [p for p in sys.path if p and os.path.realpath(p) != _here]; del _here")


def dlpath_command(*args: str) -> list[str]:
    """The command line that runs `dlpath ARGS...` with this interpreter, the working folder off `sys.path` from
    the first statement (what `python -m dlpath` cannot promise: the package is imported before its `__main__`)."""
    boot = f"{CLEAN_START}; sys.path.insert(0, {str(_PACKAGE.parent)!r}); from dlpath.cli import main; main()"
    return [sys.executable, "-c", boot, *args]  # dlpath from where it is now, even when that is the working folder
