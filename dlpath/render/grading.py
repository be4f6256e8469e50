"""Rendering for projects and grading: project lists, the live progress, the grade report.

`text_plot` draws learning curves with plain characters (no dependency);
`GradeProgress` is the live display while training runs (rich Live on a
terminal, plain lines otherwise); `render_check` prints the report.
"""

from __future__ import annotations

import math
import time
from typing import Any, Iterable

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

__all__ = [
    "text_plot",
    "curve_plots",
    "GradeProgress",
    "render_check",
    "render_projects",
    "render_start",
    "render_hint",
    "render_solution",
]

_MARKERS = "*o+x#"
_X_KEYS = ("epoch", "step", "iteration", "batch")


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4g}"


def text_plot(series: dict[str, list[tuple[float, float]]], *, width: int = 56, height: int = 10) -> list[str]:
    """Lines of a character plot of each named series of (x, y) points.

    Non-finite points are left out (and counted under the plot); a series
    that spans more than two orders of magnitude with only positive values is
    drawn on a log scale, which the y-axis label says.
    """
    points = {name: [(x, y) for x, y in pts if math.isfinite(x) and math.isfinite(y)] for name, pts in series.items()}
    dropped = sum(len(series[n]) - len(p) for n, p in points.items())
    values = [y for pts in points.values() for _, y in pts]
    xs = [x for pts in points.values() for x, _ in pts]
    if not values:
        return [f"(no finite values to plot{f'; {dropped} non-finite' if dropped else ''})"]
    log = min(values) > 0 and max(values) / min(values) > 100
    scale = (lambda v: math.log10(v)) if log else (lambda v: v)
    lo, hi = scale(min(values)), scale(max(values))
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    x_lo, x_hi = min(xs), max(xs)
    grid = [[" "] * width for _ in range(height)]
    for i, (name, pts) in enumerate(points.items()):
        mark = _MARKERS[i % len(_MARKERS)]
        for x, y in pts:
            col = 0 if x_hi == x_lo else round((x - x_lo) / (x_hi - x_lo) * (width - 1))
            row = round((hi - scale(y)) / (hi - lo) * (height - 1))
            grid[row][col] = mark
    top = 10 ** hi if log else hi
    bottom = 10 ** lo if log else lo
    labels = {0: _fmt(top), height - 1: _fmt(bottom)}
    if height > 4:
        middle = (height - 1) // 2
        mid_value = 10 ** (hi - (hi - lo) * middle / (height - 1)) if log else hi - (hi - lo) * middle / (height - 1)
        labels[middle] = _fmt(mid_value)
    pad = max(len(v) for v in labels.values())
    lines = [f"{labels.get(r, ''):>{pad}} |{''.join(grid[r]).rstrip()}" for r in range(height)]
    lines.append(" " * pad + " +" + "-" * width)
    left, right = _fmt(x_lo), _fmt(x_hi)
    lines.append(" " * (pad + 2) + left + right.rjust(width - len(left)))
    legend = "   ".join(f"{_MARKERS[i % len(_MARKERS)]} {name}" for i, name in enumerate(points))
    notes = []
    if log:
        notes.append("log scale")
    if dropped:
        notes.append(f"{dropped} non-finite value{'s' if dropped != 1 else ''} not shown")
    lines.append(" " * (pad + 2) + legend + (f"   ({'; '.join(notes)})" if notes else ""))
    return lines


def _x_key(curves: list[dict]) -> str | None:
    for key in _X_KEYS:
        if any(isinstance(c.get(key), float) for c in curves):
            return key
    return None


def curve_plots(curves: list[dict], *, width: int = 56, height: int = 10) -> list[tuple[str, list[str]]]:
    """(title, plot lines) for the losses and for the other metrics the learner logged."""
    if not curves:
        return []
    x_key = _x_key(curves)
    names: list[str] = []
    for point in curves:
        for key, value in point.items():
            if key not in _X_KEYS and isinstance(value, float) and key not in names:
                names.append(key)
    groups = [("losses", [n for n in names if "loss" in n]), ("metrics", [n for n in names if "loss" not in n])]
    plots = []
    for title, group in groups:
        group = group[:5]
        if not group:
            continue
        series: dict[str, list[tuple[float, float]]] = {}
        for name in group:
            pts = []
            for i, point in enumerate(curves):
                value = point.get(name)
                if isinstance(value, float):
                    x = point.get(x_key) if x_key else None
                    pts.append((x if isinstance(x, float) else float(i + 1), value))
            series[name] = pts
        label = f"{title} by {x_key or 'logged point'}"
        plots.append((label, text_plot(series, width=width, height=height)))
    return plots


class GradeProgress:
    """The live display while the learner's code trains; use it as `on_event` inside `with`."""

    def __init__(self, console: Console, project: str) -> None:
        self.console = console
        self.project = project
        self.live: Live | None = None
        self.device: str | None = None
        self.last: dict = {}
        self.points = 0
        self.elapsed = 0.0
        self.budget = 0.0
        self.phase = "starting Python and PyTorch"
        self._printed_at = 0.0

    def __enter__(self) -> GradeProgress:
        if self.console.is_terminal:
            self.live = Live(self._render(), console=self.console, refresh_per_second=8, transient=True)
            self.live.__enter__()
        else:
            self.console.print(f"Grading {self.project}: starting Python and PyTorch...", markup=False)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)
            self.live = None

    def _summary(self) -> str:
        parts = []
        for key, value in list(self.last.items())[:5]:
            parts.append(f"{key} {_fmt(value) if isinstance(value, float) else value}")
        return "  ".join(parts)

    def _render(self) -> Text:
        text = Text()
        text.append(f"{self.project} ", style="bold")
        text.append(f"{self.phase}")
        if self.device:
            text.append(f" on {self.device}")
        if self.budget:
            filled = min(20, int(20 * self.elapsed / self.budget))
            text.append(f"  [{'#' * filled}{'.' * (20 - filled)}] {self.elapsed:5.1f} / {self.budget:g} s")
        if self.last:
            text.append("\n  " + self._summary(), style="dim")
        return text

    def __call__(self, kind: str, data: dict) -> None:
        if kind == "ready":
            self.device = data.get("device")
            self.phase = "training"
            if self.live is None:
                self.console.print(f"Training on {self.device}...", markup=False)
        elif kind == "log":
            self.points += 1
            self.last = data
            now = time.monotonic()
            if self.live is None and (self.points == 1 or now - self._printed_at >= 1.0):
                self._printed_at = now
                self.console.print(f"  {self._summary()}", markup=False, highlight=False)
        elif kind == "trained":
            self.phase = "evaluating on held-out data"
            if self.live is None:
                self.console.print("Training done; evaluating on held-out data...", markup=False)
        elif kind == "tick":
            self.elapsed = float(data.get("elapsed_s", 0.0))
            self.budget = float(data.get("budget_s", 0.0))
        if self.live is not None:
            self.live.update(self._render())


def render_check(check: Any, console: Console) -> None:
    """The grade report: verdict, thresholds, curves, output tail on failure, diagnoses."""
    result = check.result
    mark = "[bold green]PASSED[/]" if result.passed else "[bold red]NOT YET[/]"
    console.print()
    console.print(f"{mark}  [bold]{escape(result.project)}[/]: {escape(result.verdict)}")

    table = Table(title=None, show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("threshold")
    table.add_column("target")
    table.add_column("measured", justify="right")
    table.add_column("")
    for t in result.thresholds:
        value = "-" if t.value is None else _fmt(t.value)
        table.add_row(escape(t.metric), escape(t.target), value, "[green]pass[/]" if t.passed else "[red]fail[/]")
    console.print()
    console.print(table)

    for title, lines in curve_plots(check.curves):
        console.print()
        console.print(f"[bold]{escape(title.capitalize())}[/]")
        console.print(Text("\n".join(lines)))

    if not result.passed and result.output_tail.strip():
        tail = result.output_tail.rstrip().splitlines()[-25:]
        console.print()
        heading = "The end of your code's output"
        if check.output_bytes > 100_000:
            heading += f" (it printed {check.output_bytes / 2**20:.1f} MB in all)"
        console.print(f"[bold]{heading}:[/]")
        console.print(Text("\n".join("  " + line[:300] for line in tail)))

    if result.diagnoses:
        console.print()
        console.print("[bold]What I noticed[/]")
        for d in result.diagnoses:
            console.print(Text.assemble("- ", (d.code, "bold"), ": ", d.message))
            if d.lesson:
                console.print(Text(f"  Revisit: dlpath show {d.lesson}", style="dim"))

    console.print()
    where = f" on {result.device}" if result.device else ""
    console.print(
        Text(f"Graded{where} in {result.duration_s:.1f} s with test seed {check.seed} "
             f"(`dlpath check --seed {check.seed}` grades on the same held-out data).", style="dim")
    )
    if result.passed and check.lesson_completed and check.lesson:
        console.print(f"Lesson [bold]{escape(check.lesson)}[/] is complete. `dlpath next` shows what comes next.")
    elif not result.passed:
        console.print("`dlpath hint` gives a hint; run `dlpath check` again when you have changed something.")


def render_projects(rows: Iterable[Any], console: Console) -> None:
    table = Table(show_edge=False, box=None, pad_edge=False, header_style="bold")
    for column in ("project", "title", "lesson", "stage", "status"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(str(getattr(row, c) or "-")) for c in ("id", "title", "lesson", "stage", "status")))
    console.print(table)
    console.print("\n`dlpath start PROJECT` copies a project's starter into a folder of your own.", style="dim")


def render_start(result: Any, console: Console) -> None:
    if result.backup is not None:
        console.print(f"Moved the files that were in {escape(str(result.folder))} to "
                      f"{escape(str(result.backup))}.")
    console.print(f"Started [bold]{escape(result.project)}[/] in {escape(str(result.folder))}:")
    for name in result.files:
        console.print(f"  {escape(name)}")
    console.print(f"\nOpen train.py, follow its TODOs, then run `dlpath check` in that folder.")


def render_hint(result: Any, console: Console) -> None:
    if not result.total:
        console.print(f"'{escape(result.project)}' has no hints.")
        return
    for i, hint in enumerate(result.shown, 1):
        style = "bold" if i == len(result.shown) and result.new else "dim"
        console.print(Text(f"Hint {i} of {result.total}: {hint}", style=style))
    if not result.new:
        console.print("That was every hint. `dlpath solution --spoiler` shows the reference solution.")
    elif len(result.shown) < result.total:
        console.print(Text("`dlpath hint` again gives the next one.", style="dim"))


def render_solution(result: Any, console: Console, error_console: Console) -> None:
    from rich.syntax import Syntax

    if result.spoiler:
        error_console.print("Spoiler: this is the reference solution of a project you have not passed yet. "
                            "Working it out yourself is where the learning is.", style="yellow")
    for name, text in result.files.items():
        console.print(f"[bold]{escape(name)}[/]")
        if name.endswith(".py") and console.is_terminal:
            console.print(Syntax(text, "python", line_numbers=False))
        else:
            console.print(Text(text.rstrip()))
