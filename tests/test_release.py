"""Release policies (project.yaml `release:`): read with their lines, honoured by Gradescope's fields (visibility,
the limit per day, late), by PrairieLearn's results.json (what is released when it is written) and by the
feedback `dlpath grade` writes for each student."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from dlpath.grading.autograder import read_metadata
from dlpath.grading.platforms import feedback_text, gradescope_results, prairielearn_results
from dlpath.grading.release import ReleasePolicy, Visibility, parse_when, rate_limit, released
from dlpath.grading.project import load_project, validate_project
from tests.test_platform_formats import SCHEMAS, make_report

UTC = dt.timezone.utc
DUE = dt.datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
HIDDEN = ReleasePolicy(metrics=Visibility.AFTER_DUE_DATE, feedback=Visibility.NEVER, submissions_per_day=2, due=DUE)
GRADESCOPE = json.loads((SCHEMAS / "gradescope-results.schema.json").read_text())
PRAIRIELEARN = json.loads((SCHEMAS / "prairielearn-results.schema.json").read_text())


def _project_with(tmp_path: Path, fixture_projects: Path, release: str) -> Path:
    folder = tmp_path / "rings"
    shutil.copytree(fixture_projects / "rings", folder)
    with open(folder / "project.yaml", "a", encoding="utf-8") as f:
        f.write(release)
    return folder


def test_project_yaml_holds_the_policy(tmp_path: Path, fixture_projects: Path) -> None:
    folder = _project_with(tmp_path, fixture_projects, "release:\n  metrics: after_due_date\n  feedback: never\n"
                                                       "  submissions_per_day: 2\n  due: 2026-12-01T23:59:00Z\n")
    project = load_project(folder)
    assert project.release == HIDDEN
    assert load_project("rings").release == ReleasePolicy()  # no block: everything at once, no limit


def test_every_problem_of_the_policy_is_named_with_its_line(tmp_path: Path, fixture_projects: Path) -> None:
    folder = _project_with(tmp_path, fixture_projects, "release:\n  metrics: later\n  feedback: now\n"
                                                       "  submissions_per_day: 0\n  due: 2026-12-01 23:59\n"
                                                       "  visible: yes\n")
    lines = (folder / "project.yaml").read_text().splitlines()
    first = lines.index("release:") + 1
    problems = [str(p).split("project.yaml:", 1)[1] for p in validate_project(folder)]
    assert problems == [
        f"{first + 5}: release has an unknown key 'visible'",
        f"{first + 1}: release: 'metrics' must be now, after_due_date or never, not 'later'",
        f"{first + 3}: release: 'submissions_per_day' must be a whole number of 1 or more (leave it out for no "
        "limit), not 0",
        f"{first + 4}: release: 'due' must be a date and time with its time zone, such as 2026-12-01T23:59:00+01:00 "
        "('2026-12-01 23:59' has no time zone: add one, for example 2026-12-01 23:59+00:00 or 2026-12-01 23:59Z)",
    ]


def test_what_is_released_depends_on_the_moment() -> None:
    before, after = DUE - dt.timedelta(hours=1), DUE + dt.timedelta(seconds=1)
    assert released(HIDDEN, now=before) == released(HIDDEN, now=before)
    now = released(HIDDEN, now=before, submitted=before)
    assert (now.metrics, now.feedback, now.metrics_later, now.feedback_later, now.late) == (False, False, True, False,
                                                                                            False)
    later = released(HIDDEN, now=after, submitted=after)
    assert (later.metrics, later.feedback, later.late) == (True, False, True)
    assert released(None) == released(ReleasePolicy())
    assert released(ReleasePolicy()).metrics and released(ReleasePolicy()).feedback
    no_due = ReleasePolicy(metrics=Visibility.AFTER_DUE_DATE)
    assert not released(no_due, now=after).metrics  # no due date yet: not released
    assert released(no_due, now=after, due=DUE).metrics  # `dlpath grade --due` gives one


def test_the_limit_per_day_counts_a_rolling_24_hours() -> None:
    policy = ReleasePolicy(submissions_per_day=2)
    now = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert rate_limit(policy, [now - dt.timedelta(hours=30), now - dt.timedelta(hours=2)], now) is None
    earliest = now - dt.timedelta(hours=20)
    assert rate_limit(policy, [earliest, now - dt.timedelta(hours=1)], now) == earliest + dt.timedelta(days=1)
    assert rate_limit(ReleasePolicy(), [now] * 50, now) is None
    with pytest.raises(ValueError, match="no time zone"):
        parse_when("2026-12-01T23:59")
    assert parse_when("2026-12-01T23:59:00Z") == DUE


def test_gradescope_is_told_with_its_own_visibility_fields() -> None:
    report = make_report("partial")
    results = gradescope_results(report, HIDDEN)
    jsonschema.validate(results, GRADESCOPE)
    thresholds = [t for t in results["tests"] if "feedback" not in t["tags"]]
    assert [t["visibility"] for t in thresholds] == ["after_due_date", "after_due_date"]
    advice = [t for t in results["tests"] if "feedback" in t["tags"]]
    assert len(advice) == 1 and advice[0]["visibility"] == "hidden" and "score" not in advice[0]
    assert "A <b>mentor's</b> advice" in advice[0]["output"]
    output = results["output"]  # what every student sees at once
    assert "underfitting" not in output and "mentor" not in output and "0.61" not in output
    assert "NOT YET" not in output and "Score:" not in output
    assert "your results (the measured values, whether each target was met, the score) are shown after the due " \
           "date" in output and "advice on this submission is for your instructor only" in output
    assert results["score"] == report.score  # Gradescope keeps the points; it hides them while tests are hidden

    default = gradescope_results(report)
    assert {t["visibility"] for t in default["tests"]} == {"visible"} and len(default["tests"]) == 2
    assert "NOT YET" in default["output"] and "underfitting" in default["output"]
    late = gradescope_results(report, late=True)
    assert late["output"].startswith("LATE: handed in after the due date.") and late["extra_data"]["late"] is True


def test_prairielearn_holds_what_is_released_when_it_is_written() -> None:
    report = make_report("partial")
    before = released(HIDDEN, now=DUE - dt.timedelta(days=1))
    results = prairielearn_results(report, before)
    jsonschema.validate(results, PRAIRIELEARN)
    assert results["tests"] == [] and results["message"] == "Graded: your results are shown after the due date."
    assert "underfitting" not in results["output"] and "0.61" not in json.dumps(results)
    after = prairielearn_results(report, released(HIDDEN, now=DUE + dt.timedelta(days=1),
                                                  submitted=DUE + dt.timedelta(hours=1)))
    jsonschema.validate(after, PRAIRIELEARN)
    assert [t["name"] for t in after["tests"]] == ["test_accuracy", "parameters"]
    assert after["message"].startswith("Late: handed in after the due date. test_accuracy is 0.61")
    assert "underfitting" not in after["output"]  # feedback: never


def test_feedback_text_names_what_is_held_back() -> None:
    report = make_report("crashed")
    text = feedback_text(report, release=released(ReleasePolicy(feedback=Visibility.AFTER_DUE_DATE)))
    assert "NOT YET (rings)" in text and "test_accuracy = not measured" in text
    assert "The grader's advice on this submission is shown after the due date." in text
    assert "crashed" not in text and "Traceback" not in text


def _metadata(path: Path, created: dt.datetime, previous: list[tuple[dt.datetime, bool]]) -> Path:
    meta = {"created_at": created.isoformat(), "assignment": {"due_date": DUE.isoformat(), "late_due_date": None},
            "previous_submissions": [
                {"submission_time": when.isoformat(), "score": 1.0,
                 "results": {"score": 1.0, "output": f"graded at {when:%H:%M}",
                             "extra_data": {"dlpath": "0.1.0", "graded": graded}}} for when, graded in previous]}
    path.write_text(json.dumps(meta))
    return path


def test_gradescope_submissions_over_the_limit_keep_the_last_score(tmp_path: Path) -> None:
    policy = ReleasePolicy(submissions_per_day=2)
    now = dt.datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    hours = [now - dt.timedelta(hours=h) for h in (30, 5, 3, 1)]
    # 5 h and 1 h ago were graded, 3 h ago was over the limit (not graded): two in 24 h, the limit
    info = read_metadata(_metadata(tmp_path / "m.json", now, [(hours[0], True), (hours[1], True), (hours[2], False),
                                                            (hours[3], True)]), policy)
    assert info.limited is not None and "2 graded submissions in any 24 hours" in info.limited
    assert f"from {hours[1] + dt.timedelta(days=1):%Y-%m-%d %H:%M} UTC" in info.limited
    kept = info.limited_results("rings")
    jsonschema.validate(kept, GRADESCOPE)
    assert kept["score"] == 1.0 and kept["output"].endswith("graded at 17:00")
    assert kept["extra_data"]["graded"] is False  # it does not count towards the next limit
    fine = read_metadata(_metadata(tmp_path / "m.json", now, [(hours[0], True), (hours[3], True)]), policy)
    assert fine.limited is None and not fine.late
    late = read_metadata(_metadata(tmp_path / "m.json", DUE + dt.timedelta(minutes=5), []), ReleasePolicy())
    assert late.late and late.limited is None
    assert read_metadata(tmp_path / "missing.json", policy) == type(info)()  # not on Gradescope: nothing applies
