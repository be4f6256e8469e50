"""Recording a grade: `dlpath check` is `grade()` (the grader's work) then `record()` (the learner's store).

- `record(report, project)` writes the attempt (and a pass's completion, through
  the one completion rule) into the learner's store; if it cannot, the grade is
  kept and the reason returned. A pass made with an option that weakens it
  (`--seed`, `--no-sandbox`, more `--timeout` or `--memory-mb` than the project
  allows: `GradeReport.weakened_by`) is recorded as an attempt that does not
  count (not passed, the verdict says why) and completes nothing, unless the
  course lets that option complete a lesson (`complete_with:` in curriculum.yaml).
- `check_folder(folder)` grades the project in a folder and records it, after
  making sure the store can be written (a damaged or read-only store is
  reported before minutes of training, unless `record_attempt=False`).
"""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
from pathlib import Path
from typing import Any

from dlpath.course.loading import load_curriculum
from dlpath.errors import DlpathError, EnvironmentProblem
from dlpath.grading.events import OnEvent
from dlpath.grading.grade import grade
from dlpath.grading.project import Project
from dlpath.grading.report import CheckOutcome, GradeReport, report_json
from dlpath.grading.workspace import find_project
from dlpath.learner.completion import complete_by_pass
from dlpath.learner.store import open_store, store_path
from dlpath.paths import data_home

__all__ = ["record", "check_folder", "not_counted", "store_problem", "StoreNotWritable"]


class StoreNotWritable(EnvironmentProblem):
    """The progress store cannot record a grade; said before training, so no time is lost."""


def store_problem() -> str | None:
    """Why the learner's store could not record a grade now (damaged, read-only, a full disk), or None."""
    try:
        with open_store():
            pass
    except DlpathError as exc:
        return exc.message
    home = data_home()
    path = store_path()
    existing = home if home.exists() else next((p for p in home.parents if p.exists()), None)
    if existing is None or not existing.is_dir():
        return (f"the data folder {home} is a file, not a folder; set DLPATH_HOME to a folder, or move the file "
                "away." if home.exists() else f"the data folder {home} cannot be created (a file is in the way).")
    if not os.access(existing, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return f"the progress store {path} is read-only."
    try:
        if shutil.disk_usage(existing).free < 2 * 2**20:
            return f"the disk holding {home} is full."
    except OSError:
        pass
    return None


def not_counted(report: GradeReport, course: Any) -> str | None:
    """Why a pass completes no lesson: the options that weakened it which the course does not allow; None when
    it counts (or did not pass)."""
    allowed = set(getattr(course, "complete_with", ()) or ())
    blocking = [w for w in report.weakened_by if w.option not in allowed]
    if not report.passed or not blocking:
        return None
    options = [w for w in blocking if w.option != "project-copy"]
    parts = [w.why for w in blocking if w.option == "project-copy"]
    if options:
        flags = " and ".join(w.flag for w in options)
        kind = "an option" if len(options) == 1 else "options"
        parts.insert(0, f"graded with {flags}, {kind} for debugging ({'; '.join(w.why for w in options)})")
    return "; ".join(parts) + ": this pass completes no lesson"


def record(report: GradeReport, project: Project, curriculum: Path | None = None) -> CheckOutcome:
    """Record the attempt (and complete the lesson on a pass); the grade survives any failure to do so.

    A pass completes the lesson only when its prerequisites are done, as `dlpath done`
    and `dlpath quiz` do, and only when no option weakened it (`not_counted`); the attempt
    is recorded either way (a weakened pass as one that did not count).
    """
    metrics = {t.metric: t.value for t in report.thresholds if t.value is not None}
    course, course_problem = _course(curriculum)
    why_not = not_counted(report, course)
    if why_not is None and report.passed and course_problem:  # the rules cannot be asked: nothing is completed
        why_not = f"the course could not be loaded ({course_problem}): this pass completes no lesson until it loads"
    counted = report.passed and why_not is None
    said = report.verdict if why_not is None else (
        f"{report.verdict}, with {' and '.join(w.flag for w in report.weakened_by)}: not counted")
    try:
        with open_store() as store:
            store.record_attempt(project=project.id, lesson=project.lesson, passed=counted,
                                 verdict=said, metrics=metrics, duration_s=report.duration_s,
                                 device=report.device or "cpu", seed=report.seed, report=report_json(report))
            done = None
            if counted:
                passed = store.passed_projects()
                done = complete_by_pass(course, store, project.lesson, project.hands_on, passed, project.id)
    except (DlpathError, OSError) as exc:
        return CheckOutcome(report=report, recorded=False, record_problem=_problem_text(exc), not_completed=why_not)
    except Exception as exc:  # noqa: BLE001 - sqlite3 errors the store did not translate
        return CheckOutcome(report=report, recorded=False, record_problem=f"{type(exc).__name__}: {exc}",
                            not_completed=why_not)
    if done is None:
        return CheckOutcome(report=report, recorded=True, not_completed=why_not)
    return CheckOutcome(report=report, recorded=True, lesson_completed=done.recorded,
                        lesson_already_completed=done.already, unmet_prerequisites=list(done.unmet),
                        work_left=list(done.work_left), not_completed=why_not)


def _course(curriculum: Path | None) -> tuple[Any, str | None]:
    """The course, or None and its first problem: a broken course does not lose the grade (the attempt is
    recorded), but a pass completes nothing until it loads, since the rules (which project completes which
    lesson, the prerequisites) cannot be asked; a project folder of one's own that names a lesson the course
    grades with another project makes the course invalid, and must not complete it that way."""
    try:
        return load_curriculum(curriculum), None
    except DlpathError as exc:
        return None, exc.message.strip().splitlines()[-1].strip()[:200]


def _problem_text(exc: BaseException) -> str:
    if isinstance(exc, DlpathError):
        return exc.message
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "the disk is full."
    return f"{exc}"


def check_folder(
    folder: Path | None = None,
    *,
    timeout_s: float | None = None,
    device: str = "auto",
    seed: int | None = None,
    memory_mb: int | None = None,
    on_event: OnEvent | None = None,
    curriculum: Path | None = None,
    record_attempt: bool = True,
    sandbox: bool = True,
) -> CheckOutcome:
    """Grade the project in `folder` (default: the current folder) and record the attempt.

    With `record_attempt`, the store is checked first: if it cannot be written, this
    raises StoreNotWritable before any training. Ctrl-C (KeyboardInterrupt) stops
    every process and propagates; nothing is recorded then.
    """
    project, where = find_project(folder, curriculum=curriculum)
    if record_attempt:
        problem = store_problem()
        if problem is not None:
            raise StoreNotWritable(
                f"your grade could not be recorded: {problem}",
                hint="Fix that first (see `dlpath progress`), or grade anyway without recording: "
                     "`dlpath check --no-record`.",
            )
    report = grade(project, where, timeout_s=timeout_s, device=device, seed=seed, memory_mb=memory_mb,
                   on_event=on_event, sandbox=sandbox, curriculum=curriculum)
    outcome = record(report, project, curriculum) if record_attempt else CheckOutcome(
        report=report, not_completed=not_counted(report, _course(curriculum)[0]))
    return dataclasses.replace(outcome, release=project.release)
