"""Commands for grading a class: grade, autograder gradescope, autograder run, ci init."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from dlpath.cli import JSON, _wrap, app, command, emit, state
from dlpath.errors import ExitStatus, UsageError

if TYPE_CHECKING:
    from dlpath.grading.project import Project


def _project(spec: str) -> Project:
    """The project named by an id, or the project folder at a path."""
    from dlpath.grading.project import load_project

    path = Path(spec).expanduser()
    if (path / "project.yaml").is_file():
        return load_project(path.resolve())
    return load_project(spec, curriculum=state.curriculum)


def _when(text: str, option: str) -> datetime.datetime:
    from dlpath.grading.release import parse_when

    try:
        return parse_when(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}" if "time zone" in str(exc) else f"{option}: '{text}' is not a date and "
                         "time; write it as 2026-12-01T23:59:00+01:00 (ISO 8601, with the time zone).") from None


@command("grade")
def grade(
    submissions: Path = typer.Argument(..., help="A folder holding one folder or .zip per student."),
    project: str = typer.Option(..., "--project", "-p", help="The project's id (or its folder) to grade against."),
    out: Path = typer.Option(Path("grades"), "--out", "-o", help="Where the summaries, reports and cache go."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Grades at once (default: the usable cores over "
                                       "the processes one grade needs, within the free memory)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", metavar="SECONDS",
                                            help="Training budget of each grade (default: the project's)."),
    memory_mb: Optional[int] = typer.Option(None, "--memory-mb", metavar="MB",
                                            help="Memory cap of each student's code (default: the project's)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    due: Optional[str] = typer.Option(None, "--due", metavar="WHEN", help="The due date, ISO 8601 with a time zone "
                                      "(2026-12-01T23:59+01:00): later submissions are marked late, and what the "
                                      "release policy shows after it is in feedback/ once it has passed (default: "
                                      "the project's release: due)."),
    json: bool = JSON,
) -> None:
    """Grade a class: every submission in its own process, N at a time, into summary.csv, summary.json, junit.xml,
    report.html (what the class got wrong, similar submissions) and each student's feedback.

    A failure, a hang or a hostile zip is one line of the summary; the batch goes
    on. Ctrl-C stops cleanly and the same command resumes (finished grades are
    cached in --out). Nothing is recorded in your own progress. Exit status: 0
    every submission passed, 1 some did not (or were refused), 2 a usage
    problem, or a submission the grader could not grade here.
    """
    import dataclasses

    from dlpath.grading.batch import Status, grade_batch
    from dlpath.grading.classreport import class_report
    from dlpath.grading.gradebook import summary_json, write_gradebook
    from dlpath.render.html import write_class_report_html
    from dlpath.grading.submissions import find_submissions
    from dlpath.render.console import console, error_console

    chosen = _project(project)
    due_at = _when(due, "--due") if due is not None else None
    found, skipped = find_submissions(submissions, exclude=(out,))
    if not found:
        raise UsageError(f"{submissions} holds no submissions: dlpath grades each folder or .zip in it, one per "
                         "student.")
    kwargs = dict(out=out, jobs=jobs, timeout_s=timeout, memory_mb=memory_mb, device=device,
                  curriculum=state.curriculum)
    try:
        if json:
            batch = grade_batch(chosen, found, **kwargs)
        else:
            from dlpath.grading.batch import default_jobs
            from dlpath.render.classroom import BatchDisplay

            with BatchDisplay(console(), chosen.id, jobs or default_jobs(chosen)) as display:
                batch = grade_batch(chosen, found, on_event=display, **kwargs)
    except KeyboardInterrupt:
        if not json:
            error_console().print(f"Stopped: the grades that finished are kept in {out}; run the same command "
                                  "again to grade the rest.", markup=False)
        raise
    batch = dataclasses.replace(batch, skipped=skipped)
    report = class_report(batch, submissions=found, due=due_at)
    files = write_gradebook(batch, report)
    files.append(write_class_report_html(batch, report, batch.out / "report.html"))
    from dlpath.render.classroom import render_batch, render_class

    def show(b: Any, out: Any) -> None:
        render_class(report, out)
        render_batch(b, files, out)

    emit(summary_json(batch, report) if json else batch, show, json)
    if batch.count(Status.ERROR):
        raise typer.Exit(int(ExitStatus.USAGE))
    if batch.count(Status.PASSED) < len(batch.results):
        raise typer.Exit(int(ExitStatus.NOT_YET))


autograder_app = typer.Typer(help="Put a project on an autograding platform (Gradescope).", no_args_is_help=True,
                             add_completion=False)
app.add_typer(autograder_app, name="autograder")


def _autograder_gradescope(
    project: str = typer.Argument(..., help="The project's id (or its folder)."),
    output: Path = typer.Option(Path("autograder.zip"), "--output", "-o", help="The zip to write."),
    timeout: Optional[float] = typer.Option(None, "--timeout", metavar="SECONDS",
                                            help="Training budget of each grade (default: the project's)."),
    force: bool = typer.Option(False, "--force", help="Overwrite OUTPUT even if dlpath did not write it."),
    json: bool = JSON,
) -> None:
    """Build Gradescope's autograder zip for a project: setup.sh, run_autograder, this dlpath, the project.

    Upload it under Configure Autograder. Each submission is graded with the
    student's code running as an unprivileged user; students see a test per
    threshold and the mentor's advice, never the hidden data.
    """
    from dlpath.grading.autograder import build_gradescope_bundle

    bundle = build_gradescope_bundle(_project(project), output, timeout_s=timeout, curriculum=state.curriculum,
                                     force=force)
    from dlpath.render.classroom import render_bundle

    emit(bundle, render_bundle, json)


def _autograder_run(
    root: Path = typer.Option(Path("/autograder"), "--root", help="Gradescope's folder (a test uses another)."),
    user: Optional[str] = typer.Option(None, "--user", help="Run the student's code as this user (when root; "
                                       "default: the bundle's, `student`)."),
) -> None:
    """Grade ROOT/submission into ROOT/results/results.json (what the bundle's run_autograder calls)."""
    from dlpath.grading.autograder import run_gradescope

    run_gradescope(root, user=user)


autograder_app.command("gradescope")(_wrap(_autograder_gradescope))
autograder_app.command("run")(_wrap(_autograder_run))

ci_app = typer.Typer(help="Grade a course repository's projects in CI (GitLab CI, GitHub Actions).",
                     no_args_is_help=True, add_completion=False)
app.add_typer(ci_app, name="ci")


def _ci_init(
    gitlab: bool = typer.Option(False, "--gitlab", help="Write .gitlab-ci.yml (the default)."),
    github: bool = typer.Option(False, "--github", help="Write .github/workflows/dlpath.yml."),
    install: Optional[str] = typer.Option(None, "--install", metavar="REQUIREMENT",
                                          help="How pip installs dlpath there (default: this dlpath, written "
                                               "as a wheel into .dlpath/; a git URL works too)."),
    projects: Optional[str] = typer.Option(None, "--projects", metavar="DIR",
                                           help="The course's own projects, relative to the repository "
                                                "(sets DLPATH_PROJECTS)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing workflow file."),
    json: bool = JSON,
) -> None:
    """Write, in the current folder, a CI workflow that installs dlpath and grades every project folder.

    Each folder holding a .dlpath-project file is graded with `dlpath check
    --format junit`; GitLab and GitHub show the results as test reports.
    """
    from dlpath.grading.ci import write_workflow

    if gitlab and github:
        raise UsageError("choose one: --gitlab or --github.")
    written = write_workflow("github" if github else "gitlab", install=install, projects=projects, force=force)
    from dlpath.render.classroom import render_ci

    emit(written, render_ci, json)


ci_app.command("init")(_wrap(_ci_init))
