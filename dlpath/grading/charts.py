"""A grade's curves as plain-text charts (plotext): the report, the live display and the portfolio draw them.

No rich here: the chart is text, coloured only when asked. The y axis always
carries short labels (`2.3`, `0.05`, `1e+30`), never a number written out in
thirty digits. A curve that spans more than a hundredfold (a loss that diverges
to 1e30) is drawn on a log scale when every value is positive; otherwise values
far outside the bulk of the curve are clipped to the chart's edge. Values that
are not finite are left out. Each of these is said in a note under the chart.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["curve_charts", "Scale", "y_scale"]

_PLAIN_MARKERS = ("braille", "x", "+", "o", "*")
_LOG_RATIO = 100.0  # a positive curve spanning more than this factor is drawn on a log scale
_CLIP_FACTOR = 50.0  # a curve spanning this many times its middle half's spread is clipped near that middle
_CLIP_MARGIN = 3.0  # ... to the middle half widened by this many times its spread on each side
_TICKS = 5


class Scale:
    """How a chart's y axis is drawn: its range, its ticks and their labels, log or linear, and what was clipped."""

    def __init__(self, low: float, high: float, log: bool, ticks: list[float], labels: list[str],
                 clipped: tuple[int, int] = (0, 0), flat: float | None = None) -> None:
        self.low, self.high, self.log = low, high, log
        self.ticks, self.labels = ticks, labels
        self.clipped = clipped  #: how many values lie below and above the range (drawn at its edges)
        self.flat = flat  #: the value of a curve that does not change (beyond float noise), else None

    def clip(self, value: float) -> float:
        """Where `value` is drawn."""
        if self.flat is not None:
            return self.flat
        return min(self.high, max(self.low, value))

    def notes(self) -> list[str]:
        out = ["log scale"] if self.log else []
        for n, where, edge in ((self.clipped[1], f"above {_label(self.high, 3)}", "top"),
                               (self.clipped[0], f"below {_label(self.low, 3)}", "bottom")):
            if n:
                out.append(f"{n} value{'s' if n != 1 else ''} {where} drawn at the {edge} edge")
        return out


def _label(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    return text.replace("e+0", "e+").replace("e-0", "e-")


def _labels(ticks: list[float]) -> list[str]:
    """Labels as short as they can be while still telling the ticks apart."""
    for digits in range(2, 8):
        labels = [_label(t, digits) for t in ticks]
        if len(set(labels)) == len(labels):
            return labels
    return [_label(t, 8) for t in ticks]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


def y_scale(values: list[float]) -> Scale:
    """The y axis for these finite values (see the module's docstring)."""
    low, high = min(values), max(values)
    if low > 0 and high / low > _LOG_RATIO:
        first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
        step = max(1, math.ceil((last - first) / (_TICKS - 1)))
        ticks = [10.0 ** e for e in range(first, last + 1, step)]
        return Scale(low, high, True, ticks, [_label(t, 2) for t in ticks])
    clipped = (0, 0)
    first_quarter, last_quarter = _percentile(values, 0.25), _percentile(values, 0.75)
    spread = last_quarter - first_quarter
    if spread > 0 and high - low > _CLIP_FACTOR * spread:
        low = max(low, first_quarter - _CLIP_MARGIN * spread)
        high = min(high, last_quarter + _CLIP_MARGIN * spread)
        clipped = (sum(1 for v in values if v < low), sum(1 for v in values if v > high))
    flat = None
    if high - low <= 1e-6 * max(abs(high), abs(low)):  # flat: a line through the middle, not float noise
        flat = (high + low) / 2
        half = 0.05 * abs(flat) or 0.5
        low, high = flat - half, flat + half
    ticks = [low + (high - low) * i / (_TICKS - 1) for i in range(_TICKS)]
    return Scale(low, high, False, ticks, _labels(ticks), clipped, flat)


def curve_charts(curves: Any, *, width: int = 64, height: int = 12, color: bool = False) -> list[tuple[str, str]]:
    """(title, chart text) for the losses and for the other logged quantities, from a `Curves`."""
    if not curves:
        return []
    import plotext as plt

    groups = [("losses", [s for s in curves.series if s.kind == "loss"]),
              ("metrics", [s for s in curves.series if s.kind != "loss"])]
    charts = []
    for title, group in groups:
        group = group[:5]
        if not group:
            continue
        label = f"{title} by {curves.x or 'logged point'}"
        dropped = sum(len(s.points) - len(s.finite) for s in group)
        drawn = [s for s in group if s.finite]
        if not drawn:
            charts.append((label, f"(no finite values to plot; {dropped} not finite)"))
            continue
        scale = y_scale([y for s in drawn for _, y in s.finite])
        plt.clear_figure()
        plt.plotsize(max(30, width), max(6, height))
        for i, series in enumerate(drawn):
            xs = [x for x, _ in series.finite]
            ys = [scale.clip(y) for _, y in series.finite]
            marker = "braille" if color else _PLAIN_MARKERS[i % len(_PLAIN_MARKERS)]
            plt.plot(xs, ys, label=series.name, marker=marker)
        if scale.log:
            plt.yscale("log")
        else:
            plt.ylim(scale.low, scale.high)
        plt.yticks(scale.ticks, scale.labels)
        plt.xlabel(curves.x or "logged point")
        plt.theme("clear" if not color else "pro")
        text = plt.build()
        if not color:
            text = plt.uncolorize(text)
        notes = scale.notes() + (
            [f"{dropped} non-finite value{'s' if dropped != 1 else ''} not shown"] if dropped else [])
        if notes:
            text += f"\n({'; '.join(notes)})"
        charts.append((label, text.rstrip()))
    return charts
