"""`dlpath hint` and `dlpath solution`: help that is given out a little at a time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dlpath.errors import NotYet, UsageError
from dlpath.grading.workspace import find_project

__all__ = ["HintResult", "SolutionResult", "NoPassYet", "NoSolution", "next_hint", "reveal_solution"]


class NoPassYet(NotYet):
    """The solution is shown only after a pass (or with --spoiler)."""


class NoSolution(UsageError):
    """The project ships no reference solution (a broken project)."""


@dataclass(frozen=True)
class HintResult:
    """The hints shown so far for a project (the `--json` shape)."""

    project: str
    shown: list[str]  #: hints 1..n, the last one new (unless all were already shown)
    total: int  #: how many hints the project has
    new: bool  #: whether this call revealed one more


@dataclass(frozen=True)
class SolutionResult:
    """A project's reference solution (the `--json` shape)."""

    project: str
    files: dict[str, str]  #: path within solution/ -> text
    spoiler: bool  #: shown before a pass, at the learner's explicit request


def next_hint(folder: Path | None = None, *, curriculum: Path | None = None) -> HintResult:
    """One more hint for the project in `folder`, counted in the store."""
    project, _ = find_project(folder, curriculum=curriculum)
    from dlpath.learner.store import open_store

    total = len(project.hints)
    with open_store() as store:
        key = f"hints:{project.id}"
        seen = store.counter(key)
        new = seen < total
        if new:
            seen = store.bump_counter(key)
    return HintResult(project=project.id, shown=list(project.hints[: min(seen, total)]), total=total, new=new)


def reveal_solution(folder: Path | None = None, *, spoiler: bool = False,
                    curriculum: Path | None = None) -> SolutionResult:
    """The reference solution, after a passing check of this project, or when `spoiler` is asked."""
    project, _ = find_project(folder, curriculum=curriculum)
    from dlpath.learner.store import open_store

    with open_store() as store:
        passed = any(a.passed for a in store.attempts(project=project.id, limit=None))
    if not passed and not spoiler:
        raise NoPassYet(
            f"the solution of '{project.id}' is shown once your own code passes `dlpath check`.",
            hint="Try `dlpath hint` first. If you really want to see it now: `dlpath solution --spoiler`.",
        )
    files = {}
    if project.solution_dir.is_dir():
        for path in sorted(project.solution_dir.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                files[str(path.relative_to(project.solution_dir))] = path.read_text(encoding="utf-8", errors="replace")
    if not files:
        raise NoSolution(f"'{project.id}' has no reference solution to show (its solution/ folder is empty).",
                         hint="Ask the course's instructor; `dlpath validate` reports such a project.")
    return SolutionResult(project=project.id, files=files, spoiler=not passed)
