"""A dated study plan (`dlpath plan`): from hours per week to a finish date.

What is planned. With a track chosen, the track's lessons and every lesson
they need (prerequisites, all the way down); without one, the whole
curriculum. Lessons done or skipped are left out. The rest are ordered as
`dlpath next` would offer them (stage, then track, then the curriculum's own
order), never before their prerequisites. Each lesson costs its own `hours`
(the curriculum's estimate, reading and project together); a lesson with a
project is planned as a project.

Weeks. Calendar weeks, Monday to Sunday, so that a plan made again next
Tuesday keeps the same weeks (and the same iCalendar events). The current
week gets its share of the hours for the days left in it. A lesson longer
than what is left of a week carries on into the next. Once any lesson with
self-check questions is done or planned, each week keeps `REVIEW_HOURS` for
`dlpath review`.

Pace. The plan starts when the learner first gives `--hours` (and starts
again when they change them). The hours of the lessons read or passed since
then, against the hours per week times the weeks gone by, say whether the
learner is ahead or behind; from the second week on, the actual pace also
gives its own finish date. The plan itself is always laid out again from
today and from what is left, so falling behind moves the finish date.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping

from dlpath.course.planner import LessonStatus, offer_order, track_needs
from dlpath.atomic import write_text
from dlpath.errors import UsageError
from dlpath.learner.completion import finished_lessons
from dlpath.learner.store import CompletionKind

__all__ = [
    "REVIEW_HOURS",
    "MAX_HOURS",
    "PlanItem",
    "PlanWeek",
    "Pace",
    "StudyPlan",
    "NoHours",
    "BadHours",
    "check_hours",
    "plan_for",
    "study_plan",
    "to_ics",
    "write_ics",
]

REVIEW_HOURS = 0.25  # kept each week for `dlpath review` once there is something to review
MAX_HOURS = 80.0  # more than this a week is not a plan anyone keeps
HOURS_SETTING = "hours_per_week"
STARTED_SETTING = "plan_started"


class NoHours(UsageError):
    """`dlpath plan` needs the learner's hours per week, given once with --hours."""


class BadHours(UsageError):
    """--hours is not a usable number of hours per week."""


@dataclass(frozen=True)
class PlanItem:
    """One thing to do in a week."""

    kind: str  # "lesson" (read it, take its quiz), "project" (its project must pass) or "review"
    id: str | None  # the lesson's id; None for a review
    title: str
    hours: float  # the hours it takes this week
    project: str | None  # the project's id, for a project
    continued: bool  # started in an earlier week
    continues: bool  # goes on into the next week
    needs_gpu: bool  # the lesson asks for an NVIDIA GPU (a free cloud notebook will do)


@dataclass(frozen=True)
class PlanWeek:
    """A calendar week of the plan (Monday to Sunday)."""

    week: int  # 1 for the current week
    start: str  # ISO date, a Monday
    end: str  # ISO date, a Sunday
    hours: float  # hours planned this week
    items: list[PlanItem]


@dataclass(frozen=True)
class Pace:
    """Where the learner stands against the plan."""

    status: str  # "first-week", "on-track", "ahead" or "behind"
    since: str  # ISO date the plan started
    hours_planned: float  # hours per week times the weeks gone by
    hours_done: float  # hours of the lessons read or passed since the plan started
    hours_per_week: float | None  # the actual pace; None in the first week
    finish_at_pace: str | None  # ISO date the actual pace would finish; None when it cannot tell
    message: str


@dataclass(frozen=True)
class StudyPlan:
    """`dlpath plan --json`."""

    hours_per_week: float
    track: str | None
    goal: str  # what the plan leads to, in words
    today: str  # ISO date
    finish: str | None  # ISO date the last planned hour is done; None when nothing is left
    hours_left: float
    lessons_left: int
    weeks: list[PlanWeek]
    pace: Pace
    message: str


def check_hours(hours: float) -> float:
    """`hours` if it is a usable number of hours per week, else `BadHours` saying why."""
    if not (hours > 0) or math.isinf(hours):
        raise BadHours(f"--hours must be a number of hours above 0, not {hours:g}.",
                       hint="For example `dlpath plan --hours 6` for six hours a week.")
    if hours > MAX_HOURS:
        raise BadHours(
            f"{hours:g} hours a week is more than anyone keeps up for months; dlpath plans at most {MAX_HOURS:g}.",
            hint="Set a pace you can hold without burning out, e.g. `dlpath plan --hours 10`.",
        )
    return round(float(hours), 2)


# ---------------------------------------------------------------- what to plan


def _goal_lessons(curriculum: Any, track: str | None) -> list[Any]:
    """The lessons the plan leads through: a track's and everything they need, or all of them."""
    wanted = track_needs(curriculum, track)
    return [lesson for lesson in curriculum.lessons if wanted is None or lesson.id in wanted]


def _order(curriculum: Any, lessons: list[Any], finished: Mapping[str, str], track: str | None) -> list[Any]:
    """`lessons` not finished, in the order `next` would offer them, prerequisites first."""
    position = {lesson.id: i for i, lesson in enumerate(offer_order(curriculum, track))}
    todo = {lesson.id: lesson for lesson in lessons if lesson.id not in finished}
    waiting: dict[str, set[str]] = {}
    needed_by: dict[str, list[str]] = {}
    ready: list[tuple[int, str]] = []
    for lesson_id, lesson in todo.items():
        unmet = {curriculum.canonical_id(p) for p in lesson.prerequisites} - set(finished) - {None}
        unmet &= set(todo)  # a prerequisite outside the plan cannot hold it back
        waiting[lesson_id] = unmet  # type: ignore[assignment]
        for pre in unmet:
            needed_by.setdefault(pre, []).append(lesson_id)  # type: ignore[arg-type]
        if not unmet:
            heapq.heappush(ready, (position[lesson_id], lesson_id))
    ordered = []
    while ready:
        _, lesson_id = heapq.heappop(ready)
        ordered.append(todo[lesson_id])
        for after in needed_by.get(lesson_id, ()):
            waiting[after].discard(lesson_id)
            if not waiting[after]:
                heapq.heappush(ready, (position[after], after))
    return ordered


# ---------------------------------------------------------------- weeks


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _lay_out(lessons: list[Any], hours_per_week: float, today: date, reviews_from_start: bool) -> tuple[list[PlanWeek], str | None]:
    weeks: list[PlanWeek] = []
    first_monday = _monday(today)
    days_left = 7 - today.weekday()  # today included
    queue = [[lesson, float(lesson.hours)] for lesson in lessons]
    head = 0  # the first lesson not finished yet
    reviews = reviews_from_start
    finish: date | None = None
    n = 0
    while head < len(queue):
        n += 1
        start = first_monday + timedelta(weeks=n - 1)
        # the current week: its share for the days left, to the quarter hour
        capacity = hours_per_week if n > 1 else max(0.25, round(hours_per_week * days_left / 7 * 4) / 4)
        first_day = today if n == 1 else start
        items: list[PlanItem] = []
        used = 0.0
        if reviews:
            share = min(REVIEW_HOURS, capacity)
            items.append(PlanItem("review", None, "Review what you learned (`dlpath review`)", round(share, 2),
                                  None, False, False, False))
            used += share
        while head < len(queue) and capacity - used > 1e-9:
            entry = queue[head]
            lesson, left = entry
            take = min(left, capacity - used)
            entry[1] = left - take
            used += take
            done = entry[1] <= 1e-9
            items.append(PlanItem(
                kind="project" if lesson.project else "lesson", id=lesson.id, title=lesson.title,
                hours=round(take, 2), project=lesson.project, continued=left < float(lesson.hours) - 1e-9,
                continues=not done, needs_gpu=bool(lesson.requires.any),
            ))
            if done:
                head += 1
                if lesson.questions:
                    reviews = True
        if head == len(queue):
            span = (start + timedelta(days=6) - first_day).days + 1
            fraction = used / capacity if capacity else 1.0
            finish = first_day + timedelta(days=max(0, math.ceil(span * fraction - 1e-9) - 1))
        weeks.append(PlanWeek(week=n, start=start.isoformat(), end=(start + timedelta(days=6)).isoformat(),
                              hours=round(used, 2), items=items))
        if n > 5200:  # a century of weeks: something is wrong with the numbers, stop
            break
    return weeks, finish.isoformat() if finish else None


# ---------------------------------------------------------------- pace


def _pace(curriculum: Any, completions: Mapping[str, Any], started: date, today: date, hours_per_week: float,
          hours_left: float) -> Pace:
    since = started.isoformat()
    hours_done = 0.0
    for stored, completion in completions.items():
        lesson_id = curriculum.canonical_id(stored)
        if lesson_id is None or completion.how == CompletionKind.SKIPPED or completion.at[:10] < since:
            continue
        hours_done += float(curriculum.by_id[lesson_id].hours)
    hours_done = round(hours_done, 2)
    days = max(0, (today - started).days)
    planned = round(hours_per_week * days / 7, 2)
    if days < 7:
        return Pace("first-week", since, planned, hours_done, None, None,
                    f"Your plan started on {since}: {hours_done:g} h done so far. "
                    "After a week dlpath tells you whether you are ahead or behind.")
    pace = round(hours_done / (days / 7), 2)
    finish_at_pace = None
    if pace > 0:
        finish_at_pace = (today + timedelta(days=math.ceil(hours_left / pace * 7))).isoformat()
    tolerance = max(1.0, 0.1 * planned)
    difference = hours_done - planned
    head = f"{hours_done:g} h done since {since}, {planned:g} h planned"
    if difference > tolerance:
        status, message = "ahead", f"You are {difference:.1f} h ahead of your plan ({head})."
    elif difference < -tolerance:
        status, message = "behind", f"You are {-difference:.1f} h behind your plan ({head})."
    else:
        status, message = "on-track", f"You are on track ({head})."
    if status != "on-track" and hours_left > 0:
        if finish_at_pace:
            message += f" At your actual pace ({pace:g} h a week) you would finish on {finish_at_pace}."
        else:
            message += " No lesson done since it started, so your actual pace cannot tell a finish date."
        if status == "behind":
            message += " Keep the weeks below, or plan with the hours you really have: `dlpath plan --hours N`."
    return Pace(status, since, planned, hours_done, pace, finish_at_pace, message)


# ---------------------------------------------------------------- the plan


def study_plan(
    curriculum: Any,
    completions: Mapping[str, Any],
    track: str | None,
    hours_per_week: float,
    started: date,
    today: date,
) -> StudyPlan:
    """The week-by-week plan from `today` to the end of the track (or of the curriculum)."""
    hours_per_week = check_hours(hours_per_week)
    finished, _ = finished_lessons(curriculum, completions)
    goal_lessons = _goal_lessons(curriculum, track)
    todo = _order(curriculum, goal_lessons, finished, track)
    reviews_now = any(lesson.questions for lesson in curriculum.lessons if finished.get(lesson.id) is LessonStatus.DONE)
    weeks, finish = _lay_out(todo, hours_per_week, today, reviews_now)
    hours_left = round(sum(float(lesson.hours) for lesson in todo), 2)
    tracked = track is not None and any(track in lesson.tracks for lesson in curriculum.lessons)
    goal = f"the end of the '{track}' track" if tracked else f"the end of '{curriculum.title}'"
    pace = _pace(curriculum, completions, started, today, hours_per_week, hours_left)
    if not todo:
        message = f"Nothing left to plan: you have reached {goal}."
        if not tracked:
            message += " `dlpath track` suggests where to specialize."
    else:
        message = (f"{len(todo)} lesson{'s' if len(todo) != 1 else ''} and {hours_left:g} h to {goal} "
                   f"at {hours_per_week:g} h a week: you finish on {finish}.")
        if not tracked:
            message += " Choosing a track (`dlpath track`) plans only what it needs."
    return StudyPlan(
        hours_per_week=hours_per_week, track=track if tracked else None, goal=goal, today=today.isoformat(),
        finish=finish, hours_left=hours_left, lessons_left=len(todo), weeks=weeks, pace=pace, message=message,
    )


def plan_for(curriculum: Any, store: Any, hours: float | None, today: date) -> StudyPlan:
    """`dlpath plan [--hours H]`: keep the hours in the settings, then plan from the store.

    New hours (or the first ones) start the plan today: the pace is measured from then.
    """
    stored = store.get_setting(HOURS_SETTING)
    started_text = store.get_setting(STARTED_SETTING)
    if hours is not None:
        hours = check_hours(hours)
        if stored != hours or not isinstance(started_text, str):
            store.set_setting(HOURS_SETTING, hours)
            store.set_setting(STARTED_SETTING, today.isoformat())
            started_text = today.isoformat()
    elif stored is None:
        raise NoHours(
            "how many hours a week can you study? dlpath plans from that.",
            hint="Tell it once, e.g. `dlpath plan --hours 6` (it is kept; give --hours again to change it).",
        )
    else:
        if isinstance(stored, bool) or not isinstance(stored, (int, float)):
            raise BadHours(f"the stored hours per week ({stored!r}) are not a number.",
                           hint="Set them again with `dlpath plan --hours N`.")
        hours = check_hours(float(stored))
    try:
        started = date.fromisoformat(started_text) if isinstance(started_text, str) else today
    except ValueError:
        started = today
    return study_plan(curriculum, store.completions(), store.get_setting("track"), hours, min(started, today), today)


# ---------------------------------------------------------------- iCalendar


def _ics_text(value: str) -> str:
    """TEXT escaped as RFC 5545 section 3.3.11 says."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 section 3.1), never inside a UTF-8 character."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += width
    out.append(current)
    return "\r\n".join(out)


def _item_line(item: PlanItem) -> str:
    hours = f"{item.hours:g} h"
    if item.kind == "review":
        return f"- {item.title}: {hours}"
    what = f"{item.title} [{item.id}]"
    if item.kind == "project":
        what += f" (project: dlpath start {item.project})"
    if item.continued:
        what += " (continued)"
    if item.needs_gpu:
        what += " (needs a GPU: use a free cloud notebook)"
    return f"- {what}: {hours}"


def to_ics(plan: StudyPlan, stamp: datetime | None = None) -> str:
    """The plan as an iCalendar file: an all-day event per week, and the finish day.

    Each week's UID is its ISO week, so importing a newer plan updates the same events.
    """
    stamp = stamp or datetime.now(timezone.utc)
    dtstamp = stamp.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//dlpath//study plan//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", "X-WR-CALNAME:dlpath study plan"]

    def event(uid: str, start: date, end_exclusive: date, summary: str, description: str) -> None:
        lines.extend([
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"DTSTAMP:{dtstamp}",
            f"DTSTART;VALUE=DATE:{start.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{end_exclusive.strftime('%Y%m%d')}",
            f"SUMMARY:{_ics_text(summary)}",
            f"DESCRIPTION:{_ics_text(description)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ])

    for week in plan.weeks:
        start = date.fromisoformat(week.start)
        year, number, _ = start.isocalendar()
        first = max(start, date.fromisoformat(plan.today))
        titles = [i.title for i in week.items if i.kind != "review"]
        summary = f"dlpath week {week.week}: {week.hours:g} h - " + (", ".join(titles) or "review")
        description = "\n".join(_item_line(i) for i in week.items) + "\n\n`dlpath next` says where to start."
        event(f"dlpath-plan-{year}-W{number:02d}@dlpath", first, start + timedelta(days=7), summary, description)
    if plan.finish:
        finish = date.fromisoformat(plan.finish)
        event("dlpath-plan-finish@dlpath", finish, finish + timedelta(days=1),
              f"dlpath: finish {plan.goal}", plan.message)
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def write_ics(path: Path, text: str) -> None:
    """Write the calendar file atomically; a folder or a missing parent is a `UsageError`."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} is a folder: --ics needs a file name.",
                         hint=f"For example `dlpath plan --ics {path / 'dlpath-plan.ics'}`.")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {path}: the folder {path.parent} does not exist.",
                         hint="Create it first, or give --ics a file in an existing folder.")
    write_text(path, text, newline="")
