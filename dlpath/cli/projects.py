"""Project commands: projects, start, run, check, hint, solution, dev check."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from dlpath.cli import JSON, _wrap, app, command, emit, state
from dlpath.errors import ExitStatus, UsageError
FOLDER = typer.Argument(None, help="The project folder (default: the current folder).", show_default=False)
TIMEOUT = typer.Option(None, "--timeout", metavar="SECONDS",
                       help="Wall-clock budget for training (default: the project's).")
DEVICE = typer.Option("auto", "--device", help="auto (a CUDA GPU if PyTorch sees one), cpu or cuda.")
MEMORY = typer.Option(None, "--memory-mb", metavar="MB", help="Memory cap of your code's processes (default: the project's).")
NO_SANDBOX = typer.Option(False, "--no-sandbox", help="Run your code without the sandbox (only if you know why).")


@command("projects")
def projects(json: bool = JSON) -> None:
    """List every project: its lesson, stage and your status."""
    from dlpath.learner.roadmap import project_overview

    result = project_overview(state.curriculum)
    from dlpath.render.grading import render_projects

    emit(result, lambda r, out: render_projects(r.projects, out), json)


@command("start")
def start(
    project: str = typer.Argument(..., help="The project's id (see `dlpath projects`)."),
    folder: Optional[Path] = typer.Argument(None, help="Where to put it (default: ./PROJECT).", show_default=False),
    force: bool = typer.Option(False, "--force", help="Use a non-empty folder: its files are first moved to a backup."),
    json: bool = JSON,
) -> None:
    """Copy a project's starter code into a folder of your own."""
    from dlpath.grading.workspace import start_project

    result = start_project(project, folder, force=force, curriculum=state.curriculum)
    from dlpath.render.grading import render_start

    emit(result, render_start, json)


@command("run")
def run(
    folder: Optional[Path] = FOLDER,
    timeout: Optional[float] = TIMEOUT,
    device: str = DEVICE,
    memory_mb: Optional[int] = MEMORY,
    no_sandbox: bool = NO_SANDBOX,
    json: bool = JSON,
) -> None:
    """Train the project in a folder on its public data: no grade, nothing recorded.

    In a terminal it draws the learning curves live as your code logs them
    (elsewhere it prints the latest numbers once a second); afterwards the whole
    curves, what your code printed and what the mentor noticed. The fast loop
    while you work; `dlpath check` grades. Exit status: 0 training
    finished, 1 it did not (your code raised, ran out of time or memory), 2 a
    usage or environment problem.
    """
    from dlpath.grading.grade import run_folder
    from dlpath.render.grading import render_run

    options = dict(timeout_s=timeout, device=device, memory_mb=memory_mb, curriculum=state.curriculum,
                   sandbox=not no_sandbox)
    if json:
        report = run_folder(folder, **options)
    else:
        from dlpath.grading.workspace import find_project
        from dlpath.render.console import console
        from dlpath.render.grading import GradeProgress

        project, _ = find_project(folder, curriculum=state.curriculum)
        exercise = project.hands_on == "exercise"
        with GradeProgress(console(), project.id, "Loading" if exercise else "Training", exercise) as progress:
            report = run_folder(folder, on_event=progress, **options)
    emit(report, render_run, json)
    if not report.finished:
        raise typer.Exit(int(ExitStatus.NOT_YET))


def _format_names() -> str:
    from dlpath.render.formats import FORMATS

    return ", ".join(sorted(FORMATS))


@command("check")
def check(
    folder: Optional[Path] = FOLDER,
    timeout: Optional[float] = TIMEOUT,
    device: str = DEVICE,
    seed: Optional[int] = typer.Option(
        None, "--seed", help="The hidden test seed, to reproduce an earlier grade (default: a fresh random one). "
        "For debugging: a pass made with it completes no lesson."
    ),
    memory_mb: Optional[int] = MEMORY,
    format: str = typer.Option("text", "--format", "-f", help="text, json, or a grading platform's format "
                               "(`dlpath check --format help` lists them)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report to this file instead."),
    no_record: bool = typer.Option(False, "--no-record", help="Grade without recording the attempt."),
    no_sandbox: bool = NO_SANDBOX,
    json: bool = typer.Option(False, "--json", help="Same as --format json."),
) -> None:
    """Grade the project in a folder: train it, measure it on held-out data, explain.

    Exit status: 0 passed, 1 not yet (anything your code caused), 2 a usage or
    environment problem (also when the grade could not be recorded: it is
    printed all the same).
    """
    from dlpath.learner.attempts import check_folder
    from dlpath.render.console import console
    from dlpath.render.formats import FORMATS

    name = "json" if json else format
    if name == "help":
        for item in sorted(FORMATS.values(), key=lambda f: f.name):
            typer.echo(f"{item.name:14} {item.description}")
        return
    if name not in FORMATS:
        raise UsageError(f"unknown format '{name}'; dlpath writes: {_format_names()}.")
    chosen = FORMATS[name]
    handle = None
    try:
        if output is not None:
            from rich.console import Console

            handle = open(output, "w", encoding="utf-8")
            target = Console(file=handle, width=100, no_color=True, highlight=False)
        else:
            target = console()
        kwargs = dict(timeout_s=timeout, device=device, seed=seed, memory_mb=memory_mb, curriculum=state.curriculum,
                      record_attempt=not no_record, sandbox=not no_sandbox)
        if chosen.machine:
            outcome = check_folder(folder, **kwargs)
        else:
            from dlpath.render.grading import GradeProgress
            from dlpath.grading.workspace import find_project

            project, _ = find_project(folder, curriculum=state.curriculum)
            with GradeProgress(console(), project.id, exercise=project.hands_on == "exercise") as progress:
                outcome = check_folder(folder, on_event=progress, **kwargs)
        chosen.render(outcome, target)
    finally:
        if handle is not None:
            handle.close()
    if outcome.record_problem:
        raise typer.Exit(int(ExitStatus.USAGE))
    if not outcome.report.passed:
        raise typer.Exit(int(ExitStatus.NOT_YET))


@command("hint")
def hint(folder: Optional[Path] = FOLDER, json: bool = JSON) -> None:
    """One more hint for the project in a folder, each time you ask."""
    from dlpath.learner.hints import next_hint

    result = next_hint(folder, curriculum=state.curriculum)
    from dlpath.render.grading import render_hint

    emit(result, render_hint, json)


@command("solution")
def solution(
    folder: Optional[Path] = FOLDER,
    spoiler: bool = typer.Option(False, "--spoiler", help="Show it even though you have not passed yet."),
    json: bool = JSON,
) -> None:
    """The project's reference solution, once your own code has passed."""
    from dlpath.learner.hints import reveal_solution

    result = reveal_solution(folder, spoiler=spoiler, curriculum=state.curriculum)
    from dlpath.render.console import error_console
    from dlpath.render.grading import render_solution

    if json and result.spoiler:
        sys.stderr.write("Spoiler: the reference solution of a project you have not passed yet.\n")
    emit(result, lambda r, out: render_solution(r, out, error_console()), json)


dev_app = typer.Typer(help="Tools for instructors and for dlpath's own CI.", no_args_is_help=True,
                      add_completion=False)
app.add_typer(dev_app, name="dev")


def _dev_check(
    projects: Optional[List[str]] = typer.Argument(None, help="Project ids (default: every project of the course)."),
    seeds: int = typer.Option(3, "--seeds", help="Grade seeds the reference solution must pass on."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    update: bool = typer.Option(False, "--update-calibration",
                                help="Write the measured figures into each passing project's project.yaml."),
    in_process: bool = typer.Option(False, "--in-process",
                                    help="Grade exercise folders inside this process: no sandbox, milliseconds each "
                                         "(for the course's own code; projects that train are graded as usual)."),
    json: bool = JSON,
) -> None:
    """Prove each project is calibrated: the solution passes on N seeds, the starter and the naive baseline fail.

    For an exercise folder: the reference passes, the starter fails, and each wrong answer gets its diagnosis.

    Exit status: 0 every expectation holds, 1 one does not, 2 a usage problem.
    """
    from dlpath.grading.devcheck import dev_check
    from dlpath.render.console import error_console
    from dlpath.render.grading import render_dev_check

    err = error_console()
    quiet = json or not sys.stderr.isatty()
    result = dev_check(projects or None, seeds=seeds, device=device, curriculum=state.curriculum, update=update,
                       in_process=in_process,
                       progress=None if quiet else (lambda text: err.print(text, style="dim", markup=False)))
    emit(result, render_dev_check, json)
    if not result.ok:
        raise typer.Exit(int(ExitStatus.NOT_YET))


dev_app.command("check")(_wrap(_dev_check))


@command("watch")
def watch(
    folder: Optional[Path] = FOLDER,
    check_too: bool = typer.Option(False, "--check", help="Grade (`dlpath check`) on each save instead of `dlpath run`."),
    timeout: Optional[float] = TIMEOUT,
    device: str = DEVICE,
) -> None:
    """Train the project again each time you save one of its files (Ctrl-C to stop).

    A save that arrives while a run is in progress cancels it and starts afresh.
    """
    from dlpath.grading.watch import watch_folder
    from dlpath.render.console import console
    from dlpath.render.grading import render_watch_event

    extra = ("--device", device) + (("--timeout", str(timeout)) if timeout is not None else ())
    out = console()
    try:
        watch_folder(folder, check=check_too, extra_args=extra, curriculum=state.curriculum,
                     on_event=lambda event: render_watch_event(event, out))
    except KeyboardInterrupt:
        out.print("Stopped watching.")
