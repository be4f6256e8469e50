"""The judge's side of ex-feature-engineering: hidden records, the references, and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import math

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake

COLOURS = ["blue", "green", "red"]


# ------------------------------------------------------------------ one_hot


def _encode(values: list, categories: list[str]) -> torch.Tensor:
    out = torch.zeros(len(values), len(categories))
    for row, value in enumerate(values):
        if value in categories:
            out[row, categories.index(value)] = 1.0
    return out


def _pick(rng: torch.Generator, choices: list, n: int) -> list:
    return [choices[int(i)] for i in torch.randint(0, len(choices), (n,), generator=rng)]


def _categories(rng: torch.Generator) -> list[Case]:
    stations = [f"station-{i}" for i in (3, 11, 7, 1, 5, 8, 2, 6)]
    return [
        Case("the lesson's countries", ["FR", "NO", "FR"], ["FR", "NO"]),
        Case("a colour the training data never had", _pick(rng, COLOURS, 5) + ["purple"], COLOURS),
        Case("a missing value (None)", ["red", None, "blue"], COLOURS),
        Case("a category that no row has", ["blue", "blue", "green"], COLOURS + ["yellow"]),
        Case("categories not in alphabetical order", _pick(rng, ["red", "green", "blue"], 6), ["red", "green", "blue"]),
        Case("no rows at all", [], COLOURS),
        Case("30 rentals at 8 stations", _pick(rng, stations, 30), stations),
    ]


@mistake("one-hot-column-order")
def _column_order(case: Case, got: object, want: object) -> str | None:
    values, categories = case.args
    ordered = sorted(categories)
    if ordered != categories and matches(got, _encode(values, ordered)):
        return (f"Your columns are in alphabetical order, {ordered}; they must follow the categories list as given, "
                f"{categories}: the model's weights are tied to column positions, and the training order is the "
                "one every later table must repeat.")
    return None


@mistake("one-hot-ordinal")
def _ordinal(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, (torch.Tensor, list)) and torch.as_tensor(got).dim() == 1:
        return ("You returned one number per row, an ordinal code. That tells the model that the third category is "
                "'twice' the second, which means nothing for unordered values. One-hot gives each category its own "
                "0/1 column: a table (rows, categories).")
    return None


@mistake("one-hot-columns-from-data")
def _from_data(case: Case, got: object, want: object) -> str | None:
    values, categories = case.args
    if isinstance(got, torch.Tensor) and got.dim() == 2 and got.shape[1] != len(categories):
        return (f"Your table has {got.shape[1]} columns for {len(categories)} categories: the columns came from the "
                "values seen (as pd.get_dummies does). Fix them to the training categories, so a new or missing "
                "value gets a row of zeros and every table has the same columns.")
    return None


# ------------------------------------------------------------------ hour_features


def _circle(hours: torch.Tensor, period: float = 24.0) -> torch.Tensor:
    angle = 2 * math.pi * hours / period
    return torch.stack([torch.sin(angle), torch.cos(angle)], dim=1)


def _hours(rng: torch.Generator) -> list[Case]:
    def f64(values: list[float]) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.float64)

    return [
        Case("the lesson's 23:50, 00:10 and noon", f64([23 + 50 / 60, 10 / 60, 12.0])),
        Case("midnight, 6:00, noon and 18:00", f64([0.0, 6.0, 12.0, 18.0])),
        Case("a single hour", f64([7.5])),
        Case("20 hours of the day", 24 * torch.rand(20, generator=rng, dtype=torch.float64)),
    ]


@mistake("cyclic-degrees")
def _degrees(case: Case, got: object, want: object) -> str | None:
    hours = case.args[0]
    angle = 360 * hours / 24
    if matches(got, torch.stack([torch.sin(angle), torch.cos(angle)], dim=1)):
        return ("Your angle is in degrees (360 * hour / 24), but sin and cos take radians: a full turn is 2 * pi, "
                "so the angle is 2 * pi * hour / 24.")
    return None


@mistake("cyclic-sine-only")
def _sine_only(case: Case, got: object, want: object) -> str | None:
    sine = _circle(case.args[0])[:, 0]
    if matches(got, sine) or matches(got, sine[:, None]):
        return ("You returned only the sine. Alone it gives 3:00 and 9:00 the same value (both sin = 0.71): two "
                "different hours look alike. The sine and the cosine together place each hour on its own point of "
                "the circle.")
    return None


@mistake("cyclic-period")
def _period(case: Case, got: object, want: object) -> str | None:
    hours = case.args[0]
    for period in (23.0, 12.0, 60.0):
        if matches(got, _circle(hours, period)):
            return (f"Your circle turns once every {period:g} hours. The day turns once in 24: with any other period "
                    "23:50 and 00:10 are no longer neighbours. The angle is 2 * pi * hour / 24.")
    return None


# ------------------------------------------------------------------ past_mean


def _history(customers: torch.Tensor, times: torch.Tensor, amounts: torch.Tensor, how: str = "past") -> torch.Tensor:
    out = torch.zeros(len(amounts), dtype=torch.float64)
    for i in range(len(amounts)):
        same = customers == customers[i]
        if how == "past":
            chosen = same & (times < times[i])
        elif how == "now":
            chosen = same & (times <= times[i])
        elif how == "all":
            chosen = same
        else:  # the rows above it, whatever their time
            chosen = same & (torch.arange(len(amounts)) < i)
        if bool(chosen.any()):
            out[i] = amounts[chosen].mean()
    return out


def _purchases(rng: torch.Generator) -> list[Case]:
    def f64(values: list[float]) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.float64)

    ids, times, amounts = torch.tensor([7, 7, 7, 7]), f64([1, 2, 5, 9]), f64([20, 40, 30, 90])
    shuffle = torch.tensor([2, 0, 3, 1])
    n = 40
    return [
        Case("one customer, four purchases in time order", ids, times, amounts),
        Case("the same purchases in shuffled row order", ids[shuffle], times[shuffle], amounts[shuffle]),
        Case("two customers, purchases interleaved", torch.tensor([1, 2, 1, 2, 1]), f64([1, 2, 3, 4, 5]),
             f64([10, 100, 30, 300, 50])),
        Case("two purchases at the same moment", torch.tensor([4, 4, 4]), f64([3, 3, 8]), f64([12, 18, 60])),
        Case("a customer with a single purchase", torch.tensor([9]), f64([4.5]), f64([75])),
        Case(f"{n} purchases of 5 customers, in no order", torch.randint(0, 5, (n,), generator=rng),
             torch.randperm(n, generator=rng).double(), (100 * torch.rand(n, generator=rng, dtype=torch.float64)).round()),
    ]


def _past_mean(customers: torch.Tensor, times: torch.Tensor, amounts: torch.Tensor) -> torch.Tensor:
    return _history(customers, times, amounts)


def _is(case: Case, got: object, want: object, how: str) -> bool:
    wrong = _history(*case.args, how=how)
    return not matches(wrong, want) and matches(got, wrong)


@mistake("aggregate-includes-now")
def _includes_now(case: Case, got: object, want: object) -> str | None:
    if _is(case, got, want, "now"):
        return ("Your average includes the purchase itself. At prediction time its amount is what you may be "
                "predicting: a feature built from it leaks the target. Average the strictly earlier purchases only.")
    return None


@mistake("aggregate-uses-future")
def _uses_future(case: Case, got: object, want: object) -> str | None:
    if _is(case, got, want, "all"):
        return ("Your average uses all of the customer's purchases, later ones included. When the model predicts, "
                "the future is not known yet: validation scores look wonderful and the deployed model fails. Use "
                "only purchases before each row's time.")
    return None


@mistake("aggregate-row-order")
def _row_order(case: Case, got: object, want: object) -> str | None:
    if _is(case, got, want, "rows"):
        return ("Your average takes the rows above each row, but the rows are not in time order: some of them are "
                "later purchases. Compare the times (times[j] < times[i]), not the row positions.")
    return None


EXERCISES = [
    Exercise("one_hot", _categories, reference=_encode, mistakes=[_column_order, _ordinal, _from_data]),
    Exercise("hour_features", _hours, reference=_circle, rtol=1e-6, atol=1e-9,
             mistakes=[_degrees, _sine_only, _period]),
    Exercise("past_mean", _purchases, reference=_past_mean, rtol=1e-9, atol=1e-9,
             mistakes=[_includes_now, _uses_future, _row_order]),
]
