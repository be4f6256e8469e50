"""The judge's side of ex-ml-fundamentals: hidden sizes and timestamps, the checks, and the mistakes.

Only the judge imports this file; the learner's process never sees it. Many fold assignments are right, so
kfold is graded by a check of its properties; time_split's answer is unique up to the order of the rows inside
each part, so it is compared as sets.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, mistake


def _rows(value: object) -> torch.Tensor | None:
    """A part of an answer as a 1-D int64 tensor of row positions (None when it is not whole numbers)."""
    try:
        t = torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError):
        return None
    if t.is_floating_point() and not bool((t == t.round()).all()):
        return None
    return t.long().reshape(-1)


def _folds(got: object, k: int) -> list[tuple[torch.Tensor, torch.Tensor]] | None:
    if not isinstance(got, (list, tuple)) or len(got) != k:
        return None
    out = []
    for pair in got:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            return None
        train, val = _rows(pair[0]), _rows(pair[1])
        if train is None or val is None:
            return None
        out.append((train, val))
    return out


def _sizes(rng: torch.Generator) -> list[Case]:
    n = int(torch.randint(40, 90, (1,), generator=rng))
    return [
        Case("10 rows in 5 folds", 10, 5),
        Case("11 rows in 4 folds: k does not divide n", 11, 4),
        Case("13 rows in 5 folds", 13, 5),
        Case("7 rows in 7 folds: leave one out", 7, 7),
        Case(f"{n} rows in 6 folds", n, 6),
        Case("5 rows in 2 folds", 5, 2),
    ]


def _check_folds(case: Case, got: object) -> str | None:
    n, k = case.args
    folds = _folds(got, k)
    if folds is None:
        return f"return a list of {k} pairs (train_rows, val_rows) of row positions"
    validated = torch.cat([val for _, val in folds]).sort().values
    if not torch.equal(validated, torch.arange(n)):
        return "the validation folds together must hold every row from 0 to n - 1 exactly once"
    for i, (train, val) in enumerate(folds):
        if not torch.equal(train.sort().values, torch.tensor(sorted(set(range(n)) - set(val.tolist())))):
            return f"fold {i}: the training rows must be every row outside its validation rows, once each"
    sizes = [val.numel() for _, val in folds]
    if max(sizes) - min(sizes) > 1:
        return f"the validation folds have {sizes} rows: their sizes may differ by one row at most"
    return None


@mistake("kfold-lost-rows")
def _lost(case: Case, got: object, want: object) -> str | None:
    n, k = case.args
    folds = _folds(got, k)
    if folds is not None:
        seen = set(torch.cat([val for _, val in folds]).tolist())
        if len(seen) < n and seen <= set(range(n)):
            return (f"{n - len(seen)} of the {n} rows are never validated: with {n // k} rows per fold, the "
                    f"{n % k} left over are dropped. Give the first n % k folds one row more.")
    return None


@mistake("kfold-uneven")
def _uneven(case: Case, got: object, want: object) -> str | None:
    n, k = case.args
    folds = _folds(got, k)
    if folds is not None:
        sizes = [val.numel() for _, val in folds]
        if sum(sizes) == n and max(sizes) - min(sizes) > 1:
            return (f"Your folds have {sizes} rows: the last one took the whole remainder. Every fold should weigh "
                    f"about the same in the average score: spread the {n % k} extra rows, one each, over the "
                    "first folds.")
    return None


@mistake("kfold-validation-in-training")
def _leak(case: Case, got: object, want: object) -> str | None:
    n, k = case.args
    for i, (train, val) in enumerate(_folds(got, k) or []):
        both = set(train.tolist()) & set(val.tolist())
        if both:
            return (f"Fold {i} trains on {len(both)} of the rows it validates on (row {min(both)} among them): its "
                    "score measures memory, not generalization. Train each fold on every row except its own "
                    "validation rows.")
    return None


def _times(rng: torch.Generator) -> list[Case]:
    def days(n: int) -> torch.Tensor:
        whole = torch.randperm(3 * n, generator=rng)[:n].double()  # distinct days, in no order
        return whole + torch.rand(n, generator=rng, dtype=torch.float64).mul(0.9).round(decimals=2)

    ordered = days(8).sort().values
    seconds = 1.7e9 + 86400 * days(13)
    return [
        Case("10 days in shuffled order, 20% validation and 20% test", days(10), 0.2, 0.2),
        Case("20 days in shuffled order, 15% and 15%", days(20), 0.15, 0.15),
        Case("rows already in time order", ordered, 0.25, 0.25),
        Case("no validation part", days(7), 0.0, 0.3),
        Case("timestamps in seconds since 1970", seconds, 0.25, 0.15),
    ]


def _parts(times: torch.Tensor, val_fraction: float, test_fraction: float,
           order: torch.Tensor | None = None) -> list[set[int]]:
    n = times.numel()
    order = torch.argsort(times) if order is None else order
    n_test, n_val = round(test_fraction * n), round(val_fraction * n)
    cut = n - n_test - n_val
    return [set(order[:cut].tolist()), set(order[cut:n - n_test].tolist()), set(order[n - n_test:].tolist())]


def _answer_parts(got: object) -> list[torch.Tensor] | None:
    if not isinstance(got, (list, tuple)) or len(got) != 3:
        return None
    parts = [_rows(part) for part in got]
    return None if any(p is None for p in parts) else parts  # type: ignore[return-value]


def _check_time(case: Case, got: object) -> str | None:
    parts = _answer_parts(got)
    if parts is None:
        return "return three tensors of row positions: (train_rows, val_rows, test_rows)"
    for name, part, want in zip(("training", "validation", "test"), parts, _parts(*case.args)):
        if len(part) != len(set(part.tolist())) or set(part.tolist()) != want:
            return f"the {name} rows are {sorted(part.tolist())[:8]}, where {sorted(want)[:8]} were expected"
    return None


@mistake("time-split-by-position")
def _by_position(case: Case, got: object, want: object) -> str | None:
    parts = _answer_parts(got)
    times = case.args[0]
    by_position = _parts(*case.args, order=torch.arange(times.numel()))
    if parts is not None and by_position != _parts(*case.args) and [set(p.tolist()) for p in parts] == by_position:
        return ("You cut the rows in the order they come, but they are not in time order, so your training rows "
                "can hold later days than your test rows. Sort the positions by time first (torch.argsort(times)), then cut.")
    return None


@mistake("time-split-future-in-training")
def _future(case: Case, got: object, want: object) -> str | None:
    parts = _answer_parts(got)
    times = case.args[0]
    if parts is None or not all(((p >= 0) & (p < times.numel())).all() for p in parts):
        return None
    train, test = parts[0], parts[2]
    if train.numel() and test.numel() and float(times[train].max()) > float(times[test].min()):
        return (f"A training row (time {float(times[train].max()):g}) comes after a test row (time "
                f"{float(times[test].min()):g}): the model would learn from the future it is tested on. Deployment "
                "only has the past: train on the earliest rows and test on the latest.")
    return None


@mistake("time-split-times-not-rows")
def _times_not_rows(case: Case, got: object, want: object) -> str | None:
    times = case.args[0]
    if isinstance(got, (list, tuple)) and len(got) == 3:
        try:
            values = torch.cat([torch.as_tensor(p, dtype=torch.float64).reshape(-1) for p in got]).sort().values
        except (TypeError, ValueError, RuntimeError):
            return None
        if values.numel() == times.numel() and torch.allclose(values, times.sort().values):
            return ("You returned the sorted timestamps themselves. The caller needs row positions, to take the "
                    "same rows of the features and the labels: argsort(times) gives them in time order.")
    return None


EXERCISES = [
    Exercise("kfold", _sizes, check=_check_folds, mistakes=[_lost, _uneven, _leak]),
    Exercise("time_split", _times, check=_check_time, mistakes=[_times_not_rows, _by_position, _future]),
]
