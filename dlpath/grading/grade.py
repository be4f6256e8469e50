"""Grading and training runs as functions: `grade()` and `run_folder()` return complete reports.

- `grade(project, folder)` trains the learner's code under limits, has the judge
  measure it, compares the thresholds and diagnoses: a complete `GradeReport`,
  nothing written anywhere. Recording it is `dlpath.learner.attempts`.
- `run_folder(folder)` trains on the public data only (`dlpath run`).

Nothing here imports torch: the learner's code and torch live in the child
processes (`dlpath.grading.harness`, `dlpath.grading.judge`).
"""

from __future__ import annotations

import hashlib
import secrets
import sys
from pathlib import Path
from typing import Any

from dlpath.course.loading import load_curriculum
from dlpath.errors import DlpathError, EnvironmentProblem, UsageError
from dlpath.grading.events import OnEvent
from dlpath.grading.report import OUTPUT_TAIL_CHARS, GradeReport, RunReport, Weakening, verdict
from dlpath.grading.thresholds import compare
from dlpath.grading.project import Project
from dlpath.text import clean
from dlpath.grading.workspace import find_project

__all__ = ["grade", "run_folder", "check_options", "check_folder_is_gradable", "weakening_options", "new_test_seed",
           "world_seed_for", "DEVICES", "GradingUnavailable"]

DEVICES = ("auto", "cpu", "cuda")
_DLPATH_ROOT = Path(__file__).resolve().parents[1]  # the dlpath package


class GradingUnavailable(EnvironmentProblem):
    """The grader could not run at all here (no torch, no CUDA device, a broken task): exit 2."""


def new_test_seed() -> int:
    """A fresh hidden test seed, unpredictable to the learner's code.

    The learner's training data follow from it (through the world, `world_seed_for`) and the public seed, so
    there must be too many to tabulate: with 2**31 of them, a table from a world's first draws to the seed
    costs one or two days of one CPU per project (about 70 microseconds a seed, measured), and then gives the
    hidden test rows with their labels. 2**53 (the largest whole number JSON readers keep exactly) puts it
    out of reach (tens of thousands of CPU-years)."""
    return secrets.randbelow(2**53 - 1) + 1


def world_seed_for(test_seed: int) -> int:
    """The world a grade draws its data from: as secret as the hidden test seed it comes from, and the same
    again when a grade is repeated with `--seed` (a debugging grade, or `dlpath dev check` across worlds)."""
    digest = hashlib.sha256(f"dlpath world {int(test_seed)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 2**62


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
    from dlpath.grading.tasks import missing_for_project

    missing = missing_for_project(project)
    if missing is not None:
        raise GradingUnavailable(f"'{project.id}': {missing[0]}.", hint=missing[1])


def _held(curriculum: Path | None, project: Project | None) -> list[tuple[str, Path]]:
    """What a project folder must not hold: what dlpath runs, reads or records outside the sandbox."""
    import site

    from dlpath.course.loading import default_curriculum_path
    from dlpath.paths import data_home

    held = [("dlpath's data folder", data_home()), ("the Python environment dlpath runs in", Path(sys.prefix)),
            ("the Python installation", Path(sys.base_prefix)), ("dlpath's own files", _DLPATH_ROOT),
            ("your home folder", Path.home()), ("your Python packages", Path(site.getusersitepackages())),
            ("the course it is graded by", Path(curriculum) if curriculum else default_curriculum_path())]
    if project is not None:
        held.append(("the project's own files", Path(project.path)))
    return held


def check_folder_is_gradable(folder: Path, project: Project | None = None, curriculum: Path | None = None) -> None:
    """Refuse (UsageError, exit 2) to grade a folder that holds the data home, Python, dlpath, the home folder or
    the course: the sandbox lets the learner's code write the whole project folder, and what those hold runs
    or is read outside it (the store, the caches, a .pth file, ~/.bashrc, dlpath's own modules)."""
    folder = Path(folder).resolve()
    for what, path in _held(curriculum, project):
        try:
            real = path.expanduser().resolve()
        except (OSError, RuntimeError):
            continue
        if real == folder or folder in real.parents:
            where = f"`dlpath start {project.id} ~/dlpath/{project.id}`" if project is not None else "`dlpath start`"
            raise UsageError(f"dlpath will not grade {folder}: it holds {what} ({real}), which code graded there "
                             "could change.",
                             hint=f"Keep each project in a folder of its own: {where} makes one; copy your train.py "
                                  "there and grade it in that folder.")


def weakening_options(project: Project, *, timeout_s: float | None = None, memory_mb: int | None = None,
                      device: str = "auto", seed: int | None = None, sandbox: bool = True) -> list[Weakening]:
    """The options, among those given, that make this grade weaker than the project's own: a chosen test seed,
    more time or memory than the project allows, no sandbox. `--device` never does: the budget is the same on
    either device, `cpu` only makes it harder, and `cuda` is what `auto` picks where there is a GPU; a shorter
    budget or a smaller memory cap are stricter, not weaker."""
    del device  # listed so that every grading option is considered here
    out = []
    if seed is not None:
        out.append(Weakening("seed", f"--seed {seed}", "the held-out data is chosen, not hidden"))
    if timeout_s is not None and timeout_s > project.budget_s:
        out.append(Weakening("timeout", f"--timeout {timeout_s:g}",
                             f"more time than the project's {project.budget_s:g} s budget"))
    if memory_mb is not None and memory_mb > project.memory_mb:
        out.append(Weakening("memory-mb", f"--memory-mb {memory_mb}",
                             f"more memory than the project's {project.memory_mb} MB cap"))
    if not sandbox:
        out.append(Weakening("no-sandbox", "--no-sandbox", "your code ran with all of your rights"))
    copy = copy_of_shipped(project)
    if copy is not None:
        out.append(copy)
    return out


#: what makes a grade: two projects that agree on all of it grade alike (hints, texts and calibration do not)
_GRADING_TERMS = ("task", "dataset", "thresholds", "budget_s", "memory_mb", "requires", "entry", "exercises")


def copy_of_shipped(project: Project) -> Weakening | None:
    """A project that takes the id of one of dlpath's own but grades differently (a copy named by
    `DLPATH_PROJECTS` or a course's projects folder, its thresholds lowered, say): a pass against it says nothing
    about dlpath's project, so it completes no lesson unless the course allows it (`complete_with: [project-copy]`).
    None for dlpath's own folder, for an instructor's project with an id of its own, and for a copy that grades
    alike."""
    from dlpath.grading.project import load_project
    from dlpath.paths import projects_dir

    shipped_folder = projects_dir() / project.id
    if not (shipped_folder / "project.yaml").is_file():
        return None
    try:
        if project.path.resolve() == shipped_folder.resolve():
            return None
        shipped = load_project(shipped_folder)
    except (DlpathError, OSError):
        return None
    differ = [term for term in _GRADING_TERMS if getattr(shipped, term, None) != getattr(project, term, None)]
    if shipped.hands_on == "exercise" and not differ:
        ours, theirs = shipped.path / "grading.py", project.path / "grading.py"
        try:
            if ours.read_bytes() != theirs.read_bytes():
                differ.append("grading.py")
        except OSError:
            differ.append("grading.py")
    if not differ:
        return None
    what = ", ".join(term.replace("_", " ") for term in differ)
    return Weakening("project-copy", "a copy of the project",
                     f"graded against {project.path}, which takes the id of dlpath's own {project.id} but differs in "
                     f"its {what}")


def _check_options(project: Project, folder: Path, timeout_s: float | None, device: str, seed: int | None,
                   memory_mb: int | None, curriculum: Path | None = None) -> None:
    check_options(project, timeout_s=timeout_s, device=device, seed=seed, memory_mb=memory_mb)
    check_folder_is_gradable(folder, project, curriculum)
    if not (folder / project.entry).is_file():
        raise UsageError(
            f"{folder / project.entry} does not exist: the grader runs your {project.entry}.",
            hint=f"Start afresh in a new folder with `dlpath start {project.id} NEW_FOLDER`.",
        )


def _mentor(project: Project, evidence: Any, curriculum: Path | None) -> list[Any]:
    """The diagnoses, each pointing to a lesson of the curriculum in use that is not later on the road than the
    project's own (a lesson further on is replaced by the project's: a beginner is never sent ahead)."""
    import dataclasses

    from dlpath.course.planner import not_later_than
    from dlpath.grading.diagnose import diagnose

    try:
        course = load_curriculum(curriculum)
    except DlpathError:
        return diagnose(evidence, None)
    found = diagnose(evidence, {lesson.id for lesson in course.lessons})
    reach = not_later_than(course, project.lesson)
    own = course.canonical_id(project.lesson)
    return [d if d.lesson is None or d.lesson in reach or own is None else dataclasses.replace(d, lesson=own)
            for d in found]


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
    on_event: OnEvent | None = None,
    sandbox: bool = True,
    observe: bool = True,
    curriculum: Path | None = None,
    in_process: bool = False,
) -> GradeReport:
    """Grade the learner's code in `folder` against `project`. Writes nothing.

    `in_process`: run the task's code here, without processes or sandbox (`dlpath.grading.inprocess`: for
    the course's own trusted variants, as `dlpath dev check --in-process` grades exercise folders)."""
    from dlpath.grading.protocol import Curves
    from dlpath.grading.runner import run_grade
    from dlpath.grading.tasks import TASKS

    folder = Path(folder).resolve()
    _check_options(project, folder, timeout_s, device, seed, memory_mb, curriculum)
    budget = float(timeout_s if timeout_s is not None else project.budget_s)
    cap = int(memory_mb if memory_mb is not None else project.memory_mb)
    test_seed = new_test_seed() if seed is None else int(seed)
    if in_process:
        from dlpath.grading.inprocess import run_in_process

        outcome = run_in_process(project, folder, test_seed=test_seed)
    else:
        outcome = run_grade(project, folder, budget_s=budget, memory_mb=cap, device=device, test_seed=test_seed,
                            world_seed=world_seed_for(test_seed), on_event=on_event, sandbox=sandbox,
                            observe=observe)
    if outcome.environment is not None:
        raise GradingUnavailable(
            f"dlpath could not grade {folder}: {outcome.environment}",
            hint=(outcome.output_tail.strip().splitlines() or [""])[-1][:300] or None,
        )
    results = compare(project.thresholds, outcome.metrics if outcome.failure is None else None)
    passed = outcome.failure is None and outcome.metrics is not None and all(r.passed for r in results)
    evidence = _evidence(project, outcome, results, True)
    diagnoses = _mentor(project, evidence, curriculum)
    said = verdict(passed, results, outcome.failure, TASKS.get(project.task))
    if not passed and outcome.failure is None and (outcome.facts or {}).get("batch_dependence"):
        said = ("your model gave inputs other answers when they were asked again in other company (their batch), "
                "so none of its outputs were graded")  # its metrics kept the values of a model that answered nothing
    return GradeReport(
        project=project.id, lesson=project.lesson, task=project.task, passed=passed,
        verdict=clean(said),
        score=sum(r.points for r in results), max_score=sum(r.weight for r in results),
        thresholds=results, diagnoses=diagnoses, curves=Curves.from_points(outcome.curves), seed=test_seed,
        device=outcome.device, budget_s=budget, memory_mb=cap, duration_s=round(outcome.duration_s, 3),
        training_s=round(outcome.training_s, 3), peak_memory_mb=round(outcome.peak_mb, 1),
        sandbox=outcome.sandbox, failure=outcome.failure, output_tail=outcome.output_tail[-OUTPUT_TAIL_CHARS:],
        output_bytes=outcome.output_bytes, rule_errors=list(evidence.problems),
        weakened_by=weakening_options(project, timeout_s=timeout_s, memory_mb=memory_mb, device=device, seed=seed,
                                      sandbox=sandbox),
        hands_on=getattr(TASKS.get(project.task), "hands_on", "project"),
    )


def run_folder(
    folder: Path | None = None,
    *,
    timeout_s: float | None = None,
    device: str = "auto",
    memory_mb: int | None = None,
    on_event: OnEvent | None = None,
    curriculum: Path | None = None,
    sandbox: bool = True,
) -> RunReport:
    """Train the learner's code on the public data (`on_event` sees each logged point): no hidden data, no grade, no
    record."""
    from dlpath.grading.protocol import Curves
    from dlpath.grading.runner import run_grade
    from dlpath.grading.tasks import TASKS

    project, where = find_project(folder, curriculum=curriculum)
    where = where.resolve()
    _check_options(project, where, timeout_s, device, None, memory_mb, curriculum)
    budget = float(timeout_s if timeout_s is not None else project.budget_s)
    cap = int(memory_mb if memory_mb is not None else project.memory_mb)
    outcome = run_grade(project, where, budget_s=budget, memory_mb=cap, device=device, test_seed=None,
                        world_seed=None, on_event=on_event, sandbox=sandbox)
    if outcome.environment is not None:
        raise GradingUnavailable(f"dlpath could not run {where}: {outcome.environment}")
    evidence = _evidence(project, outcome, [], False)
    diagnoses = _mentor(project, evidence, curriculum)
    finished = outcome.failure is None and outcome.trained
    hands_on = getattr(TASKS.get(project.task), "hands_on", "project")
    if outcome.failure:
        text = outcome.failure.verdict()
    elif hands_on == "exercise":
        text = (f"{project.entry} loaded cleanly in {outcome.training_s:.1f} s; nothing is trained in an exercise "
                "folder (`dlpath check` calls each function on hidden cases)")
    else:
        text = (f"training finished in {outcome.training_s:.1f} s (no grade: `dlpath check` measures it on held-out "
                "data)")
    return RunReport(
        project=project.id, finished=finished, verdict=text, curves=Curves.from_points(outcome.curves),
        diagnoses=diagnoses, device=outcome.device, budget_s=budget, duration_s=round(outcome.duration_s, 3),
        training_s=round(outcome.training_s, 3), peak_memory_mb=round(outcome.peak_mb, 1), sandbox=outcome.sandbox,
        failure=outcome.failure, output_tail=outcome.output_tail[-OUTPUT_TAIL_CHARS:], output_bytes=outcome.output_bytes,
        rule_errors=list(evidence.problems), hands_on=hands_on,
    )
