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
import os
from pathlib import Path
from typing import Any

from dlpath import __version__
from dlpath.grading.batch import BatchResult, Status, StudentResult
from dlpath.grading.platforms import junit_document, junit_problem_suite, junit_suite
from dlpath.text import clean

__all__ = ["summary_json", "summary_csv", "summary_junit", "write_gradebook", "FILES"]

FILES = ("summary.csv", "summary.json", "junit.xml")


def _metrics(batch: BatchResult) -> list[str]:
    names: list[str] = []
    for t in batch.project.thresholds:
        if t.metric not in names:
            names.append(t.metric)
    return names


def _student(result: StudentResult, metrics: list[str]) -> dict[str, Any]:
    report = result.report
    values = {t.metric: t.value for t in report.thresholds} if report else {}
    return {
        "student": result.student,
        "status": result.status.value,
        "passed": result.status is Status.PASSED,
        "score": report.score if report else 0.0,
        "max_score": report.max_score if report else None,
        "metrics": {name: values.get(name) for name in metrics},
        "thresholds": [{"metric": t.metric, "target": t.target, "value": t.value, "passed": t.passed,
                        "weight": t.weight, "points": t.points} for t in report.thresholds] if report else [],
        "verdict": clean(result.message),
        "diagnoses": [{"code": d.code, "severity": d.severity, "message": clean(d.message)}
                      for d in report.diagnoses] if report else [],
        "duration_s": round(result.duration_s, 3),
        "cached": result.cached,
        "same_as": result.same_as,
        "sha256": result.sha256,
        "report": result.report_file,
    }


def summary_json(batch: BatchResult) -> dict[str, Any]:
    """The `summary.json` object (and `dlpath grade --json`)."""
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
        "students": [_student(r, metrics) for r in batch.results],
    }


def _cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def summary_csv(batch: BatchResult) -> str:
    """`summary.csv`: a row per student; one column per metric."""
    data = summary_json(batch)
    metrics = data["metrics"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "status", "passed", "score", "max_score", *metrics, "verdict", "diagnoses",
                     "duration_s", "cached", "same_as", "sha256", "report"])
    for s in data["students"]:
        writer.writerow([_cell(v) for v in (
            s["student"], s["status"], s["passed"], s["score"], s["max_score"],
            *(s["metrics"][m] for m in metrics), s["verdict"], "; ".join(d["code"] for d in s["diagnoses"]),
            s["duration_s"], s["cached"], s["same_as"], s["sha256"], s["report"])])
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


def write_gradebook(batch: BatchResult) -> list[Path]:
    """Write the three summaries into the batch's output folder; their paths."""
    texts = {"summary.json": json.dumps(summary_json(batch), indent=2, ensure_ascii=False) + "\n",
             "summary.csv": summary_csv(batch), "junit.xml": summary_junit(batch)}
    written = []
    for name in FILES:
        path = batch.out / name
        temp = path.with_name(name + ".tmp")
        temp.write_text(texts[name], encoding="utf-8")
        os.replace(temp, path)
        written.append(path)
    return written
