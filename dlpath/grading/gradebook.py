"""A batch's summaries: `summary.csv`, `summary.json` and `junit.xml` in the output folder.

All three are written from the same `BatchResult`, so a student's points are
the same in each (and the same as in their report). The CSV is for a
spreadsheet: one row per student, one column per metric; text cells that a
spreadsheet would read as a formula (`=`, `+`, `-`, `@` first) are quoted with
a leading `'`, since a verdict can quote the student's own exception message.
The JSON shape is documented in docs/json.md (`dlpath grade --json` prints it).
The summaries hold no hidden test seed; the per-student reports under
`reports/` do (they are for the instructor: `dlpath check --seed` regrades on
the same held-out data).
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
from pathlib import Path
from typing import Any

from dlpath.atomic import write_text
from dlpath.version import __version__
from dlpath.grading.batch import BatchResult, Status, StudentResult, student_slug as _slug
from dlpath.grading.classreport import ClassReport, class_json
from dlpath.grading.platforms import feedback_text, junit_document, junit_problem_suite, junit_suite
from dlpath.grading.release import released
from dlpath.text import clean

__all__ = ["summary_json", "summary_csv", "summary_junit", "feedback_files", "write_gradebook", "FILES"]

FILES = ("summary.csv", "summary.json", "junit.xml")


def _metrics(batch: BatchResult) -> list[str]:
    names: list[str] = []
    for t in batch.project.thresholds:
        if t.metric not in names:
            names.append(t.metric)
    return names


def _student(result: StudentResult, metrics: list[str], report: ClassReport | None = None) -> dict[str, Any]:
    grade = result.report
    values = {t.metric: t.value for t in grade.thresholds} if grade else {}
    when = report.submitted.get(result.student) if report is not None else None
    return {
        "student": result.student,
        "status": result.status.value,
        "passed": result.status is Status.PASSED,
        "score": grade.score if grade else 0.0,
        "max_score": grade.max_score if grade else None,
        "metrics": {name: values.get(name) for name in metrics},
        "thresholds": [{"metric": t.metric, "target": t.target, "value": t.value, "passed": t.passed,
                        "weight": t.weight, "points": t.points} for t in grade.thresholds] if grade else [],
        "verdict": clean(result.message),
        "diagnoses": [{"code": d.code, "severity": d.severity, "message": clean(d.message)}
                      for d in grade.diagnoses] if grade else [],
        "duration_s": round(result.duration_s, 3),
        "cached": result.cached,
        "same_as": result.same_as,
        "sha256": result.sha256,
        "report": result.report_file,
        "submitted_at": when.isoformat(timespec="seconds") if when else None,
        "late": bool(report is not None and result.student in report.late),
        "feedback": f"feedback/{_slug(result.student)}.txt" if report is not None else None,
    }


def summary_json(batch: BatchResult, report: ClassReport | None = None) -> dict[str, Any]:
    """The `summary.json` object (and `dlpath grade --json`); with the class report under `class`."""
    metrics = _metrics(batch)
    max_score = sum(t.weight for t in batch.project.thresholds)
    counts = {status.value: batch.count(status) for status in Status}
    counts.update(total=len(batch.results), cached=sum(1 for r in batch.results if r.cached))
    return {
        "project": batch.project.id,
        "dlpath": __version__,
        "graded_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "out": str(batch.out),
        "options": {"jobs": batch.jobs, "timeout_s": batch.timeout_s, "memory_mb": batch.memory_mb,
                    "device": batch.device},
        "max_score": max_score,
        "metrics": metrics,
        "counts": counts,
        "wall_s": batch.wall_s,
        "grading_s": round(sum(r.duration_s for r in batch.results if not r.cached and not r.same_as), 3),
        "skipped": list(batch.skipped),
        "students": [_student(r, metrics, report) for r in batch.results],
        "class": class_json(report) if report is not None else None,
    }


def _cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, float):  # a measurement, not its last float digits: 0.9347 rather than 0.93466666...
        return f"{value:.6g}"
    return "" if value is None else value


def summary_csv(batch: BatchResult, report: ClassReport | None = None) -> str:
    """`summary.csv`: a row per student; one column per metric."""
    data = summary_json(batch, report)
    metrics = data["metrics"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "status", "passed", "score", "max_score", *metrics, "verdict", "diagnoses",
                     "duration_s", "cached", "same_as", "sha256", "report", "late"])
    for s in data["students"]:
        writer.writerow([_cell(v) for v in (
            s["student"], s["status"], s["passed"], s["score"], s["max_score"],
            *(s["metrics"][m] for m in metrics), s["verdict"], "; ".join(d["code"] for d in s["diagnoses"]),
            s["duration_s"], s["cached"], s["same_as"], s["sha256"], s["report"], s["late"])])
    return buffer.getvalue()


def summary_junit(batch: BatchResult) -> str:
    """`junit.xml`: a `<testsuite>` per student (a testcase per threshold), named by the student."""
    suites = []
    for result in batch.results:
        if result.report is not None:
            suites.append(junit_suite(result.report, name=result.student, classname=result.student))
        else:
            suites.append(junit_problem_suite(result.student, f"{result.status.value}: {result.message}",
                                              kind=result.status.value, seconds=result.duration_s))
    return junit_document(suites, name=f"dlpath grade {batch.project.id}")


def feedback_files(batch: BatchResult, report: ClassReport, *,
                   now: _dt.datetime | None = None) -> dict[str, str]:
    """{file name: text}: what each student may see now of their grade, under the project's release policy."""
    out = {}
    for result in batch.results:
        if result.report is not None:
            release = released(report.release, now=now, due=report.due, submitted=report.submitted.get(result.student))
            text = feedback_text(result.report, thresholds=True, release=release)
        else:
            text = f"Your submission was not graded ({result.status.value}): {clean(result.message)}."
        out[f"{_slug(result.student)}.txt"] = text + "\n"
    return out


def write_gradebook(batch: BatchResult, report: ClassReport | None = None) -> list[Path]:
    """Write the three summaries (and, with the class report, each student's feedback) into the output folder."""
    texts = {"summary.json": json.dumps(summary_json(batch, report), indent=2, ensure_ascii=False) + "\n",
             "summary.csv": summary_csv(batch, report), "junit.xml": summary_junit(batch)}
    written = []
    for name in FILES:
        write_text(batch.out / name, texts[name])
        written.append(batch.out / name)
    if report is not None:
        folder = batch.out / "feedback"
        folder.mkdir(exist_ok=True)
        for name, text in feedback_files(batch, report).items():
            write_text(folder / name, text)
        written.append(folder)
    return written
