"""Rich output for `dlpath quiz`: questions, feedback on each answer, the summary.

Question and choice text comes from curriculum files, so it is printed with
markup off: a `[1]` in a question stays a `[1]`.
"""

from __future__ import annotations

from typing import Any, Callable

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from dlpath.render.console import console as _stdout

__all__ = ["header", "question", "feedback", "summary", "report", "ask", "questions"]


def _out(out: Console | None) -> Console:
    return out if out is not None else _stdout()


def _hang(prefix: str, text: Text | str, indent: int = 0, style: str = "") -> Padding:
    """`prefix` then `text`, wrapped lines aligned under the text (a hanging indent)."""
    grid = Table.grid()
    grid.add_column(no_wrap=True)
    grid.add_column()
    body = text if isinstance(text, Text) else Text(text)
    grid.add_row(Text(prefix, style=style), body)
    return Padding(grid, (0, 0, 0, indent), expand=False)


def header(lesson: Any, out: Console | None = None) -> None:
    """The quiz's title line."""
    n = len(lesson.questions)
    _out(out).print(
        Text.assemble(("Quiz: ", "bold"), (lesson.title, "bold"), f" ({n} question{'s' if n != 1 else ''})")
    )


def question(q: Any, number: int, total: int, out: Console | None = None) -> None:
    """One question with its numbered choices."""
    c = _out(out)
    c.print()
    c.print(_hang(f"{number}/{total}. ", Text(q.question, style="bold"), style="bold"))
    for i, choice in enumerate(q.choices, 1):
        c.print(_hang(f"{i}. ", choice.text, indent=2))


def feedback(result: Any, out: Console | None = None) -> None:
    """Right, or why the chosen answer is wrong."""
    c = _out(out)
    if result.correct:
        c.print(Padding(Text("Right.", style="green"), (0, 0, 0, 3), expand=False))
    else:
        c.print(_hang("Not quite: ", result.why or "", indent=3, style="yellow"))


def summary(result: Any, out: Console | None = None) -> None:
    """The closing line: how many right, and what happened to the lesson."""
    c = _out(out)
    c.print()
    c.print(Text(result.message, style="bold green" if result.marked_done else "bold"))


def report(lesson: Any, result: Any, out: Console | None = None) -> None:
    """The whole quiz after `--answers`: each question, the answer given, feedback, summary."""
    c = _out(out)
    header(lesson, c)
    for a in result.answers:
        c.print()
        c.print(_hang(f"{a.number}. ", Text(a.question, style="bold"), style="bold"))
        c.print(_hang(f"Your answer: {a.answer}. ", a.answer_text, indent=3))
        feedback(a, c)
    summary(result, c)


def ask(lesson: Any, out: Console, choose: Callable[[int], int]) -> list[Any]:
    """Ask each question of the lesson's quiz, with feedback after each; `choose(n)` returns the learner's choice
    number, from 1 to n. Returns the graded answers (`learner.quiz.check_answer`)."""
    from dlpath.learner import quiz as core

    items = core.questions_of(lesson)
    header(lesson, out)
    graded = []
    for i, q in enumerate(items, 1):
        question(q, i, len(items), out)
        result = core.check_answer(q, i, choose(len(q.choices)))
        feedback(result, out)
        graded.append(result)
    return graded


def questions(lesson: Any, how_to_answer: str, out: Console, first: int = 1) -> None:
    """The quiz's questions (from number `first` on), then how to answer them where none can be asked."""
    from dlpath.learner import quiz as core

    items = core.questions_of(lesson)
    if first == 1:
        header(lesson, out)
    for i, q in enumerate(items[first - 1:], first):
        question(q, i, len(items), out)
    out.print()
    out.print(Text(how_to_answer, style="bold"))
