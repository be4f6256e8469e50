"""`dlpath check` as one function: find the project, run it under limits, grade, record.

Nothing here imports torch: the learner's code and torch live in the child
(`dlpath.grading.harness`), so the parent starts fast and stays responsive.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Callable

from dlpath.errors import EnvironmentProblem, UsageError
from dlpath.grading.report import OUTPUT_TAIL_CHARS, Check, GradeResult, verdict
from dlpath.grading.runner import RunOutcome, run_grade
from dlpath.grading.thresholds import compare
from dlpath.projects import Project
from dlpath.scaffold import find_project

__all__ = ["check_folder", "grade", "new_test_seed", "DEVICES", "GradingUnavailable"]

DEVICES = ("auto", "cpu", "cuda")


class GradingUnavailable(EnvironmentProblem):
    """The grader could not run at all here (no torch, no CUDA device, a broken task): exit 2."""


def new_test_seed() -> int:
    """A fresh hidden test seed, unpredictable to the learner's code."""
    return secrets.randbelow(2**31 - 1) + 1


def _diagnose(project: Project, outcome: RunOutcome, thresholds: list[dict]) -> list:
    try:
        from dlpath.grading.diagnose import diagnose
    except ModuleNotFoundError as exc:  # written by another engineer; grading works without it
        if exc.name != "dlpath.grading.diagnose":
            raise
        return []
    return list(diagnose(project, outcome.curves, outcome.evaluation, outcome.failure, thresholds))


def grade(
    project: Project,
    folder: Path,
    *,
    timeout_s: float | None = None,
    device: str = "auto",
    seed: int | None = None,
    memory_mb: int | None = None,
    on_event: Callable[[str, dict], None] | None = None,
    task_module: str = "dlpath.grading.tasks",
    train_file: str = "train.py",
) -> Check:
    """Grade the learner's code in `folder` against `project` (no store involved)."""
    if device not in DEVICES:
        raise UsageError(f"--device must be one of {', '.join(DEVICES)}, not '{device}'.")
    if timeout_s is not None and not timeout_s > 0:
        raise UsageError("--timeout must be a positive number of seconds.")
    if memory_mb is not None and memory_mb < 64:
        raise UsageError("--memory-mb must be at least 64 (PyTorch alone needs more than that).")
    if seed is not None and not 0 <= seed < 2**62:
        raise UsageError("--seed must be a whole number between 0 and 2**62.")
    if not (folder / train_file).is_file():
        raise UsageError(
            f"{folder / train_file} does not exist: the grader runs your {train_file}.",
            hint=f"Start afresh in a new folder with `dlpath start {project.id} NEW_FOLDER`.",
        )
    budget = float(timeout_s if timeout_s is not None else project.budget_s)
    cap = int(memory_mb if memory_mb is not None else project.memory_mb)
    test_seed = new_test_seed() if seed is None else int(seed)
    outcome = run_grade(project, folder, budget_s=budget, memory_mb=cap, device=device, test_seed=test_seed,
                        on_event=on_event, task_module=task_module, train_file=train_file)
    if outcome.environment is not None:
        raise GradingUnavailable(
            f"dlpath could not grade {folder}: {outcome.environment}",
            hint=(outcome.output_tail.strip().splitlines() or [""])[-1][:300] or None,
        )
    metrics = outcome.evaluation.get("metrics") if outcome.evaluation is not None else None
    results = compare(project.thresholds, metrics)
    passed = outcome.failure is None and outcome.evaluation is not None and all(r.passed for r in results)
    threshold_dicts = [
        {"metric": r.metric, "target": r.target, "value": r.value, "passed": r.passed, "min": t.min, "max": t.max}
        for r, t in zip(results, project.thresholds)
    ]
    diagnoses = _diagnose(project, outcome, threshold_dicts)
    tail = outcome.output_tail[-OUTPUT_TAIL_CHARS:]
    result = GradeResult(
        project=project.id,
        passed=passed,
        verdict=verdict(passed, results, outcome.failure),
        duration_s=round(outcome.duration_s, 3),
        device=outcome.device,
        thresholds=results,
        diagnoses=diagnoses,
        output_tail=tail,
    )
    return Check(result=result, curves=outcome.curves, failure=outcome.failure, seed=test_seed, budget_s=budget,
                 lesson=project.lesson, output_bytes=outcome.output_bytes)


def check_folder(
    folder: Path | None = None,
    *,
    timeout_s: float | None = None,
    device: str = "auto",
    seed: int | None = None,
    memory_mb: int | None = None,
    on_event: Callable[[str, dict], None] | None = None,
    curriculum: Path | None = None,
) -> Check:
    """Grade the project folder `folder` (default: the current folder) and record the attempt.

    A pass also completes the project's lesson. Ctrl-C (KeyboardInterrupt)
    stops the child group and propagates; nothing is recorded then.
    """
    project, where = find_project(folder, curriculum=curriculum)
    check = grade(project, where, timeout_s=timeout_s, device=device, seed=seed, memory_mb=memory_mb,
                  on_event=on_event)
    from dlpath.progress import open_store

    result = check.result
    metrics = {r.metric: r.value for r in result.thresholds if r.value is not None}
    with open_store() as store:
        store.record_attempt(project=project.id, lesson=project.lesson, passed=result.passed,
                             verdict=result.verdict, metrics=metrics, duration_s=result.duration_s,
                             device=result.device or device, seed=check.seed)
        completed = False
        if result.passed:
            already = store.completions().get(project.lesson)
            store.complete(project.lesson, how="passed")
            completed = already is None or already.how != "passed"
    return Check(**{**check.__dict__, "lesson_completed": completed})
