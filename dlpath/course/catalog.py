"""The projects a course can use, and the lesson each completes, found without reading project.yaml in full.

Projects are looked up in `dlpath.paths.project_roots()`: the folder named by
`DLPATH_PROJECTS` first (an instructor's own projects, the test fixtures), the
`projects/` folder beside the curriculum in use, then the shipped projects. A
project names the lesson it completes (`lesson:`); the curriculum derives each
lesson's project from that. Reading and checking project.yaml itself is
`dlpath.grading.project`'s work.
"""

from __future__ import annotations

import re
from pathlib import Path

from dlpath.paths import project_roots

__all__ = ["project_folders", "lesson_links", "quick_lesson", "quick_link"]


def project_folders(curriculum: Path | None = None) -> list[Path]:
    """Every project folder in `project_roots(curriculum)`, each id once (the first found), sorted by id within a root."""
    seen: set[str] = set()
    found: list[Path] = []
    for root in project_roots(curriculum):
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir()):
            if folder.name in seen or not (folder / "project.yaml").is_file():
                continue
            seen.add(folder.name)
            found.append(folder)
    return found


def lesson_links(curriculum: Path | None = None, hands_on: str = "project") -> dict[str, list[tuple[str, Path]]]:
    """{lesson id: [(project id, project.yaml)]} read cheaply from every project folder (`lesson:` only); with
    `hands_on="exercise"`, from the exercise folders instead (those whose project.yaml lists `exercises:`)."""
    links: dict[str, list[tuple[str, Path]]] = {}
    for folder in project_folders(curriculum):
        lesson, kind = quick_link(folder / "project.yaml")
        if lesson and kind == hands_on:
            links.setdefault(lesson, []).append((folder.name, folder / "project.yaml"))
    return links


def quick_lesson(path: Path) -> str | None:
    """The lesson a project.yaml names (`lesson:`), read without parsing the file."""
    return quick_link(path)[0]


def quick_link(path: Path) -> tuple[str | None, str]:
    """(the lesson a project.yaml names, "exercise" if it lists `exercises:` else "project"), without parsing it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None, "project"
    match = re.search(r"^lesson:\s*['\"]?([a-z0-9][a-z0-9-]*)['\"]?\s*(#.*)?$", text, re.M)
    kind = "exercise" if re.search(r"^exercises:", text, re.M) else "project"
    return (match.group(1) if match else None), kind

