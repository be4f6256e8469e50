"""`dlpath start`: copy a project's starter into a folder the learner owns.

The folder gets a small marker file, `.dlpath-project`, naming the project,
so that `dlpath check`, `hint` and `solution` know what they look at.
Existing work is never overwritten: a non-empty folder is refused unless
`force` is given, and even then the old files are first moved to a backup
folder next to it, whose path is returned.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from dlpath.errors import EnvironmentProblem, UsageError
from dlpath.grading.project import Project, check_project_id, load_project
from dlpath.grading.thresholds import explained

__all__ = [
    "MARKER",
    "StartResult",
    "FolderNotEmpty",
    "NotAProjectFolder",
    "start_project",
    "find_project",
]

MARKER = ".dlpath-project"

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".DS_Store")


class FolderNotEmpty(UsageError):
    """The target folder already holds files and --force was not given."""


class NotAProjectFolder(UsageError):
    """A folder without the `.dlpath-project` marker."""


@dataclass(frozen=True)
class StartResult:
    """What `dlpath start` did (the `--json` shape)."""

    project: str  #: the project id
    folder: Path  #: where the starter now lives
    files: tuple[str, ...]  #: the files copied, relative to `folder`
    backup: Path | None  #: where old files were moved (with --force), else None
    entry: str = "train.py"  #: the file the learner edits
    hands_on: str = "project"  #: "project" or "exercise"
    targets: tuple[str, ...] = ()  #: what the grade asks, each "metric >= value" (`dlpath show PROJECT` too)
    budget_s: float = 0.0  #: the training budget, in seconds
    explained: tuple[str, ...] = ()  #: "metric: what it means" for targets a beginner has not met in a lesson


def _backup_path(folder: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = folder.with_name(f"{folder.name}.backup-{stamp}")
    n = 2
    while candidate.exists():
        candidate = folder.with_name(f"{folder.name}.backup-{stamp}-{n}")
        n += 1
    return candidate


def start_project(
    project_id: str, folder: Path | None = None, *, force: bool = False, curriculum: Path | None = None
) -> StartResult:
    """Copy `project_id`'s starter into `folder` (default: ./<project_id>) with a marker file."""
    project = load_project(check_project_id(project_id), curriculum=curriculum)
    from dlpath.grading.tasks import missing_for_project

    missing = missing_for_project(project)
    if missing is not None:
        raise EnvironmentProblem(f"'{project.id}': {missing[0]}.", hint=missing[1])
    folder = Path(folder) if folder is not None else Path.cwd() / project.id
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file, not a folder: choose another place for the project.")
    backup = None
    if folder.is_dir() and any(folder.iterdir()):
        if not force:
            raise FolderNotEmpty(
                f"{folder} is not empty; dlpath never overwrites your work.",
                hint=f"Choose another folder (`dlpath start {project.id} NEW_FOLDER`), or use --force "
                "to move the old files to a backup folder first.",
            )
        backup = _backup_path(folder.resolve())
        backup.mkdir()
        for entry in sorted(folder.iterdir()):
            shutil.move(str(entry), str(backup / entry.name))
    if not project.starter_dir.is_dir():
        raise UsageError(f"{project.path}: the project has no starter/ folder (a broken project).")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(project.starter_dir, folder, ignore=_IGNORED, dirs_exist_ok=True)
    (folder / MARKER).write_text(
        "# Written by `dlpath start`: this folder is a dlpath project.\n"
        "# `dlpath check` grades it; `dlpath hint` gives a hint.\n"
        + yaml.safe_dump({"project": project.id}, sort_keys=False),
        encoding="utf-8",
    )
    files = tuple(sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != MARKER))
    return StartResult(project=project.id, folder=folder.resolve(), files=files, backup=backup, entry=project.entry,
                       hands_on=project.hands_on, targets=targets_of(project), budget_s=project.budget_s,
                       explained=explained(project.thresholds))


def targets_of(project: Project) -> tuple[str, ...]:
    """What the grade asks, each "metric >= value" (the starters say where to read them: the learner's folder
    holds no project.yaml)."""
    from dlpath.grading.thresholds import describe_target

    return tuple(f"{t.metric} {describe_target(t)}" for t in project.thresholds)


_LISTED = 12  # project folders named at most when a folder holds several


def _marked(folder: Path) -> Path | None:
    """`folder`, or the nearest folder above it, that holds a marker: a command run in a project's subfolder."""
    for candidate in (folder, *folder.parents):
        if (candidate / MARKER).is_file():
            return candidate
    return None


def _projects_below(folder: Path, depth: int = 2) -> list[Path]:
    """The project folders inside `folder`, down to `depth` levels (hidden folders and backups passed over)."""
    found: list[Path] = []
    try:
        children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))
    except OSError:
        return found
    for child in children:
        if (child / MARKER).is_file():
            found.append(child)
        elif depth > 1 and ".backup-" not in child.name:
            found.extend(_projects_below(child, depth - 1))
    return found


def _shown(path: Path) -> str:
    """A path as the learner would type it: relative to the current folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def _marked_project(marker: Path) -> str | None:
    try:
        with open(marker, "rb") as fh:  # the learner's code may have rewritten it: read a bounded amount
            data = yaml.safe_load(fh.read(_MARKER_BYTES).decode("utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    return data.get("project") if isinstance(data, dict) and isinstance(data.get("project"), str) else None


def _not_a_project(folder: Path) -> NotAProjectFolder:
    said = f"{folder} is not a dlpath project folder (no {MARKER} file)"
    below = _projects_below(folder)
    if not below:
        return NotAProjectFolder(
            said + ".", hint="Start one with `dlpath start PROJECT`, or run the command inside the project's folder.")
    ids = [_marked_project(p / MARKER) or "unreadable" for p in below[:_LISTED]]
    names = [_shown(p) + ("" if i == p.name else f" ({i})") for p, i in zip(below, ids)]  # the project, if not the name
    more = f", and {len(below) - _LISTED} more" if len(below) > _LISTED else ""
    one = _shown(below[0])
    return NotAProjectFolder(
        f"{said}, but it holds {len(below)} project folder{'s' if len(below) > 1 else ''}: {', '.join(names)}{more}.",
        hint=f"Name one after the command (`dlpath run {one}`, `dlpath check {one}`, ...), or run it inside one.")


_MARKER_BYTES = 64 * 1024


def find_project(folder: Path | None = None, *, curriculum: Path | None = None) -> tuple[Project, Path]:
    """The project whose marker is in `folder` (default: the current folder) or the nearest folder above it, and
    that project's folder; a folder that is in no project names the project folders it holds."""
    folder = (Path(folder) if folder is not None else Path.cwd()).resolve()
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder.")
    root = _marked(folder)
    if root is None:
        raise _not_a_project(folder)
    marker = root / MARKER
    project_id = _marked_project(marker)
    if project_id is None:
        raise UsageError(
            f"{marker}: expected a line `project: PROJECT_ID`.",
            hint="Fix the file, or start afresh with `dlpath start PROJECT OTHER_FOLDER`.",
        )
    return load_project(project_id, curriculum=curriculum), root
