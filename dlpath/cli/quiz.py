"""`dlpath quiz ID`: the self-check questions of a lesson.

In a terminal it asks each question and answers at once; otherwise (a pipe,
a script, a notebook's `!dlpath quiz`) it prints the questions, and the answers
come with `--answers 2,1,3` (as they must with `--json`). In a notebook,
`dlpath.quiz(ID)` asks in the cell. Exit status: 0 all right (or the questions
printed), 1 some wrong, 2 usage (--json without --answers, bad answers, unknown
lesson, a lesson without questions).
"""

from __future__ import annotations

from typing import Optional

import typer

from dlpath.cli import JSON, NoTerminal, ask_choice, command, emit, state
from dlpath.cli import interactive as _interactive
from dlpath.errors import ExitStatus

__all__ = ["quiz"]


@command("quiz")
def quiz(
    lesson_id: str = typer.Argument(..., help="The lesson whose questions to answer."),
    answers: Optional[str] = typer.Option(
        None, "--answers", metavar="2,1,3",
        help="Your choice for each question, in order (no prompts; for scripts and shells without a terminal).",
    ),
    json: bool = JSON,
) -> None:
    """Check yourself on a lesson; all answers right marks a reading lesson done."""
    from dlpath.learner import quiz as core
    from dlpath.course.loading import load_curriculum
    from dlpath.learner.store import open_store

    curriculum = load_curriculum(state.curriculum)
    lesson = curriculum.lesson(lesson_id)
    questions = core.questions_of(lesson)
    example = core.example_answers(questions)
    if answers is None and json:
        raise NoTerminal("--json needs the answers up front: give them with --answers, one choice number per "
                         "question, in order.", hint=f"For example: dlpath quiz {lesson.id} --answers {example}")
    if answers is None and not _interactive():  # a pipe, a script, a notebook's `!dlpath quiz`: nobody to ask
        from dlpath.render import quiz as render
        from dlpath.render.console import console

        render.questions(lesson, f"No terminal to ask in: answer with one choice number per question, in order, "
                                 f"e.g. `dlpath quiz {lesson.id} --answers {example}`.", console())
        return
    if answers is not None:
        with open_store() as store:
            result = core.take_quiz(curriculum, store, lesson.id, answers)
        from dlpath.render import quiz as render

        emit(result, lambda r, out: render.report(lesson, r, out), json)
    else:
        from dlpath.render import quiz as render
        from dlpath.render.console import console

        out = console()
        graded = render.ask(lesson, out, lambda n: ask_choice(n, out))
        with open_store() as store:
            result = core.finish(curriculum, store, lesson, graded)
        render.summary(result, out)
    if not result.passed:
        raise typer.Exit(int(ExitStatus.NOT_YET))
