"""Comparing the judge's measurements with a project's thresholds, and the points they give."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from dlpath.grading.project import Threshold

__all__ = ["ThresholdResult", "compare", "describe_target", "margin", "PLAIN", "explained"]


@dataclass(frozen=True)
class ThresholdResult:
    """One threshold after a check (the `--json` shape)."""

    metric: str  #: the metric's name, as the task measures it
    target: str  #: the condition in words: ">= 0.9", "<= 20000", "between 0.1 and 0.2"
    value: float | None  #: what the judge measured (None: not measured, e.g. training failed)
    passed: bool
    min: float | None = None
    max: float | None = None
    weight: float = 1.0  #: points this threshold is worth (project.yaml `weight`, default 1)
    points: float = 0.0  #: `weight` when passed, else 0: the same in every output format


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 or value != int(value) else f"{int(value)}"


#: a metric a beginner meets in a grade without having met it in a lesson, said plainly (`dlpath start`, `show`)
PLAIN = {
    "learned_skill": "what training taught your model: the grader puts every weight your training changed back "
                     "where build_model left it and measures how much the score drops, so the answer must come "
                     "from training, not from code or weights written by hand",
    "clean_accuracy": "accuracy on the new patients whose recorded diagnosis follows from their measurements: "
                      "the records a clinic got wrong are left out, so no clinic's care with its records moves it",
    "honesty_gap": "how far your estimate for each clinic falls from the accuracy the grader measures on that "
                   "clinic's new patients (the worst clinic counts)",
    "backward_scaling": "how much longer backward() takes on a graph with 1,024 inputs than on one of the same size "
                        "with 2: backpropagation visits each value once either way, a method that works input by "
                        "input takes hundreds of times longer",
    "copying": "how often a generated point lies nearer a training point than new real points do: about 0.5 "
               "for samples as new as real data, 1 for training points given back",
    "teacher_agreement": "how often your compressed model gives the teacher's answer at points the grader draws "
                         "between and around the data, where the labels say nothing: a compression of the teacher "
                         "answers as the teacher does there too, a model made from the data alone does not",
}


def explained(thresholds: tuple[Threshold, ...] | list[Threshold]) -> tuple[str, ...]:
    """"metric: what it means" for each of ``thresholds`` whose metric needs saying (``PLAIN``), once each."""
    seen: list[str] = []
    for t in thresholds:
        if t.metric in PLAIN and t.metric not in seen:
            seen.append(t.metric)
    return tuple(f"{name}: {PLAIN[name]}" for name in seen)


def describe_target(threshold: Threshold) -> str:
    """The condition of `threshold` in a few characters."""
    if threshold.min is not None and threshold.max is not None:
        return f"between {_number(threshold.min)} and {_number(threshold.max)}"
    if threshold.min is not None:
        return f">= {_number(threshold.min)}"
    return f"<= {_number(threshold.max)}"  # type: ignore[arg-type]


def compare(thresholds: tuple[Threshold, ...] | list[Threshold],
            metrics: Mapping[str, float] | None) -> list[ThresholdResult]:
    """Each threshold against `metrics` (None: nothing was measured, so nothing passes)."""
    results = []
    for threshold in thresholds:
        value = None if metrics is None else metrics.get(threshold.metric)
        ok = isinstance(value, (int, float)) and math.isfinite(value)
        if ok and threshold.min is not None and value < threshold.min:  # type: ignore[operator]
            ok = False
        if ok and threshold.max is not None and value > threshold.max:  # type: ignore[operator]
            ok = False
        results.append(ThresholdResult(
            threshold.metric, describe_target(threshold), None if value is None else float(value), bool(ok),
            threshold.min, threshold.max, threshold.weight, threshold.weight if ok else 0.0))
    return results


def margin(result: ThresholdResult) -> float | None:
    """How far the value is inside its target (negative: outside), in the metric's units."""
    if result.value is None or not math.isfinite(result.value):
        return None
    sides = []
    if result.min is not None:
        sides.append(result.value - result.min)
    if result.max is not None:
        sides.append(result.max - result.value)
    return min(sides) if sides else None
