"""Rendering for projects and grading: project lists, live progress, grade and run reports, dev check.

Every renderer takes the data and a `Console`. Learning curves are drawn with
plotext (imported only when a chart is drawn): braille resolution, axes that
fit the data, a legend; colours only when the console has them, and distinct
markers instead when it has not, so overlapping series stay visible.
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

from dlpath.render.console import clean

__all__ = [
    "curve_charts",
    "GradeProgress",
    "render_check",
    "render_run",
    "render_projects",
    "render_start",
    "render_hint",
    "render_solution",
    "render_dev_check",
    "render_watch_event",
]

_PLAIN_MARKERS = ("braille", "x", "+", "o", "*")


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if not math.isfinite(value):
        return "not finite"
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4g}"


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
        values = [y for s in drawn for _, y in s.finite]
        log = min(values) > 0 and max(values) / min(values) > 100
        plt.clear_figure()
        plt.plotsize(max(30, width), max(6, height))
        for i, series in enumerate(drawn):
            xs = [x for x, _ in series.finite]
            ys = [y for _, y in series.finite]
            marker = "braille" if color else _PLAIN_MARKERS[i % len(_PLAIN_MARKERS)]
            plt.plot(xs, ys, label=series.name, marker=marker)
        if log:
            plt.yscale("log")
        plt.xlabel(curves.x or "logged point")
        plt.theme("clear" if not color else "pro")
        text = plt.build()
        if not color:
            text = plt.uncolorize(text)
        notes = (["log scale"] if log else []) + (
            [f"{dropped} non-finite value{'s' if dropped != 1 else ''} not shown"] if dropped else [])
        if notes:
            text += f"\n({'; '.join(notes)})"
        charts.append((label, text.rstrip()))
    return charts


class GradeProgress:
    """The live display while the learner's code trains; use it as `on_event` inside `with`."""

    def __init__(self, console: Console, project: str, what: str = "Grading") -> None:
        self.console = console
        self.project = project
        self.what = what
        self.live: Live | None = None
        self.device: str | None = None
        self.sandbox: str | None = None
        self.last: dict = {}
        self.points = 0
        self.elapsed = 0.0
        self.budget = 0.0
        self.phase = "starting Python and PyTorch"
        self._printed_at = 0.0

    def __enter__(self) -> GradeProgress:
        if self.console.is_terminal and not self.console.is_jupyter:
            self.live = Live(self._render(), console=self.console, refresh_per_second=8, transient=True)
            self.live.__enter__()
        else:
            self.console.print(f"{self.what} {self.project}: starting Python and PyTorch...", markup=False)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)
            self.live = None

    def _summary(self) -> str:
        parts = []
        for key, value in list(self.last.items())[:5]:
            parts.append(f"{key} {_fmt(value) if isinstance(value, float) else clean(str(value))}")
        return clean("  ".join(parts))

    def _render(self) -> Text:
        text = Text()
        text.append(f"{self.project} ", style="bold")
        text.append(self.phase)
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
            self.sandbox = data.get("sandbox")
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
        elif kind in ("trained", "evaluating"):
            self.phase = "evaluating on held-out data" if kind == "evaluating" else "training done"
            if self.live is None and kind == "evaluating":
                self.console.print("Training done; evaluating on held-out data...", markup=False)
        elif kind == "tick":
            self.elapsed = float(data.get("elapsed_s", 0.0))
            self.budget = float(data.get("budget_s", 0.0))
        if self.live is not None:
            self.live.update(self._render())


def _charts(curves: Any, console: Console) -> None:
    color = console.color_system is not None and not console.no_color
    width = max(30, min(console.width - 2, 72))
    for title, chart in curve_charts(curves, width=width, height=12 if console.width >= 60 else 9, color=color):
        console.print()
        console.print(f"[bold]{escape(title.capitalize())}[/]")
        console.print(Text.from_ansi(chart) if color else Text(chart), no_wrap=True, overflow="crop")


def _tail(tail: str, output_bytes: int, console: Console) -> None:
    if not tail.strip():
        return
    lines = clean(tail).rstrip().splitlines()[-25:]
    console.print()
    heading = "The end of your code's output"
    if output_bytes > 100_000:
        heading += f" (it printed {output_bytes / 2**20:.1f} MB in all)"
    console.print(f"[bold]{heading}:[/]")
    console.print(Text("\n".join("  " + line[:300] for line in lines)))


def _diagnoses(diagnoses: list[Any], console: Console) -> None:
    if not diagnoses:
        return
    console.print()
    console.print("[bold]What I noticed[/]")
    styles = {"error": "bold red", "warning": "yellow", "info": "dim"}
    for d in diagnoses:
        line = Text("- ")
        line.append(d.code, style="bold")
        line.append(f" ({d.severity})", style=styles.get(d.severity, ""))
        line.append(": " + clean(d.message))
        console.print(line)
        if d.evidence:
            console.print(Text("  Seen: " + "; ".join(clean(e) for e in d.evidence), style="dim"))
        if len(d.causes) > 1:
            console.print(Text("  Likely causes, most likely first: " + "; ".join(clean(c) for c in d.causes),
                               style="dim"))
        if d.lesson:
            console.print(Text(f"  Revisit: dlpath show {d.lesson}", style="dim"))


def _sandbox_line(sandbox: Any) -> str:
    return f"sandbox {sandbox.level}" + (f" ({clean(sandbox.why)})" if sandbox.why else "")


def render_check(outcome: Any, console: Console) -> None:
    """The grade report: verdict, thresholds, curves, output tail on failure, diagnoses, what was recorded."""
    report = getattr(outcome, "report", outcome)
    mark = "[bold green]PASSED[/]" if report.passed else "[bold red]NOT YET[/]"
    console.print()
    console.print(f"{mark}  [bold]{escape(report.project)}[/]: {escape(clean(report.verdict))}")

    weighted = any(t.weight != 1.0 for t in report.thresholds)
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("threshold", no_wrap=True)
    table.add_column("target", no_wrap=True)
    table.add_column("measured", justify="right", no_wrap=True)
    table.add_column("")
    if weighted:
        table.add_column("points", justify="right")
    for t in report.thresholds:
        row = [escape(t.metric), escape(t.target), _fmt(t.value), "[green]pass[/]" if t.passed else "[red]fail[/]"]
        if weighted:
            row.append(f"{t.points:g}/{t.weight:g}")
        table.add_row(*row)
    console.print()
    console.print(table)
    if weighted:
        console.print(f"Score: {report.score:g} of {report.max_score:g} points.")

    _charts(report.curves, console)
    if not report.passed:
        _tail(report.output_tail, report.output_bytes, console)
    _diagnoses(report.diagnoses, console)

    console.print()
    where = f" on {report.device}" if report.device else ""
    console.print(Text(f"Graded{where} in {report.duration_s:.1f} s ({_sandbox_line(report.sandbox)}) with test seed "
                       f"{report.seed} (`dlpath check --seed {report.seed}` grades on the same held-out data).",
                       style="dim"))
    problem = getattr(outcome, "record_problem", None)
    recorded = getattr(outcome, "recorded", False)
    if problem:
        console.print(Text(f"This grade was NOT recorded: {clean(problem)} Fix that and run `dlpath check` again to "
                           "record it.", style="bold yellow"))
    elif report.passed and getattr(outcome, "lesson_completed", False):
        console.print(f"Lesson [bold]{escape(report.lesson)}[/] is complete. `dlpath next` shows what comes next.")
    elif report.passed and recorded:
        console.print(Text(f"Recorded. (Lesson '{report.lesson}' is completed once its prerequisites are done, or "
                           "was already.)", style="dim"))
    elif not report.passed:
        console.print("`dlpath hint` gives a hint; `dlpath run` trains without grading; run `dlpath check` again "
                      "when you have changed something.")


def render_run(report: Any, console: Console) -> None:
    """`dlpath run`: how training went, the curves, what the mentor noticed. No grade."""
    mark = "[bold green]TRAINED[/]" if report.finished else "[bold red]STOPPED[/]"
    console.print()
    console.print(f"{mark}  [bold]{escape(report.project)}[/]: {escape(clean(report.verdict))}")
    _charts(report.curves, console)
    if not report.finished:
        _tail(report.output_tail, report.output_bytes, console)
    _diagnoses(report.diagnoses, console)
    console.print()
    where = f" on {report.device}" if report.device else ""
    console.print(Text(f"Trained{where} in {report.training_s:.1f} s ({_sandbox_line(report.sandbox)}). "
                       "`dlpath check` grades it on held-out data.", style="dim"))


def render_projects(rows: Iterable[Any], console: Console) -> None:
    """Every project; ids are never cut (a learner types them): a table when there is room, else two lines each."""
    rows = list(rows)
    cells = [[clean(str(getattr(row, c) or "-")) for c in ("id", "title", "lesson", "stage", "status")] for row in rows]
    widths = [max((len(r[i]) for r in cells), default=0) for i in range(5)]
    if sum(widths) + 8 <= console.width:
        table = Table(show_edge=False, box=None, pad_edge=False, header_style="bold")
        for column in ("project", "title", "lesson", "stage", "status"):
            table.add_column(column, no_wrap=True)
        for row in cells:
            table.add_row(*(escape(c) for c in row))
        console.print(table)
    else:
        for pid, title, lesson, stage, status in cells:
            console.print(Text(pid, style="bold"), Text(f" {status}", style="dim"), sep="")
            console.print(Text(f"  {title}\n  lesson {lesson} ({stage})"), overflow="fold")
    console.print("\n`dlpath start PROJECT` copies a project's starter into a folder of your own.", style="dim")


def render_start(result: Any, console: Console) -> None:
    if result.backup is not None:
        console.print(f"Moved the files that were in {escape(str(result.folder))} to {escape(str(result.backup))}.")
    console.print(f"Started [bold]{escape(result.project)}[/] in {escape(str(result.folder))}:")
    for name in result.files:
        console.print(f"  {escape(name)}")
    console.print("\nOpen train.py, follow its TODOs, then `dlpath run` in that folder to train it and "
                  "`dlpath check` to grade it.")


def render_hint(result: Any, console: Console) -> None:
    if not result.total:
        console.print(f"'{escape(result.project)}' has no hints.")
        return
    for i, hint in enumerate(result.shown, 1):
        style = "bold" if i == len(result.shown) and result.new else "dim"
        console.print(Text(f"Hint {i} of {result.total}: {clean(hint)}", style=style))
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
            console.print(Text(clean(text).rstrip()))


def render_dev_check(result: Any, console: Console) -> None:
    """`dlpath dev check`: per project and variant, the outcome, then what was measured beside the calibration."""
    for project in result.projects:
        console.print(Text(project.project, style="bold"))
        if project.skipped:
            console.print(Text(f"  skipped: {project.skipped}", style="yellow"))
        for row in project.rows:
            line = Text(f"  {row.variant:<9}")
            line.append(row.outcome, style="green" if row.ok else "bold red")
            console.print(line)
            console.print(Text(f"           {row.measured}; calibrated {row.calibrated}; training {row.train_s} s; "
                               f"grade seeds {row.seeds}", style="dim"), overflow="fold")
            if not row.ok and row.diagnoses:
                console.print(Text(f"           diagnoses: {', '.join(row.diagnoses)}", style="dim"))
        for note in project.notes:
            console.print(Text(f"  note: {clean(note)}", style="yellow"), overflow="fold")
    total = sum(1 for p in result.projects for _ in p.rows)
    bad = sum(1 for p in result.projects for r in p.rows if not r.ok)
    console.print()
    if bad:
        console.print(f"[bold red]{bad} of {total} expectations failed.[/]")
    else:
        console.print(f"[bold green]All {total} expectations hold[/] ({len(result.projects)} project(s), "
                      f"{result.seeds} grade seed(s) for each solution, on {result.device}).")


def render_watch_event(event: Any, console: Console) -> None:
    """One line per event of `dlpath watch`."""
    if event.kind == "start":
        what = f" ({', '.join(event.changed)} changed)" if event.changed else ""
        console.rule(f"run{what}", style="dim")
    elif event.kind == "cancelled":
        console.print(Text(f"Cancelled: {', '.join(event.changed)} changed; starting again.", style="yellow"))
    elif event.kind == "waiting":
        console.print(Text("Watching for changes (Ctrl-C to stop)...", style="dim"))
