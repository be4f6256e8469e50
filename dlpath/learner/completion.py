"""Completing lessons: what the learner finished, and the one place a completion is recorded.

Every way to complete a lesson goes through `complete`: `dlpath done`, a quiz
with every answer right, a passed `dlpath check`. It applies the one
prerequisite rule (`dlpath.course.planner.unmet_prerequisites`): a lesson is
completed only when its prerequisites are done or skipped, unless forced.
`dlpath skip` (testing out) is the exception by design: it needs nothing.

Completions are stored under the lesson id of the day; `finished_lessons` maps
them onto the current curriculum's ids (a completion under a former id, an
alias, counts for the lesson).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from dlpath.course.model import Curriculum, Lesson
from dlpath.course.planner import LessonStatus, statuses, unmet_prerequisites
from dlpath.errors import NotYet
from dlpath.learner.store import CompletionKind

__all__ = [
    "CompletionKind", "Completed", "ChangeResult",
    "finished_lessons", "lesson_statuses", "complete", "complete_by_pass", "completes_lesson", "graded_work", "mark_done", "mark_skipped", "undo",
]


@dataclass(frozen=True)
class Completed:
    """What `complete` did for one lesson."""

    lesson: str
    recorded: bool  #: the completion was written now
    already: bool = False  #: it was already completed (as well or better): nothing was written
    unmet: tuple[str, ...] = ()  #: the prerequisites not done yet (then nothing was written)
    work_left: tuple[str, ...] = ()  #: graded work of the lesson still to pass before this completes it


@dataclass(frozen=True)
class ChangeResult:
    """What `done`, `skip` and `undo` did."""

    id: str
    title: str
    status: LessonStatus  # the lesson's status afterwards
    changed: bool
    message: str


def finished_lessons(curriculum: Curriculum, completions: Mapping[str, Any]) -> tuple[dict[str, LessonStatus], list[str]]:
    """Stored completions mapped onto current lesson ids.

    Returns ({lesson id: DONE | SKIPPED}, [stored ids no longer in the curriculum]).
    A completion stored under a former id (an alias) counts for the lesson.
    """
    finished: dict[str, LessonStatus] = {}
    retired: list[str] = []
    for stored, completion in completions.items():
        lesson_id = curriculum.canonical_id(stored)
        if lesson_id is None:
            retired.append(stored)
            continue
        how = getattr(completion, "how", completion)
        kind = LessonStatus.SKIPPED if how == CompletionKind.SKIPPED else LessonStatus.DONE
        if finished.get(lesson_id) is not LessonStatus.DONE:  # a real completion beats a skip under an old id
            finished[lesson_id] = kind
    return finished, sorted(retired)


def lesson_statuses(curriculum: Curriculum, completions: Mapping[str, Any] | Any) -> dict[str, LessonStatus]:
    """Each lesson's status; `completions` is the store's `completions()` mapping, or a store itself."""
    if hasattr(completions, "completions"):
        completions = completions.completions()
    return statuses(curriculum, finished_lessons(curriculum, completions)[0])


def complete(curriculum: Curriculum | None, store: Any, lesson_id: str, how: CompletionKind, *,
             force: bool = False) -> Completed:
    """Record that `lesson_id` is completed (`how`) if the prerequisite rule allows it (or `force`).

    Without a curriculum (it cannot be loaded, or the lesson is not in it) the rule
    cannot be asked and the completion is recorded as it is. A lesson already
    completed the same way, or passed, stays as it was.
    """
    how = CompletionKind(how)
    stored = store.completions()
    if curriculum is None or curriculum.canonical_id(lesson_id) is None:
        already = stored.get(lesson_id)
        if already is not None and already.how in (how, CompletionKind.PASSED):
            return Completed(lesson_id, recorded=False, already=True)
        store.complete(lesson_id, how)
        return Completed(lesson_id, recorded=True)
    lesson = curriculum.lesson(lesson_id)
    finished, _ = finished_lessons(curriculum, stored)
    own = [c for key, c in stored.items() if curriculum.canonical_id(key) == lesson.id]
    if any(c.how in (how, CompletionKind.PASSED) for c in own) or (
            how is CompletionKind.DONE and finished.get(lesson.id) is LessonStatus.DONE):
        return Completed(lesson.id, recorded=False, already=True)
    unmet = unmet_prerequisites(curriculum, lesson, finished)
    if unmet and not force:
        return Completed(lesson.id, recorded=False, unmet=tuple(unmet))
    store.complete(_stored_id(lesson, lesson_id), how)
    return Completed(lesson.id, recorded=True)


def graded_work(lesson: Lesson) -> str:
    """"has a project: pass `dlpath check` to complete it", or the same for its exercises."""
    if lesson.project:
        return "has a project: pass `dlpath check` to complete it"
    return f"has exercises: pass `dlpath check` on each of its {len(lesson.exercises)} exercise folder(s) to complete it"


def completes_lesson(curriculum: Curriculum | None, lesson_id: str, hands_on: str, passed: set[str],
                     work: str | None = None) -> bool:
    """Whether passing graded work of kind `hands_on` ("project" or "exercise"; its id `work`) completes the lesson,
    given the ids of everything this learner has passed (`passed`, the new pass included): a project completes its
    lesson when the lesson names it (or the lesson has no graded work of its own: a reading lesson); exercises
    complete a lesson without a project once all of its exercise folders have passed (beside a project they are
    extras). A project that only names a lesson in its own project.yaml (a folder of `DLPATH_PROJECTS` with an id of
    its own and an easy target) completes nothing the course grades with other work."""
    if curriculum is None or curriculum.canonical_id(lesson_id) is None:
        return True
    lesson = curriculum.lesson(lesson_id)
    if hands_on != "exercise":
        return not lesson.hands_on or work is None or lesson.project == work
    return not lesson.project and all(folder in passed for folder in lesson.exercises)


def complete_by_pass(curriculum: Curriculum | None, store: Any, lesson_id: str, hands_on: str,
                     passed: set[str], work: str | None = None) -> Completed:
    """What a pass of graded work (a project, or an exercise folder: `hands_on`; its id `work`) does to its lesson,
    given everything this learner has passed (`passed`, the new pass included): it completes the lesson when that
    work completes it (`completes_lesson`) and the prerequisite rule allows; otherwise `work_left` names what else
    must pass, or `already` says the lesson was complete before."""
    if completes_lesson(curriculum, lesson_id, hands_on, passed, work):
        return complete(curriculum, store, lesson_id, CompletionKind.PASSED)
    assert curriculum is not None  # completes_lesson is True without a curriculum
    lesson = curriculum.lesson(lesson_id)
    if finished_lessons(curriculum, store.completions())[0].get(lesson.id) is LessonStatus.DONE:
        return Completed(lesson.id, recorded=False, already=True)
    left = [lesson.project] if lesson.project else [folder for folder in lesson.exercises if folder not in passed]
    return Completed(lesson.id, recorded=False, work_left=tuple(left))


def _stored_id(lesson: Lesson, asked: str) -> str:
    # A project's `lesson:` may still name a former id: record under the name it was asked by, as before.
    return asked if asked in lesson.aliases else lesson.id


def mark_done(curriculum: Curriculum, store: Any, lesson_id: str, force: bool = False) -> ChangeResult:
    """Mark a reading lesson done (`dlpath done`)."""
    lesson = curriculum.lesson(lesson_id)
    finished, _ = finished_lessons(curriculum, store.completions())
    if finished.get(lesson.id) is LessonStatus.DONE:
        return ChangeResult(lesson.id, lesson.title, LessonStatus.DONE, False, f"'{lesson.id}' is already done.")
    if lesson.hands_on:
        kind, first = lesson.hands_on[0]
        raise NotYet(
            f"'{lesson.id}' {graded_work(lesson)}.",
            hint=f"Start it with `dlpath start {first}`, then run `dlpath check` in its folder. "
            f"To test out of it instead: `dlpath skip {lesson.id}`.",
        )
    done = complete(curriculum, store, lesson.id, CompletionKind.DONE, force=force)
    if done.unmet:
        raise NotYet(
            f"'{lesson.id}' needs {', '.join(done.unmet)} first.",
            hint=f"Do those lessons (or `dlpath skip` them if you know them), "
            f"or mark it anyway with `dlpath done {lesson.id} --force`.",
        )
    return ChangeResult(lesson.id, lesson.title, LessonStatus.DONE, True, f"Marked '{lesson.id}' done.")


def mark_skipped(curriculum: Curriculum, store: Any, lesson_id: str) -> ChangeResult:
    """Test out of a lesson (`dlpath skip`): it counts as done for prerequisites, and needs none itself."""
    lesson = curriculum.lesson(lesson_id)
    finished, _ = finished_lessons(curriculum, store.completions())
    if lesson.id in finished:
        return ChangeResult(lesson.id, lesson.title, finished[lesson.id], False,
                            f"'{lesson.id}' is already {finished[lesson.id]}.")
    complete(curriculum, store, lesson.id, CompletionKind.SKIPPED, force=True)
    return ChangeResult(lesson.id, lesson.title, LessonStatus.SKIPPED, True,
                        f"Skipped '{lesson.id}': it counts as done for the lessons after it.")


def undo(curriculum: Curriculum, store: Any, lesson_id: str) -> ChangeResult:
    """Forget that a lesson was done or skipped (`dlpath undo`)."""
    lesson = curriculum.lesson(lesson_id)
    removed = store.uncomplete([lesson.id, *lesson.aliases])
    status = lesson_statuses(curriculum, store.completions())[lesson.id]
    if not removed:
        return ChangeResult(lesson.id, lesson.title, status, False,
                            f"'{lesson.id}' was not done or skipped; nothing changed.")
    return ChangeResult(lesson.id, lesson.title, status, True, f"'{lesson.id}' is no longer done; it is {status} now.")
