"""The whole road as one learner sees it: the map, progress, tracks and projects
(`dlpath map`, `progress`, `track`, `projects`).

Plain data in, dataclasses out; their fields are the documented `--json` shapes.
Kept apart from `dlpath.course.planner` so that `dlpath next` does not load them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping

from dlpath.course.model import Curriculum
from dlpath.course.planner import LessonStatus
from dlpath.course.search import SearchResult, search
from dlpath.course.loading import load_curriculum
from dlpath.grading.project import list_projects
from dlpath.learner.completion import finished_lessons, lesson_statuses
from dlpath.learner.store import open_store

__all__ = [
    "MapLesson", "MapView", "StageProgress", "ProgressSummary", "TrackView", "TrackList",
    "ProjectRow", "ProjectList", "ProjectCard",
    "map_view", "mermaid", "progress_summary", "track_list", "project_overview", "project_card", "search_lessons",
]


@dataclass(frozen=True)
class MapLesson:
    id: str
    title: str
    stage: str
    status: str
    prerequisites: list[str]
    project: str | None
    tracks: list[str]


@dataclass(frozen=True)
class MapView:
    """`dlpath map --json`."""

    stages: list[str]
    lessons: list[MapLesson]


@dataclass(frozen=True)
class StageProgress:
    id: str
    title: str
    done: int  # done, passed or skipped
    total: int
    hours_done: float
    hours_total: float


@dataclass(frozen=True)
class ProgressSummary:
    """`dlpath progress --json`."""

    stages: list[StageProgress]
    done: list[str]
    skipped: list[str]
    attempts: list[dict[str, Any]]  # the most recent grading attempts, newest first
    hours_done: float
    hours_left: float
    track: str | None
    attempts_total: int
    retired: list[str]  # completions of lessons no longer in the curriculum (kept, never dropped)
    hands_on: list[HandsOnCount] = field(default_factory=list)  # graded work passed, projects and exercise folders


@dataclass(frozen=True)
class HandsOnCount:
    """How many of the curriculum's graded items of one kind have passed."""

    kind: str  # "project" or "exercise"
    passed: int
    total: int


def hands_on_counts(curriculum: Curriculum, passed: set[str]) -> list[HandsOnCount]:
    """Projects and exercise folders of the curriculum's lessons, and how many of each passed."""
    counts = []
    for kind in ("project", "exercise"):
        ids = {i for lesson in curriculum.lessons for k, i in lesson.hands_on if k == kind}
        counts.append(HandsOnCount(kind, len(ids & passed), len(ids)))
    return counts


def map_view(curriculum: Curriculum, completions: Mapping[str, Any]) -> MapView:
    status = lesson_statuses(curriculum, completions)
    return MapView(
        stages=[s.id for s in curriculum.stages],
        lessons=[
            MapLesson(l.id, l.title, l.stage, status[l.id], list(l.prerequisites), l.project, list(l.tracks))
            for l in curriculum.lessons
        ],
    )


def mermaid(view: MapView) -> str:
    """The map as a Mermaid flowchart (GitHub renders it), with the same marks."""
    def node(i: str) -> str:
        return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", i)

    marks = {LessonStatus.DONE: "✓ ", LessonStatus.SKIPPED: "↷ ", LessonStatus.AVAILABLE: "→ ",
             LessonStatus.LOCKED: ""}
    lines = ["flowchart LR"]
    for stage in view.stages:
        lines.append(f'  subgraph {node("stage_" + stage)}["{stage}"]')
        for l in view.lessons:
            if l.stage == stage:
                title = l.title.replace('"', "'")
                lines.append(f'    {node(l.id)}["{marks[l.status]}{title}"]:::{l.status}')
        lines.append("  end")
    ids = {l.id for l in view.lessons}
    for l in view.lessons:
        for p in l.prerequisites:
            if p in ids:
                lines.append(f"  {node(p)} --> {node(l.id)}")
    lines += [
        "  classDef done fill:#c8e6c9,stroke:#2e7d32",
        "  classDef skipped fill:#eeeeee,stroke:#9e9e9e,stroke-dasharray: 4",
        "  classDef available fill:#fff9c4,stroke:#f9a825",
        "  classDef locked fill:#ffffff,stroke:#bdbdbd,color:#9e9e9e",
    ]
    return "\n".join(lines) + "\n"


def progress_summary(
    curriculum: Curriculum,
    completions: Mapping[str, Any],
    attempts: Iterable[Any],
    attempts_total: int,
    track: str | None,
    passed: set[str] | None = None,
) -> ProgressSummary:
    finished, retired = finished_lessons(curriculum, completions)
    stages = []
    for stage in curriculum.stages:
        lessons = [l for l in curriculum.lessons if l.stage == stage.id]
        done = [l for l in lessons if l.id in finished]
        stages.append(StageProgress(
            stage.id, stage.title, len(done), len(lessons),
            round(sum(l.hours for l in done), 1), round(sum(l.hours for l in lessons), 1),
        ))
    hours_done = round(sum(s.hours_done for s in stages), 1)
    hours_total = round(sum(s.hours_total for s in stages), 1)
    return ProgressSummary(
        stages=stages,
        done=[l.id for l in curriculum.lessons if finished.get(l.id) is LessonStatus.DONE],
        skipped=[l.id for l in curriculum.lessons if finished.get(l.id) is LessonStatus.SKIPPED],
        attempts=[
            {"project": a.project, "lesson": a.lesson, "at": a.at, "passed": a.passed, "verdict": a.verdict,
             "metrics": a.metrics, "duration_s": a.duration_s, "device": a.device}
            for a in attempts
        ],
        hours_done=hours_done,
        hours_left=round(hours_total - hours_done, 1),
        track=track,
        attempts_total=attempts_total,
        retired=retired,
        hands_on=hands_on_counts(curriculum, passed or set()),
    )


@dataclass(frozen=True)
class Capstone:
    """A track's graded capstone: the project of one of its specialization lessons, and what it proves."""

    project: str
    lesson: str
    title: str
    proves: str  # the project's summary


@dataclass(frozen=True)
class TrackView:
    id: str
    title: str
    summary: str
    careers: list[str]
    skills: list[str]
    lessons: list[str]  # the lessons tagged with this track, in curriculum order
    chosen: bool
    capstones: list[Capstone] = field(default_factory=list)  # graded projects of its specialization lessons


@dataclass(frozen=True)
class TrackList:
    """`dlpath track --json`."""

    chosen: str | None
    tracks: list[TrackView]


def track_list(curriculum: Curriculum, chosen: str | None) -> TrackList:
    return TrackList(
        chosen=chosen,
        tracks=[
            TrackView(t.id, t.title, t.summary, list(t.careers), list(t.skills),
                      [l.id for l in curriculum.lessons if t.id in l.tracks], t.id == chosen,
                      _capstones(curriculum, t.id))
            for t in curriculum.tracks
        ],
    )


def _capstones(curriculum: Curriculum, track: str) -> list[Capstone]:
    """The projects of the track's lessons in the last stage (its specialization)."""
    from dlpath.errors import DlpathError
    from dlpath.grading.project import load_project

    last = curriculum.stages[-1].id if curriculum.stages else None
    out = []
    for lesson in curriculum.lessons:
        if lesson.project and track in lesson.tracks and lesson.stage == last:
            try:
                project = load_project(lesson.project, curriculum=curriculum.root)
            except DlpathError:
                continue
            out.append(Capstone(project.id, lesson.id, project.title, " ".join(project.summary.split())))
    return out


@dataclass(frozen=True)
class ProjectRow:
    """One line of `dlpath projects`."""

    id: str
    title: str
    lesson: str
    stage: str | None  #: the lesson's stage in the curriculum in use (None if it has no such lesson)
    status: str  #: "passed", "attempted", or the lesson's status: "available", "locked", "done", "skipped"
    kind: str = "project"  #: "project" (a model trained and measured) or "exercise" (a folder of exercises)


@dataclass(frozen=True)
class ProjectList:
    """`dlpath projects` (the `--json` shape)."""

    projects: list[ProjectRow]


def project_overview(curriculum: Path | None = None) -> ProjectList:
    """Every project with its lesson's stage and this learner's status."""
    course = load_curriculum(curriculum)
    rows = []
    with open_store() as store:
        lesson_status = lesson_statuses(course, store)
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
        rows.append(ProjectRow(project.id, project.title, project.lesson, stage, status, project.hands_on))
    order = {s.id: i for i, s in enumerate(course.stages)}
    rows.sort(key=lambda r: (order.get(r.stage, len(order)), r.kind != "project", r.id))
    return ProjectList(rows)


@dataclass(frozen=True)
class ProjectCard:
    """`dlpath show PROJECT` (the `--json` shape): a project, the lesson it belongs to, what its grade asks."""

    project: str
    title: str
    summary: str
    hands_on: str  #: "project" or "exercise"
    lesson: str  #: the lesson it completes (or, for an exercise folder, belongs to)
    lesson_title: str | None  #: None if the curriculum in use has no such lesson
    targets: list[str]  #: what the grade asks, each "metric >= value"
    budget_s: float  #: the training budget, in seconds
    hardware: str  #: what it needs, in words
    status: str  #: as in `dlpath projects`: "passed", "attempted", or the lesson's status
    start: str  #: the command that starts it
    explained: list[str] = field(default_factory=list)  #: "metric: what it means" for targets no lesson has taught


def project_card(project_id: str, curriculum: Path | None = None) -> ProjectCard:
    """The project `project_id` as `dlpath show` describes it (UnknownProject if there is none)."""
    from dlpath.grading.project import load_project
    from dlpath.grading.thresholds import explained
    from dlpath.grading.workspace import targets_of

    project = load_project(project_id, curriculum=curriculum)
    row = next(r for r in project_overview(curriculum).projects if r.id == project.id)
    course = load_curriculum(curriculum)
    lesson_id = course.canonical_id(project.lesson)
    return ProjectCard(
        project=project.id, title=project.title, summary=" ".join(project.summary.split()),
        hands_on=project.hands_on, lesson=lesson_id or project.lesson,
        lesson_title=course.lesson(lesson_id).title if lesson_id else None, targets=list(targets_of(project)),
        budget_s=project.budget_s, hardware=project.hardware, status=row.status, start=f"dlpath start {project.id}",
        explained=list(explained(project.thresholds)))


def search_lessons(curriculum: Curriculum, query: str, limit: int = 10) -> SearchResult:
    """`dlpath search`: the lessons that match `query` (`course.search`), each with this learner's status."""
    result = search(curriculum, query, limit=limit)
    with open_store() as store:
        status = lesson_statuses(curriculum, store)
    hits = [replace(hit, status=str(status[hit.id])) for hit in result.results]
    return replace(result, results=hits)
