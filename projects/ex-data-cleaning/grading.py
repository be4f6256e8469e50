"""The judge's side of ex-data-cleaning: hidden tables and patients, the reference, a check, and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import math

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake

NAN = float("nan")


def _medians(table: torch.Tensor, how: str = "median") -> torch.Tensor:
    """Per column, from the known values: the median (mean of the two middle ones), the lower middle one, or
    the mean; 0 for a column with no known value."""
    out = []
    for column in table.T:
        known = column[~torch.isnan(column)].sort().values
        if not known.numel():
            out.append(0.0)
        elif how == "mean":
            out.append(float(known.mean()))
        else:
            n = known.numel()
            low, high = float(known[(n - 1) // 2]), float(known[n // 2])
            out.append(low if how == "lower" else (low + high) / 2)
    return torch.tensor(out, dtype=table.dtype)


def _fill(table: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    return torch.where(torch.isnan(table), values, table)


def _filled(train: torch.Tensor, other: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    fill = _medians(train)
    return _fill(train, fill), _fill(other, fill)


def _holes(table: torch.Tensor, share: float, rng: torch.Generator) -> torch.Tensor:
    table = table.clone()
    table[torch.rand(table.shape, generator=rng) < share] = NAN
    return table


def _tables(rng: torch.Generator) -> list[Case]:
    ages = torch.tensor([34, 41, NAN, 29, 52, NAN, 38, 47], dtype=torch.float64).reshape(-1, 1)
    later = torch.tensor([250, 44, NAN, 31], dtype=torch.float64).reshape(-1, 1)
    no_known = _holes(torch.randn(6, 3, generator=rng, dtype=torch.float64), 0.2, rng)
    no_known[:, 1] = NAN
    return [
        Case("the lesson's ages: 6 known training values", ages, later),
        Case("a (20, 3) table with a fifth of its values missing",
             _holes(torch.randn(20, 3, generator=rng, dtype=torch.float64), 0.2, rng),
             _holes(torch.randn(7, 3, generator=rng, dtype=torch.float64), 0.2, rng)),
        Case("test rows far larger than the training rows",
             _holes(torch.randn(9, 2, generator=rng, dtype=torch.float64), 0.3, rng),
             _holes(100 + torch.randn(9, 2, generator=rng, dtype=torch.float64), 0.3, rng)),
        Case("a training column with no known value at all", no_known,
             _holes(torch.randn(4, 3, generator=rng, dtype=torch.float64), 0.5, rng)),
        Case("nothing missing", torch.randn(5, 2, generator=rng, dtype=torch.float64),
             torch.randn(3, 2, generator=rng, dtype=torch.float64)),
    ]


def _other_only(got: object, train: torch.Tensor, other: torch.Tensor, fill: torch.Tensor) -> bool:
    return isinstance(got, (tuple, list)) and len(got) == 2 and matches(got[1], _fill(other, fill))


@mistake("impute-leak")
def _leak(case: Case, got: object, want: object) -> str | None:
    train, other = case.args
    own, pooled = _medians(other), _medians(torch.cat([train, other]))
    if not (matches(want[1], _fill(other, own)) and matches(want[1], _fill(other, pooled))) and (
            _other_only(got, train, other, own) or _other_only(got, train, other, pooled)):
        return ("The other rows were filled with a median computed on them (or on all rows): test information has "
                "leaked into the cleaning. Compute each fill value on the training rows only, then apply the same "
                "numbers to every split.")
    return None


@mistake("impute-lower-median")
def _lower(case: Case, got: object, want: object) -> str | None:
    train, other = case.args
    lower = _medians(train, "lower")
    if not matches(lower, _medians(train)) and matches(got, (_fill(train, lower), _fill(other, lower))):
        return ("With an even number of known values you took the lower middle one (torch.nanmedian does that). The "
                "median of an even count is the mean of the two middle values: 39.5 for the lesson's ages, as "
                "np.nanmedian says.")
    return None


@mistake("impute-mean")
def _mean(case: Case, got: object, want: object) -> str | None:
    train, other = case.args
    mean = _medians(train, "mean")
    if not matches(mean, _medians(train)) and matches(got, (_fill(train, mean), _fill(other, mean))):
        return ("You filled with the column's mean. The lesson fills numbers with the median, which one extreme "
                "value (a 250 among ages) cannot drag away.")
    return None


def _patients(rng: torch.Generator) -> list[Case]:
    def ids(count: int, first: int) -> torch.Tensor:
        rows = torch.randint(1, 6, (count,), generator=rng)
        groups = torch.repeat_interleave(first + torch.randperm(count, generator=rng) * 7, rows)
        return groups[torch.randperm(groups.numel(), generator=rng)]

    seed = int(torch.randint(0, 10_000, (1,), generator=rng))
    return [
        Case("12 patients with 1 to 5 rows each, in no order", ids(12, 1000), 0.25, seed),
        Case("30 patients, half of them for testing", ids(30, 3), 0.5, seed + 1),
        Case("a single patient", torch.full((6,), 42), 0.3, seed + 2),
        Case("every row its own patient", torch.arange(10) + 500, 0.2, seed + 3),
    ]


def _sides(got: object) -> tuple[torch.Tensor, torch.Tensor] | None:
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return None
    try:
        return tuple(torch.as_tensor(side).long().reshape(-1) for side in got)  # type: ignore[return-value]
    except (TypeError, ValueError, RuntimeError):
        return None


def _check_split(case: Case, got: object) -> str | None:
    groups, fraction, _ = case.args
    sides = _sides(got)
    if sides is None:
        return "return a pair (train_rows, test_rows) of row-index tensors"
    train, test = sides
    rows = torch.cat([train, test]).sort().values
    if not torch.equal(rows, torch.arange(groups.numel())):
        return "every row must land on exactly one side, once"
    both = set(groups[train].tolist()) & set(groups[test].tolist())
    if both:
        return f"patient {min(both)} has rows on both sides"
    patients, chosen = len(set(groups.tolist())), len(set(groups[test].tolist()))
    if not math.floor(fraction * patients) <= chosen <= math.ceil(fraction * patients):
        return (f"{chosen} of {patients} patients are on the test side, where test_fraction = {fraction} asks for "
                f"{fraction * patients:g}")
    return None


@mistake("group-leak")
def _group_leak(case: Case, got: object, want: object) -> str | None:
    sides = _sides(got)
    groups = case.args[0]
    rows = torch.cat(sides) if sides is not None else None
    if rows is None or not rows.numel() or int(rows.min()) < 0 or int(rows.max()) >= groups.numel():
        return None
    both = sorted(set(groups[sides[0]].tolist()) & set(groups[sides[1]].tolist()))
    if both:
        return (f"Patient {both[0]} (and {len(both) - 1} more) has rows on both sides: the model would be graded on "
                "people it has already seen. Split the patient ids, then take every row of each test patient.")
    return None


@mistake("group-split-rows")
def _rows(case: Case, got: object, want: object) -> str | None:
    sides = _sides(got)
    groups = case.args[0]
    if sides is None:
        return None
    rows = torch.cat(sides)
    if rows.numel() != groups.numel() or rows.unique().numel() != rows.numel():
        return (f"{groups.numel()} rows went in and {rows.numel()} row indices came out ({rows.unique().numel()} "
                "distinct): every row must land on exactly one side. Return row indices (positions 0 to N - 1), "
                "not patient ids.")
    return None


EXERCISES = [
    Exercise("fill_missing", _tables, reference=_filled, rtol=1e-9, atol=1e-12, mistakes=[_leak, _lower, _mean]),
    Exercise("group_split", _patients, check=_check_split, mistakes=[_group_leak, _rows]),
]
