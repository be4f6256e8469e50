"""The judge's side of ex-learning-habits: hidden plans and review outcomes, the references, the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import math

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake


def _days(outcomes: list[bool], first_gap: int, factor: float, *, gaps: bool = False, python_round: bool = False,
          minimum: bool = True, reset: bool = True, grow_first: bool = False) -> list[int]:
    day, gap, out = 0, first_gap, []
    for i, remembered in enumerate(outcomes):
        if grow_first and (i == 0 or remembered):
            gap = _next(gap, factor, python_round, minimum)
        day += gap
        out.append(gap if gaps else day)
        if not grow_first:
            gap = _next(gap, factor, python_round, minimum) if remembered or not reset else first_gap
        elif not remembered and reset:
            gap = first_gap
    return out


def _next(gap: int, factor: float, python_round: bool, minimum: bool) -> int:
    grown = round(gap * factor) if python_round else math.floor(gap * factor + 0.5)
    return max(gap + 1, grown) if minimum else grown


def _plan(first_gap: int, factor: float, reviews: int, **how) -> list[int]:
    return _days([True] * reviews, first_gap, factor, **how)


def _plans(rng: torch.Generator) -> list[Case]:
    factor = round(1.3 + float(torch.rand(1, generator=rng)) * 1.5, 2)
    return [
        Case("a first review after 2 days, gaps growing 2.5 times", 2, 2.5, 6),
        Case("gaps that land on a half: 1 x 2.5 = 2.5, then 3 x 2.5 = 7.5", 1, 2.5, 3),
        Case("a factor of 1.0: each gap is still one day longer", 2, 1.0, 5),
        Case("a factor of 1.2 on a one-day gap: 1.2 rounds to 1", 1, 1.2, 6),
        Case(f"a first gap of 3 days, a factor of {factor}", 3, factor, 7),
        Case("no review planned", 1, 2.5, 0),
    ]


@mistake("review-gaps-not-days")
def _gaps(case: Case, got: object, want: object) -> str | None:
    if case.args[2] > 1 and matches(got, _plan(*case.args, gaps=True)):
        return ("You returned the gaps between reviews. The plan needs the days themselves, counted from the day you "
                "learned the idea: add each gap to the day of the review before.")
    return None


@mistake("review-round-half-even")
def _python_round(case: Case, got: object, want: object) -> str | None:
    if matches(got, _plan(*case.args, python_round=True)) and not matches(want, _plan(*case.args, python_round=True)):
        return ("A gap of 2.5 days became 2: Python's round() sends halves to the even neighbour. The docstring rounds "
                "halves up, math.floor(x + 0.5), so 2.5 is 3 and 7.5 is 8.")
    return None


@mistake("review-gap-stuck")
def _stuck(case: Case, got: object, want: object) -> str | None:
    if matches(got, _plan(*case.args, minimum=False)):
        return (f"With a factor of {case.args[1]:g} your gap stopped growing: {case.args[0]} x {case.args[1]:g} rounds "
                "back to the same gap. Each good review must earn a longer wait: take max(gap + 1, the rounded gap).")
    return None


def _histories(rng: torch.Generator) -> list[Case]:
    mixed = (torch.rand(10, generator=rng) < 0.7).tolist()
    return [
        Case("every review remembered", [True] * 5, 1, 2.5),
        Case("the third review forgotten: start over", [True, True, False, True, True], 1, 2.5),
        Case("the first review forgotten", [False, True, True], 2, 2.0),
        Case("three forgotten in a row", [True, False, False, False, True], 1, 3.0),
        Case("ten reviews, some forgotten", mixed, 1, 2.2),
        Case("a single review", [False], 4, 2.5),
    ]


@mistake("schedule-no-reset")
def _no_reset(case: Case, got: object, want: object) -> str | None:
    if matches(got, _days(*case.args, reset=False)):
        return ("After a forgotten review your gap kept growing. Forgetting means the gap was too long: the next "
                "review comes after first_gap days again, and the gaps grow from there.")
    return None


@mistake("schedule-first-gap-skipped")
def _grew_first(case: Case, got: object, want: object) -> str | None:
    if matches(got, _days(*case.args, grow_first=True)):
        return ("Your first review comes after a grown gap. The first review is first_gap days after day 0; a gap "
                "grows only after a review you remembered.")
    return None


EXERCISES = [
    Exercise("review_days", _plans, reference=_plan, mistakes=[_python_round, _gaps, _stuck]),
    Exercise("schedule", _histories, reference=_days, mistakes=[_no_reset, _grew_first]),
]
