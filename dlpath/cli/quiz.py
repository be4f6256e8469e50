"""`dlpath quiz ID`: the self-check questions of a lesson.

In a terminal it asks each question and answers at once; otherwise (and for
scripts, tests and `--json`) the answers come with `--answers 2,1,3`. Exit
status: 0 all right, 1 some wrong, 2 usage (no terminal and no --answers, bad
answers, unknown lesson, a lesson without questions).
"""

from __future__ import annotations

from typing import Any, Optional

import typer

from dlpath.cli import NoTerminal, ask_choice, command, state
from dlpath.cli import interactive as _interactive
from dlpath.errors import ExitStatus

__all__ = ["quiz"]


def _ask(lesson: Any, out: Any) -> list[Any]:
    from dlpath import quiz as core
    from dlpath.render import quiz as render

    questions = core.questions_of(lesson)
    render.header(lesson, out)
    results = []
    for i, q in enumerate(questions, 1):
        render.question(q, i, len(questions), out)
        result = core.check_answer(q, i, ask_choice(len(q.choices), out))
        render.feedback(result, out)
        results.append(result)
    return results


@command("quiz")
def quiz(
    lesson_id: str = typer.Argument(..., help="The lesson whose questions to answer."),
    answers: Optional[str] = typer.Option(
        None, "--answers", metavar="2,1,3",
        help="Your choice for each question, in order (no prompts; for scripts and shells without a terminal).",
    ),
    json: bool = typer.Option(False, "--json", help="Print the result as JSON (needs --answers)."),
) -> None:
    """Check yourself on a lesson; all answers right marks a reading lesson done."""
    from dlpath import quiz as core
    from dlpath.curriculum import load_curriculum
    from dlpath.progress import open_store

    curriculum = load_curriculum(state.curriculum)
    lesson = curriculum.lesson(lesson_id)
    questions = core.questions_of(lesson)
    if answers is None and (json or not _interactive()):
        example = core.example_answers(questions)
        why = "--json needs the answers up front" if json else "there is no terminal to ask questions in"
        raise NoTerminal(
            f"{why}: give them with --answers, one choice number per question, in order.",
            hint=f"For example: dlpath quiz {lesson.id} --answers {example}",
        )
    if answers is not None:
        with open_store() as store:
            result = core.take_quiz(curriculum, store, lesson.id, answers)
        if json:
            from dlpath.render.console import print_json

            print_json(result)
        else:
            from dlpath.render import quiz as render

            render.report(lesson, result)
    else:
        from dlpath.render import quiz as render
        from dlpath.render.console import console

        out = console()
        graded = _ask(lesson, out)
        with open_store() as store:
            result = core.finish(curriculum, store, lesson, graded)
        render.summary(result, out)
    if not result.passed:
        raise typer.Exit(int(ExitStatus.NOT_YET))
