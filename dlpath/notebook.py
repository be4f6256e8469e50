"""dlpath in a notebook (Colab, Kaggle Notebooks, Jupyter): a small Python API.

    import dlpath
    dlpath.next()                  # what to do now, as `dlpath next` says it
    dlpath.quiz("first-network")   # the lesson's self-check questions, asked in the cell
    report = dlpath.check("mlp-spirals")  # grade the project in that folder, as `dlpath check` does
    dlpath.gpu()                   # what hardware this runtime has, as `dlpath gpu` says it

Each renders the same report as its command, with rich; in a notebook rich
draws it as HTML output under the cell. `check` returns the grade (a
`CheckOutcome`: `report.report.passed`, `.thresholds`, `.diagnoses`, ..., whose
repr is one line, so the cell shows one line after the report); the others
return None. A problem raises the same error the command reports
(`dlpath.errors.DlpathError`, whose text says what to do).

The commands themselves also work from a cell (`!dlpath next`, `!dlpath check
mlp-spirals`): there dlpath sees a notebook's shell (`dlpath.render.console.
in_notebook_shell`) and prints plain lines with colours, no live display; `!dlpath
quiz ID` prints the questions (nothing can be typed into a `!` command), and
`--answers 2,1,3` answers them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["next", "quiz", "check", "gpu"]


def _off_the_folder(function: Any) -> Any:
    """Run `function` with the notebook's working folder ('' and the folder itself) and the folder it grades off
    `sys.path`, from its first statement to its last: a notebook looks in its working folder first, often a
    project folder the learner's code could write, and each call imports modules (PyYAML, rich, pynvml) for the
    first time. The notebook's own path comes back afterwards."""

    def call(*args: Any, **kwargs: Any) -> Any:
        import os
        import sys

        graded = kwargs.get("path", args[0] if args else ".") if function.__name__ == "check" else None
        banned = {os.path.realpath(os.getcwd())}
        if isinstance(graded, (str, Path)):
            banned.add(os.path.realpath(os.path.expanduser(str(graded))))
        saved = list(sys.path)  # only sys and os, which are loaded: nothing is imported before the path is clean
        sys.path[:] = [entry for entry in saved if entry and os.path.realpath(entry) not in banned]
        try:
            return function(*args, **kwargs)
        finally:
            sys.path[:] = saved

    call.__name__, call.__qualname__, call.__doc__ = function.__name__, function.__qualname__, function.__doc__
    call.__wrapped__ = function
    return call


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False)  # rich finds the notebook by itself


def _curriculum(curriculum: str | Path | None) -> Any:
    from dlpath.course.loading import load_curriculum

    return load_curriculum(Path(curriculum) if curriculum is not None else None)


@_off_the_folder
def next(curriculum: str | Path | None = None, *, show_all: bool = False) -> None:  # noqa: A001 - dlpath.next()
    """Show the next lesson, given your progress, track and hardware (`dlpath next`)."""
    from datetime import datetime, timezone

    from dlpath.course.planner import next_lesson as plan_next
    from dlpath.hardware import check_fake_gpu, fast_profile
    from dlpath.learner.completion import finished_lessons
    from dlpath.learner.store import open_store
    from dlpath.render.lessons import next_lesson
    from dlpath.learner.review import due_count

    check_fake_gpu()
    course = _curriculum(curriculum)
    with open_store() as store:
        completions = store.completions()
        due = due_count(course, completions, store.review_due_times(), datetime.now(timezone.utc))
        result = plan_next(course, finished_lessons(course, completions)[0], store.get_setting("track"), fast_profile,
                           reviews_due=due)
    out = _console()
    with out:
        next_lesson(result, course, out, show_all=show_all)


@_off_the_folder
def quiz(lesson: str, answers: str | None = None, curriculum: str | Path | None = None) -> None:
    """Check yourself on a lesson (`dlpath quiz`): each question is asked in the cell, with feedback after each;
    all right marks a reading lesson done. `answers="2,1,3"` answers them all at once instead. Where the notebook
    cannot ask (it runs without input), the questions are shown, with how to answer them."""
    from dlpath.learner import quiz as core
    from dlpath.learner.store import open_store
    from dlpath.render import quiz as render

    course = _curriculum(curriculum)
    found = course.lesson(lesson)
    example = core.example_answers(core.questions_of(found))
    out = _console()
    if answers is not None:
        with open_store() as store:
            result = core.take_quiz(course, store, found.id, answers)
        with out:
            render.report(found, result, out)
        return
    asked: list[int] = []

    def choose(n: int) -> int:
        asked.append(n)
        return _choice(n, out, len(asked))

    try:
        graded = render.ask(found, out, choose)
    except _CannotAsk as stopped:
        render.questions(found, f"This notebook cannot ask: answer with dlpath.quiz({found.id!r}, "
                                f"answers=\"{example}\"), one choice number per question, in order.", out,
                         first=stopped.question + 1)  # the questions up to the one asked are shown
        return
    with open_store() as store:
        result = core.finish(course, store, found, graded)
    render.summary(result, out)


class _CannotAsk(Exception):
    """The notebook runs without input (`input()` is not available there)."""

    def __init__(self, question: int) -> None:
        super().__init__(question)
        self.question = question


def _choice(n: int, out: Any, question: int) -> int:
    """A choice number from 1 to `n` for question number `question`, typed into the cell's input box."""
    while True:
        try:
            raw = input(f"Your answer (1-{n}): ").strip()
        except (EOFError, NotImplementedError):  # ipykernel's StdinNotImplementedError is a NotImplementedError
            raise _CannotAsk(question) from None
        if raw.isdigit() and 1 <= int(raw) <= n:
            return int(raw)
        out.print(f"Type a number from 1 to {n}.", markup=False)


@_off_the_folder
def check(path: str | Path = ".") -> Any:
    """Grade the project in the folder `path`, show the report (`dlpath check`), and return it.

    Training runs in a separate process under the project's time budget; the
    attempt is recorded, and a pass completes the lesson, as with the command.
    Returns the `CheckOutcome` (`.report` is the grade: `.passed`, `.thresholds`,
    `.diagnoses`, ...; `.recorded`, `.lesson_completed`).
    """
    from dlpath.learner.attempts import check_folder
    from dlpath.render.grading import render_check

    folder = Path(path).expanduser()
    out = _console()
    if folder.is_dir():  # otherwise check_folder says what is wrong
        out.print(f"Grading {folder}: training your code on held-out data takes a little while...",
                  markup=False, highlight=False)
    result = check_folder(folder)
    with out:  # one output under the cell, not one per line
        render_check(result, out)
    return result


@_off_the_folder
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
