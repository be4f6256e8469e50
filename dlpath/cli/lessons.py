"""The learner's everyday commands: next, show, done, undo, skip, progress, map, search, track, validate."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from dlpath.cli import JSON, app, command, emit, state
from dlpath.course.model import UnknownLesson
from dlpath.errors import ExitStatus, UsageError
from dlpath.render.console import console


def _curriculum() -> Any:
    from dlpath.course.loading import load_curriculum

    return load_curriculum(state.curriculum)


def _store() -> Any:
    from dlpath.learner.store import open_store

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

    from dlpath.learner.review import due_count

    return due_count(curriculum, completions, store.review_due_times(), datetime.now(timezone.utc))


@command("next")
def next_(
    all_: bool = typer.Option(False, "--all", help="List every lesson open now, not just the next one."),
    json: bool = JSON,
) -> None:
    """What to do now: the next lesson, given your progress, track and hardware."""
    from dlpath.course.planner import next_lesson
    from dlpath.learner.completion import finished_lessons
    from dlpath.render import lessons as render

    _check_fake_gpu()
    curriculum = _curriculum()
    with _store() as store:
        completions = store.completions()
        result = next_lesson(curriculum, finished_lessons(curriculum, completions)[0], store.get_setting("track"),
                             _profile, reviews_due=_reviews_due(curriculum, store, completions))
    emit(result, lambda r, out: render.next_lesson(r, curriculum, out, show_all=all_), json)


@command("show")
def show(lesson_id: str = typer.Argument(..., help="The lesson's id (see `dlpath map`), or a project's."),
         json: bool = JSON) -> None:
    """Show a whole lesson, its body rendered as Markdown (or a project: its lesson and what its grade asks)."""
    from dlpath.course.planner import lesson_view
    from dlpath.learner.completion import lesson_statuses
    from dlpath.render import lessons as render

    curriculum = _curriculum()
    if curriculum.canonical_id(lesson_id) is None and _is_project(lesson_id):
        from dlpath.learner.roadmap import project_card

        emit(project_card(lesson_id, state.curriculum), render.project_card, json)
        return
    try:
        lesson = curriculum.lesson(lesson_id)
    except UnknownLesson as exc:  # perhaps a project's id, mistyped (`CNN-shapes`)
        raise UnknownLesson(lesson_id, _suggestions(curriculum, lesson_id, exc.suggestions)) from None
    with _store() as store:
        status = lesson_statuses(curriculum, store.completions())[lesson.id]
    view = lesson_view(curriculum, lesson, status)
    emit(view, render.show, json)


def _project_ids() -> list[str]:
    from dlpath.course.catalog import project_folders

    return [folder.name for folder in project_folders(state.curriculum)]


def _is_project(name: str) -> bool:
    return name in _project_ids()


def _suggestions(curriculum: Any, name: str, lessons: list[str]) -> list[str]:
    """What `show NAME` may have meant: the lesson or project spelt the same in lowercase first, then the
    closest lessons and projects."""
    from dlpath.text import close_matches

    lower = name.strip().lower()
    projects = _project_ids()
    found = [curriculum.canonical_id(lower)] + [lower if lower in projects else None] + lessons
    found += close_matches(lower, projects, n=1, cutoff=0.8)
    return list(dict.fromkeys(f for f in found if f))[:3]


def _change(action: str, lesson_id: str, force: bool = False) -> None:
    from dlpath.learner import completion
    from dlpath.render import lessons as render

    curriculum = _curriculum()
    with _store() as store:
        if action == "done":
            result = completion.mark_done(curriculum, store, lesson_id, force=force)
        elif action == "skip":
            result = completion.mark_skipped(curriculum, store, lesson_id)
        else:
            result = completion.undo(curriculum, store, lesson_id)
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
    "`dlpath progress export FILE` / `import FILE` move progress between machines; "
    "`dlpath progress repair` recovers what it can from a damaged store.",
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
    from dlpath.learner import roadmap
    from dlpath.render import lessons as render

    curriculum = _curriculum()
    with _store() as store:
        summary = roadmap.progress_summary(
            curriculum, store.completions(), store.attempts(limit=5), store.attempt_count(),
            store.get_setting("track"), store.passed_projects(),
        )
    emit(summary, render.progress, json)


@progress_app.command("export")
@_progress_command
def progress_export(file: Path = typer.Argument(..., help="The JSON file to write.")) -> None:
    """Write all your progress to a JSON file (to import on another machine)."""
    from dlpath.learner.export import export_progress, write_export_file

    with _store() as store:
        data = export_progress(store)
    write_export_file(file, data)
    console().print(
        f"Exported {len(data['completions'])} completion(s), {len(data['attempts'])} attempt(s) and "
        f"{len(data['settings'])} setting(s) to {file}.", markup=False, soft_wrap=True,
    )


@progress_app.command("import")
@_progress_command
def progress_import(file: Path = typer.Argument(..., help="A file written by `dlpath progress export`.")) -> None:
    """Merge progress from an export file; newer data always wins, nothing is lost."""
    from dlpath.learner.export import merge_progress, read_export_file

    data = read_export_file(file)
    with _store() as store:
        counts = merge_progress(store, data, source=str(file))
    console().print(
        f"Imported from {file}: {counts['completions']} completion(s), {counts['attempts']} attempt(s) and "
        f"{counts['settings']} setting(s) added or updated.", markup=False, soft_wrap=True,
    )


@progress_app.command("repair")
@_progress_command
def progress_repair(json: bool = JSON) -> None:
    """Recover from a damaged progress store: keep the damaged file, read what can be read into a new store.

    A readable store is left alone. The damaged file is moved aside (never deleted), what could be read is
    also written as an export file, and the report says what was saved and what could not be read.
    """
    from dlpath.learner.repair import repair_store
    from dlpath.render import lessons as render

    emit(repair_store(), render.repair, json)


@command("map")
def map_(
    format_: str = typer.Option("text", "--format", help="text (default) or mermaid (renders on GitHub)."),
    json: bool = JSON,
) -> None:
    """The whole road, grouped by stage: each lesson done, available, locked or skipped."""
    from dlpath.learner import roadmap
    from dlpath.render import lessons as render

    if format_ not in ("text", "mermaid"):
        raise UsageError(f"unknown format '{format_}'.", hint="Use --format text or --format mermaid.")
    curriculum = _curriculum()
    with _store() as store:
        view = roadmap.map_view(curriculum, store.completions())
    if format_ == "mermaid" and not json:
        typer.echo(roadmap.mermaid(view), nl=False)
    else:
        emit(view, lambda v, out: render.map_(v, curriculum, out), json)


@command("search")
def search(
    text: list[str] = typer.Argument(..., help="Words to look for."),
    limit: int = typer.Option(10, "--limit", min=1, help="How many lessons to show at most."),
    json: bool = JSON,
) -> None:
    """Find lessons by what you type: ids, titles, summaries, objectives and bodies; abbreviations (CNN, RNN, SGD, ...)
    and typos too. Each result says whether you have done it or it is still locked."""
    from dlpath.learner.roadmap import search_lessons
    from dlpath.render import lessons as render

    emit(search_lessons(_curriculum(), " ".join(text), limit=limit), render.search, json)


@command("track")
def track(
    name: Optional[str] = typer.Argument(None, help="The track to follow; `none` to follow none."),
    json: bool = JSON,
) -> None:
    """List the specialization tracks, or choose one (`next` then offers what it needs first, as `plan` does)."""
    from dlpath.render import lessons as render

    curriculum = _curriculum()
    with _store() as store:
        if name is not None:
            if name.lower() == "none":
                store.set_setting("track", None)
            else:
                store.set_setting("track", curriculum.track(name).id)
        chosen = store.get_setting("track")
    from dlpath.learner.roadmap import track_list

    result = track_list(curriculum, chosen)
    emit(result, render.tracks, json, changed=name is not None)


@command("validate")
def validate(
    path: Optional[Path] = typer.Argument(None, help="A curriculum folder (default: the one in use), a project "
                                                     "folder, or a folder of project folders."),
    json: bool = JSON,
) -> None:
    """Check a curriculum and its projects (or project folders alone): every problem at once, with file and line."""
    from dlpath.grading.project import validate_path
    from dlpath.render import lessons as render

    result = validate_path(path if path is not None else state.curriculum)
    emit({"ok": result.ok, "path": str(result.path), "kind": result.kind, "lessons": result.lessons,
          "projects": result.projects, "problems": result.problems}, lambda _, out: render.validation(result, out), json)
    if result.problems:
        raise typer.Exit(int(ExitStatus.USAGE))
