"""The judge's side of ex-python-for-dl: hidden tables and loss curves, the references, the checks and the mistakes.

Only the judge imports this file; the learner's process never sees it. The references are written with
torch on the table's columns, not with the pandas calls the solution uses.
"""

from __future__ import annotations

import math

import pandas as pd
import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake

NAN = float("nan")
CITIES = ["Lyon", "Nantes", "Lille", "Brest"]


def _flats(rng: torch.Generator, n: int, missing: float = 0.0) -> pd.DataFrame:
    """n flats: area, rooms (a share of them missing, never all of a city's), year built, city, price."""
    area = (30 + 120 * torch.rand(n, generator=rng, dtype=torch.float64)).round()
    rooms = (area / 25 + 0.7 * torch.randn(n, generator=rng, dtype=torch.float64)).round().clamp(1, 6)
    year = torch.randint(1900, 2024, (n,), generator=rng)
    city = [CITIES[int(i)] for i in torch.randint(0, len(CITIES), (n,), generator=rng)]
    gone = torch.rand(n, generator=rng) < missing
    for name in set(city):
        gone[city.index(name)] = False  # every city keeps a known room count
    rooms[gone] = NAN
    price = (3000 * area + 20000 * torch.randn(n, generator=rng, dtype=torch.float64)).round(decimals=-3)
    return pd.DataFrame({"area": area.numpy(), "rooms": rooms.numpy(), "year": year.numpy(), "city": city,
                         "price": price.numpy()})


def _column(df: pd.DataFrame, name: str) -> torch.Tensor:
    return torch.tensor(df[name].to_numpy(dtype="float64"))


def _median(values: torch.Tensor) -> float:
    """The median of the known values (the mean of the two middle ones for an even count); 0 when none is known."""
    known = values[~torch.isnan(values)].sort().values
    n = known.numel()
    return float(known[(n - 1) // 2] + known[n // 2]) / 2 if n else 0.0


def _mean(values: torch.Tensor) -> float:
    known = values[~torch.isnan(values)]
    return float(known.mean()) if known.numel() else 0.0


def _filled(df: pd.DataFrame, columns: list[str], centre=_median) -> torch.Tensor:
    out = []
    for name in columns:
        values = _column(df, name)
        out.append(torch.where(torch.isnan(values), centre(values), values))
    return torch.stack(out, dim=1).float() if out else torch.zeros(len(df), 0)  # (N, len(columns)) float32


# ------------------------------------------------------------------ to_float32


def _tables(rng: torch.Generator) -> list[Case]:
    lesson = pd.DataFrame({"area": [106.0, 62.0, 35.0, 81.0, 120.0, 47.0],
                           "rooms": [4.0, NAN, 2.0, 3.0, NAN, 2.0],
                           "city": ["Nantes", "Lille", "Lille", "Lyon", "Lyon", "Nantes"],
                           "price": [304000.0, 209000.0, 67000.0, 316000.0, 468000.0, 151000.0]})
    even = _flats(rng, 9)
    even.loc[[1, 4, 7], "rooms"] = NAN  # 6 known values: the median is the mean of the two middle ones
    empty = _flats(rng, 5)
    empty["rooms"] = NAN
    return [
        Case("a table of flats, two room counts missing", lesson, ["area", "rooms"]),
        Case("the columns asked in another order than the table's", _flats(rng, 7, 0.3), ["price", "rooms", "area"]),
        Case("one column asked: the answer is still a table of one column", _flats(rng, 6, 0.3), ["rooms"]),
        Case("an even number of known room counts", even, ["rooms", "area"]),
        Case("a whole-number column (the year built)", _flats(rng, 8, 0.25), ["year", "rooms"]),
        Case("a column with no known value at all", empty, ["area", "rooms"]),
        Case("40 flats, a fifth of the room counts missing", _flats(rng, 40, 0.2), ["area", "rooms", "year"]),
    ]


def _to_float32(df: pd.DataFrame, columns: list[str]) -> torch.Tensor:
    return _filled(df, list(columns))


def _is_float32(case: Case, got: object) -> str | None:
    if isinstance(got, torch.Tensor) and got.dtype == torch.float32:
        return None
    kind = f"a {str(got.dtype).replace('torch.', '')} array" if isinstance(got, torch.Tensor) else "not an array"
    return f"the values are right but the answer is {kind}: a model's inputs are float32"


@mistake("features-float64")
def _float64(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, torch.Tensor) and got.dtype == torch.float64 and matches(got, want):
        return ("Your values are right, but the array is float64, NumPy's and pandas' default. PyTorch models "
                "compute in float32: ask for it when you convert, df[columns].to_numpy(dtype=np.float32).")
    return None


@mistake("features-mean-fill")
def _mean_fill(case: Case, got: object, want: object) -> str | None:
    df, columns = case.args
    means = _filled(df, list(columns), _mean)
    if not matches(means, want) and matches(got, means):
        return ("You filled the missing values with the column's mean; this exercise fills with the median of the "
                "known values, df[c].median(), which one huge value (a mansion among flats) cannot drag away.")
    return None


@mistake("features-dropped-rows")
def _dropped(case: Case, got: object, want: object) -> str | None:
    df = case.args[0]
    if isinstance(got, torch.Tensor) and got.dim() == 2 and isinstance(want, torch.Tensor) and (
            got.shape[0] < want.shape[0]):
        return (f"{got.shape[0]} rows came back for a table of {len(df)} rows: the rows with a missing value were "
                "dropped (dropna). The model needs one row per flat, in order: fill the missing values instead.")
    return None


# ------------------------------------------------------------------ group_summary


def _groups(rng: torch.Generator) -> list[Case]:
    lesson = pd.DataFrame({"city": ["Lyon", "Lille", "Lyon", "Nantes", "Lille", "Lyon"],
                           "price": [400000.0, 245000.0, NAN, 304000.0, 251000.0, 380000.0]})
    no_city = _flats(rng, 12, 0.3)
    no_city.loc[[2, 5], "city"] = None  # rows that belong to no group
    single = _flats(rng, 9, 0.3)
    single.loc[0, "city"] = "Paris"  # a group of one row
    single.loc[0, "rooms"] = 3.0
    return [
        Case("six flats in three cities, one price missing", lesson, "city", "price"),
        Case("room counts by city, some missing", _flats(rng, 15, 0.3), "city", "rooms"),
        Case("a city with a single flat", single, "city", "rooms"),
        Case("two flats whose city is missing (they belong to no group)", no_city, "city", "rooms"),
        Case("prices by year built (whole-number groups)", _flats(rng, 10).assign(year=[2000, 2010] * 5),
             "year", "price"),
        Case("60 flats, a quarter of the room counts missing", _flats(rng, 60, 0.25), "city", "rooms"),
    ]


def _summary(df: pd.DataFrame, by: str, column: str, how: str = "right") -> dict[str, dict[str, float]]:
    size: dict[str, float] = {}
    count: dict[str, float] = {}
    total: dict[str, float] = {}
    for key, value in zip(df[by].tolist(), df[column].to_numpy(dtype="float64").tolist()):
        if key is None or (isinstance(key, float) and math.isnan(key)):
            continue
        key = str(key)
        known = not math.isnan(value)
        size[key] = size.get(key, 0) + 1
        count[key] = count.get(key, 0) + (known or how == "zero")
        total[key] = total.get(key, 0.0) + (value if known else 0.0)
    if how == "count":
        size = dict(count)
    return {"size": size, "count": count if how != "zero" else {k: n for k, n in size.items()},
            "mean": {k: total[k] / count[k] for k in size}}


def _group_summary(df: pd.DataFrame, by: str, column: str) -> dict[str, dict[str, float]]:
    return _summary(df, by, column)


def _part(got: object, name: str) -> object:
    return got.get(name) if isinstance(got, dict) else None


@mistake("groupby-count-not-size")
def _count_for_size(case: Case, got: object, want: object) -> str | None:
    wrong = _summary(*case.args, how="count")
    if wrong["size"] != want["size"] and matches(_part(got, "size"), wrong["size"]):
        return ("Your 'size' counts only the rows with a known value: that is what count gives. size counts every "
                "row of the group, missing or not; the difference between the two is how many are missing.")
    return None


@mistake("groupby-missing-as-zero")
def _missing_as_zero(case: Case, got: object, want: object) -> str | None:
    wrong = _summary(*case.args, how="zero")
    if wrong["mean"] != want["mean"] and matches(_part(got, "mean"), wrong["mean"]):
        return ("Your means count a missing value as 0 (fillna(0) before the mean, or a sum divided by the rows): "
                "each mean is pulled down. pandas' mean skips NaN by itself: average the known values only.")
    return None


# ------------------------------------------------------------------ plot_losses


def _curves(rng: torch.Generator) -> list[Case]:
    def losses(n: int, start: float = 2.0) -> list[float]:
        decay = start * torch.exp(-torch.arange(n, dtype=torch.float64) / 6)
        noise = 0.05 * torch.rand(n, generator=rng, dtype=torch.float64)
        return [round(float(v), 4) for v in decay + noise + 0.1]

    return [
        Case("5 epochs, tested after every epoch", losses(5), losses(5, 2.2), 1),
        Case("20 epochs, tested every 5 epochs", losses(20), losses(4, 2.2), 5),
        Case("a single epoch", losses(1), losses(1, 2.2), 1),
        Case("10 epochs tested every 4: the last test is at epoch 8", losses(10), losses(2, 2.2), 4),
        Case("12 epochs tested every 3, losses in the thousands", [v * 1000 for v in losses(12)],
             [v * 1000 for v in losses(4, 2.2)], 3),
    ]


def _line(figure: dict, label: str) -> dict | None:
    found = [line for line in figure.get("lines", []) if str(line.get("label") or "").strip().lower() == label]
    return found[0] if found else None


def _epochs(values: list[float], every: int = 1) -> torch.Tensor:
    return every * torch.arange(1, len(values) + 1, dtype=torch.float64)


def _check_plot(case: Case, got: object) -> str | None:
    train, val, every = case.args
    if not isinstance(got, dict) or "lines" not in got:
        return f"return the Axes you drew on, not {type(got).__name__}"
    for label, values, x in (("train", train, _epochs(train)), ("test", val, _epochs(val, every))):
        line = _line(got, label)
        if line is None:
            labels = [line.get("label") for line in got["lines"]]
            return f"no line is labelled {label!r} (the lines' labels: {labels})"
        if not matches(line["y"], torch.tensor(values, dtype=torch.float64)):
            return f"the {label!r} line does not hold the {label} losses in order"
        if not matches(line["x"], x):
            return (f"the {label!r} line's x values are {[round(float(v), 3) for v in line['x'][:6]]}, where the "
                    f"epochs {[int(v) for v in x[:6]]} were expected")
    legend = [str(t).strip().lower() for t in got.get("legend") or []]
    if "train" not in legend or "test" not in legend:
        return "the figure has no legend naming 'train' and 'test'"
    if "epoch" not in got.get("xlabel", "").lower() or "loss" not in got.get("ylabel", "").lower():
        return f"the axes are labelled {got.get('xlabel')!r} and {got.get('ylabel')!r}: name them epoch and loss"
    return None


def _x_of(got: object, label: str) -> torch.Tensor | None:
    line = _line(got, label) if isinstance(got, dict) and "lines" in got else None
    return line["x"] if line is not None else None


@mistake("plot-epochs-from-zero")
def _from_zero(case: Case, got: object, want: object) -> str | None:
    train = case.args[0]
    if matches(_x_of(got, "train"), _epochs(train) - 1):
        return ("Your training curve starts at x = 0: ax.plot(values) numbers the points 0, 1, 2, ... But the first "
                "loss is measured after epoch 1. Pass the epochs as x: ax.plot(range(1, len(losses) + 1), losses).")
    return None


@mistake("plot-test-misaligned")
def _misaligned(case: Case, got: object, want: object) -> str | None:
    _, val, every = case.args
    x = _x_of(got, "test")
    if every > 1 and x is not None and (matches(x, _epochs(val)) or matches(x, _epochs(val) - 1)):
        return (f"Your test curve is drawn at epochs {[int(v) for v in x[:4]]}, but it was measured every "
                f"{every} epochs, at {[int(v) for v in _epochs(val, every)[:4]]}: the two curves are compared at the "
                "wrong epochs, and the gap between them means nothing.")
    return None


@mistake("plot-no-legend")
def _no_legend(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, dict) and "lines" in got and not got.get("legend"):
        return ("Your figure has no legend, so nobody can tell which curve is the training loss and which the test "
                "loss. Give each line a label (ax.plot(x, y, label='train')) and call ax.legend().")
    return None


EXERCISES = [
    Exercise("to_float32", _tables, reference=_to_float32, check=_is_float32,
             mistakes=[_float64, _mean_fill, _dropped]),
    Exercise("group_summary", _groups, reference=_group_summary, rtol=1e-9, atol=1e-6,
             mistakes=[_count_for_size, _missing_as_zero]),
    Exercise("plot_losses", _curves, check=_check_plot, mistakes=[_from_zero, _misaligned, _no_legend]),
]
