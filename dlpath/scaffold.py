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

from dlpath.errors import UsageError
from dlpath.projects import Project, check_project_id, load_project

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
    return StartResult(project=project.id, folder=folder.resolve(), files=files, backup=backup)


def find_project(folder: Path | None = None, *, curriculum: Path | None = None) -> tuple[Project, Path]:
    """The project whose marker is in `folder` (default: the current folder), and the folder."""
    folder = (Path(folder) if folder is not None else Path.cwd()).resolve()
    marker = folder / MARKER
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder.")
    if not marker.is_file():
        raise NotAProjectFolder(
            f"{folder} is not a dlpath project folder (no {MARKER} file).",
            hint="Start one with `dlpath start PROJECT`, or run the command inside the project's folder.",
        )
    try:
        data = yaml.safe_load(marker.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("project"), str):
        raise UsageError(
            f"{marker}: expected a line `project: PROJECT_ID`.",
            hint="Fix the file, or start afresh with `dlpath start PROJECT OTHER_FOLDER`.",
        )
    return load_project(data["project"], curriculum=curriculum), folder
