"""Comparing the grader's measurements with a project's thresholds."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from dlpath.projects import Threshold

__all__ = ["ThresholdResult", "compare", "describe_target"]


@dataclass(frozen=True)
class ThresholdResult:
    """One threshold after a check (the `--json` shape: metric, target, value, passed)."""

    metric: str  #: the metric's name, as the task measures it
    target: str  #: the condition in words: ">= 0.9", "<= 20000", "between 0.1 and 0.2"
    value: float | None  #: what the grader measured (None: not measured, e.g. training failed)
    passed: bool


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 or value != int(value) else f"{int(value)}"


def describe_target(threshold: Threshold) -> str:
    """The condition of `threshold` in a few characters."""
    if threshold.min is not None and threshold.max is not None:
        return f"between {_number(threshold.min)} and {_number(threshold.max)}"
    if threshold.min is not None:
        return f">= {_number(threshold.min)}"
    return f"<= {_number(threshold.max)}"  # type: ignore[arg-type]


def compare(thresholds: tuple[Threshold, ...] | list[Threshold], metrics: Mapping[str, float] | None) -> list[ThresholdResult]:
    """Each threshold against `metrics` (None: nothing was measured, so nothing passes)."""
    results = []
    for threshold in thresholds:
        value = None if metrics is None else metrics.get(threshold.metric)
        ok = isinstance(value, (int, float)) and math.isfinite(value)
        if ok and threshold.min is not None and value < threshold.min:  # type: ignore[operator]
            ok = False
        if ok and threshold.max is not None and value > threshold.max:  # type: ignore[operator]
            ok = False
        results.append(ThresholdResult(threshold.metric, describe_target(threshold),
                                       None if value is None else float(value), bool(ok)))
    return results
