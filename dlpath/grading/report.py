"""The reports a grade and a training run produce: complete, serialisable, rendered elsewhere.

`GradeReport` is everything `dlpath check` learned (the `--format json` shape,
docs/json.md); `CheckOutcome` adds what recording it did; `RunReport` is what
`dlpath run` learned (training only, no hidden data, no thresholds). Formatters
(`dlpath.grading.formats`) and the rich renderer read these objects and
nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlpath.grading.diagnose import Diagnosis
from dlpath.grading.protocol import Curves, Failure, SandboxReport
from dlpath.grading.thresholds import ThresholdResult

__all__ = ["GradeReport", "CheckOutcome", "RunReport", "OUTPUT_TAIL_CHARS", "verdict", "report_from_json"]

OUTPUT_TAIL_CHARS = 4000  # characters of the learner's output kept in a report


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


@dataclass(frozen=True)
class CheckOutcome:
    """A grade and what happened when it was recorded."""

    report: GradeReport
    recorded: bool = False  #: the attempt is in the store
    record_problem: str | None = None  #: why it could not be recorded (the grade stands)
    lesson_completed: bool = False  #: this check completed the lesson


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


def verdict(passed: bool, thresholds: list[ThresholdResult], failure: Failure | None) -> str:
    """The verdict in one sentence."""
    if failure is not None:
        return failure.verdict()
    if passed:
        return "every threshold met"
    parts = []
    for t in thresholds:
        if t.passed:
            continue
        if t.value is None:
            value = "was not measured"
        elif t.value != t.value or t.value in (float("inf"), float("-inf")):
            value = "is not finite"
        else:
            value = f"is {t.value:.4g}"
        parts.append(f"{t.metric} {value}, which misses its target {t.target}")
    return "; ".join(parts) if parts else "the evaluation did not finish"


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
        return GradeReport(
            project=str(data["project"]), lesson=str(data["lesson"]), task=str(data["task"]),
            passed=bool(data["passed"]), verdict=str(data["verdict"]), score=float(data["score"]),
            max_score=float(data["max_score"]), thresholds=thresholds, diagnoses=diagnoses, curves=curves,
            seed=int(data["seed"]), device=None if data.get("device") is None else str(data["device"]),
            budget_s=float(data["budget_s"]), memory_mb=int(data["memory_mb"]), duration_s=float(data["duration_s"]),
            training_s=float(data["training_s"]), peak_memory_mb=float(data["peak_memory_mb"]),
            sandbox=SandboxReport.from_json(data.get("sandbox")), failure=failure,
            output_tail=str(data.get("output_tail") or ""), output_bytes=int(data.get("output_bytes") or 0),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a grade report ({type(exc).__name__}: {exc})") from None
