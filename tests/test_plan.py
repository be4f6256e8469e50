"""`dlpath plan`: a dated week-by-week plan from hours per week, pace, and an iCalendar export.

The planning itself is tested with a fixed `today` on the fixture course
(maths 2 h, python 1.5 h, perceptron 2 h with a project, convolutions 3 h and
vision-jobs 2 h on the vision track, sequences 3 h, cuda-kernels 4 h needing
a GPU, gpu-at-scale 2 h); the command through CliRunner.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from dlpath.cli import app
from dlpath.learner.schedule import REVIEW_HOURS, study_plan, to_ics
from dlpath.learner.store import Completion

pytestmark = pytest.mark.usefixtures("course")

WEDNESDAY = date(2026, 1, 7)


def curriculum():
    from dlpath.course.loading import load_curriculum

    return load_curriculum()


def run(runner, *args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def items(plan):
    return [[(i.kind, i.id, i.hours) for i in w.items] for w in plan.weeks]


def test_the_whole_course_week_by_week() -> None:
    plan = study_plan(curriculum(), {}, None, 6, WEDNESDAY, WEDNESDAY)
    assert [(w.start, w.end, w.hours) for w in plan.weeks[:2]] == [
        ("2026-01-05", "2026-01-11", 4.25),  # Wednesday to Sunday: 5/7 of 6 h, to the quarter hour
        ("2026-01-12", "2026-01-18", 6.0),
    ]
    assert items(plan) == [
        [("lesson", "maths", 2.0), ("lesson", "python", 1.5), ("project", "perceptron", 0.75)],
        [("review", None, REVIEW_HOURS), ("project", "perceptron", 1.25), ("lesson", "convolutions", 3.0),
         ("lesson", "sequences", 1.5)],
        [("review", None, REVIEW_HOURS), ("lesson", "sequences", 1.5), ("lesson", "cuda-kernels", 4.0),
         ("lesson", "vision-jobs", 0.25)],
        [("review", None, REVIEW_HOURS), ("lesson", "vision-jobs", 1.75), ("lesson", "gpu-at-scale", 2.0)],
    ]
    assert plan.weeks[0].items[2].continues and plan.weeks[1].items[1].continued
    assert plan.weeks[2].items[2].needs_gpu and plan.weeks[0].items[2].project == "tiny-project"
    assert plan.hours_left == 19.5 and plan.lessons_left == 8
    assert plan.finish == "2026-01-30"  # 4 of the 6 h of the week of the 26th: its fifth day
    assert plan.goal == "the end of 'A tiny course for tests'"
    assert plan.message == (
        "8 lessons and 19.5 h to the end of 'A tiny course for tests' at 6 h a week: you finish on 2026-01-30. "
        "Choosing a track (`dlpath track`) plans only what it needs."
    )


def test_a_track_plans_its_lessons_and_what_they_need() -> None:
    plan = study_plan(curriculum(), {}, "vision", 6, WEDNESDAY, WEDNESDAY)
    planned = [i.id for w in plan.weeks for i in w.items if i.kind != "review"]
    assert list(dict.fromkeys(planned)) == ["maths", "python", "perceptron", "convolutions", "vision-jobs"]
    assert plan.hours_left == 10.5 and plan.track == "vision" and plan.goal == "the end of the 'vision' track"


def test_what_is_done_or_skipped_is_left_out_and_prerequisites_come_first() -> None:
    done = {"maths": Completion("maths", "done", "2026-01-02T10:00:00+00:00"),
            "python": Completion("python", "skipped", "2026-01-02T10:00:00+00:00")}
    plan = study_plan(curriculum(), done, None, 10, WEDNESDAY, WEDNESDAY)
    order = list(dict.fromkeys(i.id for w in plan.weeks for i in w.items if i.kind != "review"))
    assert order[0] == "perceptron" and "maths" not in order and "python" not in order
    position = {lesson_id: n for n, lesson_id in enumerate(order)}
    for lesson in curriculum().lessons:
        for pre in lesson.prerequisites:
            if lesson.id in position and pre in position:
                assert position[pre] < position[lesson.id]
    assert plan.weeks[0].items[0].kind == "review"  # maths has questions and is done: reviews from week 1


@pytest.mark.parametrize("hours", [0.5, 1, 3, 6.5, 13, 40])
def test_every_lesson_gets_its_hours_and_no_week_more_than_planned(hours: float) -> None:
    course = curriculum()
    plan = study_plan(course, {}, None, hours, WEDNESDAY, WEDNESDAY)
    spent: dict[str, float] = {}
    for week in plan.weeks:
        assert week.hours <= hours + 1e-9
        for item in week.items:
            if item.id:
                spent[item.id] = spent.get(item.id, 0) + item.hours
    assert {k: round(v, 2) for k, v in spent.items()} == {l.id: l.hours for l in course.lessons}


def test_nothing_left() -> None:
    everything = {l.id: Completion(l.id, "done", "2026-01-01T00:00:00+00:00") for l in curriculum().lessons}
    plan = study_plan(curriculum(), everything, None, 6, WEDNESDAY, WEDNESDAY)
    assert plan.weeks == [] and plan.finish is None
    assert plan.message == ("Nothing left to plan: you have reached the end of 'A tiny course for tests'. "
                            "`dlpath track` suggests where to specialize.")


def test_pace_behind_gives_the_finish_at_the_actual_pace() -> None:
    started = WEDNESDAY - timedelta(days=21)
    done = {"maths": Completion("maths", "done", "2026-01-01T10:00:00+00:00"),
            "python": Completion("python", "done", "2025-12-10T10:00:00+00:00")}  # before the plan: not counted
    plan = study_plan(curriculum(), done, None, 6, started, WEDNESDAY)
    pace = plan.pace
    assert (pace.status, pace.since, pace.hours_planned, pace.hours_done, pace.hours_per_week) == (
        "behind", "2025-12-17", 18.0, 2.0, 0.67)
    assert pace.finish_at_pace == "2026-06-24"  # 16 h left at 0.67 h a week: 168 days
    assert pace.message == (
        "You are 16.0 h behind your plan (2 h done since 2025-12-17, 18 h planned). At your actual pace "
        "(0.67 h a week) you would finish on 2026-06-24. Keep the weeks below, or plan with the hours you "
        "really have: `dlpath plan --hours N`."
    )


def test_pace_ahead_and_on_track_and_first_week() -> None:
    started = WEDNESDAY - timedelta(days=7)
    lots = {i: Completion(i, "done", "2026-01-02T00:00:00+00:00") for i in ("maths", "python", "convolutions")}
    assert study_plan(curriculum(), lots, None, 2, started, WEDNESDAY).pace.status == "ahead"
    some = {"maths": Completion("maths", "done", "2026-01-05T00:00:00+00:00")}
    assert study_plan(curriculum(), some, None, 2, started, WEDNESDAY).pace.status == "on-track"
    first = study_plan(curriculum(), some, None, 2, WEDNESDAY - timedelta(days=3), WEDNESDAY).pace
    assert first.status == "first-week" and first.hours_per_week is None
    assert first.message == ("Your plan started on 2026-01-04: 2 h done so far. "
                             "After a week dlpath tells you whether you are ahead or behind.")


def test_plan_needs_hours_once_and_keeps_them(runner) -> None:
    result = run(runner, "plan", code=2)
    assert result.output == (
        "Error: how many hours a week can you study? dlpath plans from that.\n"
        "Tell it once, e.g. `dlpath plan --hours 6` (it is kept; give --hours again to change it).\n"
    )
    out = run(runner, "plan", "--hours", "6").output
    assert out.startswith("Study plan: to the end of 'A tiny course for tests', 6 h a week\n8 lessons and 19.5 h")
    assert "Week 1  " in out and "  • Maths you need [maths]  2 h\n" in out
    data = json.loads(run(runner, "plan", "--json").output)
    assert data["hours_per_week"] == 6 and data["pace"]["since"] == date.today().isoformat()
    assert set(data) == {"hours_per_week", "track", "goal", "today", "finish", "hours_left", "lessons_left", "weeks",
                         "pace", "message"}
    assert set(data["weeks"][0]) == {"week", "start", "end", "hours", "items"}
    assert set(data["weeks"][0]["items"][0]) == {"kind", "id", "title", "hours", "project", "continued", "continues",
                                                 "needs_gpu"}
    assert set(data["pace"]) == {"status", "since", "hours_planned", "hours_done", "hours_per_week", "finish_at_pace",
                                 "message"}


@pytest.mark.parametrize("hours, message", [
    ("0", "Error: --hours must be a number of hours above 0, not 0.\n"
          "For example `dlpath plan --hours 6` for six hours a week.\n"),
    ("-3", "Error: --hours must be a number of hours above 0, not -3.\n"
           "For example `dlpath plan --hours 6` for six hours a week.\n"),
    ("100", "Error: 100 hours a week is more than anyone keeps up for months; dlpath plans at most 80.\n"
            "Set a pace you can hold without burning out, e.g. `dlpath plan --hours 10`.\n"),
])
def test_bad_hours_are_refused(runner, hours: str, message: str) -> None:
    assert run(runner, "plan", "--hours", hours, code=2).output == message
    result = run(runner, "plan", "--hours", "six", code=2)
    assert "'six' is not a valid float" in result.output


def test_a_track_chosen_shortens_the_plan(runner) -> None:
    run(runner, "plan", "--hours", "6")
    run(runner, "track", "vision")
    data = json.loads(run(runner, "plan", "--json").output)
    assert data["track"] == "vision" and data["lessons_left"] == 5


def test_ics_export(runner, tmp_path: Path) -> None:
    target = tmp_path / "plan.ics"
    out = run(runner, "plan", "--hours", "6", "--ics", str(target)).output
    weeks = len(json.loads(run(runner, "plan", "--json").output)["weeks"])
    assert f"Wrote {weeks} weeks to {target}: import it in your calendar app" in " ".join(out.split())
    raw = target.read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//dlpath//study plan//EN\r\n")
    assert raw.endswith(b"END:VCALENDAR\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    assert b"\n" not in raw.replace(b"\r\n", b"")
    text = raw.decode("utf-8").replace("\r\n ", "")  # unfolded
    assert text.count("BEGIN:VEVENT") == text.count("END:VEVENT") == weeks + 1
    assert text.count("DTSTAMP:") == weeks + 1
    year, number, _ = date.today().isocalendar()
    assert f"UID:dlpath-plan-{year}-W{number:02d}@dlpath" in text
    assert "SUMMARY:dlpath week 1: " in text and "DESCRIPTION:- Maths you need [maths]: 2 h\\n" in text
    # the same plan, exported again: the same events (calendar apps update them in place)
    run(runner, "plan", "--ics", str(target))
    uids = [l for l in target.read_text().splitlines() if l.startswith("UID:")]
    assert uids == [l for l in text.splitlines() if l.startswith("UID:")]


def test_ics_escapes_text_and_folds_long_lines() -> None:
    plan = study_plan(curriculum(), {}, None, 6, WEDNESDAY, WEDNESDAY)
    text = to_ics(plan)
    assert "Choosing a track (`dlpath track`) plans only what it needs." in text.replace("\r\n ", "")
    assert "\\, " in text  # commas in a TEXT value are escaped
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75


def test_ics_into_a_folder_or_nowhere_is_refused(runner, tmp_path: Path) -> None:
    result = run(runner, "plan", "--hours", "6", "--ics", str(tmp_path), code=2)
    assert result.output == (
        f"Error: {tmp_path} is a folder: --ics needs a file name.\n"
        f"For example `dlpath plan --ics {tmp_path / 'dlpath-plan.ics'}`.\n"
    )
    missing = tmp_path / "no" / "such" / "plan.ics"
    result = run(runner, "plan", "--ics", str(missing), code=2)
    assert result.output.startswith(f"Error: cannot write {missing}: the folder {missing.parent} does not exist.\n")
