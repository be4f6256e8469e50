"""What is open and what comes next: lesson statuses, the prerequisite rule, and `next`.

Plain data in, plain data out: a `Curriculum`, the lessons the learner has
finished (`{lesson id: LessonStatus.DONE | SKIPPED}`, from
`dlpath.learner.completion.finished_lessons`), the chosen track and a hardware
profile go in; dataclasses whose fields are the documented `--json` shapes
come out.

The prerequisite rule is written once, here (`unmet_prerequisites`): a lesson
is open when each of its prerequisites is done or skipped. Everything that
opens or completes a lesson (`next`, `done`, a quiz, a passed grade) asks it.

"Next" (DESIGN.md): a lesson whose prerequisites are all done (or skipped),
chosen by stage order, then by the learner's track, then by the curriculum's own
order. With a track chosen, the lessons the track needs (its own and their
prerequisites, what `dlpath plan` plans) come before the others, so that `next`
and the plan's first lesson agree. A lesson needing hardware the learner lacks is passed over, with why and
what to do instead.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Mapping

from dlpath.course.model import Curriculum, Lesson, Requirements, for_readers
from dlpath.text import TextEnum

__all__ = [
    "LessonStatus", "LessonView", "PassedOver", "NextResult",
    "statuses", "unmet_prerequisites", "lesson_view", "next_lesson", "hardware_gap", "offer_order",
    "prerequisites_closure", "not_later_than", "track_needs",
]


class LessonStatus(TextEnum):
    """Where a lesson stands for one learner (the `status` of every JSON shape)."""

    DONE = "done"  #: read (and its quiz passed) or its project passed
    SKIPPED = "skipped"  #: tested out of: counts as done for what follows
    AVAILABLE = "available"  #: open: every prerequisite is done or skipped
    LOCKED = "locked"  #: a prerequisite is not done yet


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
    status: LessonStatus
    aliases: list[str]
    questions: int  # how many self-check questions `dlpath quiz` asks
    hands_on: list[dict[str, str]] = field(default_factory=list)  # {kind: project|exercise, id, start}: graded work


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


# ---------------------------------------------------------------- the rule


def unmet_prerequisites(curriculum: Curriculum, lesson: Lesson, finished: Mapping[str, Any]) -> list[str]:
    """The prerequisites of `lesson` that are neither done nor skipped (empty: the lesson is open)."""
    return [p for p in lesson.prerequisites if curriculum.canonical_id(p) not in finished]


def statuses(curriculum: Curriculum, finished: Mapping[str, LessonStatus]) -> dict[str, LessonStatus]:
    """Each lesson's status: done, skipped, available (prerequisites met) or locked."""
    out: dict[str, LessonStatus] = {}
    for lesson in curriculum.lessons:
        if lesson.id in finished:
            out[lesson.id] = LessonStatus(finished[lesson.id])
        elif not unmet_prerequisites(curriculum, lesson, finished):
            out[lesson.id] = LessonStatus.AVAILABLE
        else:
            out[lesson.id] = LessonStatus.LOCKED
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
    from dlpath.hardware.gating import unmet_requirements  # only when a lesson needs hardware

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


def lesson_view(curriculum: Curriculum, lesson: Lesson, status: LessonStatus, with_body: bool = True) -> LessonView:
    req: dict[str, Any] = {}
    if lesson.requires.cuda:
        req["cuda"] = True
    if lesson.requires.min_vram_gb is not None:
        req["min_vram_gb"] = lesson.requires.min_vram_gb
    return LessonView(
        id=lesson.id, title=lesson.title, stage=lesson.stage, summary=lesson.summary,
        objectives=list(lesson.objectives), body=for_readers(curriculum.body(lesson)) if with_body else None,
        prerequisites=list(lesson.prerequisites),
        resources=[{"title": r.title, "kind": r.kind, "where": r.where} for r in lesson.resources],
        hours=lesson.hours, project=lesson.project, tracks=list(lesson.tracks), requires=req,
        status=status, aliases=list(lesson.aliases), questions=len(lesson.questions),
        hands_on=[{"kind": kind, "id": pid, "start": f"dlpath start {pid}"} for kind, pid in lesson.hands_on],
    )


def prerequisites_closure(curriculum: Curriculum, lesson_ids: Any) -> set[str]:
    """These lessons and every lesson they need, directly or not (ids or aliases in; ids out)."""
    wanted: set[str] = set()
    stack = [i for i in (curriculum.canonical_id(lesson_id) for lesson_id in lesson_ids) if i is not None]
    while stack:
        lesson_id = stack.pop()
        if lesson_id in wanted:
            continue
        wanted.add(lesson_id)
        stack.extend(p for p in (curriculum.canonical_id(pre) for pre in curriculum.by_id[lesson_id].prerequisites)
                     if p is not None and p not in wanted)
    return wanted


def not_later_than(curriculum: Curriculum, lesson_id: str) -> set[str]:
    """The lessons a learner at `lesson_id` has met or could have: it, what it needs, and the lessons before it on
    the road (an earlier stage, or earlier in its stage) that do not need it. Advice never sends a beginner
    further (a diagnosis's "Revisit")."""
    current = curriculum.canonical_id(lesson_id)
    if current is None:
        return {lesson.id for lesson in curriculum.lessons}
    after = {lesson.id for lesson in curriculum.lessons if current in prerequisites_closure(curriculum, [lesson.id])}
    position = {lesson.id: (curriculum.stage_index(lesson.stage), i) for i, lesson in enumerate(curriculum.lessons)}
    earlier = {i for i, at in position.items() if at < position[current] and i not in after}
    return earlier | prerequisites_closure(curriculum, [current])


def track_needs(curriculum: Curriculum, track: str | None) -> set[str] | None:
    """The lessons a track leads through: its own and every lesson they need; None without a track (or for a
    track no lesson belongs to). `next` offers these first and `plan` plans exactly these."""
    if track is None:
        return None
    own = [lesson.id for lesson in curriculum.lessons if track in lesson.tracks]
    return prerequisites_closure(curriculum, own) if own else None


def offer_order(curriculum: Curriculum, track: str | None) -> list[Lesson]:
    """Lessons in the order `next` considers them: with a track, the lessons it needs first (by stage, the
    track's own first within a stage), then the rest; each group by stage, then curriculum order."""
    stage_pos = {s.id: i for i, s in enumerate(curriculum.stages)}
    needed = track_needs(curriculum, track)
    indexed = list(enumerate(curriculum.lessons))
    indexed.sort(key=lambda il: (needed is not None and il[1].id not in needed, stage_pos[il[1].stage],
                                 track is None or track not in il[1].tracks, il[0]))
    return [lesson for _, lesson in indexed]


def next_lesson(
    curriculum: Curriculum,
    finished: Mapping[str, LessonStatus],
    track: str | None = None,
    profile: Any = None,
    reviews_due: int = 0,
) -> NextResult:
    """The lesson to do now, why, and what was passed over for want of hardware.

    `finished` maps the lessons done or skipped to that status. `profile` is the
    hardware profile, or a function returning it (called at most once, and only
    if an open lesson needs hardware).
    """
    if callable(profile):
        profile = functools.cache(profile)
    status = statuses(curriculum, finished)
    chosen: Lesson | None = None
    passed_over: list[PassedOver] = []
    available: list[str] = []
    for lesson in offer_order(curriculum, track):
        if status[lesson.id] is not LessonStatus.AVAILABLE:
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
        lesson_view(curriculum, chosen, LessonStatus.AVAILABLE),
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
    needed = track_needs(curriculum, track)
    if track and track in lesson.tracks:
        where += f" on your track '{track}'"
    elif needed is not None and lesson.id in needed:
        where = f"it is the first open lesson your track '{track}' needs (as `dlpath plan` lays it out)"
    elif needed is not None:
        where += f" (your track '{track}' needs no open lesson now)"
    return f"{base}, and {where}."


def _nothing_left_reason(curriculum: Curriculum, status: Mapping[str, LessonStatus],
                         passed_over: list[PassedOver]) -> str:
    left = [lid for lid, s in status.items() if s in (LessonStatus.AVAILABLE, LessonStatus.LOCKED)]
    if not left:
        return f"You have finished every lesson of '{curriculum.title}'. Well done: `dlpath track` suggests where to specialize."
    if passed_over:
        return (
            f"Everything your hardware can run is done. {len(passed_over)} open lesson(s) need a GPU "
            f"({', '.join(p.id for p in passed_over)}), and {len(left) - len(passed_over)} more wait behind them."
        )
    return f"No lesson is open now, though {len(left)} are not done: check `dlpath map`."
