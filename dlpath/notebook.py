"""dlpath in a notebook (Colab, Kaggle Notebooks, Jupyter): a small Python API.

    import dlpath
    dlpath.next()                  # what to do now, as `dlpath next` says it
    dlpath.check("mlp-spirals")    # grade the project in that folder, as `dlpath check` does
    dlpath.gpu()                   # what hardware this runtime has, as `dlpath gpu` says it

Each renders the same report as its command, with rich; in a notebook rich
draws it as HTML output under the cell. They return None, so that nothing
else is printed after the report (`--json` on the command gives the data).
A problem raises the same error the command reports (`dlpath.errors.DlpathError`,
whose text says what to do).

The commands themselves also work from a cell (`!dlpath next`, `!dlpath check
mlp-spirals`): there dlpath sees a notebook's shell (`dlpath.render.console.
in_notebook_shell`) and prints plain lines with colours, no live display.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["next", "check", "gpu"]


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False)  # rich finds the notebook by itself


def _curriculum(curriculum: str | Path | None) -> Any:
    from dlpath.curriculum import load_curriculum

    return load_curriculum(Path(curriculum) if curriculum is not None else None)


def next(curriculum: str | Path | None = None, *, show_all: bool = False) -> None:  # noqa: A001 - dlpath.next()
    """Show the next lesson, given your progress, track and hardware (`dlpath next`)."""
    from datetime import datetime, timezone

    from dlpath import planner
    from dlpath.hardware import check_fake_gpu, fast_profile
    from dlpath.progress import open_store
    from dlpath.render.lessons import next_lesson
    from dlpath.review import due_count

    check_fake_gpu()
    course = _curriculum(curriculum)
    with open_store() as store:
        completions = store.completions()
        due = due_count(course, completions, store.review_due_times(), datetime.now(timezone.utc))
        result = planner.next_lesson(course, completions, store.get_setting("track"), fast_profile,
                                     reviews_due=due)
    out = _console()
    with out:
        next_lesson(result, course, out, show_all=show_all)


def check(path: str | Path = ".") -> None:
    """Grade the project in the folder `path` and show the report (`dlpath check`).

    Training runs in a separate process under the project's time budget; the
    attempt is recorded, and a pass completes the lesson, as with the command.
    """
    from dlpath.grading.check import check_folder
    from dlpath.render.grading import render_check

    folder = Path(path).expanduser()
    out = _console()
    if folder.is_dir():  # otherwise check_folder says what is wrong
        out.print(f"Grading {folder}: training your code on held-out data takes a little while...",
                  markup=False, highlight=False)
    result = check_folder(folder)
    with out:  # one output under the cell, not one per line
        render_check(result, out)


def gpu(curriculum: str | Path | None = None) -> None:
    """Show what hardware this runtime has and what PyTorch can use (`dlpath gpu`)."""
    from dlpath.errors import DlpathError
    from dlpath.hardware import check_fake_gpu, gpu_report
    from dlpath.render.hardware import gpu_report as render

    check_fake_gpu()
    try:
        course = _curriculum(curriculum)
    except DlpathError:  # the report must not depend on a readable curriculum
        course = None
    report = gpu_report(course)
    out = _console()
    with out:
        render(report, out)
