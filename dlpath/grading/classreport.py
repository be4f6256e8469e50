"""What the class got wrong: a batch's grades added up for the instructor.

`class_report(batch, ...)` reads every student's `GradeReport` (nothing is
graded again) and returns a `ClassReport`: the share passing, the score
distribution, each metric's spread against its threshold, how many students
hit each of the mentor's causes with the lesson to re-teach, the slowest
submissions and those whose code stopped early, who handed in late, and the
similar pairs (`dlpath.grading.similarity`). It is plain data: rendered as
text (`dlpath.render.classroom`), as HTML (`dlpath.render.html`) and in
summary.json (`class_json`, docs/json.md).
"""

from __future__ import annotations

import datetime as _dt
import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from dlpath.grading.batch import BatchResult, Status
from dlpath.grading.release import ReleasePolicy
from dlpath.grading.similarity import SimilarityReport, compare_submissions
from dlpath.grading.submissions import Submission, submitted_at
from dlpath.text import clean

__all__ = ["Cause", "Bin", "MetricSpread", "SlowRun", "StoppedRun", "ClassReport", "class_report", "class_json",
           "SLOWEST"]

SLOWEST = 5  #: the slowest submissions listed
_SEVERITY = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Cause:
    """One of the mentor's diagnosis codes and the students whose grade carries it."""

    code: str
    severity: str  #: the most severe seen ("error" explains a failure)
    lesson: str | None  #: the lesson to re-teach, when the curriculum in use has it
    students: tuple[str, ...]
    message: str  #: what the mentor told the first of them

    @property
    def count(self) -> int:
        return len(self.students)


@dataclass(frozen=True)
class Bin:
    """A bar of a histogram: how many values fall in [low, high] (`high` is open but for the last bin)."""

    low: float
    high: float
    count: int


@dataclass(frozen=True)
class MetricSpread:
    """One threshold's metric across the class."""

    metric: str
    target: str  #: ">= 0.85"
    minimum: float | None  #: the threshold's bounds
    maximum: float | None
    measured: int  #: students with a value
    met: int  #: students who met the target
    not_measured: int  #: graded students whose training ended before it was measured
    lowest: float | None
    median: float | None
    highest: float | None
    bins: tuple[Bin, ...]  #: the measured values in ten bins, the threshold inside the range


@dataclass(frozen=True)
class SlowRun:
    student: str
    duration_s: float  #: the whole grade, as the batch timed it
    training_s: float  #: the student's training


@dataclass(frozen=True)
class StoppedRun:
    """A submission whose code did not finish: a crash, the budget, the memory cap..."""

    student: str
    kind: str  #: the failure's kind (exception, timeout, memory, contract, exit, signal, ...)
    verdict: str


@dataclass(frozen=True)
class ClassReport:
    """A class's grades added up."""

    project: str
    title: str
    students: int
    graded: int  #: passed or failed (not refused, not an error)
    passed: int
    max_score: float
    scores: tuple[Bin, ...]  #: the graded students' scores
    causes: tuple[Cause, ...]  #: most students first, the failures' causes before warnings
    metrics: tuple[MetricSpread, ...]
    slowest: tuple[SlowRun, ...]
    stopped: tuple[StoppedRun, ...]
    not_graded: tuple[tuple[str, str, str], ...]  #: (student, refused | error, why)
    release: ReleasePolicy = field(default_factory=ReleasePolicy)
    due: _dt.datetime | None = None
    submitted: Mapping[str, _dt.datetime] = field(default_factory=dict)  #: when each student handed in
    late: tuple[str, ...] = ()
    similarity: SimilarityReport | None = None

    @property
    def share_passing(self) -> float:
        """Passed over all students (refused ones count as not passed)."""
        return self.passed / self.students if self.students else 0.0


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _bins(values: list[float], marks: list[float], count: int = 10) -> tuple[Bin, ...]:
    """`count` equal bins over the values and the marks (the threshold), so that the threshold is on the chart."""
    span = values + marks
    if not span:
        return ()
    low, high = min(span), max(span)
    if high == low:
        high = low + (abs(low) or 1.0) * 0.1
    width = (high - low) / count
    counts = [0] * count
    for v in values:
        counts[min(count - 1, int((v - low) / width))] += 1
    return tuple(Bin(low + i * width, low + (i + 1) * width, c) for i, c in enumerate(counts))


def _score_bins(scores: list[float], weights: list[float]) -> tuple[Bin, ...]:
    """A bar per score a student can get (every sum of threshold weights), or ten bins when there are many."""
    possible = sorted({round(sum(c), 6) for r in range(len(weights) + 1) for c in itertools.combinations(weights, r)})
    if len(possible) > 12:
        return _bins(scores, [0.0, sum(weights)])
    return tuple(Bin(p, p, sum(1 for s in scores if math.isclose(s, p, abs_tol=1e-6))) for p in possible)


def class_report(batch: BatchResult, *, submissions: Iterable[Submission] = (),
                 similarity: SimilarityReport | None = None,
                 submitted: Mapping[str, _dt.datetime] | None = None,
                 due: _dt.datetime | None = None) -> ClassReport:
    """Add up `batch`: causes, spreads, the slowest and stopped runs, lateness (against `due` or the policy's).

    With `submissions` (what was graded), their code is compared (`similarity`, unless given) and
    their files' times say when each was handed in (`submitted`, unless given).
    """
    project = batch.project
    submissions = list(submissions)
    if similarity is None and submissions:
        similarity = compare_submissions(project, submissions)
    if submitted is None:
        submitted = {}
        for sub in submissions:
            try:
                submitted[sub.student] = submitted_at(sub)
            except OSError:
                continue
    graded = [r for r in batch.results if r.report is not None]
    by_code: dict[str, list[tuple[str, Any]]] = {}
    for result in graded:
        seen = set()
        for d in result.report.diagnoses:
            if d.code not in seen:
                seen.add(d.code)
                by_code.setdefault(d.code, []).append((result.student, d))
    causes = []
    for code, hits in by_code.items():
        severity = min((d.severity for _, d in hits), key=lambda s: _SEVERITY.get(s, 3))
        lesson = next((d.lesson for _, d in hits if d.lesson), None)
        causes.append(Cause(code, severity, lesson, tuple(s for s, _ in hits), clean(hits[0][1].message)))
    causes.sort(key=lambda c: (_SEVERITY.get(c.severity, 3), -c.count, c.code))
    spreads = []
    for t in project.thresholds:
        target = f">= {t.min:g}" if t.min is not None else ""
        target = " and ".join(x for x in (target, f"<= {t.max:g}" if t.max is not None else "") if x)
        values, met, missing = [], 0, 0
        for result in graded:
            found = next((x for x in result.report.thresholds if x.metric == t.metric), None)
            if found is None or found.value is None or not math.isfinite(found.value):
                missing += 1
                continue
            values.append(found.value)
            met += bool(found.passed)
        marks = [m for m in (t.min, t.max) if m is not None]
        spreads.append(MetricSpread(t.metric, target, t.min, t.max, len(values), met, missing,
                                    min(values) if values else None, _median(values),
                                    max(values) if values else None, _bins(values, marks)))
    slowest = sorted(graded, key=lambda r: -r.duration_s)[:SLOWEST]
    stopped = [StoppedRun(r.student, r.report.failure.kind.value, clean(r.message)) for r in graded
               if r.report.failure is not None]
    not_graded = tuple((r.student, r.status.value, clean(r.message)) for r in batch.results
                       if r.status in (Status.REFUSED, Status.ERROR))
    due = due or project.release.due
    times = dict(submitted or {})
    late = tuple(s for s, when in times.items() if due is not None and when > due)
    return ClassReport(
        project=project.id, title=project.title, students=len(batch.results), graded=len(graded),
        passed=batch.count(Status.PASSED), max_score=sum(t.weight for t in project.thresholds),
        scores=_score_bins([r.report.score for r in graded], [t.weight for t in project.thresholds]),
        causes=tuple(causes), metrics=tuple(spreads),
        slowest=tuple(SlowRun(r.student, round(r.duration_s, 3), round(r.report.training_s, 3))
                      for r in slowest),
        stopped=tuple(stopped), not_graded=not_graded, release=project.release, due=due, submitted=times,
        late=tuple(sorted(late)), similarity=similarity)


def _iso(when: _dt.datetime | None) -> str | None:
    return when.isoformat(timespec="seconds") if when is not None else None


def _finite(value: float | None) -> float | None:
    return round(value, 6) if value is not None and math.isfinite(value) else None


def class_json(report: ClassReport) -> dict[str, Any]:
    """The `class` object of summary.json (docs/json.md)."""
    sim = report.similarity
    return {
        "students": report.students, "graded": report.graded, "passed": report.passed,
        "share_passing": round(report.share_passing, 4), "max_score": report.max_score,
        "scores": [{"low": b.low, "high": b.high, "count": b.count} for b in report.scores],
        "causes": [{"code": c.code, "severity": c.severity, "lesson": c.lesson, "count": c.count,
                    "students": list(c.students), "message": c.message} for c in report.causes],
        "metrics": [{"metric": m.metric, "target": m.target, "min": m.minimum, "max": m.maximum,
                     "measured": m.measured, "met": m.met, "not_measured": m.not_measured,
                     "lowest": _finite(m.lowest), "median": _finite(m.median), "highest": _finite(m.highest),
                     "bins": [{"low": _finite(b.low), "high": _finite(b.high), "count": b.count} for b in m.bins]}
                    for m in report.metrics],
        "slowest": [{"student": s.student, "duration_s": s.duration_s, "training_s": s.training_s}
                    for s in report.slowest],
        "stopped": [{"student": s.student, "kind": s.kind, "verdict": s.verdict} for s in report.stopped],
        "not_graded": [{"student": s, "status": status, "why": why} for s, status, why in report.not_graded],
        "release": {"metrics": report.release.metrics.value, "feedback": report.release.feedback.value,
                    "submissions_per_day": report.release.submissions_per_day, "due": _iso(report.due)},
        "late": list(report.late),
        "similarity": None if sim is None else {
            "threshold": sim.threshold, "min_tokens": sim.min_tokens, "k": sim.k, "window": sim.window,
            "common_share": sim.common_share, "compared": len(sim.compared), "not_compared": dict(sim.not_compared),
            "flagged": len(sim.flagged),
            "pairs": [{"a": p.a, "b": p.b, "similarity": p.similarity, "a_share": p.a_share, "b_share": p.b_share,
                       "tokens": p.tokens, "worth_a_look": p.worth_a_look,
                       "fragments": [{"tokens": f.tokens, "a_file": f.a_file, "a_lines": list(f.a_lines),
                                      "b_file": f.b_file, "b_lines": list(f.b_lines), "a_text": f.a_text,
                                      "b_text": f.b_text} for f in p.fragments]}
                      for p in sim.pairs if p.worth_a_look or p.tokens >= sim.min_tokens]},
    }
