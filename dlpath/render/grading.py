"""Rendering for projects and grading: project lists, live progress, grade and run reports, dev check.

Every renderer takes the data and a `Console`. Learning curves are drawn with
plotext (imported only when a chart is drawn): braille resolution, axes that
fit the data, a legend; colours only when the console has them, and distinct
markers instead when it has not, so overlapping series stay visible.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any, Iterable

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from dlpath.grading import events
from dlpath.grading.charts import curve_charts
from dlpath.grading.watch import WatchPhase
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

_LIVE_POINTS = 20_000  # logged points the live curves keep (the first ones, as the report does)


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


class GradeProgress:
    """The live display while the learner's code trains; use it as `on_event` inside `with`.

    In a terminal it redraws in place: the phase, the time against the budget, the latest logged numbers and,
    once two points are logged, the learning curves so far (when the terminal has room). Elsewhere (a pipe, a
    notebook) it prints a line at each phase and the latest numbers at most once a second.
    """

    _CHART_EVERY_S = 0.5  # the live curves are redrawn at most this often

    def __init__(self, console: Console, project: str, what: str = "Grading", exercise: bool = False) -> None:
        self.console = console
        self.project = project
        self.what = what
        self.exercise = exercise  # an exercise folder: its functions are loaded and called, nothing is trained
        self.live: Live | None = None
        self.device: str | None = None
        self.sandbox: str | None = None
        self.last: dict = {}
        self.logged: list[dict] = []
        self.points = 0
        self.elapsed = 0.0
        self.budget = 0.0
        self.phase = "starting Python and PyTorch"
        self._printed_at = 0.0
        self._chart: Any = None
        self._chart_points = 0
        self._chart_at = 0.0

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

    def _curves(self) -> Any:
        """The curves logged so far, side by side, small; None while there are too few points or too little room."""
        if self.points < 2 or self.console.height < 20 or self.console.width < 60:
            return self._chart if self.points >= 2 else None
        now = time.monotonic()
        fresh = self.points == self._chart_points or now - self._chart_at < self._CHART_EVERY_S
        if self._chart is not None and fresh:
            return self._chart
        from dlpath.grading.protocol import Curves

        charts = curve_charts(Curves.from_points(self.logged), width=(self.console.width - 2) // 2, height=8,
                              color=_has_color(self.console))
        grid = Table.grid(padding=(0, 1))
        for _ in charts:
            grid.add_column(no_wrap=True, overflow="crop")
        grid.add_row(*(_chart_text(title, chart, self.console) for title, chart in charts))
        self._chart, self._chart_points, self._chart_at = grid, self.points, now
        return grid

    def _render(self) -> Any:
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
        chart = self._curves() if self.live is not None else None
        return text if chart is None else Group(text, chart)

    def __call__(self, event: events.GradeEvent) -> None:
        if isinstance(event, events.Started):
            self.device = event.device
            self.sandbox = event.sandbox
            self.phase = "loading exercises.py" if self.exercise else "training"
            if self.live is None:
                doing = "Loading exercises.py" if self.exercise else "Training"
                self.console.print(f"{doing} on {self.device}...", markup=False)
        elif isinstance(event, events.Logged):
            self.points += 1
            self.last = event.values
            if len(self.logged) < _LIVE_POINTS:
                self.logged.append(dict(event.values))
            now = time.monotonic()
            if self.live is None and (self.points == 1 or now - self._printed_at >= 1.0):
                self._printed_at = now
                self.console.print(f"  {self._summary()}", markup=False, highlight=False)
        elif isinstance(event, events.TrainingDone):
            self.phase = "loaded" if self.exercise else "training done"
        elif isinstance(event, events.Evaluating):
            self.phase = "calling each function on hidden cases" if self.exercise else "evaluating on held-out data"
            if self.live is None:
                self.console.print("Calling each function on hidden cases..." if self.exercise else
                                   "Training done; evaluating on held-out data...", markup=False)
        elif isinstance(event, events.Tick):
            self.elapsed = event.elapsed_s
            self.budget = event.budget_s
        if self.live is not None:
            self.live.update(self._render())


def _has_color(console: Console) -> bool:
    return console.color_system is not None and not console.no_color


def _chart_text(title: str, chart: str, console: Console) -> Text:
    text = Text(title.capitalize() + "\n", style="bold")
    text.append_text(Text.from_ansi(chart) if _has_color(console) else Text(chart))
    return text


def _chart_height(console: Console) -> int:
    """Rows of each chart of a report: 12, fewer in a short terminal, so that the verdict after them stays close."""
    if console.width < 60:
        return 9
    if console.is_terminal and console.height < 45:
        return max(6, min(12, (console.height - 14) // 2))
    return 12


def _charts(curves: Any, console: Console) -> None:
    width = max(30, min(console.width - 2, 72))
    for title, chart in curve_charts(curves, width=width, height=_chart_height(console), color=_has_color(console)):
        console.print()
        console.print(_chart_text(title, chart, console), no_wrap=True, overflow="crop")


_OUTPUT_LINES = {True: 10, False: 25}  # lines of the learner's output shown after a run that went well, or not


def _output(tail: str, output_bytes: int, console: Console, *, went_well: bool) -> None:
    """What the learner's code printed (its last lines; with the traceback when it failed)."""
    if not tail.strip():
        return
    lines = clean(tail).rstrip().lstrip("\n").splitlines()
    shown = lines[-_OUTPUT_LINES[went_well]:]
    console.print()
    heading = "What your code printed" if went_well else "The end of your code's output"
    if len(shown) < len(lines) or output_bytes > len(tail.encode("utf-8", "replace")):
        heading += f" (its last {len(shown)} lines"
        heading += f"; {_size(output_bytes)} in all)" if output_bytes > 4096 else ")"
    console.print(Text(heading + ":", style="bold"))
    console.print(Text("\n".join("  " + line[:300] for line in shown)))


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"


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


def sandbox_line(sandbox: Any) -> str:
    """The defences of a grade in one line: the sandbox's level and layers (what is missing, and why), the
    judge's memory cap, whether the file the grader loads was inspected."""
    layers = getattr(type(sandbox), "LAYERS", ())
    have = [name.replace("filesystem", "files") for name in layers if getattr(sandbox, name, False)]
    missing = [name.replace("filesystem", "files") for name in layers if not getattr(sandbox, name, False)]
    if sandbox.level == "none" or not have:
        line = f"Sandbox: none ({clean(sandbox.why) or 'off'})"
    elif missing:
        reason = clean(sandbox.why.split(": ", 1)[1]) if ": " in sandbox.why else ""
        line = f"Sandbox: {sandbox.level} ({', '.join(have)}); missing {', '.join(missing)}" + (
            f": {reason}" if reason else "")
    else:
        line = f"Sandbox: {sandbox.level} ({', '.join(have)})"
    if getattr(sandbox, "judge_memory_mb", 0):
        line += f"; judge cap {sandbox.judge_memory_mb} MB"
    if getattr(sandbox, "files_inspected", False):
        line += "; model file inspected"
    return line


def render_check(outcome: Any, console: Console) -> None:
    """The grade report: the curves, what the code printed, the diagnoses, then the verdict and the thresholds, and
    what was recorded. The verdict comes last, so that in a short terminal it is what stays in view."""
    report = getattr(outcome, "report", outcome)
    _charts(report.curves, console)
    _output(report.output_tail, report.output_bytes, console, went_well=report.failure is None)
    _diagnoses(report.diagnoses, console)
    _rule_errors(report, console)

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
    console.print(table)
    if weighted:
        console.print(f"Score: {report.score:g} of {report.max_score:g} points.")

    console.print()
    where = f" on {report.device}" if report.device else ""
    console.print(Text(f"Graded{where} in {report.duration_s:.1f} s with test seed {report.seed} (`dlpath check "
                       f"--seed {report.seed}` grades on the same held-out data, for debugging).", style="dim"))
    console.print(Text(sandbox_line(report.sandbox), style="dim"))
    problem = getattr(outcome, "record_problem", None)
    not_completed = getattr(outcome, "not_completed", None)
    recorded = getattr(outcome, "recorded", False)
    if problem:
        console.print(Text(f"This grade was NOT recorded: {clean(problem)} Fix that and run `dlpath check` again to "
                           "record it.", style="bold yellow"))
    elif not_completed:
        then = ("Grade it without that option to complete the lesson." if report.weakened_by else
                "Fix the course (`dlpath validate` lists its problems) and run `dlpath check` again to complete "
                "the lesson.")
        console.print(Text(f"Not completed: {clean(not_completed)}. {then}", style="bold yellow"))
    elif report.passed and getattr(outcome, "lesson_completed", False):
        console.print(f"Lesson [bold]{escape(report.lesson)}[/] is complete. `dlpath next` shows what comes next.")
    elif report.passed and recorded:
        console.print(Text(_pass_recorded(outcome, report.lesson)))
    elif not report.passed and getattr(report, "hands_on", "project") == "exercise":
        console.print("`dlpath hint` gives a hint; run `dlpath check` again when you have changed something.")
    elif not report.passed:
        console.print("`dlpath hint` gives a hint; `dlpath run` trains without grading; run `dlpath check` again "
                      "when you have changed something.")


def _pass_recorded(outcome: Any, lesson: str) -> str:
    """What a recorded pass did not do to its lesson, and why."""
    unmet = list(getattr(outcome, "unmet_prerequisites", []))
    left = list(getattr(outcome, "work_left", []))
    if unmet:
        return (f"Recorded, but lesson '{lesson}' is not complete yet: it needs {', '.join(unmet)} first (done, or "
                f"skipped with `dlpath skip`). Then run `dlpath check` here again to complete it.")
    if left:
        return (f"Recorded. Lesson '{lesson}' is complete once {', '.join(left)} "
                f"{'passes' if len(left) == 1 else 'pass'} too (`dlpath start {left[0]}`).")
    if getattr(outcome, "lesson_already_completed", False):
        return f"Recorded. Lesson '{lesson}' was already complete."
    return "Recorded."


def _rule_errors(report: Any, console: Console) -> None:
    """Mentor rules that raised were skipped (a dlpath bug): one dim line; each with its error under DLPATH_DEBUG."""
    errors = list(getattr(report, "rule_errors", ()) or ())
    if not errors:
        return
    console.print(Text(f"The mentor skipped {len(errors)} of its checks that failed (a dlpath bug, please report it; "
                       "DLPATH_DEBUG=1 or --json shows them).", style="dim"))
    if os.environ.get("DLPATH_DEBUG", "") not in ("", "0"):
        for error in errors:
            console.print(Text(f"  {clean(error)}", style="dim"))


def render_run(report: Any, console: Console) -> None:
    """`dlpath run`: the curves, what the code printed, what the mentor noticed, then how training ended. No grade."""
    _charts(report.curves, console)
    _output(report.output_tail, report.output_bytes, console, went_well=report.finished)
    _diagnoses(report.diagnoses, console)
    _rule_errors(report, console)
    exercise = getattr(report, "hands_on", "project") == "exercise"
    done = "[bold green]LOADED[/]" if exercise else "[bold green]TRAINED[/]"
    mark = done if report.finished else "[bold red]STOPPED[/]"
    console.print()
    console.print(f"{mark}  [bold]{escape(report.project)}[/]: {escape(clean(report.verdict))}")
    where = f" on {report.device}" if report.device else ""
    if not exercise:
        console.print(Text(f"Trained{where} in {report.training_s:.1f} s. `dlpath check` grades it on held-out data.",
                           style="dim"))
    console.print(Text(sandbox_line(report.sandbox), style="dim"))


def render_projects(rows: Iterable[Any], console: Console) -> None:
    """Every project; ids are never cut (a learner types them): a table when there is room, else two lines each."""
    rows = list(rows)
    columns = ("id", "kind", "title", "lesson", "stage", "status")
    cells = [[clean(str(getattr(row, c, None) or "-")) for c in columns] for row in rows]
    widths = [max((len(r[i]) for r in cells), default=0) for i in range(len(columns))]
    if sum(widths) + 10 <= console.width:
        table = Table(show_edge=False, box=None, pad_edge=False, header_style="bold")
        for column in ("id", "kind", "title", "lesson", "stage", "status"):
            table.add_column(column, no_wrap=True)
        for row in cells:
            table.add_row(*(escape(c) for c in row))
        console.print(table)
    else:
        for pid, kind, title, lesson, stage, status in cells:
            console.print(Text(pid, style="bold"), Text(f" {kind}, {status}", style="dim"), sep="")
            console.print(Text(f"  {title}\n  lesson {lesson} ({stage})"), overflow="fold")
    console.print("\n`dlpath start ID` copies a project's (or an exercise folder's) starter into a folder of your "
                  "own.", style="dim")


def render_start(result: Any, console: Console) -> None:
    if result.backup is not None:
        console.print(f"Moved the files that were in {escape(str(result.folder))} to {escape(str(result.backup))}.")
    console.print(f"Started [bold]{escape(result.project)}[/] in {escape(str(result.folder))}:")
    for name in result.files:
        console.print(f"  {escape(name)}")
    if result.hands_on == "exercise":
        console.print(f"\nOpen {escape(result.entry)}, follow its TODOs, then `dlpath check` in that folder to "
                      "grade every function.")
        return
    console.print(f"\nOpen {escape(result.entry)}, follow its TODOs, then `dlpath run` in that folder to train it "
                  "and `dlpath check` to grade it.")
    if result.targets:
        console.print(Text(f"The grade: {_targets(result.targets)}, measured on data your code never sees; training "
                           f"gets {result.budget_s:g} s. `dlpath show {result.project}` says it again."))
        for line in result.explained:
            console.print(Text(f"  {clean(line)}."))


def _targets(targets: Iterable[str]) -> str:
    items = [clean(t) for t in targets]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
    if not console.is_terminal:
        # Into a file or a pipe (`dlpath solution > ref.py`): the files exactly as they are, never wrapped, each
        # named in a comment line, so that one Python file comes out as valid Python.
        for name, text in result.files.items():
            console.out(f"# {clean(name)}\n{clean(text).rstrip()}", highlight=False)
        return
    for name, text in result.files.items():
        console.print(f"[bold]{escape(name)}[/]")
        if name.endswith(".py"):
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
            line = Text(f"  {row.variant:<9} ")
            line.append(row.outcome, style="green" if row.ok else "bold red")
            console.print(line)
            calibrated = f"; calibrated {row.calibrated}" if row.calibrated != "-" else ""
            console.print(Text(f"           {row.measured}{calibrated}; training {row.train_s} s; "
                               f"grade seeds {row.seeds}", style="dim"), overflow="fold")
            if (not row.ok or row.variant.startswith("wrong/")) and row.diagnoses:
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
    if event.kind is WatchPhase.START:
        what = f" ({', '.join(event.changed)} changed)" if event.changed else ""
        console.rule(f"run{what}", style="dim")
    elif event.kind is WatchPhase.CANCELLED:
        console.print(Text(f"Cancelled: {', '.join(event.changed)} changed; starting again.", style="yellow"))
    elif event.kind is WatchPhase.WAITING:
        console.print(Text("Watching for changes (Ctrl-C to stop)...", style="dim"))
