"""Checks of a curriculum's graph: ids, stages, tracks, prerequisites, cycles, bodies, and project links.

Each problem is a `Problem` with its file and line; `dlpath validate` reports
them all at once. A lesson's project is derived from the projects that name it
(`lesson:` in project.yaml, read cheaply by `dlpath.course.catalog`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dlpath.course.catalog import lesson_links, quick_lesson
from dlpath.course.model import Curriculum, Lesson
from dlpath.course.reader import Problem
from dlpath.text import close_matches

__all__ = ["check_graph", "link_projects", "project_lesson_problem"]


def link_projects(root: Path, lessons: list[Lesson], where: dict[int, dict[str, Any]], problems: list[Problem]) -> None:
    """Each lesson's project, from the projects that name it (`lesson:` in project.yaml): the link is
    stated once, there. A lesson's own `project:` is optional and must agree."""
    links = lesson_links(root)
    for lesson in lessons:
        found = [pid for pid, _ in links.get(lesson.id, [])]
        file, line = (where.get(id(lesson), {}).get("project") or where.get(id(lesson), {}).get("")
                      or (lesson.file, lesson.line))
        if len(found) > 1:
            problems.append(Problem(file, line, f"lesson '{lesson.id}' is named by several projects "
                                    f"({', '.join(found)}); a lesson is completed by one project"))
        if lesson.project is None:
            if found:
                object.__setattr__(lesson, "project", found[0])  # frozen: set once, while loading
        elif found and lesson.project not in found:
            problems.append(Problem(file, line, f"lesson '{lesson.id}' names the project '{lesson.project}', but "
                                    f"the project that names this lesson is '{found[0]}': state the link once, "
                                    "in project.yaml's `lesson:`"))
        elif not found and any(lesson.project == pid for entries in links.values() for pid, _ in entries):
            other = next(lid for lid, entries in links.items() for pid, _ in entries if pid == lesson.project)
            problems.append(Problem(file, line, f"lesson '{lesson.id}' names the project '{lesson.project}', which "
                                    f"names the lesson '{other}' instead"))
    exercises = lesson_links(root, hands_on="exercise")
    for lesson in lessons:  # any number of exercise folders per lesson, stated in their project.yaml only
        object.__setattr__(lesson, "exercises", tuple(pid for pid, _ in exercises.get(lesson.id, [])))



def check_graph(
    root: Path,
    lessons: list[Lesson],
    where: dict[int, dict[str, Any]],
    stage_pos: dict[str, int],
    track_ids: set[str],
    projects_dirs: tuple[Path, ...],
    problems: list[Problem],
) -> None:
    def at(lesson: Lesson, key: str = "") -> tuple[str, int]:
        info = where.get(id(lesson), {})
        return info.get(key) or info.get("") or (lesson.file, lesson.line)

    def add(lesson: Lesson, key: str, message: str) -> None:
        file, line = at(lesson, key)
        problems.append(Problem(file, line, message))

    by_id: dict[str, Lesson] = {}
    names: dict[str, Lesson] = {}  # ids and aliases
    for lesson in lessons:
        if lesson.id in names:
            first = names[lesson.id]
            add(lesson, "id", f"duplicate lesson id '{lesson.id}' (also used at {first.file}:{first.line})")
            continue
        names[lesson.id] = lesson
        by_id[lesson.id] = lesson
    for lesson in lessons:
        for alias in lesson.aliases:
            if alias in names and names[alias] is not lesson:
                other = names[alias]
                add(lesson, "aliases", f"lesson '{lesson.id}' has the alias '{alias}', which is already "
                    f"used by lesson '{other.id}' ({other.file}:{other.line})")
            else:
                names[alias] = lesson

    known = sorted(by_id)
    body_dir = root / "lessons"
    body_sizes = _body_sizes(body_dir)
    for lesson in lessons:
        if by_id.get(lesson.id) is not lesson:
            continue
        if lesson.stage and lesson.stage not in stage_pos:
            add(lesson, "stage", f"lesson '{lesson.id}' is in the unknown stage '{lesson.stage}' "
                f"(stages: {', '.join(stage_pos)})")
        for track in lesson.tracks:
            if track not in track_ids:
                add(lesson, "tracks", f"lesson '{lesson.id}' names the unknown track '{track}'")
        lines = where.get(id(lesson), {}).get("_prereq_lines", [])
        for n, pre in enumerate(lesson.prerequisites):
            line = lines[n] if n < len(lines) else at(lesson, "prerequisites")[1]
            target = names.get(pre)
            if target is None:
                close = close_matches(pre, known, n=1, cutoff=0.6)
                tail = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(Problem(lesson.file, line,
                                        f"lesson '{lesson.id}' needs '{pre}', which does not exist{tail}"))
            elif target is lesson:
                problems.append(Problem(lesson.file, line, f"lesson '{lesson.id}' lists itself as a prerequisite"))
            elif (lesson.stage in stage_pos and target.stage in stage_pos
                  and stage_pos[target.stage] > stage_pos[lesson.stage]):
                problems.append(Problem(
                    lesson.file, line,
                    f"lesson '{lesson.id}' ({lesson.stage}) needs '{target.id}', which is in the later "
                    f"stage '{target.stage}': move one of them, or drop the prerequisite",
                ))
        if lesson.inline_body is None:
            size = body_sizes.get(lesson.id)
            if size is None:
                add(lesson, "", f"lesson '{lesson.id}' has no body: write lessons/{lesson.id}.md "
                    "or give it a 'body'")
            elif size < 64 and not (body_dir / f"{lesson.id}.md").read_text(encoding="utf-8", errors="replace").strip():
                add(lesson, "", f"lesson '{lesson.id}' has an empty body (lessons/{lesson.id}.md)")
        if lesson.project is not None and not any(
            (d / lesson.project / "project.yaml").is_file() for d in projects_dirs
        ):
            add(lesson, "project", f"lesson '{lesson.id}' names the project '{lesson.project}', "
                f"which does not exist (looked in {', '.join(str(d) for d in projects_dirs)})")

    for cycle in _cycles(by_id, names):
        first = by_id[cycle[0]]
        add(first, "prerequisites", "prerequisites form a cycle (each needs the next): " + " -> ".join(cycle + [cycle[0]]))


def _body_sizes(body_dir: Path) -> dict[str, int]:
    """{lesson id: size in bytes} of the Markdown bodies in `body_dir`."""
    sizes: dict[str, int] = {}
    try:
        with os.scandir(body_dir) as entries:
            for entry in entries:
                if entry.name.endswith(".md") and entry.is_file():
                    sizes[entry.name[:-3]] = entry.stat().st_size
    except OSError:
        pass
    return sizes


def _cycles(by_id: dict[str, Lesson], names: dict[str, Lesson]) -> list[list[str]]:
    """Each cycle of the prerequisite graph once, as the list of its lesson ids."""
    edges = {
        lid: [names[p].id for p in lesson.prerequisites if p in names and names[p].id != lid]
        for lid, lesson in by_id.items()
    }
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(edges, white)
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for start in edges:
        if color[start] != white:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        color[start] = grey
        while stack:
            node, i = stack[-1]
            if i < len(edges[node]):
                stack[-1] = (node, i + 1)
                nxt = edges[node][i]
                if color[nxt] == white:
                    color[nxt] = grey
                    stack.append((nxt, 0))
                    path.append(nxt)
                elif color[nxt] == grey:
                    cycle = path[path.index(nxt):]  # each lesson needs the next
                    key = frozenset(cycle)
                    if key not in seen:
                        seen.add(key)
                        found.append(cycle)
            else:
                color[node] = black
                stack.pop()
                path.pop()
    return found


def project_lesson_problem(folder: Path, course: Curriculum) -> Problem | None:
    """The problem of a course's own project whose `lesson:` names no lesson of the course, if it does."""
    lesson = quick_lesson(folder / "project.yaml")
    if lesson is None or course.canonical_id(lesson) is not None:
        return None
    known = sorted({l.id for l in course.lessons} | {a for l in course.lessons for a in l.aliases})
    close = close_matches(lesson, known, n=1, cutoff=0.6)
    tail = f" (did you mean '{close[0]}'?)" if close else ""
    line = next((n for n, text in enumerate((folder / "project.yaml").read_text(encoding="utf-8").splitlines(), 1)
                 if text.startswith("lesson:")), None)
    return Problem(str(folder / "project.yaml"), line, f"project '{folder.name}' completes the lesson '{lesson}', "
                   f"which the curriculum does not have{tail}")
