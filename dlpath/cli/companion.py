"""The learner's companion: `plan`, `review`, `portfolio`.

Each command parses, calls one core function (`dlpath.learner.schedule`, `dlpath.learner.review`,
`dlpath.learner.portfolio`) and renders (`dlpath.render.companion`). fsrs is
imported only when a review is answered, plotext and matplotlib only when a
portfolio draws a chart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from dlpath.cli import JSON, NoTerminal, ask_choice, command, emit, state
from dlpath.cli import interactive as _interactive
from dlpath.errors import ExitStatus

__all__ = ["plan", "review", "portfolio"]


def _curriculum() -> Any:
    from dlpath.course.loading import load_curriculum

    return load_curriculum(state.curriculum)


def _store() -> Any:
    from dlpath.learner.store import open_store

    return open_store()


def _now() -> Any:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


@command("plan")
def plan(
    hours: Optional[float] = typer.Option(
        None, "--hours", metavar="H", help="Hours a week you can study (kept; give it again to change it)."
    ),
    ics: Optional[Path] = typer.Option(
        None, "--ics", metavar="FILE", help="Also write the weeks as an iCalendar file for your calendar app."
    ),
    json: bool = JSON,
) -> None:
    """A dated, week-by-week study plan to the end of your track, from your hours per week and pace."""
    from datetime import date

    from dlpath.learner import schedule as core

    curriculum = _curriculum()
    with _store() as store:
        result = core.plan_for(curriculum, store, hours, date.today())
    if ics is not None:
        core.write_ics(ics, core.to_ics(result))
    from dlpath.render.companion import render_ics_written, render_plan

    def show(plan: Any, out: Any) -> None:
        render_plan(plan, out)
        if ics is not None:
            render_ics_written(ics, len(plan.weeks), out)

    emit(result, show, json)


@command("review")
def review(
    answers: Optional[str] = typer.Option(
        None, "--answers", metavar="2,1,3",
        help="Your choice for each question due, in the order `--due` lists them (no prompts).",
    ),
    due: bool = typer.Option(False, "--due", help="List the questions due now, without answering them."),
    limit: int = typer.Option(20, "--limit", min=1, help="At most this many questions in one review."),
    json: bool = JSON,
) -> None:
    """Spaced review of the self-check questions of lessons you finished (scheduled with FSRS).

    Exit status: 0 all right (or nothing due), 1 some wrong, 2 usage.
    """
    from dlpath.learner import review as core

    curriculum = _curriculum()
    now = _now()
    with _store() as store:
        queue = core.review_queue(curriculum, store.completions(), store.review_due_times(), now, limit=limit)
        if due:
            _show_queue(queue, json)
            return
        if answers is not None:
            result = core.take_review(curriculum, store, answers, now, limit=limit)
            _show_result(result, json)
        elif not queue.due:
            if json:
                _show_queue(queue, json)
            else:
                from dlpath.render.companion import render_nothing_due
                from dlpath.render.console import console

                render_nothing_due(core.nothing_due_message(queue, now), console())
            return
        elif json or not _interactive():
            why = "--json needs the answers up front" if json else "there is no terminal to ask questions in"
            raise NoTerminal(
                f"{why}: give them with --answers, one choice number per question due, in order.",
                hint="`dlpath review --due` lists the questions due, in that order.",
            )
        else:
            result = _ask(curriculum, store, queue, now)
    if result.right < result.total:
        raise typer.Exit(int(ExitStatus.NOT_YET))


def _show_queue(queue: Any, json: bool) -> None:
    from dlpath.learner.review import nothing_due_message
    from dlpath.render.companion import render_nothing_due, render_review_queue

    def show(q: Any, out: Any) -> None:
        if q.due:
            render_review_queue(q, out)
        else:
            render_nothing_due(nothing_due_message(q, _now()), out)

    emit(queue, show, json)


def _show_result(result: Any, json: bool) -> None:
    from dlpath.render.companion import render_review_report

    emit(result, render_review_report, json)


def _ask(curriculum: Any, store: Any, queue: Any, now: Any) -> Any:
    """Ask each question due, storing each answer as it is given (Ctrl-C loses none of them)."""
    from dlpath.learner import review as core
    from dlpath.render.companion import render_review_feedback, render_review_question, render_review_summary
    from dlpath.render.console import console

    out = console()
    scheduler = core.new_scheduler()
    given = []
    for position, item in enumerate(queue.due, 1):
        render_review_question(item, position, len(queue.due), out)
        answer = core.answer(curriculum, store, item, ask_choice(len(item.choices), out), now, scheduler)
        render_review_feedback(answer, out)
        given.append(answer)
    result = core.summarize(curriculum, store, given, now)
    render_review_summary(result, out)
    return result


@command("portfolio")
def portfolio(
    out: Path = typer.Option(
        Path("portfolio"), "--out", metavar="DIR", help="The folder to write it into (created if needed)."
    ),
    json: bool = JSON,
) -> None:
    """Write a Markdown portfolio of your passed projects and the road so far, ready for GitHub."""
    from dlpath.learner.portfolio import write_portfolio

    curriculum = _curriculum()
    with _store() as store:
        result = write_portfolio(curriculum, store, out, curriculum_path=state.curriculum)
    from dlpath.render.companion import render_portfolio

    emit(result, render_portfolio, json)
