"""A grade in the shapes the autograding platforms read: Gradescope, PrairieLearn, JUnit XML.

Each function takes a `GradeReport` and returns plain data (a dict for the JSON
formats, an `xml.etree` element for JUnit), so that `dlpath check --format NAME`
(`dlpath.render.formats`), `dlpath grade` and the Gradescope bundle write the
same thing. The points are the report's own (`ThresholdResult.points` and
`weight`), so the total is the same in every format.

What a student may see is written for students: the verdict, each threshold
with the measured value, the mentor's diagnoses and the end of their own
code's output. Never the hidden test seed (which, with dlpath's public data
generators, would rebuild the hidden test set), never a path of the grading
machine. Text from the learner's code goes through `dlpath.text.clean`.

Sources of the field lists (the schemas in tests/schemas/ name them too):
- Gradescope: https://gradescope-autograders.readthedocs.io/en/latest/specs/
- PrairieLearn: https://prairielearn.readthedocs.io/en/latest/externalGrading/ ("Grading results")
- JUnit XML as GitLab reads it: https://docs.gitlab.com/ci/testing/unit_test_reports/
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any, Iterable

from dlpath.version import __version__
from dlpath.grading.release import GRADESCOPE_VISIBILITY, Release, ReleasePolicy, Visibility
from dlpath.grading.report import GradeReport
from dlpath.text import clean

__all__ = ["feedback_text", "gradescope_results", "gradescope_problem", "prairielearn_results", "junit_suite",
           "junit_problem_suite", "junit_document", "TAIL_LINES"]

TAIL_LINES = 25  #: lines of the learner's output shown with a failed grade
_TEXT_LIMIT = 60_000  #: characters of feedback per field (PrairieLearn's whole file must stay under 1 MB)


def _number(value: float | None) -> str:
    if value is None:
        return "not measured"
    if not math.isfinite(value):
        return "not finite"
    return f"{value:.4g}"


def _points(value: float) -> float:
    """Points as JSON numbers: whole numbers stay whole (2.0), others keep 4 decimals."""
    return round(float(value), 4)


def threshold_line(t: Any) -> str:
    """`test_accuracy = 0.97 (target >= 0.9): met, 1/1 point`."""
    state = "met" if t.passed else "not met"
    return f"{t.metric} = {_number(t.value)} (target {t.target}): {state}, {t.points:g}/{t.weight:g} points"


def _diagnosis_lines(report: GradeReport) -> list[str]:
    lines = []
    for d in report.diagnoses:
        lines.append(f"- {d.code} ({d.severity}): {clean(d.message)}")
        if d.evidence:
            lines.append("  Seen: " + "; ".join(clean(e) for e in d.evidence))
        if len(d.causes) > 1:
            lines.append("  Likely causes, most likely first: " + "; ".join(clean(c) for c in d.causes))
        if d.lesson:
            lines.append(f"  Revisit: dlpath show {d.lesson}")
    return lines


def _tail_lines(report: GradeReport) -> list[str]:
    if report.passed or not report.output_tail.strip():
        return []
    tail = clean(report.output_tail).rstrip().splitlines()[-TAIL_LINES:]
    return ["The end of your code's output:"] + ["  " + line[:300] for line in tail]


def feedback_text(report: GradeReport, *, thresholds: bool = True, release: Release | None = None) -> str:
    """The whole feedback for a student as plain text: verdict, thresholds, diagnoses, output tail.

    With `release` (a release policy's answer for this moment), only what is released: without the
    metrics, neither the verdict, the score nor the thresholds (they tell whether it passed); without
    the feedback, neither the diagnoses nor the output; each left out is named with when it comes.
    """
    release = release or Release(metrics=True, feedback=True)
    parts = []
    if release.late:
        parts.append("LATE: handed in after the due date.")
    if release.metrics:
        head = "PASSED" if report.passed else "NOT YET"
        parts += [f"{head} ({report.project}): {clean(report.verdict)}",
                  f"Score: {report.score:g} of {report.max_score:g} points."]
        if thresholds:
            parts.append("\n".join(threshold_line(t) for t in report.thresholds))
    else:
        parts.append(f"GRADED ({report.project}): your results (the measured values, whether each target was met, "
                     + ("the score) are shown after the due date." if release.metrics_later else
                        "the score) are for your instructor only."))
    if release.feedback:
        diagnoses = _diagnosis_lines(report)
        if diagnoses:
            parts.append("What the grader noticed:\n" + "\n".join(diagnoses))
        tail = _tail_lines(report)
        if tail:
            parts.append("\n".join(tail))
    elif report.diagnoses or _tail_lines(report):
        parts.append("The grader's advice on this submission is " + (
            "shown after the due date." if release.feedback_later else "for your instructor only."))
    parts.append(f"Graded by dlpath {__version__} in {report.duration_s:.1f} s on held-out data your code never saw.")
    return "\n\n".join(p for p in parts if p)[:_TEXT_LIMIT]


def _test_output(report: GradeReport, t: Any, *, advice: bool = True) -> str:
    lines = [threshold_line(t)]
    if not t.passed:
        lines.append(clean(report.verdict))
        if advice:
            lines.extend(f"{d.code}: {clean(d.message)}" for d in report.diagnoses if d.severity == "error")
    return "\n".join(lines)[:_TEXT_LIMIT]


# ------------------------------------------------------------------ Gradescope


def gradescope_results(report: GradeReport, policy: ReleasePolicy | None = None, *,
                       late: bool = False) -> dict[str, Any]:
    """Gradescope's `results.json`: one test per threshold (partial credit), the feedback in `output`.

    The release `policy` uses Gradescope's own fields, so that Gradescope decides when the due
    date has passed: each threshold's test gets the metrics' `visibility` (`after_due_date`,
    `hidden`); feedback that is not shown at once goes in a test of its own with the feedback's
    visibility, and the top-level `output` holds only what is shown at once.
    """
    policy = policy or ReleasePolicy()
    metrics_now = policy.metrics is Visibility.NOW
    feedback_now = policy.feedback is Visibility.NOW
    tests = []
    for number, t in enumerate(report.thresholds, start=1):
        tests.append({
            "name": f"{t.metric} {t.target}",
            "number": str(number),
            "score": _points(t.points),
            "max_score": _points(t.weight),
            "status": "passed" if t.passed else "failed",
            "output": _test_output(report, t, advice=feedback_now),
            "tags": [report.project, t.metric],
            "visibility": GRADESCOPE_VISIBILITY[policy.metrics],
        })
    shown_now = Release(metrics=metrics_now, feedback=feedback_now, late=late,
                        metrics_later=policy.metrics is Visibility.AFTER_DUE_DATE,
                        feedback_later=policy.feedback is Visibility.AFTER_DUE_DATE)
    if not feedback_now and (report.diagnoses or _tail_lines(report)):
        tests.append({
            "name": "What the grader noticed",
            "number": str(len(tests) + 1),
            "output": feedback_text(report, thresholds=False, release=Release(metrics=metrics_now, feedback=True,
                                                                              metrics_later=shown_now.metrics_later)),
            "tags": [report.project, "feedback"],
            "visibility": GRADESCOPE_VISIBILITY[policy.feedback],
        })
    return {
        "score": _points(report.score),
        "execution_time": int(round(report.duration_s)),
        "output": feedback_text(report, thresholds=False, release=shown_now),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"dlpath": __version__, "project": report.project, "passed": report.passed,
                       "max_score": _points(report.max_score), "graded": True, "late": late},
    }


def gradescope_problem(message: str, *, project: str | None = None) -> dict[str, Any]:
    """Gradescope's `results.json` for a submission that could not be graded (score 0, the reason shown)."""
    return {
        "score": 0,
        "output": clean(message)[:_TEXT_LIMIT],
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
        "extra_data": {"dlpath": __version__, "project": project, "passed": False, "graded": False},
    }


# ------------------------------------------------------------------ PrairieLearn


def prairielearn_results(report: GradeReport, release: Release | None = None) -> dict[str, Any]:
    """PrairieLearn's external grader `results.json`: `score` in 0..1, one test per threshold.

    PrairieLearn's results.json has no visibility field: it shows what it is given. So it holds
    what `release` says is released when it is written: without the metrics, no tests and a
    message saying when they come (PrairieLearn still needs the score; its own assessment
    settings, such as an Exam's `allowRealTimeGrading: false`, hide that); without the feedback,
    no advice. Regrading after the due date writes what is released then.
    """
    release = release or Release(metrics=True, feedback=True)
    fraction = report.score / report.max_score if report.max_score > 0 else (1.0 if report.passed else 0.0)
    message = clean(report.verdict) if release.metrics else (
        "Graded: your results are shown after the due date." if release.metrics_later else
        "Graded: your results are for your instructor only.")
    return {
        "gradable": True,
        "score": round(min(1.0, max(0.0, fraction)), 6),
        "message": (("Late: handed in after the due date. " if release.late else "") + message)[:2000],
        "output": feedback_text(report, thresholds=False, release=release),
        "tests": [{
            "name": t.metric,
            "description": f"{t.metric} must be {t.target}",
            "points": _points(t.points),
            "max_points": _points(t.weight),
            "message": "met" if t.passed else "not met",
            "output": _test_output(report, t, advice=release.feedback),
        } for t in report.thresholds] if release.metrics else [],
    }


# ------------------------------------------------------------------ JUnit XML


def _xml_text(text: str) -> str:
    """Text XML 1.0 can hold: `clean` drops the control characters; the non-characters go too."""
    return clean(text).replace("\ufffe", "").replace("\uffff", "")


def junit_suite(report: GradeReport, *, name: str | None = None, classname: str | None = None) -> ET.Element:
    """One `<testsuite>` for a grade: a `<testcase>` per threshold.

    A threshold measured and missed is a `<failure>`; one not measured (training
    ended early) is an `<error>`; the text is the feedback. One training measures
    every threshold, so each testcase's `time` is an equal share of the grade's
    and the suite's `time` is the whole. GitLab shows `classname` as the suite.
    """
    name = name or report.project
    classname = classname or name
    count = max(1, len(report.thresholds))
    share = report.duration_s / count
    failures = sum(1 for t in report.thresholds if not t.passed and t.value is not None)
    errors = sum(1 for t in report.thresholds if not t.passed and t.value is None)
    suite = ET.Element("testsuite", {
        "name": _xml_text(name), "tests": str(len(report.thresholds)), "failures": str(failures),
        "errors": str(errors), "skipped": "0", "time": f"{report.duration_s:.3f}"})
    feedback = feedback_text(report)
    for t in report.thresholds:
        case = ET.SubElement(suite, "testcase", {
            "classname": _xml_text(classname), "name": _xml_text(f"{t.metric} {t.target}"), "time": f"{share:.3f}"})
        if t.passed:
            continue
        kind = "failure" if t.value is not None else "error"
        problem = ET.SubElement(case, kind, {"message": _xml_text(threshold_line(t) + ": " + report.verdict)[:1000],
                                             "type": "below-target" if kind == "failure" else "not-measured"})
        problem.text = _xml_text(feedback)
    return suite


def junit_problem_suite(name: str, message: str, *, kind: str, seconds: float = 0.0) -> ET.Element:
    """A `<testsuite>` for a submission that was not graded: one testcase `submission` with an `<error>`."""
    suite = ET.Element("testsuite", {"name": _xml_text(name), "tests": "1", "failures": "0", "errors": "1",
                                     "skipped": "0", "time": f"{seconds:.3f}"})
    case = ET.SubElement(suite, "testcase", {"classname": _xml_text(name), "name": "submission",
                                             "time": f"{seconds:.3f}"})
    error = ET.SubElement(case, "error", {"message": _xml_text(message)[:1000], "type": kind})
    error.text = _xml_text(message)
    return suite


def junit_document(suites: Iterable[ET.Element], *, name: str = "dlpath") -> str:
    """A `<testsuites>` document holding `suites`, with the totals, as text."""
    root = ET.Element("testsuites", {"name": _xml_text(name)})
    totals = {"tests": 0, "failures": 0, "errors": 0}
    seconds = 0.0
    for suite in suites:
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        seconds += float(suite.get("time", "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
