"""The whole road: the map, progress, and the tracks (`dlpath map`, `progress`, `track`).

Plain data in, dataclasses out; their fields are the documented `--json` shapes.
Kept apart from `dlpath.planner` so that `dlpath next` does not load them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from dlpath.curriculum import Curriculum
from dlpath.planner import AVAILABLE, DONE, LOCKED, SKIPPED, resolve_completions, statuses

__all__ = [
    "MapLesson", "MapView", "StageProgress", "ProgressSummary", "TrackView", "TrackList",
    "map_view", "mermaid", "progress_summary", "track_list",
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


def map_view(curriculum: Curriculum, completions: Mapping[str, Any]) -> MapView:
    status = statuses(curriculum, completions)
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

    marks = {DONE: "✓ ", SKIPPED: "↷ ", AVAILABLE: "→ ", LOCKED: ""}
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
) -> ProgressSummary:
    finished, retired = resolve_completions(curriculum, completions)
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
        done=[l.id for l in curriculum.lessons if finished.get(l.id) == DONE],
        skipped=[l.id for l in curriculum.lessons if finished.get(l.id) == SKIPPED],
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
    from dlpath.projects import load_project

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
