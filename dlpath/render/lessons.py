"""Rendering of lessons, progress, the map, search results, tracks and validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text

from dlpath.render.console import console

__all__ = ["next_lesson", "show", "change", "progress", "map_", "search", "tracks", "validation"]

_MARK = {"done": ("✓", "green"), "skipped": ("↷", "dim"), "available": ("→", "yellow"), "locked": ("·", "dim")}


def _hours(h: float) -> str:
    return f"{h:g} h"


def _lesson_head(view: Any) -> Text:
    head = Text()
    head.append(view.title, style="bold")
    head.append(f"  [{view.id}]", style="cyan")
    head.append(f"  {view.stage} · about {_hours(view.hours)}", style="dim")
    return head


def _resources(out: Any, resources: list[dict[str, str]]) -> None:
    if resources:
        out.print(_resources_text(resources))


def _resources_text(resources: list[dict[str, str]]) -> Text:
    text = Text("Resources", style="bold")
    for r in resources:
        text.append("\n  • ")
        text.append(r["title"])
        text.append(f" ({r['kind']})", style="dim")
        text.append(f" — {r['where']}")
    return text


def next_lesson(result: Any, curriculum: Any, show_all: bool = False) -> None:
    # One Text printed once: `dlpath next` is the command people run most, and each
    # separate print costs rich a layout pass.
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
                text.append(f"\n  • {o}")
        if lesson.resources:
            text.append("\n\n")
            text.append_text(_resources_text(lesson.resources))
        text.append("\n\nRead it:   ", style="bold")
        text.append(f"dlpath show {lesson.id}")
        if lesson.project:
            text.append("\nProject:   ", style="bold")
            text.append(f"dlpath start {lesson.project}")
            text.append("   then `dlpath check` in its folder", style="dim")
        else:
            if lesson.questions:
                text.append("\nCheck:     ", style="bold")
                text.append(f"dlpath quiz {lesson.id}")
            text.append("\nFinished:  ", style="bold")
            text.append(f"dlpath done {lesson.id}")
    if result.passed_over:
        text.append("\n\nPassed over for your hardware", style="bold yellow")
        for p in result.passed_over:
            text.append("\n  • ")
            text.append(p.id, style="cyan")
            text.append(f": {p.why}")
    if show_all and result.available:
        text.append(f"\n\nOpen now ({len(result.available)})", style="bold")
        for lesson_id in result.available:
            l = curriculum.by_id[lesson_id]
            text.append("\n  → ")
            text.append(l.id, style="cyan")
            text.append(f"  {l.title}")
            text.append(f"  {l.stage}", style="dim")
    console().print(text)


def show(view: Any) -> None:
    from rich.markdown import Markdown

    out = console()
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
            out.print(f"  • {o}", markup=False)
    out.print()
    out.print(Markdown(view.body or ""))
    out.print()
    _resources(out, view.resources)
    out.print()
    if view.project:
        out.print(Text(f"Project: dlpath start {view.project}, then `dlpath check` in its folder.", style="bold"))
    else:
        tail = f"dlpath quiz {view.id} to check yourself; " if view.questions else ""
        out.print(Text(f"{tail}dlpath done {view.id} when you have worked through it.", style="bold"))


def change(result: Any) -> None:
    console().print(result.message, markup=False, soft_wrap=True)


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def progress(summary: Any) -> None:
    out = console()
    out.print(Text("Your progress", style="bold"))
    if summary.track:
        out.print(Text(f"Track: {summary.track}", style="dim"))
    out.print()
    for s in summary.stages:
        out.print(Text.assemble(
            (f"  {s.title:<16}", "bold"), (_bar(s.done, s.total), "green"),
            f" {s.done:>3}/{s.total:<3}", (f"  {s.hours_done:g}/{s.hours_total:g} h", "dim"),
        ))
    out.print()
    out.print(f"Hours done: {summary.hours_done:g}   hours left: {summary.hours_left:g}", markup=False)
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
            out.print(Text.assemble("  ", mark, f"  {a['project']:<24} ", (a["at"][:16].replace("T", " "), "dim"),
                                    f"  {a['verdict']}"))
    else:
        out.print(Text("No project graded yet: `dlpath next` leads to the first one.", style="dim"))


def map_(view: Any, curriculum: Any) -> None:
    out = console()
    titles = {s.id: s.title for s in curriculum.stages}
    for stage in view.stages:
        lessons = [l for l in view.lessons if l.stage == stage]
        done = sum(l.status in ("done", "skipped") for l in lessons)
        out.print(Text(f"{titles.get(stage, stage)}  ({done}/{len(lessons)})", style="bold"))
        for l in lessons:
            mark, style = _MARK[l.status]
            line = Text.assemble(f"  {mark} ", (f"{l.id:<32}", "cyan" if l.status == "available" else style),
                                 (l.title, style))
            if l.project:
                line.append("  [project]", style="magenta")
            out.print(line)
        out.print()
    out.print(Text("✓ done   ↷ skipped   → available   · locked", style="dim"))


def search(result: Any) -> None:
    out = console()
    if not result.results:
        out.print(f"No lesson matches '{result.query}'. Try other words, or `dlpath map` for the whole road.",
                  markup=False)
        return
    for hit in result.results:
        out.print(Text.assemble((f"{hit.id:<32}", "cyan"), f" {hit.title}", (f"  {hit.stage}", "dim")))


def tracks(result: Any, changed: bool = False) -> None:
    out = console()
    if changed:
        msg = f"You now follow the '{result.chosen}' track: `dlpath next` prefers its lessons." if result.chosen \
            else "You follow no track now."
        out.print(Text(msg, style="bold"))
        out.print()
    for t in result.tracks:
        head = Text.assemble(("● " if t.chosen else "  ", "green"), (t.title, "bold"), (f"  [{t.id}]", "cyan"))
        out.print(head)
        if t.summary:
            out.print(Text("    " + t.summary.strip()))
        if t.careers:
            out.print(Text(f"    Careers: {', '.join(t.careers)}", style="dim"))
        if t.skills:
            out.print(Text(f"    Skills: {', '.join(t.skills)}", style="dim"))
        if t.lessons:
            out.print(Text(f"    Lessons: {', '.join(t.lessons)}", style="dim"))
        out.print()
    if not changed:
        out.print(Text("Choose one with `dlpath track NAME` (or `dlpath track none`).", style="dim"))


def validation(root: Path, problems: list[Any]) -> None:
    out = console()
    if not problems:
        out.print(f"{root}: the curriculum is valid.", markup=False)
        return
    for p in problems:
        out.print(str(p), markup=False, soft_wrap=True)
    out.print()
    out.print(f"{len(problems)} problem(s) in {root}.", markup=False)
