"""The judge's side of ex-scaling-normalization: hidden tables, references, and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

from typing import Callable

import torch

from dlpath.grading.exercises import Case, Exercise, differs, finite, matches, mistake

Stats = Callable[[torch.Tensor], "tuple[torch.Tensor, torch.Tensor]"]


def _standard(correction: int) -> Stats:
    return lambda t: (t.mean(dim=0), t.std(dim=0, correction=correction))


def _min_max(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    low = t.min(dim=0).values
    return low, t.max(dim=0).values - low


def _apply(table: torch.Tensor, shift: torch.Tensor, spread: torch.Tensor) -> torch.Tensor:
    return (table - shift) / torch.where(spread > 0, spread, torch.ones_like(spread))


def _scaled(stats: Stats, fit: torch.Tensor, train: torch.Tensor, other: torch.Tensor) -> tuple:
    shift, spread = stats(fit)
    return _apply(train, shift, spread), _apply(other, shift, spread)


def _tables(rng: torch.Generator) -> list[Case]:
    def table(rows: int, scale: list[float], offset: float = 0.0) -> torch.Tensor:
        return offset + torch.randn(rows, len(scale), generator=rng, dtype=torch.float64) * torch.tensor(
            scale, dtype=torch.float64)

    constant = table(8, [1.0, 5.0, 2.0])
    constant[:, 1] = 3.0
    return [
        Case("the lesson's ages and incomes", torch.tensor([[20.0, 30_000.0], [30.0, 52_000.0], [40.0, 81_000.0]],
                                                          dtype=torch.float64),
             torch.tensor([[35.0, 60_000.0]], dtype=torch.float64)),
        Case("features of very different sizes", table(30, [1.0, 1000.0, 0.01]), table(10, [1.0, 1000.0, 0.01])),
        Case("new rows far outside the training range", table(12, [1.0, 2.0]), table(5, [1.0, 2.0], offset=50.0)),
        Case("a column that never changes in training", constant, table(4, [1.0, 5.0, 2.0])),
    ]


def _standard_check(case: Case, got: object) -> str | None:
    """Either standard deviation is right: torch's default (the lesson's, n - 1) or the population one (n)."""
    train, other = case.args
    answers = [_scaled(_standard(c), train, train, other) for c in (1, 0)]
    problems = [differs(got, answer, 1e-7, 1e-10) for answer in answers]
    return None if None in problems else problems[0]


def _leak_with(stats: Stats) -> Callable:
    def leak(case: Case, got: object, want: object) -> str | None:
        train, other = case.args
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            return None
        for fit in (other, torch.cat([train, other])):
            for guess in _guesses(stats, fit, other):
                if matches(got[1], guess) and not matches(guess, _guesses(stats, train, other)[0]):
                    return ("The other rows were scaled with statistics computed on them (or on all rows together): "
                            "the scaler has seen the test data. Compute the statistics on the training rows only, "
                            "then apply exactly the same numbers to the other rows.")
        return None

    return leak


def _guesses(stats: Stats, fit: torch.Tensor, other: torch.Tensor) -> list[torch.Tensor]:
    if stats is _min_max:
        return [_scaled(_min_max, fit, other, other)[1]]
    corrections = (1, 0) if len(fit) > 1 else (0,)  # one row has no sample standard deviation
    return [_scaled(_standard(c), fit, other, other)[1] for c in corrections]


scale_leak = mistake("scale-leak")(_leak_with(_standard(1)))
minmax_leak = mistake("scale-leak")(_leak_with(_min_max))


@mistake("scale-constant-column")
def _constant(case: Case, got: object, want: object) -> str | None:
    train = case.args[0]
    if not finite(got) and bool((train.max(dim=0).values == train.min(dim=0).values).any()):
        return ("A column whose training values are all equal has a spread of 0, and x / 0 is nan or inf. Divide by "
                "1 where the spread is 0: that column then becomes all zeros, which is what it carries.")
    return None


@mistake("scale-wrong-axis")
def _per_row(case: Case, got: object, want: object) -> str | None:
    train, other = case.args
    rows = [(t - t.mean(dim=1, keepdim=True)) / t.std(dim=1, correction=c, keepdim=True)
            for t in (train,) for c in (1, 0)]
    if isinstance(got, (tuple, list)) and len(got) == 2 and any(matches(got[0], r) for r in rows):
        return ("You took the statistics of each row (dim=1). A feature is a column: compute one mean and one "
                "standard deviation per column with dim=0, running down the rows.")
    return None


@mistake("scale-clipped")
def _clipped(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, (tuple, list)) and len(got) == 2 and matches(got[1], want[1].clamp(0, 1)) and not matches(
            want[1], want[1].clamp(0, 1)):
        return ("You clipped the other rows to [0, 1]. Values outside the training range must stay outside it: a "
                "1.7 says the new data lies beyond anything the model has seen, and clipping hides that.")
    return None


EXERCISES = [
    Exercise("standardize", _tables, check=_standard_check, mistakes=[scale_leak, _constant, _per_row]),
    Exercise("min_max_scale", _tables, reference=lambda train, other: _scaled(_min_max, train, train, other),
             rtol=1e-7, atol=1e-10, mistakes=[minmax_leak, _constant, _clipped]),
]
