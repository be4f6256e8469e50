"""The learner's everyday commands: next, show, done, undo, skip, progress, map, search, track, validate."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from dlpath.cli import app, command, state
from dlpath.errors import ExitStatus, UsageError
from dlpath.render.console import console, print_json

JSON = typer.Option(False, "--json", help="Print JSON (shape documented in docs/json.md).")


def _curriculum() -> Any:
    from dlpath.curriculum import load_curriculum

    return load_curriculum(state.curriculum)


def _store() -> Any:
    from dlpath.progress import open_store

    return open_store()


def _profile() -> Any:
    """The fast, NVML-only hardware profile (never imports torch; cached in the data home)."""
    from dlpath.hardware import fast_profile

    return fast_profile()


def _check_fake_gpu() -> None:
    """Report a DLPATH_FAKE_GPU that cannot be read (the hardware modules load only when it is set)."""
    import os

    if "DLPATH_FAKE_GPU" in os.environ:
        from dlpath.hardware import check_fake_gpu

        check_fake_gpu()


def _reviews_due(curriculum: Any, store: Any, completions: Any) -> int:
    if not completions:  # nothing done, nothing to review (and nothing more to import)
        return 0
    from datetime import datetime, timezone

    from dlpath.review import due_count

    return due_count(curriculum, completions, store.review_due_times(), datetime.now(timezone.utc))


@command("next")
def next_(
    all_: bool = typer.Option(False, "--all", help="List every lesson open now, not just the next one."),
    json: bool = JSON,
) -> None:
    """What to do now: the next lesson, given your progress, track and hardware."""
    from dlpath import planner
    from dlpath.render import lessons as render

    _check_fake_gpu()
    curriculum = _curriculum()
    with _store() as store:
        completions = store.completions()
        result = planner.next_lesson(curriculum, completions, store.get_setting("track"), _profile,
                                     reviews_due=_reviews_due(curriculum, store, completions))
    if json:
        print_json(result)
    else:
        render.next_lesson(result, curriculum, console(), show_all=all_)


@command("show")
def show(lesson_id: str = typer.Argument(..., help="The lesson's id (see `dlpath map`)."), json: bool = JSON) -> None:
    """Show a whole lesson, its body rendered as Markdown."""
    from dlpath import planner
    from dlpath.render import lessons as render

    curriculum = _curriculum()
    lesson = curriculum.lesson(lesson_id)
    with _store() as store:
        status = planner.statuses(curriculum, store.completions())[lesson.id]
    view = planner.lesson_view(curriculum, lesson, status)
    if json:
        print_json(view)
    else:
        render.show(view, console())


def _change(action: str, lesson_id: str, force: bool = False) -> None:
    from dlpath import planner
    from dlpath.render import lessons as render

    curriculum = _curriculum()
    with _store() as store:
        if action == "done":
            result = planner.mark_done(curriculum, store, lesson_id, force=force)
        elif action == "skip":
            result = planner.mark_skipped(curriculum, store, lesson_id)
        else:
            result = planner.undo(curriculum, store, lesson_id)
    render.change(result, console())


@command("done")
def done(
    lesson_id: str = typer.Argument(..., help="The reading lesson you finished."),
    force: bool = typer.Option(False, "--force", help="Mark it even if its prerequisites are not done."),
) -> None:
    """Mark a reading lesson done (a lesson with a project is done when `dlpath check` passes)."""
    _change("done", lesson_id, force)


@command("undo")
def undo(lesson_id: str = typer.Argument(..., help="The lesson to mark not done.")) -> None:
    """Reverse `done` or `skip`."""
    _change("undo", lesson_id)


@command("skip")
def skip(lesson_id: str = typer.Argument(..., help="The lesson you already know.")) -> None:
    """Test out of a lesson: it counts as done for what follows, shown as skipped."""
    _change("skip", lesson_id)


progress_app = typer.Typer(
    help="Where you stand: per-stage progress, hours, recent attempts. "
    "`dlpath progress export FILE` / `import FILE` move progress between machines.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(progress_app, name="progress")


@progress_app.callback()
def progress(ctx: typer.Context, json: bool = JSON) -> None:
    """Where you stand: per-stage progress, hours done and left, recent attempts."""
    if ctx.invoked_subcommand is not None:
        return
    _progress(json=json)


def _progress_command(fn: Any) -> Any:
    # the same error mapping as every other command, on the `progress` sub-app
    from dlpath.cli import _wrap

    return _wrap(fn)


@_progress_command
def _progress(json: bool) -> None:
    from dlpath import roadmap
    from dlpath.render import lessons as render

    curriculum = _curriculum()
    with _store() as store:
        summary = roadmap.progress_summary(
            curriculum, store.completions(), store.attempts(limit=5), store.attempt_count(),
            store.get_setting("track"),
        )
    if json:
        print_json(summary)
    else:
        render.progress(summary, console())


@progress_app.command("export")
@_progress_command
def progress_export(file: Path = typer.Argument(..., help="The JSON file to write.")) -> None:
    """Write all your progress to a JSON file (to import on another machine)."""
    from dlpath.progress import write_export_file

    with _store() as store:
        data = store.export()
    write_export_file(file, data)
    console().print(
        f"Exported {len(data['completions'])} completion(s), {len(data['attempts'])} attempt(s) and "
        f"{len(data['settings'])} setting(s) to {file}.", markup=False, soft_wrap=True,
    )


@progress_app.command("import")
@_progress_command
def progress_import(file: Path = typer.Argument(..., help="A file written by `dlpath progress export`.")) -> None:
    """Merge progress from an export file; newer data always wins, nothing is lost."""
    from dlpath.progress import read_export_file

    data = read_export_file(file)
    with _store() as store:
        counts = store.merge(data, source=str(file))
    console().print(
        f"Imported from {file}: {counts['completions']} completion(s), {counts['attempts']} attempt(s) and "
        f"{counts['settings']} setting(s) added or updated.", markup=False, soft_wrap=True,
    )


@command("map")
def map_(
    format_: str = typer.Option("text", "--format", help="text (default) or mermaid (renders on GitHub)."),
    json: bool = JSON,
) -> None:
    """The whole road, grouped by stage: each lesson done, available, locked or skipped."""
    from dlpath import roadmap
    from dlpath.render import lessons as render

    if format_ not in ("text", "mermaid"):
        raise UsageError(f"unknown format '{format_}'.", hint="Use --format text or --format mermaid.")
    curriculum = _curriculum()
    with _store() as store:
        view = roadmap.map_view(curriculum, store.completions())
    if json:
        print_json(view)
    elif format_ == "mermaid":
        typer.echo(roadmap.mermaid(view), nl=False)
    else:
        render.map_(view, curriculum, console())


@command("search")
def search(
    text: list[str] = typer.Argument(..., help="Words to look for."),
    limit: int = typer.Option(10, "--limit", min=1, help="How many lessons to show at most."),
    json: bool = JSON,
) -> None:
    """Find lessons by what you type: ids, titles, summaries, objectives and bodies; abbreviations (CNN, RNN, SGD, ...) too."""
    from dlpath.render import lessons as render
    from dlpath.search import search as find

    result = find(_curriculum(), " ".join(text), limit=limit)
    if json:
        print_json(result)
    else:
        render.search(result, console())


@command("track")
def track(
    name: Optional[str] = typer.Argument(None, help="The track to follow; `none` to follow none."),
    json: bool = JSON,
) -> None:
    """List the specialization tracks, or choose one (`next` then prefers its lessons)."""
    from dlpath.render import lessons as render

    curriculum = _curriculum()
    with _store() as store:
        if name is not None:
            if name.lower() == "none":
                store.set_setting("track", None)
            else:
                store.set_setting("track", curriculum.track(name).id)
        chosen = store.get_setting("track")
    from dlpath.roadmap import track_list

    result = track_list(curriculum, chosen)
    if json:
        print_json(result)
    else:
        render.tracks(result, console(), changed=name is not None)


@command("validate")
def validate(
    path: Optional[Path] = typer.Argument(None, help="A curriculum folder (default: the one in use)."),
    json: bool = JSON,
) -> None:
    """Check a curriculum and report every problem at once, with file and line."""
    from dlpath.curriculum import validate_curriculum
    from dlpath.render import lessons as render

    root, problems = validate_curriculum(path if path is not None else state.curriculum)
    if json:
        print_json({"ok": not problems, "path": str(root), "problems": problems})
    else:
        render.validation(root, problems, console())
    if problems:
        raise typer.Exit(int(ExitStatus.USAGE))
