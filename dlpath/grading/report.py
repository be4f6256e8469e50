"""The reports a grade and a training run produce: complete, serialisable, rendered elsewhere.

`GradeReport` is everything `dlpath check` learned (the `--format json` shape,
docs/json.md); `CheckOutcome` adds what recording it did; `RunReport` is what
`dlpath run` learned (training only, no hidden data, no thresholds). Formatters
(`dlpath.render.formats`) and the rich renderer read these objects and
nothing else; `report_json` is the one JSON form of a grade (what `--format
json` prints and what the store records).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlpath.grading.diagnose import Diagnosis
from dlpath.grading.protocol import Curves, Failure, SandboxReport
from dlpath.grading.release import ReleasePolicy
from dlpath.grading.thresholds import ThresholdResult
from dlpath.jsonable import jsonable

__all__ = ["GradeReport", "CheckOutcome", "RunReport", "Weakening", "OUTPUT_TAIL_CHARS", "verdict", "report_json",
           "report_from_json"]

OUTPUT_TAIL_CHARS = 4000  # characters of the learner's output kept in a report


@dataclass(frozen=True)
class Weakening:
    """An option the grade was made with that makes it weaker than the project's own grade (a debugging option):
    a pass made with one completes no lesson, unless the course says otherwise (`complete_with:`)."""

    option: str  #: its name in `complete_with:` (course.model.WEAKENING_OPTIONS): "seed", "timeout", ...
    flag: str  #: as it was given: "--seed 4242"
    why: str  #: what it weakens: "the held-out data is chosen, not hidden"


@dataclass(frozen=True)
class GradeReport:
    """One grade, complete."""

    project: str  #: the project id
    lesson: str  #: the lesson a pass completes
    task: str  #: the task kind
    passed: bool  #: every threshold met
    verdict: str  #: one sentence: why it passed or what stopped it
    score: float  #: points earned: the weights of the thresholds met
    max_score: float  #: the weights of all thresholds
    thresholds: list[ThresholdResult]  #: each target, measured value, pass/fail and points
    diagnoses: list[Diagnosis]  #: the mentor's findings, most fundamental first
    curves: Curves  #: the learner's logged curves
    seed: int  #: the hidden test seed (`--seed` grades on the same held-out data again)
    device: str | None  #: "cpu" or "cuda" (None if the learner process never got that far)
    budget_s: float  #: the training budget
    memory_mb: int  #: the memory cap
    duration_s: float  #: wall time of the whole check
    training_s: float  #: wall time of training
    peak_memory_mb: float  #: the most memory the learner's processes were seen to use
    sandbox: SandboxReport  #: what the sandbox did: full, partial or none, and why
    failure: Failure | None  #: how training ended early, if it did
    output_tail: str  #: the last lines the learner's code printed (and its traceback)
    output_bytes: int = 0  #: how much it printed in all
    rule_errors: list[str] = field(default_factory=list)  #: debug data: diagnosis rules that raised (a dlpath bug)
    weakened_by: list[Weakening] = field(default_factory=list)  #: options that made this grade weaker
    hands_on: str = "project"  #: "project" (a model trained and measured) or "exercise" (nothing trained)


@dataclass(frozen=True)
class CheckOutcome:
    """A grade and what happened when it was recorded."""

    report: GradeReport
    recorded: bool = False  #: the attempt is in the store
    record_problem: str | None = None  #: why it could not be recorded (the grade stands)
    lesson_completed: bool = False  #: this check completed the lesson
    not_completed: str | None = None  #: why a pass completes no lesson (an option that weakened it)
    lesson_already_completed: bool = False  #: a pass, and the lesson was complete before it
    unmet_prerequisites: list[str] = field(default_factory=list)  #: a pass that cannot complete the lesson yet
    work_left: list[str] = field(default_factory=list)  #: a pass, and the lesson's other graded work still to pass
    release: ReleasePolicy | None = None  #: the project's release policy (what the platform formats show)

    def __repr__(self) -> str:  # one line: a notebook shows it under the report that `dlpath.check()` drew
        r = self.report
        return (f"CheckOutcome(project={r.project!r}, passed={r.passed}, score={r.score:g}/{r.max_score:g}, "
                f"recorded={self.recorded}, lesson_completed={self.lesson_completed})")


@dataclass(frozen=True)
class RunReport:
    """One `dlpath run`: training on the public data, no grade."""

    project: str
    finished: bool  #: train returned
    verdict: str
    curves: Curves
    diagnoses: list[Diagnosis]
    device: str | None
    budget_s: float
    duration_s: float
    training_s: float
    peak_memory_mb: float
    sandbox: SandboxReport
    failure: Failure | None
    output_tail: str
    output_bytes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    rule_errors: list[str] = field(default_factory=list)  #: debug data: diagnosis rules that raised (a dlpath bug)
    hands_on: str = "project"  #: "project" or "exercise" (an exercise folder: nothing is trained)


def verdict(passed: bool, thresholds: list[ThresholdResult], failure: Failure | None, task: Any = None) -> str:
    """The verdict in one sentence (`task`, the task kind's class, may word a missed threshold itself)."""
    if failure is not None:
        return failure.verdict()
    if passed:
        return "every threshold met"
    parts = []
    for t in thresholds:
        if t.passed:
            continue
        own = task.missed(t) if task is not None else None
        if own:
            parts.append(own)
            continue
        if t.value is None:
            value = "was not measured"
        elif t.value != t.value or t.value in (float("inf"), float("-inf")):
            value = "is not finite"
        else:
            value = f"is {t.value:.4g}"
        parts.append(f"{t.metric} {value}, which misses its target {t.target}")
    return "; ".join(parts) if parts else "the evaluation did not finish"


def report_json(outcome: GradeReport | CheckOutcome) -> dict[str, Any]:
    """The `--format json` object: the grade report plus what recording did (docs/json.md)."""
    report = outcome.report if isinstance(outcome, CheckOutcome) else outcome
    data = jsonable(report)
    data["recorded"] = bool(getattr(outcome, "recorded", False))
    data["record_problem"] = getattr(outcome, "record_problem", None)
    data["lesson_completed"] = bool(getattr(outcome, "lesson_completed", False))
    data["not_completed"] = getattr(outcome, "not_completed", None)
    data["lesson_already_completed"] = bool(getattr(outcome, "lesson_already_completed", False))
    data["unmet_prerequisites"] = list(getattr(outcome, "unmet_prerequisites", []))
    data["work_left"] = list(getattr(outcome, "work_left", []))
    return data


def report_from_json(data: Any) -> GradeReport:
    """A `GradeReport` back from its `--format json` object (docs/json.md), as `dlpath grade` reads its
    children's reports. Raises ValueError when `data` is not that shape."""
    from dlpath.grading.protocol import Series, failure_from_json

    if not isinstance(data, dict):
        raise ValueError("a grade report is a JSON object")
    try:
        thresholds = [ThresholdResult(
            metric=str(t["metric"]), target=str(t["target"]),
            value=None if t.get("value") is None else float(t["value"]), passed=bool(t["passed"]),
            min=None if t.get("min") is None else float(t["min"]), max=None if t.get("max") is None else float(t["max"]),
            weight=float(t.get("weight", 1.0)), points=float(t.get("points", 0.0))) for t in data["thresholds"]]
        diagnoses = [Diagnosis(code=str(d["code"]), severity=str(d["severity"]), message=str(d["message"]),
                               evidence=tuple(str(e) for e in d.get("evidence") or ()),
                               causes=tuple(str(c) for c in d.get("causes") or ()),
                               lesson=None if d.get("lesson") is None else str(d["lesson"]))
                     for d in data["diagnoses"]]
        raw_curves = data.get("curves") or {}
        curves = Curves(raw_curves.get("x"), tuple(
            Series(str(s["name"]), str(s["kind"]), tuple((float(x), float(y)) for x, y in s["points"]))
            for s in raw_curves.get("series") or ()))
        failure = failure_from_json(data["failure"]) if isinstance(data.get("failure"), dict) else None
        weakened = [Weakening(str(w["option"]), str(w["flag"]), str(w["why"])) for w in data.get("weakened_by") or ()]
        return GradeReport(
            project=str(data["project"]), lesson=str(data["lesson"]), task=str(data["task"]),
            passed=bool(data["passed"]), verdict=str(data["verdict"]), score=float(data["score"]),
            max_score=float(data["max_score"]), thresholds=thresholds, diagnoses=diagnoses, curves=curves,
            seed=int(data["seed"]), device=None if data.get("device") is None else str(data["device"]),
            budget_s=float(data["budget_s"]), memory_mb=int(data["memory_mb"]), duration_s=float(data["duration_s"]),
            training_s=float(data["training_s"]), peak_memory_mb=float(data["peak_memory_mb"]),
            sandbox=SandboxReport.from_json(data.get("sandbox")), failure=failure,
            output_tail=str(data.get("output_tail") or ""), output_bytes=int(data.get("output_bytes") or 0),
            rule_errors=[str(e) for e in data.get("rule_errors") or ()],
            weakened_by=weakened,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a grade report ({type(exc).__name__}: {exc})") from None
