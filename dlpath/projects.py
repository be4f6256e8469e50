"""Mini-projects: `project.yaml` read into typed, frozen objects.

A project is a folder (`projects/<id>/` in the shipped content) holding
`project.yaml`, `starter/` (what the learner edits), `solution/` (a reference
that passes) and `naive/` (a baseline that must fail). This module only reads
the metadata; grading lives in `dlpath.grading`, scaffolding in
`dlpath.scaffold`.

Projects are looked up by id in the shipped projects folder and, first, in
the folder named by `DLPATH_PROJECTS` (an instructor's own projects, or the
test fixtures).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from dlpath.errors import UsageError
from dlpath.paths import project_roots

__all__ = [
    "FORMAT_VERSION",
    "Threshold",
    "Project",
    "ProjectError",
    "UnknownProject",
    "BadProjectId",
    "check_project_id",
    "project_roots",
    "load_project",
    "list_projects",
    "ProjectRow",
    "ProjectList",
    "project_overview",
]

FORMAT_VERSION = 1

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class ProjectError(UsageError):
    """A project.yaml that cannot be used (names the file and the problem)."""


class UnknownProject(UsageError):
    """No project has this id (the message suggests close ones)."""


class BadProjectId(UsageError):
    """A project id that is not a plain slug (path tricks such as `../x`)."""


@dataclass(frozen=True)
class Threshold:
    """One pass condition: `metric` must be at least `min` and/or at most `max`."""

    metric: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Project:
    """A mini-project, as its project.yaml describes it."""

    id: str  #: slug, the folder name
    title: str  #: one line
    lesson: str  #: the curriculum lesson this project completes
    summary: str  #: what to build, two or three sentences
    task: str  #: a task kind in `dlpath.grading.tasks`
    dataset: Mapping[str, Any]  #: given to the task as is
    thresholds: tuple[Threshold, ...]  #: every one must hold to pass
    budget_s: float  #: wall-clock budget of a check, in seconds
    memory_mb: int  #: memory cap of the learner's process, in MB
    hardware: str  #: what the project needs, in words
    hints: tuple[str, ...]  #: shown one more at a time by `dlpath hint`
    path: Path  #: the project folder
    format_version: int = FORMAT_VERSION

    @property
    def starter_dir(self) -> Path:
        return self.path / "starter"

    @property
    def solution_dir(self) -> Path:
        return self.path / "solution"

    @property
    def naive_dir(self) -> Path:
        return self.path / "naive"

    @property
    def public_seed(self) -> int:
        """The fixed seed of the training data: the same for every learner and every check."""
        import hashlib

        return int.from_bytes(hashlib.sha256(self.id.encode()).digest()[:4], "big") & 0x7FFFFFFF


_REQUIRED = {
    "format_version": int,
    "id": str,
    "title": str,
    "lesson": str,
    "summary": str,
    "task": str,
    "dataset": dict,
    "thresholds": list,
    "budget_s": (int, float),
    "memory_mb": int,
}
_OPTIONAL = {"hardware": str, "hints": list}


def check_project_id(project_id: str) -> str:
    """`project_id` if it is a plain slug; `BadProjectId` otherwise."""
    if not isinstance(project_id, str) or not _ID.match(project_id):
        raise BadProjectId(
            f"'{project_id}' is not a project id: ids are lowercase letters, digits, '-' and '_' "
            "(no '/', '..' or absolute paths).",
            hint="`dlpath projects` lists the projects.",
        )
    return project_id


def _type_name(kind: Any) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "a whole number", float: "a number", str: "a string", dict: "a mapping", list: "a list"}
    return " or ".join(dict.fromkeys(names[k] for k in kinds))


def _parse(data: Any, where: Path) -> dict[str, Any]:
    def bad(message: str) -> ProjectError:
        return ProjectError(f"{where}: {message}")

    if not isinstance(data, dict):
        raise bad("expected a mapping of keys (format_version, id, title, ...).")
    version = data.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ProjectError(
            f"{where}: format_version {version} is newer than this dlpath understands ({FORMAT_VERSION}).",
            hint="Upgrade dlpath (`pip install -U dlpath`).",
        )
    unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise bad(f"unknown key(s) {', '.join(map(repr, unknown))}; allowed: "
                  f"{', '.join(list(_REQUIRED) + list(_OPTIONAL))}.")
    for key, kind in {**_REQUIRED, **_OPTIONAL}.items():
        if key not in data:
            if key in _REQUIRED:
                raise bad(f"missing key '{key}'.")
            continue
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise bad(f"'{key}' must be {_type_name(kind)}, not {value!r}.")
    if data["format_version"] != FORMAT_VERSION:
        raise bad(f"format_version must be {FORMAT_VERSION}.")
    check_project_id(data["id"])
    if data["budget_s"] <= 0 or not math.isfinite(data["budget_s"]):
        raise bad("'budget_s' must be a positive number of seconds.")
    if data["memory_mb"] <= 0:
        raise bad("'memory_mb' must be a positive number of MB.")

    thresholds = []
    for i, item in enumerate(data["thresholds"], 1):
        if not isinstance(item, dict) or not isinstance(item.get("metric"), str):
            raise bad(f"threshold {i} must be a mapping with 'metric' and 'min' and/or 'max'.")
        extra = sorted(set(item) - {"metric", "min", "max"})
        if extra:
            raise bad(f"threshold {i} ({item['metric']}): unknown key(s) {', '.join(map(repr, extra))}.")
        bounds = {}
        for side in ("min", "max"):
            if side in item:
                value = item[side]
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise bad(f"threshold {i} ({item['metric']}): '{side}' must be a number.")
                bounds[side] = float(value)
        if not bounds:
            raise bad(f"threshold {i} ({item['metric']}) needs 'min' or 'max'.")
        thresholds.append(Threshold(item["metric"], bounds.get("min"), bounds.get("max")))
    if not thresholds:
        raise bad("'thresholds' must list at least one threshold.")

    hints = data.get("hints", [])
    for i, hint in enumerate(hints, 1):
        if not isinstance(hint, str) or not hint.strip():
            raise bad(f"hint {i} must be a non-empty string.")
    return {
        "id": data["id"],
        "title": data["title"],
        "lesson": data["lesson"],
        "summary": data["summary"].strip(),
        "task": data["task"],
        "dataset": data["dataset"],
        "thresholds": tuple(thresholds),
        "budget_s": float(data["budget_s"]),
        "memory_mb": data["memory_mb"],
        "hardware": data.get("hardware", "").strip(),
        "hints": tuple(h.strip() for h in hints),
        "format_version": data["format_version"],
    }


def _load_folder(folder: Path) -> Project:
    where = folder / "project.yaml"
    try:
        text = where.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(f"{folder}: no project.yaml here; this is not a project folder.") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ProjectError(f"{where}{line}: not valid YAML ({getattr(exc, 'problem', None) or exc}).") from None
    fields = _parse(data, where)
    if fields["id"] != folder.name:
        raise ProjectError(f"{where}: id '{fields['id']}' differs from the folder name '{folder.name}'.")
    return Project(path=folder.resolve(), **fields)


def load_project(id_or_path: str | Path, *, curriculum: Path | None = None) -> Project:
    """The project with this id (searched in `project_roots(curriculum)`), or the one in this folder (a Path)."""
    if isinstance(id_or_path, Path):
        return _load_folder(id_or_path)
    project_id = check_project_id(id_or_path)
    for root in project_roots(curriculum):
        folder = root / project_id
        if (folder / "project.yaml").is_file():
            return _load_folder(folder)
    import difflib

    known = sorted({p.name for root in project_roots(curriculum) if root.is_dir() for p in root.iterdir()
                    if (p / "project.yaml").is_file()})
    close = difflib.get_close_matches(project_id, known, n=3)
    hint = f"Did you mean {' or '.join(repr(c) for c in close)}?" if close else "`dlpath projects` lists them."
    raise UnknownProject(f"there is no project '{project_id}'.", hint=hint)


def list_projects(*, curriculum: Path | None = None) -> list[Project]:
    """Every project in `project_roots(curriculum)`, each id once (the first found), sorted by id within a root."""
    seen: set[str] = set()
    found: list[Project] = []
    for root in project_roots(curriculum):
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir()):
            if folder.name in seen or not (folder / "project.yaml").is_file():
                continue
            seen.add(folder.name)
            found.append(_load_folder(folder))
    return found


@dataclass(frozen=True)
class ProjectRow:
    """One line of `dlpath projects`."""

    id: str
    title: str
    lesson: str
    stage: str | None  #: the lesson's stage in the curriculum in use (None if it has no such lesson)
    status: str  #: "passed", "attempted", or the lesson's status: "available", "locked", "done", "skipped"


@dataclass(frozen=True)
class ProjectList:
    """`dlpath projects` (the `--json` shape)."""

    projects: list[ProjectRow]


def project_overview(curriculum: Path | None = None) -> ProjectList:
    """Every project with its lesson's stage and this learner's status."""
    from dlpath.curriculum import load_curriculum
    from dlpath.planner import statuses
    from dlpath.progress import open_store

    course = load_curriculum(curriculum)
    rows = []
    with open_store() as store:
        lesson_status = statuses(course, store)
        attempts = store.attempts(limit=None)
    passed = {a.project for a in attempts if a.passed}
    tried = {a.project for a in attempts}
    for project in list_projects(curriculum=curriculum):
        lesson_id = course.canonical_id(project.lesson)
        stage = course.lesson(lesson_id).stage if lesson_id else None
        if project.id in passed:
            status = "passed"
        elif project.id in tried:
            status = "attempted"
        else:
            status = lesson_status.get(lesson_id, "not in the curriculum") if lesson_id else "not in the curriculum"
        rows.append(ProjectRow(project.id, project.title, project.lesson, stage, status))
    order = {s.id: i for i, s in enumerate(course.stages)}
    rows.sort(key=lambda r: (order.get(r.stage, len(order)), r.id))
    return ProjectList(rows)
