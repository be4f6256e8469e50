"""Charts in lesson bodies: the figure a learner would rather look at than read.

A lesson body asks for a figure with a fenced block whose info string is
`chart`; its content is a small YAML mapping with the figure's data, and
`dlpath show` draws it in the terminal (`dlpath/render/charts.py`, with
plotext). Elsewhere (GitHub, an editor, `--json`) the block stays readable as
the data it is. The format (docs/curriculum-format.md, "Charts"):

    ```chart
    title: Gradient descent on a long, narrow bowl   # required
    x: w1                      # optional axis labels
    y: w2
    kind: line                 # line (default) or scatter
    log_y: false               # optional: a logarithmic y axis
    series:                    # 1 to 5 named series, in drawing order
      lr 0.02: [[-4, 1], [-3.7, 0.6], ...]    # [x, y] points ...
      loss: [2.3, 1.1, 0.7]                   # ... or y values at x = 0, 1, 2, ...
    ```

This module only reads and checks (plain data, no rich, no plotext);
`chart_problems` reports every malformed chart of a curriculum with its file
and line, for `dlpath validate`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Union

import yaml

from dlpath.course.reader import Problem

__all__ = ["Series", "Chart", "ChartProblem", "parse_chart", "split_body", "chart_problems", "MAX_SERIES"]

MAX_SERIES = 5
KINDS = ("line", "scatter")
KEYS = ("title", "x", "y", "kind", "log_y", "series")
FENCE = re.compile(r"^```chart\s*$")


class ChartProblem(ValueError):
    """A ```chart block that cannot be drawn; the message says what to fix, `line` where the block is."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Series:
    """One named series of points."""

    name: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Chart:
    """One figure of a lesson body, as its ```chart block describes it."""

    title: str
    series: tuple[Series, ...]
    x_label: str = ""
    y_label: str = ""
    kind: str = "line"
    log_y: bool = False
    line: int = 0  # the line of the opening fence in the body (1-based)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ChartProblem(f"{where}: {value!r} is not a finite number")
    return float(value)


def _points(name: str, values: Any) -> tuple[tuple[float, float], ...]:
    where = f"series '{name}'"
    if not isinstance(values, list) or not values:
        raise ChartProblem(f"{where} must be a non-empty list of numbers or of [x, y] pairs")
    if all(isinstance(v, list) for v in values):
        if any(len(v) != 2 for v in values):
            raise ChartProblem(f"{where}: every point must be a pair [x, y]")
        return tuple((_number(x, where), _number(y, where)) for x, y in values)
    return tuple((float(i), _number(y, where)) for i, y in enumerate(values))


def parse_chart(text: str, line: int = 0) -> Chart:
    """The chart that the YAML `text` of a ```chart block describes; ChartProblem if it is malformed."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ChartProblem(f"not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ChartProblem("a chart is a mapping with at least 'title' and 'series'")
    unknown = sorted(str(k) for k in data if k not in KEYS)
    if unknown:
        raise ChartProblem(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(KEYS)})")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ChartProblem("a chart needs a 'title' (one line of text)")
    kind = data.get("kind", "line")
    if kind not in KINDS:
        raise ChartProblem(f"'kind' is {kind!r}; use one of {', '.join(KINDS)}")
    log_y = data.get("log_y", False)
    if not isinstance(log_y, bool):
        raise ChartProblem("'log_y' is true or false")
    raw = data.get("series")
    if not isinstance(raw, dict) or not raw:
        raise ChartProblem("'series' maps each series' name to its points")
    if len(raw) > MAX_SERIES:
        raise ChartProblem(f"{len(raw)} series; a terminal chart stays readable with {MAX_SERIES} at most")
    series = tuple(Series(str(name), _points(str(name), values)) for name, values in raw.items())
    if log_y and any(y <= 0 for s in series for _, y in s.points):
        raise ChartProblem("'log_y' needs every y value above 0")
    labels = {}
    for key in ("x", "y"):
        value = data.get(key, "")
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ChartProblem(f"'{key}' is the {key} axis' label, a line of text")
        labels[key] = str(value)
    return Chart(title.strip(), series, labels["x"], labels["y"], kind, log_y, line)


Piece = Union[str, Chart, ChartProblem]


def split_body(body: str) -> list[Piece]:
    """The body cut into Markdown text and charts, in order; a malformed chart comes as its ChartProblem."""
    pieces: list[Piece] = []
    lines = body.splitlines(keepends=True)
    text: list[str] = []
    i = 0
    while i < len(lines):
        if FENCE.match(lines[i].rstrip("\n")):
            start = i
            j = i + 1
            while j < len(lines) and lines[j].rstrip() != "```":
                j += 1
            if j == len(lines):  # unclosed: leave it to Markdown, as any unclosed fence
                text.extend(lines[i:])
                break
            if text:
                pieces.append("".join(text))
                text = []
            try:
                pieces.append(parse_chart("".join(lines[start + 1:j]), start + 1))
            except ChartProblem as exc:
                pieces.append(ChartProblem(str(exc), start + 1))
            i = j + 1
            continue
        text.append(lines[i])
        i += 1
    if text:
        pieces.append("".join(text))
    return pieces


def chart_problems(curriculum: Any) -> list[Any]:
    """Every malformed chart in the bodies of `curriculum`'s lessons, as `Problem`s with file and line."""
    problems = []
    for lesson in curriculum.lessons:
        body = curriculum.body(lesson)
        if "```chart" not in body:
            continue
        file = lesson.file if lesson.inline_body is not None else str(curriculum.body_path(lesson))
        for piece in split_body(body):
            if isinstance(piece, ChartProblem):
                line = piece.line if lesson.inline_body is None else lesson.line
                problems.append(Problem(file, line, f"lesson '{lesson.id}': chart: {piece}"))
    return problems
