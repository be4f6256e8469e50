"""`dlpath check` and `dlpath run` as functions: grade, record and run are separate steps.

- `grade(project, folder)` trains the learner's code under limits, has the judge
  measure it, compares the thresholds and diagnoses: a complete `GradeReport`,
  nothing written anywhere.
- `record(report, project)` writes the attempt (and a pass's completion) into
  the learner's store; if it cannot, the grade is kept and the reason returned.
- `check_folder(folder)` does both for the project in a folder, after making
  sure the store can be written (a damaged or read-only store is reported
  before minutes of training, unless `record=False`).
- `run_folder(folder)` trains on the public data only (`dlpath run`).

Nothing here imports torch: the learner's code and torch live in the child
processes (`dlpath.grading.learner`, `dlpath.grading.judge`).
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Any, Callable

from dlpath.errors import DlpathError, EnvironmentProblem, UsageError
from dlpath.grading.report import OUTPUT_TAIL_CHARS, CheckOutcome, GradeReport, RunReport, verdict
from dlpath.grading.thresholds import compare
from dlpath.projects import Project
from dlpath.text import clean
from dlpath.scaffold import find_project

__all__ = ["grade", "record", "check_folder", "run_folder", "check_options", "new_test_seed", "DEVICES", "GradingUnavailable",
           "StoreNotWritable", "store_problem"]

DEVICES = ("auto", "cpu", "cuda")


class GradingUnavailable(EnvironmentProblem):
    """The grader could not run at all here (no torch, no CUDA device, a broken task): exit 2."""


class StoreNotWritable(EnvironmentProblem):
    """The progress store cannot record a grade; said before training, so no time is lost."""


def new_test_seed() -> int:
    """A fresh hidden test seed, unpredictable to the learner's code."""
    return secrets.randbelow(2**31 - 1) + 1


def check_options(project: Project, *, timeout_s: float | None = None, device: str = "auto",
                  seed: int | None = None, memory_mb: int | None = None) -> None:
    """The grading options, checked once for every command that grades (UsageError names the bad one)."""
    if device not in DEVICES:
        raise UsageError(f"--device must be one of {', '.join(DEVICES)}, not '{device}'.")
    if timeout_s is not None and not timeout_s > 0:
        raise UsageError("--timeout must be a positive number of seconds.")
    if memory_mb is not None and memory_mb < 64:
        raise UsageError("--memory-mb must be at least 64 (PyTorch alone needs more than that).")
    if seed is not None and not 0 <= seed < 2**62:
        raise UsageError("--seed must be a whole number between 0 and 2**62.")
    if project.requires.cuda and device == "cpu":
        raise UsageError(f"'{project.id}' needs a CUDA GPU; --device cpu cannot grade it.",
                         hint="Run it on a machine with an NVIDIA GPU (`dlpath gpu` says what this one has).")


def _check_options(project: Project, folder: Path, timeout_s: float | None, device: str, seed: int | None,
                   memory_mb: int | None) -> None:
    check_options(project, timeout_s=timeout_s, device=device, seed=seed, memory_mb=memory_mb)
    if not (folder / "train.py").is_file():
        raise UsageError(
            f"{folder / 'train.py'} does not exist: the grader runs your train.py.",
            hint=f"Start afresh in a new folder with `dlpath start {project.id} NEW_FOLDER`.",
        )


def _lesson_ids(curriculum: Path | None) -> set[str] | None:
    try:
        from dlpath.curriculum import load_curriculum

        course = load_curriculum(curriculum)
    except DlpathError:
        return None
    return {lesson.id for lesson in course.lessons}


def _evidence(project: Project, outcome: Any, thresholds: list, trained: bool) -> Any:
    from dlpath.grading.diagnose import Evidence
    from dlpath.grading.facts import Facts, Observation
    from dlpath.grading.protocol import Curves
    from dlpath.grading.tasks import TASKS

    return Evidence(
        task=TASKS.get(project.task), project=project, curves=Curves.from_points(outcome.curves),
        metrics=dict(outcome.metrics or {}), facts=Facts.from_json(outcome.facts or {}),
        observation=Observation.from_json(outcome.observation or {}), failure=outcome.failure,
        thresholds=thresholds, trained=trained,
    )


def grade(
    project: Project,
    folder: Path,
    *,
    timeout_s: float | None = None,
    device: str = "auto",
    seed: int | None = None,
    memory_mb: int | None = None,
    on_event: Callable[[str, dict], None] | None = None,
    sandbox: bool = True,
    observe: bool = True,
    curriculum: Path | None = None,
) -> GradeReport:
    """Grade the learner's code in `folder` against `project`. Writes nothing."""
    from dlpath.grading.diagnose import diagnose
    from dlpath.grading.protocol import Curves
    from dlpath.grading.runner import run_grade

    folder = Path(folder).resolve()
    _check_options(project, folder, timeout_s, device, seed, memory_mb)
    budget = float(timeout_s if timeout_s is not None else project.budget_s)
    cap = int(memory_mb if memory_mb is not None else project.memory_mb)
    test_seed = new_test_seed() if seed is None else int(seed)
    outcome = run_grade(project, folder, budget_s=budget, memory_mb=cap, device=device, test_seed=test_seed,
                        on_event=on_event, sandbox=sandbox, observe=observe)
    if outcome.environment is not None:
        raise GradingUnavailable(
            f"dlpath could not grade {folder}: {outcome.environment}",
            hint=(outcome.output_tail.strip().splitlines() or [""])[-1][:300] or None,
        )
    results = compare(project.thresholds, outcome.metrics if outcome.failure is None else None)
    passed = outcome.failure is None and outcome.metrics is not None and all(r.passed for r in results)
    diagnoses = diagnose(_evidence(project, outcome, results, True), _lesson_ids(curriculum))
    return GradeReport(
        project=project.id, lesson=project.lesson, task=project.task, passed=passed,
        verdict=clean(verdict(passed, results, outcome.failure)),
        score=sum(r.points for r in results), max_score=sum(r.weight for r in results),
        thresholds=results, diagnoses=diagnoses, curves=Curves.from_points(outcome.curves), seed=test_seed,
        device=outcome.device, budget_s=budget, memory_mb=cap, duration_s=round(outcome.duration_s, 3),
        training_s=round(outcome.training_s, 3), peak_memory_mb=round(outcome.peak_mb, 1),
        sandbox=outcome.sandbox, failure=outcome.failure, output_tail=outcome.output_tail[-OUTPUT_TAIL_CHARS:],
        output_bytes=outcome.output_bytes,
    )


def store_problem() -> str | None:
    """Why the learner's store could not record a grade now (damaged, read-only, a full disk), or None."""
    from dlpath.paths import data_home
    from dlpath.progress import open_store, store_path

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


def record(report: GradeReport, project: Project, curriculum: Path | None = None) -> CheckOutcome:
    """Record the attempt (and complete the lesson on a pass); the grade survives any failure to do so.

    A pass completes the lesson only when its prerequisites are done, as `dlpath done`
    and `dlpath quiz` do; the attempt is recorded either way.
    """
    from dlpath.progress import open_store

    from dlpath.render.formats import report_json

    metrics = {t.metric: t.value for t in report.thresholds if t.value is not None}
    try:
        with open_store() as store:
            store.record_attempt(project=project.id, lesson=project.lesson, passed=report.passed,
                                 verdict=report.verdict, metrics=metrics, duration_s=report.duration_s,
                                 device=report.device or "cpu", seed=report.seed, report=report_json(report))
            completed = False
            if report.passed:
                completed = _complete(store, project, curriculum)
    except (DlpathError, OSError) as exc:
        return CheckOutcome(report=report, recorded=False, record_problem=_problem_text(exc))
    except Exception as exc:  # noqa: BLE001 - sqlite3 errors the store did not translate
        return CheckOutcome(report=report, recorded=False, record_problem=f"{type(exc).__name__}: {exc}")
    return CheckOutcome(report=report, recorded=True, lesson_completed=completed)


def _complete(store: Any, project: Project, curriculum: Path | None) -> bool:
    from dlpath.curriculum import load_curriculum
    from dlpath.planner import resolve_completions

    already = store.completions().get(project.lesson)
    if already is not None and already.how == "passed":
        return False
    try:
        course = load_curriculum(curriculum)
        lesson_id = course.canonical_id(project.lesson)
    except DlpathError:
        lesson_id = None
    if lesson_id is not None:
        finished, _ = resolve_completions(course, store.completions())
        lesson = course.lesson(lesson_id)
        if any(course.canonical_id(p) not in finished for p in lesson.prerequisites):
            return False
    store.complete(project.lesson, how="passed")
    return True


def _problem_text(exc: BaseException) -> str:
    if isinstance(exc, DlpathError):
        return exc.message
    import errno

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
    on_event: Callable[[str, dict], None] | None = None,
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
    if not record_attempt:
        return CheckOutcome(report=report)
    return record(report, project, curriculum)


def run_folder(
    folder: Path | None = None,
    *,
    timeout_s: float | None = None,
    device: str = "auto",
    memory_mb: int | None = None,
    on_event: Callable[[str, dict], None] | None = None,
    curriculum: Path | None = None,
    sandbox: bool = True,
) -> RunReport:
    """Train the learner's code on the public data with the live curves: no hidden data, no grade, no record."""
    from dlpath.grading.diagnose import diagnose
    from dlpath.grading.protocol import Curves
    from dlpath.grading.runner import run_grade

    project, where = find_project(folder, curriculum=curriculum)
    where = where.resolve()
    _check_options(project, where, timeout_s, device, None, memory_mb)
    budget = float(timeout_s if timeout_s is not None else project.budget_s)
    cap = int(memory_mb if memory_mb is not None else project.memory_mb)
    outcome = run_grade(project, where, budget_s=budget, memory_mb=cap, device=device, test_seed=None,
                        on_event=on_event, sandbox=sandbox)
    if outcome.environment is not None:
        raise GradingUnavailable(f"dlpath could not run {where}: {outcome.environment}")
    diagnoses = diagnose(_evidence(project, outcome, [], False), _lesson_ids(curriculum))
    finished = outcome.failure is None and outcome.trained
    text = outcome.failure.verdict() if outcome.failure else (
        f"training finished in {outcome.training_s:.1f} s (no grade: `dlpath check` measures it on held-out data)")
    return RunReport(
        project=project.id, finished=finished, verdict=text, curves=Curves.from_points(outcome.curves),
        diagnoses=diagnoses, device=outcome.device, budget_s=budget, duration_s=round(outcome.duration_s, 3),
        training_s=round(outcome.training_s, 3), peak_memory_mb=round(outcome.peak_mb, 1), sandbox=outcome.sandbox,
        failure=outcome.failure, output_tail=outcome.output_tail[-OUTPUT_TAIL_CHARS:], output_bytes=outcome.output_bytes,
    )
