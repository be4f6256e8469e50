"""Rendering for instructors: a batch's live progress and summary, the autograder bundle, CI files.

Every renderer takes the data and a `Console`. On a terminal the batch shows a
live bar (done / running / failed / time left) with a line per finished
submission above it; elsewhere (a pipe, a CI log, a notebook) plain lines.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from dlpath.grading.batch import BatchPhase
from dlpath.render.console import clean

__all__ = ["BatchDisplay", "render_batch", "render_class", "render_bundle", "render_ci"]

_STYLES = {"passed": "green", "failed": "red", "refused": "magenta", "error": "yellow"}
_SEVERITY_STYLES = {"error": "red", "warning": "yellow", "info": "dim"}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "estimating"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


def _points(result: Any) -> str:
    report = result.report
    return f"{report.score:g}/{report.max_score:g}" if report is not None else "-"


def result_line(result: Any, number: int | None = None, total: int | None = None) -> Text:
    """`[3/20] passed   alice  2/2  every threshold met (8.1 s)`."""
    line = Text()
    if number is not None:
        line.append(f"[{number}/{total}] ", style="dim")
    status = result.status.value
    line.append(f"{status:8}", style=_STYLES.get(status, ""))
    line.append(f" {clean(result.student)}", style="bold")
    line.append(f"  {_points(result)}  {clean(result.message)[:200]}")
    extra = []
    if result.duration_s:
        extra.append(f"{result.duration_s:.1f} s")
    if result.cached:
        extra.append("cached")
    if result.same_as:
        extra.append(f"same files as {clean(result.same_as)}")
    if extra:
        line.append(f" ({', '.join(extra)})", style="dim")
    return line


class BatchDisplay:
    """The live view of `dlpath grade`: call it with each `BatchEvent`."""

    def __init__(self, console: Console, project: str, jobs: int) -> None:
        self.console = console
        self.project = project
        self.jobs = jobs
        self.live_view = console.is_terminal and not console.is_dumb_terminal
        self.progress: Any = None
        self.task: Any = None
        self.shown = 0

    def __enter__(self) -> BatchDisplay:
        self.console.print(f"Grading [bold]{escape(self.project)}[/], {self.jobs} at a time "
                           "(Ctrl-C stops; the same command resumes).", highlight=False)
        if self.live_view:
            from rich.progress import BarColumn, Progress, TextColumn

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                     TextColumn("{task.fields[status]}"), console=self.console, transient=True)
            self.progress.start()
            self.task = self.progress.add_task("", total=1, status="")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, event: Any) -> None:
        p = event.progress
        if event.kind is BatchPhase.FINISHED:
            self.shown += 1
            target = self.progress.console if self.progress is not None else self.console
            target.print(result_line(event.result, self.shown, p.total), soft_wrap=True)
        if self.progress is not None:
            running = ", ".join(clean(name) for name in p.running[:3]) + (" ..." if len(p.running) > 3 else "")
            status = (f"{p.done}/{p.total} done, {len(p.running)} running, {p.failed} not passed, "
                      f"{_duration(p.eta_s)} left")
            self.progress.update(self.task, total=max(1, p.total), completed=p.done,
                                 description=f"grading {running}" if running else "grading", status=status)


def render_batch(batch: Any, files: list[Any], console: Console) -> None:
    """The summary of a batch: a row per student, the counts, where the files are."""
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for name, justify in (("student", "left"), ("result", "left"), ("points", "right"), ("verdict", "left"),
                          ("time", "right")):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for r in batch.results:
        status = r.status.value
        note = " (cached)" if r.cached else (f" (= {clean(r.same_as)})" if r.same_as else "")
        table.add_row(Text(clean(r.student)), Text(status + note, style=_STYLES.get(status, "")), _points(r),
                      Text(clean(r.message)[:160]), f"{r.duration_s:.1f} s" if r.duration_s else "-")
    console.print()
    console.print(table)
    console.print()
    counts = {s: sum(1 for r in batch.results if r.status.value == s) for s in _STYLES}
    cached = sum(1 for r in batch.results if r.cached)
    console.print(Text(f"{len(batch.results)} submissions: {counts['passed']} passed, {counts['failed']} not yet, "
                       f"{counts['refused']} refused, {counts['error']} not graded (an error)"
                       + (f"; {cached} from the cache" if cached else "") + f", in {_duration(batch.wall_s)} "
                       f"with {batch.jobs} at a time."))
    if batch.skipped:
        shown = ", ".join(clean(name) for name in batch.skipped[:5]) + (" ..." if len(batch.skipped) > 5 else "")
        console.print(Text(f"Ignored (neither a folder nor a .zip): {shown}", style="dim"))
    console.print(Text("Written: " + ", ".join(str(f) for f in files), style="dim"))


def render_bundle(bundle: Any, console: Console) -> None:
    """What `dlpath autograder gradescope` built, and what to do with it."""
    console.print(f"Wrote [bold]{escape(str(bundle.path))}[/] ({bundle.size_bytes / 2**20:.1f} MB): "
                  f"project [bold]{escape(bundle.project)}[/], dlpath {escape(bundle.dlpath)}, "
                  f"torch {escape(bundle.pins.get('torch', '?'))}.", highlight=False)
    console.print("On Gradescope: create a Programming Assignment, then Configure Autograder -> Zip file upload "
                  "-> this file, base image Ubuntu. Test it with a solution and a failing submission before release.",
                  highlight=False)


def render_ci(written: Any, console: Console) -> None:
    """What `dlpath ci init` wrote."""
    console.print(f"Wrote [bold]{escape(str(written.path))}[/] ({escape(written.kind)}): it installs "
                  f"{escape(written.dlpath)} and grades every folder holding a .dlpath-project file, one JUnit "
                  "report each under dlpath-reports/.", highlight=False)
    if written.wheel is not None:
        console.print(f"dlpath is not on a package index, so this dlpath ({escape(written.wheel.name)}) is in "
                      f"{escape(str(written.wheel.parent))}: the workflow installs that file. Commit both.",
                      highlight=False)
    else:
        console.print(f"The workflow installs dlpath from {escape(written.dlpath)}, as you asked: check that it "
                      "resolves there. Commit the file.", highlight=False)
    console.print("Each push then grades the course's project folders.", highlight=False)


def render_class(report: Any, console: Console) -> None:
    """What the class got wrong, in text: the share passing, the causes, the metrics, the similar pairs, the rest."""
    console.print()
    console.print(Text(f"What the class got wrong ({clean(report.project)}): {report.passed} of {report.students} "
                       f"passed ({report.share_passing:.0%}), {report.graded} graded.", style="bold"))
    if report.causes:
        table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
        for name, justify in (("cause", "left"), ("students", "right"), ("severity", "left"),
                              ("lesson to re-teach (dlpath show ...)", "left")):
            table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
        for c in report.causes:
            table.add_row(Text(c.code), str(c.count), Text(c.severity, style=_SEVERITY_STYLES.get(c.severity, "")),
                          Text(c.lesson or "-"))
        console.print(table)
    for m in report.metrics:
        spread = (f"lowest {m.lowest:.4g}, median {m.median:.4g}, highest {m.highest:.4g}" if m.measured else
                  "not measured for anyone")
        console.print(Text(f"{m.metric} (target {m.target}): {m.met} of {m.measured} met; {spread}"
                           + (f"; {m.not_measured} not measured" if m.not_measured else "")))
    if report.stopped:
        shown = ", ".join(f"{clean(s.student)} ({s.kind})" for s in report.stopped[:8])
        console.print(Text(f"Stopped early: {shown}" + (" ..." if len(report.stopped) > 8 else "")))
    if report.slowest:
        console.print(Text("Slowest: " + ", ".join(f"{clean(s.student)} {s.duration_s:.1f} s" for s in report.slowest),
                           style="dim"))
    if report.late:
        console.print(Text(f"Late ({len(report.late)}): " + ", ".join(clean(s) for s in report.late[:10])
                           + (" ..." if len(report.late) > 10 else ""), style="yellow"))
    sim = report.similarity
    if sim is not None:
        flagged = sim.flagged
        console.print(Text(f"Similar submissions: {len(flagged)} pair(s) worth a look among {len(sim.compared)} "
                           "compared" + (":" if flagged else "."), style="magenta" if flagged else ""))
        for p in flagged[:10]:
            where = ""
            if p.fragments:
                f = p.fragments[0]
                where = (f"; longest shared run {f.tokens} tokens: {clean(f.a_file)}:{f.a_lines[0]}-{f.a_lines[1]} "
                         f"and {clean(f.b_file)}:{f.b_lines[0]}-{f.b_lines[1]}")
            console.print(Text(f"  {clean(p.a)} & {clean(p.b)}: {p.similarity:.0%} of own code in common "
                               f"({p.tokens} tokens){where}"))
        if len(flagged) > 10:
            console.print(Text(f"  ... and {len(flagged) - 10} more in report.html", style="dim"))
