"""The result of a grade: `GradeResult` (the `--json` shape) and its verdict in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlpath.grading.thresholds import ThresholdResult

__all__ = ["GradeResult", "Check", "verdict", "OUTPUT_TAIL_CHARS"]

OUTPUT_TAIL_CHARS = 4000  # characters of the learner's output kept in a result


@dataclass(frozen=True)
class GradeResult:
    """One `dlpath check`, exactly as `--json` prints it."""

    project: str  #: the project id
    passed: bool  #: every threshold met
    verdict: str  #: one sentence: why it passed or what stopped it
    duration_s: float  #: wall time of the whole check, in seconds
    device: str | None  #: "cpu" or "cuda" (None if the child never got that far)
    thresholds: list[ThresholdResult]  #: each target, measured value and pass/fail
    diagnoses: list[Any]  #: `dlpath.grading.diagnose.Diagnosis` (code, message, lesson)
    output_tail: str  #: the last lines the learner's code printed (and its traceback)


@dataclass(frozen=True)
class Check:
    """A `GradeResult` plus what the report shows beside it (not part of `--json`)."""

    result: GradeResult
    curves: list[dict] = field(default_factory=list)  #: the learner's logged points
    failure: dict | None = None  #: how training ended early (see `dlpath.grading.diagnose`)
    seed: int = 0  #: the hidden test seed (`--seed` reproduces the grade)
    budget_s: float = 0.0
    lesson: str | None = None  #: the lesson a pass completes
    lesson_completed: bool = False  #: this check completed the lesson
    output_bytes: int = 0  #: how much the learner's code printed in all


def _where(failure: dict) -> str:
    if failure.get("file"):
        return f" at {failure['file']}:{failure['line']}" if failure.get("line") else f" in {failure['file']}"
    return ""


def _failure_verdict(failure: dict) -> str:
    kind = failure.get("kind")
    message = str(failure.get("message") or "").strip()
    first_line = message.splitlines()[0] if message else ""
    if len(first_line) > 300:
        first_line = first_line[:297] + "..."
    evaluating = failure.get("stage") == "evaluate"
    if kind == "timeout":
        return f"stopped after the {failure.get('budget_s', 0):g} s budget"
    if kind == "memory":
        if message.startswith("stopped"):
            return message
        return f"stopped: your code ran out of memory{_where(failure)} ({first_line})"
    if kind == "exception":
        what = "evaluating your model raised" if evaluating else "your code raised"
        exc = failure.get("exc_type") or "an exception"
        return f"{what} {exc}{_where(failure)}: {first_line}" if first_line else f"{what} {exc}{_where(failure)}"
    if kind == "contract":
        return f"train.py does not follow the contract: {first_line}"
    if kind == "exit":
        if first_line.startswith("sys.exit("):
            return f"your code called {first_line}{_where(failure)} before grading finished"
        return f"your code ended the process early: {first_line}"
    if kind == "signal":
        name = failure.get("signal", "")
        if name == "SIGABRT":
            return "the process aborted (SIGABRT) before grading finished: an os.abort() or a crash in native code"
        if name == "SIGSEGV":
            return "the process crashed with a segmentation fault (SIGSEGV) before grading finished"
        if name == "SIGKILL":
            return "the process was killed (SIGKILL) before grading finished, perhaps by the system for using too much memory"
        return f"the process was stopped by {name or 'a signal'} before grading finished"
    if kind == "no-result":
        return f"training finished, but {first_line}"
    return first_line or "grading stopped early"


def verdict(passed: bool, thresholds: list[ThresholdResult], failure: dict | None) -> str:
    """The verdict in one sentence."""
    if failure is not None:
        return _failure_verdict(failure)
    if passed:
        return "every threshold met"
    missed = [t for t in thresholds if not t.passed]
    parts = []
    for t in missed:
        value = "was not measured" if t.value is None else f"is {t.value:.4g}"
        parts.append(f"{t.metric} {value}, which misses its target {t.target}")
    return "; ".join(parts) if parts else "the evaluation did not finish"
