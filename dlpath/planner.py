"""What the learner should do: lesson statuses, `next`, and `done` / `skip` / `undo`.

Everything here is plain data in, plain data out: a `Curriculum`, the
completions from the store, the chosen track and a hardware profile go in;
dataclasses whose fields are the documented `--json` shapes come out.

"Next" (DESIGN.md): a lesson whose prerequisites are all done (or skipped),
chosen by stage order, then by the learner's track, then by the curriculum's own
order. A lesson needing hardware the learner lacks is passed over, with why and
what to do instead.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Mapping

from dlpath.curriculum import Curriculum, Lesson, Requirements
from dlpath.errors import NotYet

__all__ = [
    "DONE", "SKIPPED", "AVAILABLE", "LOCKED",
    "LessonView", "PassedOver", "NextResult", "ChangeResult",
    "resolve_completions", "statuses", "lesson_view", "next_lesson",
    "hardware_gap", "mark_done", "mark_skipped", "undo", "offer_order",
]

DONE, SKIPPED, AVAILABLE, LOCKED = "done", "skipped", "available", "locked"


@dataclass(frozen=True)
class LessonView:
    """A whole lesson with the learner's status (`dlpath show --json`)."""

    id: str
    title: str
    stage: str
    summary: str
    objectives: list[str]
    body: str | None
    prerequisites: list[str]
    resources: list[dict[str, str]]
    hours: float
    project: str | None
    tracks: list[str]
    requires: dict[str, Any]
    status: str
    aliases: list[str]
    questions: int  # how many self-check questions `dlpath quiz` asks


@dataclass(frozen=True)
class PassedOver:
    """A lesson `next` would have offered but the learner's hardware cannot run."""

    id: str
    why: str


@dataclass(frozen=True)
class NextResult:
    """`dlpath next --json`."""

    lesson: LessonView | None
    reason: str
    passed_over: list[PassedOver]
    available: list[str]  # every lesson open now, in the order `next` would offer them
    reviews_due: int = 0  # self-check questions due for `dlpath review`


@dataclass(frozen=True)
class ChangeResult:
    """What `done`, `skip` and `undo` did."""

    id: str
    title: str
    status: str  # the lesson's status afterwards
    changed: bool
    message: str


# ---------------------------------------------------------------- statuses


def resolve_completions(curriculum: Curriculum, completions: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Map stored completions onto current lesson ids.

    Returns ({lesson id: "done" | "skipped"}, [stored ids no longer in the curriculum]).
    A completion stored under a former id (an alias) counts for the lesson.
    """
    finished: dict[str, str] = {}
    retired: list[str] = []
    for stored, completion in completions.items():
        lesson_id = curriculum.canonical_id(stored)
        if lesson_id is None:
            retired.append(stored)
            continue
        how = getattr(completion, "how", completion)
        kind = SKIPPED if how == "skipped" else DONE
        if finished.get(lesson_id) != DONE:  # a real completion beats a skip under an old id
            finished[lesson_id] = kind
    return finished, sorted(retired)


def statuses(curriculum: Curriculum, completions: Mapping[str, Any] | Any) -> dict[str, str]:
    """Each lesson's status: done, skipped, available (prerequisites met) or locked.

    `completions` is the store's `completions()` mapping, or a store itself.
    """
    if hasattr(completions, "completions"):
        completions = completions.completions()
    finished, _ = resolve_completions(curriculum, completions)
    return _statuses(curriculum, finished)


def _statuses(curriculum: Curriculum, finished: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for lesson in curriculum.lessons:
        if lesson.id in finished:
            out[lesson.id] = finished[lesson.id]
        elif all(curriculum.canonical_id(p) in finished for p in lesson.prerequisites):
            out[lesson.id] = AVAILABLE
        else:
            out[lesson.id] = LOCKED
    return out


# ---------------------------------------------------------------- hardware


def hardware_gap(requires: Requirements, profile: Any) -> str | None:
    """Why `profile` cannot run a lesson needing `requires`, or None if it can.

    `profile` may be a function that returns the profile: it is then called only
    when a lesson needs hardware, so most `next` calls never detect any.

    The rule itself is `dlpath.hardware.unmet_requirements`, shared with `dlpath gpu`.
    """
    if not requires.any:
        return None
    from dlpath.hardware import unmet_requirements

    if callable(profile):
        profile = profile()
    if profile is None:
        profile = _NO_GPU
    unmet = unmet_requirements(requires, profile)
    return "it " + "; ".join(unmet) if unmet else None


class _NoGpu:
    cuda_gpu = False
    max_vram_gb = None


_NO_GPU = _NoGpu()


# ---------------------------------------------------------------- views


def lesson_view(curriculum: Curriculum, lesson: Lesson, status: str, with_body: bool = True) -> LessonView:
    req: dict[str, Any] = {}
    if lesson.requires.cuda:
        req["cuda"] = True
    if lesson.requires.min_vram_gb is not None:
        req["min_vram_gb"] = lesson.requires.min_vram_gb
    return LessonView(
        id=lesson.id, title=lesson.title, stage=lesson.stage, summary=lesson.summary,
        objectives=list(lesson.objectives), body=curriculum.body(lesson) if with_body else None,
        prerequisites=list(lesson.prerequisites),
        resources=[{"title": r.title, "kind": r.kind, "where": r.where} for r in lesson.resources],
        hours=lesson.hours, project=lesson.project, tracks=list(lesson.tracks), requires=req,
        status=status, aliases=list(lesson.aliases), questions=len(lesson.questions),
    )


def offer_order(curriculum: Curriculum, track: str | None) -> list[Lesson]:
    """Lessons in the order `next` considers them: stage, then track, then curriculum order."""
    stage_pos = {s.id: i for i, s in enumerate(curriculum.stages)}
    indexed = list(enumerate(curriculum.lessons))
    indexed.sort(key=lambda il: (stage_pos[il[1].stage], track is None or track not in il[1].tracks, il[0]))
    return [lesson for _, lesson in indexed]


def next_lesson(
    curriculum: Curriculum,
    completions: Mapping[str, Any],
    track: str | None = None,
    profile: Any = None,
    reviews_due: int = 0,
) -> NextResult:
    """The lesson to do now, why, and what was passed over for want of hardware.

    `profile` is the hardware profile, or a function returning it (called at most
    once, and only if an open lesson needs hardware).
    """
    if callable(profile):
        profile = functools.cache(profile)
    finished, _ = resolve_completions(curriculum, completions)
    status = _statuses(curriculum, finished)
    chosen: Lesson | None = None
    passed_over: list[PassedOver] = []
    available: list[str] = []
    for lesson in offer_order(curriculum, track):
        if status[lesson.id] != AVAILABLE:
            continue
        gap = hardware_gap(lesson.requires, profile)
        if gap is not None:
            passed_over.append(PassedOver(lesson.id, _passed_over_why(lesson, gap)))
            continue
        available.append(lesson.id)
        if chosen is None:
            chosen = lesson
    if chosen is None:
        return NextResult(None, _nothing_left_reason(curriculum, status, passed_over), passed_over, available,
                          reviews_due)
    return NextResult(
        lesson_view(curriculum, chosen, AVAILABLE),
        _reason(curriculum, chosen, track),
        passed_over,
        available,
        reviews_due,
    )


def _passed_over_why(lesson: Lesson, gap: str) -> str:
    return (
        f"{gap}. Read it anyway with `dlpath show {lesson.id}` and work through it on a free cloud GPU "
        f"(Google Colab or Kaggle Notebooks), then mark it with `dlpath done {lesson.id}`; "
        f"or stay on the CPU path and test out with `dlpath skip {lesson.id}`. `dlpath gpu` explains your hardware."
    )


def _reason(curriculum: Curriculum, lesson: Lesson, track: str | None) -> str:
    stage = curriculum.stages[curriculum.stage_index(lesson.stage)].title
    if lesson.prerequisites:
        base = f"Its prerequisites ({', '.join(lesson.prerequisites)}) are done"
    else:
        base = "It needs nothing you have not done"
    where = f"it is the first open lesson of the {stage} stage"
    if track and track in lesson.tracks:
        where += f" on your track '{track}'"
    elif track:
        where += f" (no open lesson of your track '{track}' comes earlier)"
    return f"{base}, and {where}."


def _nothing_left_reason(curriculum: Curriculum, status: Mapping[str, str], passed_over: list[PassedOver]) -> str:
    left = [lid for lid, s in status.items() if s in (AVAILABLE, LOCKED)]
    if not left:
        return f"You have finished every lesson of '{curriculum.title}'. Well done: `dlpath track` suggests where to specialize."
    if passed_over:
        return (
            f"Everything your hardware can run is done. {len(passed_over)} open lesson(s) need a GPU "
            f"({', '.join(p.id for p in passed_over)}), and {len(left) - len(passed_over)} more wait behind them."
        )
    return f"No lesson is open now, though {len(left)} are not done: check `dlpath map`."


# ---------------------------------------------------------------- changes


def _unmet(curriculum: Curriculum, lesson: Lesson, finished: Mapping[str, str]) -> list[str]:
    return [p for p in lesson.prerequisites if curriculum.canonical_id(p) not in finished]


def mark_done(curriculum: Curriculum, store: Any, lesson_id: str, force: bool = False) -> ChangeResult:
    """Mark a reading lesson done (`dlpath done`)."""
    lesson = curriculum.lesson(lesson_id)
    finished, _ = resolve_completions(curriculum, store.completions())
    if finished.get(lesson.id) == DONE:
        return ChangeResult(lesson.id, lesson.title, DONE, False, f"'{lesson.id}' is already done.")
    if lesson.project:
        raise NotYet(
            f"'{lesson.id}' has a project: pass `dlpath check` to complete it.",
            hint=f"Start it with `dlpath start {lesson.project}`, then run `dlpath check` in its folder. "
            f"To test out of it instead: `dlpath skip {lesson.id}`.",
        )
    unmet = _unmet(curriculum, lesson, finished)
    if unmet and not force:
        raise NotYet(
            f"'{lesson.id}' needs {', '.join(unmet)} first.",
            hint=f"Do those lessons (or `dlpath skip` them if you know them), "
            f"or mark it anyway with `dlpath done {lesson.id} --force`.",
        )
    store.complete(lesson.id, "done")
    return ChangeResult(lesson.id, lesson.title, DONE, True, f"Marked '{lesson.id}' done.")


def mark_skipped(curriculum: Curriculum, store: Any, lesson_id: str) -> ChangeResult:
    """Test out of a lesson (`dlpath skip`): it counts as done for prerequisites."""
    lesson = curriculum.lesson(lesson_id)
    finished, _ = resolve_completions(curriculum, store.completions())
    if lesson.id in finished:
        return ChangeResult(lesson.id, lesson.title, finished[lesson.id], False,
                            f"'{lesson.id}' is already {finished[lesson.id]}.")
    store.complete(lesson.id, "skipped")
    return ChangeResult(lesson.id, lesson.title, SKIPPED, True,
                        f"Skipped '{lesson.id}': it counts as done for the lessons after it.")


def undo(curriculum: Curriculum, store: Any, lesson_id: str) -> ChangeResult:
    """Forget that a lesson was done or skipped (`dlpath undo`)."""
    lesson = curriculum.lesson(lesson_id)
    removed = store.uncomplete([lesson.id, *lesson.aliases])
    status = statuses(curriculum, store.completions())[lesson.id]
    if not removed:
        return ChangeResult(lesson.id, lesson.title, status, False,
                            f"'{lesson.id}' was not done or skipped; nothing changed.")
    return ChangeResult(lesson.id, lesson.title, status, True, f"'{lesson.id}' is no longer done; it is {status} now.")
