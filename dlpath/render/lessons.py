"""Rendering of lessons, progress, the map, search results, tracks and validation.

Every renderer takes the data and a `Console`. Bullets wrap with a hanging
indent, and ids (what a learner types) are never cut: at 50 columns a title
wraps under itself, the id stays whole.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from dlpath.render.console import hanging, wrap_hanging

__all__ = ["next_lesson", "show", "change", "progress", "map_", "search", "tracks", "validation", "repair", "project_card"]

_MARK = {"done": ("✓", "green"), "skipped": ("↷", "dim"), "available": ("→", "yellow"), "locked": ("·", "dim")}


def _hours(h: float) -> str:
    return f"{h:g} h"


def _lesson_head(view: Any) -> Text:
    head = Text()
    head.append(view.title, style="bold")
    head.append(f"  [{view.id}]", style="cyan")
    head.append(f"  {view.stage} · about {_hours(view.hours)}", style="dim")
    return head


def _resources(out: Console, resources: list[dict[str, str]]) -> None:
    if resources:
        out.print(_resources_text(resources, out.width))


def _resources_text(resources: list[dict[str, str]], width: int) -> Text:
    text = Text("Resources", style="bold")
    for r in resources:
        text.append("\n")
        text.append(wrap_hanging(f"{r['title']} ({r['kind']}) — {r['where']}", width, "  • "))
    return text


def _bullet(text: Text, item: str, width: int, prefix: str = "  • ") -> None:
    text.append("\n")
    text.append(wrap_hanging(item, width, prefix))


def next_lesson(result: Any, curriculum: Any, console: Console, show_all: bool = False) -> None:
    # One Text printed once: `dlpath next` is the command people run most, and each
    # separate print costs rich a layout pass. Bullets are wrapped here, with plain string work.
    width = console.width
    text = Text()
    lesson = result.lesson
    if lesson is None:
        text.append(result.reason, style="bold")
    else:
        text.append("Next: ", style="bold green")
        text.append_text(_lesson_head(lesson))
        text.append(f"\nWhy now: {result.reason}\n\n", style="dim")
        text.append(lesson.summary)
        if lesson.objectives:
            text.append("\n\nYou will be able to", style="bold")
            for o in lesson.objectives:
                _bullet(text, o, width)
        if lesson.resources:
            text.append("\n\n")
            text.append_text(_resources_text(lesson.resources, width))
        text.append("\n\nRead it:   ", style="bold")
        text.append(f"dlpath show {lesson.id}")
        if lesson.project:
            text.append("\nProject:   ", style="bold")
            text.append(f"dlpath start {lesson.project}")
            text.append("   then `dlpath check` in its folder", style="dim")
        for item in (h for h in lesson.hands_on if h["kind"] == "exercise"):
            text.append("\nExercises: ", style="bold")
            text.append(item["start"])
            text.append("   then `dlpath check` in its folder", style="dim")
        if lesson.questions and not lesson.project:
            text.append("\nCheck:     ", style="bold")
            text.append(f"dlpath quiz {lesson.id}")
        if not lesson.hands_on:
            text.append("\nFinished:  ", style="bold")
            text.append(f"dlpath done {lesson.id}")
    reviews = getattr(result, "reviews_due", 0)
    if reviews:
        text.append("\nReview:    ", style="bold")
        text.append("dlpath review")
        text.append(f"   {reviews} question{'s' if reviews != 1 else ''} from earlier lessons due", style="dim")
    if result.passed_over:
        text.append("\n\nPassed over for your hardware", style="bold yellow")
        for p in result.passed_over:
            text.append("\n  • ")
            text.append(p.id, style="cyan")
            text.append(wrap_hanging(f": {p.why}", width, " " * (4 + len(p.id)))[4 + len(p.id):])
    if show_all and result.available:
        text.append(f"\n\nOpen now ({len(result.available)})", style="bold")
        for lesson_id in result.available:
            l = curriculum.by_id[lesson_id]
            text.append("\n  → ")
            text.append(l.id, style="cyan")
            text.append(wrap_hanging(f"  {l.title}  ({l.stage})", width, " " * (4 + len(l.id)))[4 + len(l.id):])
    console.print(text)


def show(view: Any, out: Console) -> None:
    out.print(_lesson_head(view))
    mark, style = _MARK.get(view.status, ("", ""))
    status = Text(f"{mark} {view.status}", style=style)
    if view.prerequisites:
        status.append(f"   needs: {', '.join(view.prerequisites)}", style="dim")
    if view.tracks:
        status.append(f"   tracks: {', '.join(view.tracks)}", style="dim")
    if view.requires:
        need = "an NVIDIA GPU" if view.requires.get("cuda") else "a GPU"
        if "min_vram_gb" in view.requires:
            need += f" with {view.requires['min_vram_gb']:g} GB"
        status.append(f"   requires: {need}", style="yellow")
    out.print(status)
    out.print()
    out.print(view.summary, markup=False)
    if view.objectives:
        out.print()
        out.print(Text("You will be able to", style="bold"))
        for o in view.objectives:
            out.print(hanging("  • ", o))
    out.print()
    _body(view.body or "", out)
    out.print()
    _resources(out, view.resources)
    out.print()
    if view.project:
        out.print(Text(f"Project: dlpath start {view.project}, then `dlpath check` in its folder.", style="bold"))
    elif not view.hands_on:
        tail = f"dlpath quiz {view.id} to check yourself; " if view.questions else ""
        out.print(Text(f"{tail}dlpath done {view.id} when you have worked through it.", style="bold"))
    exercises = [h for h in view.hands_on if h["kind"] == "exercise"]
    if exercises:
        extra = " (optional, beside the project)" if view.project else ""
        out.print(Text(f"Exercises{extra}: " + "; ".join(h["start"] for h in exercises)
                       + ", then `dlpath check` in its folder.", style="bold"))
        if view.questions and not view.project:
            out.print(Text(f"dlpath quiz {view.id} to check yourself.", style="bold"))


def _body(body: str, out: Console) -> None:
    """The Markdown body, with each ```chart block drawn as a chart (docs/curriculum-format.md, "Charts")."""
    from rich.markdown import Markdown

    from dlpath.course.charts import ChartProblem, split_body

    for piece in split_body(body):
        if isinstance(piece, str):
            out.print(Markdown(piece))
        elif isinstance(piece, ChartProblem):
            out.print(Text(f"(The chart at line {piece.line} of this lesson cannot be drawn: {piece}. "
                           "`dlpath validate` lists such problems.)", style="yellow"))
        else:
            from dlpath.render.charts import print_chart

            out.print()
            print_chart(piece, out)
            out.print()


def change(result: Any, out: Console) -> None:
    out.print(result.message, markup=False, soft_wrap=True)


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def _bar_width(console_width: int) -> int:
    """The progress bars' width: 24 cells, less on a narrow terminal (the rest of a row takes 42)."""
    return max(6, min(24, console_width - 42))


def progress(summary: Any, out: Console) -> None:
    bar = _bar_width(out.width)
    out.print(Text("Your progress", style="bold"))
    if summary.track:
        out.print(Text(f"Track: {summary.track}", style="dim"))
    out.print()
    for s in summary.stages:
        out.print(Text.assemble(
            (f"  {s.title:<16}", "bold"), (_bar(s.done, s.total, bar), "green"),
            f" {s.done:>3}/{s.total:<3}", (f"  {s.hours_done:g}/{s.hours_total:g} h", "dim"),
        ))
    out.print()
    out.print(f"Hours done: {summary.hours_done:g}   hours left: {summary.hours_left:g}", markup=False)
    graded = [f"{c.passed} of {c.total} {'projects' if c.kind == 'project' else 'exercise folders'}"
              for c in summary.hands_on if c.total]
    if graded:
        out.print(f"Graded work passed: {', '.join(graded)}", markup=False)
    if summary.skipped:
        out.print(Text(f"Skipped (tested out): {', '.join(summary.skipped)}", style="dim"))
    if summary.retired:
        out.print(Text(
            f"Kept from lessons no longer in this curriculum: {', '.join(summary.retired)}", style="dim"))
    out.print()
    if summary.attempts:
        out.print(Text(f"Recent attempts ({summary.attempts_total} in all)", style="bold"))
        for a in summary.attempts:
            mark = Text("pass", style="green") if a["passed"] else Text("fail", style="red")
            out.print(hanging("  ", Text.assemble(mark, "  ", (a["project"], "cyan"), "  ",
                                                  (a["at"][:16].replace("T", " "), "dim"), f"  {a['verdict']}")))
    else:
        out.print(Text("No project graded yet: `dlpath next` leads to the first one.", style="dim"))


def _id_row(lead: str | Text, lesson_id: str, id_width: int, title: Text, id_style: str, width: int) -> Any:
    """An id in its column (never cut), then a title that wraps under itself.

    On a narrow terminal, where the title would get too little room beside the ids,
    the title goes on the lines below the id instead.
    """
    prefix = lead.copy() if isinstance(lead, Text) else Text(lead)
    prefix.append(lesson_id, style=id_style)
    column = max(id_width, len(lesson_id)) + 2
    if width - len(lead) - column >= 24:
        prefix.append(" " * (column - len(lesson_id)))
        return hanging(prefix, title)
    from rich.console import Group

    return Group(prefix, hanging(" " * (len(lead) + 2), title))


def map_(view: Any, curriculum: Any, out: Console) -> None:
    # One Text, wrapped here with plain string work: a map can hold thousands of lessons.
    titles = {s.id: s.title for s in curriculum.stages}
    id_width = min(32, max((len(l.id) for l in view.lessons), default=0))
    width = out.width
    text = Text()
    for stage in view.stages:
        lessons = [l for l in view.lessons if l.stage == stage]
        done = sum(l.status in ("done", "skipped") for l in lessons)
        text.append(f"{titles.get(stage, stage)}  ({done}/{len(lessons)})\n", style="bold")
        for l in lessons:
            mark, style = _MARK[l.status]
            text.append(f"  {mark} ")
            text.append(l.id, style="cyan" if l.status == "available" else style)
            column = max(id_width, len(l.id)) + 2
            title = l.title + ("  [project]" if l.project else "")
            if width - 4 - column >= 24:  # the title beside the id, wrapping under itself
                wrapped = wrap_hanging(title, width, " " * (4 + column))[4 + len(l.id):]
            else:  # narrow: the title on the lines below the id
                wrapped = "\n" + wrap_hanging(title, width, "      ")
            if l.project:
                text.append(wrapped[: -len("[project]")], style=style)
                text.append("[project]", style="magenta")
            else:
                text.append(wrapped, style=style)
            text.append("\n")
        text.append("\n")
    text.append("✓ done   ↷ skipped   → available   · locked", style="dim")
    out.print(text)


def search(result: Any, out: Console) -> None:
    if result.corrected:
        said = "; ".join(f"no lesson has '{old}', so this searched '{new}'" for old, new in result.corrected.items())
        out.print(said[0].upper() + said[1:] + ".", style="dim", markup=False, soft_wrap=True)
    if not result.results:
        out.print(f"No lesson matches '{result.query}'. Try other words, or `dlpath map` for the whole road.",
                  markup=False, soft_wrap=True)
        return
    id_width = min(32, max(len(h.id) for h in result.results))
    for hit in result.results:
        mark, style = _MARK.get(hit.status or "", ("", ""))
        lead = Text(f"{mark} " if mark else "", style=style)
        status = f"  {hit.stage}" + (f", {hit.status}" if hit.status else "")
        out.print(_id_row(lead, hit.id, id_width, Text.assemble(hit.title, (status, "dim")), "cyan", out.width))


def _track(out: Console, t: Any) -> None:
    head = Text.assemble(("● " if t.chosen else "  ", "green"), (t.title, "bold"), (f"  [{t.id}]", "cyan"))
    out.print(head)
    if t.summary:
        out.print(hanging("    ", Text(t.summary.strip())))
    if t.careers:
        out.print(hanging("    Careers: ", Text(", ".join(t.careers)), style="dim"))
    if t.skills:
        out.print(hanging("    Skills: ", Text(", ".join(t.skills)), style="dim"))
    if t.lessons:
        out.print(hanging("    Lessons: ", Text(", ".join(t.lessons)), style="dim"))
    for c in getattr(t, "capstones", []):
        out.print(hanging("    Capstone: ", Text(f"{c.title} (`dlpath start {c.project}`): {c.proves}")))


def tracks(result: Any, out: Console, changed: bool = False) -> None:
    """The tracks; after a choice, the confirmation and the chosen track only."""
    if changed:
        if result.chosen:
            out.print(Text(f"You now follow the '{result.chosen}' track: `dlpath next` prefers its lessons.",
                           style="bold"))
            out.print()
            for t in result.tracks:
                if t.chosen:
                    _track(out, t)
            out.print()
            out.print(Text("`dlpath plan` lays out the weeks to its end; `dlpath track` lists every track.",
                           style="dim"))
        else:
            out.print(Text("You follow no track now: `dlpath next` offers lessons in the curriculum's order.",
                           style="bold"))
        return
    for t in result.tracks:
        _track(out, t)
        out.print()
    out.print(Text("Choose one with `dlpath track NAME` (or `dlpath track none`).", style="dim"))


def validation(result: Any, out: Console) -> None:
    """`dlpath validate`: every problem, then what was checked (a curriculum and its projects, or projects)."""
    n = len(result.projects)
    checked = {"curriculum": f"the curriculum ({result.lessons} lessons) and the {n} project folder(s) it can use",
               "project": "the project", "projects": f"{n} project folder(s)"}[result.kind]
    if not result.problems:
        out.print(f"{result.path}: {checked}: valid.", markup=False, soft_wrap=True)
        return
    for p in result.problems:
        out.print(str(p), markup=False, soft_wrap=True)
    out.print()
    out.print(f"{len(result.problems)} problem(s) in {result.path} ({checked}).", markup=False, soft_wrap=True)


def repair(result: Any, out: Console) -> None:
    """`dlpath progress repair`: what was wrong, and what was saved where."""
    if result.damaged:
        out.print(f"The progress store could not be read ({result.problem}).", markup=False, soft_wrap=True)
    out.print(result.message, markup=False, soft_wrap=True)


def project_card(card: Any, out: Console) -> None:
    """`dlpath show PROJECT`: which lesson it belongs to, what it asks, how to start it."""
    kind = "exercise folder" if card.hands_on == "exercise" else "project"
    out.print(Text.assemble((card.title, "bold"), (f"  [{card.project}]", "cyan"), (f"  {card.status}", "dim")))
    lesson = f"'{card.lesson}' ({card.lesson_title})" if card.lesson_title else f"'{card.lesson}'"
    out.print(hanging("", f"The {kind} of lesson {lesson}: `dlpath show {card.lesson}` reads the lesson."))
    out.print()
    out.print(hanging("", card.summary))
    out.print()
    if card.hands_on == "exercise":
        functions = ", ".join(t.split()[0] for t in card.targets)
        out.print(hanging("The grade: ", f"each function ({functions}) right on inputs it has never seen.",
                          style="bold"))
    else:
        out.print(hanging("The grade: ", f"{'; '.join(card.targets)}, measured on data your code never sees; "
                          f"training gets {card.budget_s:g} s.", style="bold"))
        for line in card.explained:
            name, _, meaning = line.partition(": ")
            out.print(hanging(f"  {name}: ", f"{meaning}."))
    if card.hardware:
        out.print(hanging("Hardware: ", card.hardware, style="bold"))
    out.print()
    out.print(Text(f"{card.start}, then `dlpath check` in its folder.", style="bold"))
