"""Rich output for the learner's companion: `plan`, `review`, `portfolio`.

Every renderer takes the data and a `Console`. Text from the curriculum
(titles, questions, choices) is printed with markup off.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.console import Console
from rich.text import Text

from dlpath.render.console import hanging

__all__ = [
    "render_plan",
    "render_ics_written",
    "render_review_queue",
    "render_nothing_due",
    "render_review_question",
    "render_review_feedback",
    "render_review_summary",
    "render_review_report",
    "render_portfolio",
]

_PACE_STYLE = {"ahead": "green", "behind": "yellow", "on-track": "green", "first-week": "dim"}


def _day(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d:%a} {d.day} {d:%b}"


def _hours(h: float) -> str:
    return f"{h:g} h"


# ---------------------------------------------------------------- plan


def render_plan(plan: Any, console: Console) -> None:
    """The plan: goal, finish date, pace, then each week with what to do."""
    console.print(Text.assemble(("Study plan", "bold"), f": to {plan.goal}, {_hours(plan.hours_per_week)} a week"))
    console.print(Text(plan.message))
    if plan.pace.message:
        console.print(Text(plan.pace.message, style=_PACE_STYLE.get(plan.pace.status, "")))
    for week in plan.weeks:
        console.print()
        first = max(week.start, plan.today)
        console.print(Text.assemble(
            (f"Week {week.week}", "bold"), f"  {_day(first)} - {_day(week.end)}", (f"  {_hours(week.hours)}", "dim"),
        ))
        for item in week.items:
            line = Text()
            if item.kind == "review":
                line.append(item.title)
            else:
                line.append(item.title)
                line.append(f" [{item.id}]", style="cyan")
                if item.kind == "project":
                    line.append(f" project {item.project}", style="magenta")
                if item.needs_gpu:
                    line.append(" needs a GPU (a free cloud notebook will do)", style="yellow")
            line.append(f"  {_hours(item.hours)}", style="dim")
            if item.continued and item.continues:
                line.append(" (continued, goes on)", style="dim")
            elif item.continued:
                line.append(" (continued)", style="dim")
            elif item.continues:
                line.append(" (goes on next week)", style="dim")
            console.print(hanging("  • ", line))
    console.print()
    if plan.finish:
        console.print(Text.assemble(("Finish: ", "bold"), plan.finish, (
            "   `dlpath plan --ics FILE` puts these weeks in your calendar.", "dim")))


def render_ics_written(path: Any, weeks: int, console: Console) -> None:
    console.print(f"Wrote {weeks} week{'s' if weeks != 1 else ''} to {path}: import it in your calendar app "
                  "(importing a newer plan updates the same events).", markup=False)


# ---------------------------------------------------------------- review


def render_review_queue(queue: Any, console: Console) -> None:
    """`dlpath review --due`: what is due, in the order --answers takes."""
    n = queue.due_total
    console.print(Text.assemble(
        (f"{n} question{'s' if n != 1 else ''} due for review", "bold"),
        (f"  ({queue.cards} under review)", "dim"),
    ))
    for i, item in enumerate(queue.due, 1):
        line = Text()
        line.append(item.question)
        line.append(f"  {item.lesson}, question {item.number}", style="dim")
        console.print(hanging(f"{i:>3}. ", line))
        for c, choice in enumerate(item.choices, 1):
            console.print(hanging(f"       {c}. ", Text(choice)))
    if len(queue.due) < n:
        console.print(Text(f"... and {n - len(queue.due)} more (--limit shows more).", style="dim"))
    if queue.due:
        console.print()
        console.print(Text("Answer them with `dlpath review`, or without a terminal with "
                           "`dlpath review --answers` and one choice number per question, in this order.",
                           style="dim"))


def render_nothing_due(message: str, console: Console) -> None:
    console.print(message, markup=False)


def render_review_question(item: Any, position: int, total: int, console: Console) -> None:
    """One question due, with its numbered choices."""
    console.print()
    console.print(Text.assemble(
        (f"Review {position}/{total}", "bold"), ("  from ", "dim"), (item.lesson_title, "dim"),
        (f" [{item.lesson}]", "cyan"),
    ))
    console.print(Text(item.question, style="bold"))
    for i, choice in enumerate(item.choices, 1):
        console.print(hanging(f"{i}. ", Text(choice), indent=2))


def _again(answer: Any) -> str:
    days = answer.interval_days
    if days < 1.5:
        return "It comes back tomorrow."
    return f"It comes back in {days:.0f} days."


def render_review_feedback(answer: Any, console: Console) -> None:
    """Right or wrong (with why), and when the question comes back."""
    if answer.correct:
        console.print(hanging("Right. ", Text(_again(answer), style="dim"), style="green", indent=3))
    else:
        console.print(hanging("Not quite: ", Text(f"{answer.why} {_again(answer)}"), style="yellow", indent=3))


def render_review_summary(result: Any, console: Console) -> None:
    console.print()
    console.print(Text(result.message, style="bold"))


def render_review_report(result: Any, console: Console) -> None:
    """The whole review after `--answers`: each question, the answer given, feedback, summary."""
    for a in result.answers:
        console.print()
        console.print(hanging(f"{a.lesson}, question {a.number}: ", Text(a.question, style="bold"), style="dim"))
        console.print(hanging(f"Your answer: {a.answer}. ", Text(a.answer_text), indent=3))
        render_review_feedback(a, console)
    render_review_summary(result, console)


# ---------------------------------------------------------------- portfolio


def render_portfolio(portfolio: Any, console: Console) -> None:
    n = len(portfolio.projects)
    console.print(Text.assemble(
        ("Portfolio written", "bold green"),
        f": {n} project{'s' if n != 1 else ''} and the road so far, in {portfolio.folder}",
    ))
    for name in portfolio.files:
        console.print(Text(f"  {name}", style="cyan"))
    for p in portfolio.projects:
        console.print(hanging("  ✓ ", Text.assemble(p.title, (f"  [{p.id}] passed {p.passed_at}", "dim"))))
    if portfolio.charts == "text" and any(p.curve for p in portfolio.projects):
        console.print(Text("Learning curves are text plots; with matplotlib installed "
                           "(pip install 'dlpath[plots]') they are SVG images.", style="dim"))
    console.print(Text("Push the folder to GitHub: it renders the Markdown, the tables and the Mermaid map.",
                       style="dim"))
