"""Project commands: projects, start, check, hint, solution."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from dlpath.cli import command, state
from dlpath.errors import ExitStatus

JSON = typer.Option(False, "--json", help="Print JSON (shape documented in docs/json.md).")
FOLDER = typer.Argument(None, help="The project folder (default: the current folder).", show_default=False)


@command("projects")
def projects(json: bool = JSON) -> None:
    """List every project: its lesson, stage and your status."""
    from dlpath.projects import project_overview

    result = project_overview(state.curriculum)
    if json:
        from dlpath.render.console import print_json

        print_json(result)
        return
    from dlpath.render.console import console
    from dlpath.render.grading import render_projects

    render_projects(result.projects, console())


@command("start")
def start(
    project: str = typer.Argument(..., help="The project's id (see `dlpath projects`)."),
    folder: Optional[Path] = typer.Argument(None, help="Where to put it (default: ./PROJECT).", show_default=False),
    force: bool = typer.Option(False, "--force", help="Use a non-empty folder: its files are first moved to a backup."),
    json: bool = JSON,
) -> None:
    """Copy a project's starter code into a folder of your own."""
    from dlpath.scaffold import start_project

    result = start_project(project, folder, force=force, curriculum=state.curriculum)
    if json:
        from dlpath.render.console import print_json

        print_json(result)
        return
    from dlpath.render.console import console
    from dlpath.render.grading import render_start

    render_start(result, console())


@command("check")
def check(
    folder: Optional[Path] = FOLDER,
    timeout: Optional[float] = typer.Option(
        None, "--timeout", metavar="SECONDS", help="Wall-clock budget for training (default: the project's)."
    ),
    device: str = typer.Option("auto", "--device", help="auto (a CUDA GPU if PyTorch sees one), cpu or cuda."),
    seed: Optional[int] = typer.Option(
        None, "--seed", help="The hidden test seed, to reproduce an earlier grade (default: a fresh random one)."
    ),
    memory_mb: Optional[int] = typer.Option(
        None, "--memory-mb", metavar="MB", help="Memory cap of your code's process (default: the project's)."
    ),
    json: bool = JSON,
) -> None:
    """Grade the project in a folder: train it, measure it on held-out data, explain.

    Exit status: 0 passed, 1 not yet (anything your code caused), 2 a usage or
    environment problem.
    """
    from dlpath.grading.check import check_folder
    from dlpath.render.console import console

    out = console()
    if json:
        result = check_folder(folder, timeout_s=timeout, device=device, seed=seed, memory_mb=memory_mb,
                              curriculum=state.curriculum)
        from dlpath.render.console import print_json

        print_json(result.result)
    else:
        from dlpath.render.grading import GradeProgress, render_check
        from dlpath.scaffold import find_project

        project, _ = find_project(folder, curriculum=state.curriculum)
        with GradeProgress(out, project.id) as progress:
            result = check_folder(folder, timeout_s=timeout, device=device, seed=seed, memory_mb=memory_mb,
                                  on_event=progress, curriculum=state.curriculum)
        render_check(result, out)
    if not result.result.passed:
        raise typer.Exit(int(ExitStatus.NOT_YET))


@command("hint")
def hint(folder: Optional[Path] = FOLDER, json: bool = JSON) -> None:
    """One more hint for the project in a folder, each time you ask."""
    from dlpath.grading.hints import next_hint

    result = next_hint(folder, curriculum=state.curriculum)
    if json:
        from dlpath.render.console import print_json

        print_json(result)
        return
    from dlpath.render.console import console
    from dlpath.render.grading import render_hint

    render_hint(result, console())


@command("solution")
def solution(
    folder: Optional[Path] = FOLDER,
    spoiler: bool = typer.Option(False, "--spoiler", help="Show it even though you have not passed yet."),
    json: bool = JSON,
) -> None:
    """The project's reference solution, once your own code has passed."""
    from dlpath.grading.hints import reveal_solution

    result = reveal_solution(folder, spoiler=spoiler, curriculum=state.curriculum)
    if json:
        from dlpath.render.console import print_json

        if result.spoiler:
            sys.stderr.write("Spoiler: the reference solution of a project you have not passed yet.\n")
        print_json(result)
        return
    from dlpath.render.console import console, error_console
    from dlpath.render.grading import render_solution

    render_solution(result, console(), error_console())
