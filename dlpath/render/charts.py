"""Lesson charts drawn in the terminal with plotext (imported only when a chart is drawn).

`draw` turns a `Chart` (dlpath/course/charts.py) into text lines that fit the
console's width; colours when the console has them, distinct markers when it
has not, so two series stay apart on a monochrome screen.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

__all__ = ["draw", "print_chart"]

# one marker per series on a screen without colour
_MARKERS = ("•", "x", "+", "o", "*")


def draw(chart: Any, width: int, height: int, color: bool) -> str:
    """The chart as plotext draws it, `width` by `height` cells (ANSI colours only if `color`)."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    for i, series in enumerate(chart.series):
        xs = [x for x, _ in series.points]
        ys = [y for _, y in series.points]
        marker = "braille" if color else _MARKERS[i % len(_MARKERS)]
        if chart.kind == "scatter":
            plt.scatter(xs, ys, label=series.name, marker=marker)
        else:
            plt.plot(xs, ys, label=series.name, marker=marker)
    if chart.log_y:
        plt.yscale("log")
    else:  # head room above the data for the legend, which plotext draws in the top-left corner
        values = [y for s in chart.series for _, y in s.points]
        low, high = min(values), max(values)
        span = (high - low) or abs(high) or 1.0
        rows = height - 4  # what plotext leaves for the plot, less the axis and the labels
        legend = len(chart.series) + 1
        plt.ylim(low, low + span * rows / max(1, rows - legend))
    if chart.x_label:
        plt.xlabel(chart.x_label)
    if chart.y_label:
        plt.ylabel(chart.y_label)
    plt.theme("pro" if color else "clear")
    text = plt.build()
    return text if color else plt.uncolorize(text)


def print_chart(chart: Any, out: Console) -> None:
    """The chart's title, then the chart, at most 72 columns wide and never wider than the console."""
    color = out.color_system is not None and not out.no_color
    width = max(30, min(out.width - 2, 72))
    height = 18
    out.print(Text(chart.title, style="bold"))
    drawn = draw(chart, width, height, color)
    out.print(Text.from_ansi(drawn) if color else Text(drawn), no_wrap=True, overflow="crop")
