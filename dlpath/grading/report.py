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

__all__ = ["GradeReport", "CheckOutcome", "RunReport", "OUTPUT_TAIL_CHARS", "verdict"]

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
