"""`dlpath dev check`: prove a course's projects are calibrated (for instructors and for our CI).

For each project: the reference solution passes on N grade seeds (with its
margin shown), the starter runs and fails with the diagnoses `project.yaml`
expects (`expect.starter`), and the naive baseline fails (`expect.naive`) on
the same N seeds. Each grade seed is also a world: a grade draws its data's
world from its seed (`grade.world_seed_for`), so N seeds try N worlds, the
training data included, and a baseline that fails in one world but passes in
another is caught.
What was measured is shown beside the calibration figures kept in
`project.yaml`, and `update_calibration` writes the new figures there.

Each variant is graded exactly as a learner's folder is: its files are copied
into a fresh folder with the project marker and `grade()` runs on it.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

from dlpath.errors import UsageError
from dlpath.grading.project import Project, list_projects, load_project

__all__ = ["GRADE_SEEDS", "VariantRow", "ProjectCheck", "DevCheckResult", "dev_check", "grade_variant",
           "update_calibration"]

GRADE_SEEDS = (11, 22, 33, 44, 55, 66, 77, 88, 99, 110)


@dataclass(frozen=True)
class VariantRow:
    """One variant's outcome (the `--json` shape)."""

    variant: str  #: "solution", "starter" or "naive"
    seeds: str  #: the grade seeds used
    ok: bool  #: the expectation holds
    outcome: str  #: "passed 3/3", "failed as expected", "PASSED: it must fail", ...
    measured: str  #: the primary metric's range (and the solution's worst margin)
    calibrated: str  #: the range kept in project.yaml, if any
    train_s: str  #: training time range, in seconds
    figures: dict[str, list[float]] = field(default_factory=dict)  #: each metric and train_s: [lowest, highest]
    diagnoses: list[str] = field(default_factory=list)  #: the codes seen
    verdicts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ProjectCheck:
    project: str
    rows: list[VariantRow]
    skipped: str | None = None  #: why the project was not checked here (it needs a GPU, ...)
    notes: list[str] = field(default_factory=list)  #: measured figures outside the calibration, and the like

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)


@dataclass(frozen=True)
class DevCheckResult:
    projects: list[ProjectCheck]
    seeds: int
    device: str

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.projects)


def grade_variant(project: Project, variant: str, seed: int, *, device: str = "cpu", sandbox: bool = True,
                  timeout_s: float | None = None, in_process: bool = False) -> Any:
    """Grade the project's `variant` as a learner's folder (a fresh copy); the GradeReport.

    `in_process`: grade it inside this process (`dlpath.grading.inprocess`), as exercise folders can be."""
    from dlpath.grading.grade import grade
    from dlpath.grading.workspace import MARKER

    with tempfile.TemporaryDirectory(prefix=f"dlpath-dev-{project.id}-{variant.replace('/', '-')}-") as tmp:
        folder = Path(tmp) / project.id
        copy_variant(project, variant, folder)
        (folder / MARKER).write_text(f"project: {project.id}\n", encoding="utf-8")
        return grade(project, folder, device=device, seed=seed, sandbox=sandbox, timeout_s=timeout_s,
                     in_process=in_process)


def copy_variant(project: Project, variant: str, folder: Path) -> None:
    """The files of `variant` into the new `folder`: a folder of the project, or, for an exercise folder's
    wrong answer `wrong/NAME`, the solution with `wrong/NAME.py` appended (its definitions replace the
    solution's, so a wrong answer holds only the functions it gets wrong)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    if not variant.startswith("wrong/"):
        shutil.copytree(project.path / variant, folder, ignore=ignore)
        return
    shutil.copytree(project.solution_dir, folder, ignore=ignore)
    entry = folder / project.entry
    wrong = (project.path / f"{variant}.py").read_text(encoding="utf-8")
    entry.write_text(f"{entry.read_text(encoding='utf-8').rstrip()}\n\n\n# ---- {variant}.py\n{wrong}",
                     encoding="utf-8")


def _span(values: list[float]) -> str:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return "not measured"
    lo, hi = min(finite), max(finite)
    return f"{lo:.4g}" if lo == hi else f"{lo:.4g}..{hi:.4g}"


def _figures(reports: list[Any]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for report in reports:
        for t in report.thresholds:
            if t.value is not None and math.isfinite(t.value):
                out.setdefault(t.metric, []).append(t.value)
        out.setdefault("train_s", []).append(report.training_s)
    return {k: [min(v), max(v)] for k, v in out.items()}


def _primary(project: Project) -> str:
    from dlpath.grading.tasks import TASKS

    task = TASKS.get(project.task)
    names = [t.metric for t in project.thresholds]
    return task.primary if task is not None and task.primary in names else names[0]


def _calibrated(project: Project, variant: str, metric: str) -> tuple[float, float] | None:
    figures = project.calibration.figures if project.calibration else {}
    return (figures.get(variant) or {}).get(metric)


def _check_project(project: Project, seeds: int, device: str, sandbox: bool,
                   progress: Callable[[str], None], in_process: bool = False) -> ProjectCheck:
    from dlpath.grading.thresholds import margin

    if project.requires.cuda and device != "cuda":
        return ProjectCheck(project.id, [], skipped="needs a CUDA GPU: run `dlpath dev check --device cuda` on one")
    primary = _primary(project)
    rows: list[VariantRow] = []
    notes: list[str] = []
    plan = [("solution", GRADE_SEEDS[:seeds])] + [(v, GRADE_SEEDS[:seeds] if v == "naive" else GRADE_SEEDS[:1])
                                                  for v in project.variants[1:]]
    for variant, variant_seeds in plan:
        reports = []
        for seed in variant_seeds:
            progress(f"{project.id}: {variant}, grade seed {seed}")
            reports.append(grade_variant(project, variant, seed, device=device, sandbox=sandbox,
                                         in_process=in_process))
        figures = _figures(reports)
        passed = sum(r.passed for r in reports)
        codes = sorted({d.code for r in reports for d in r.diagnoses})
        values = [next((t.value for t in r.thresholds if t.metric == primary), None) for r in reports]
        measured = f"{primary} {_span(values)}"
        if project.hands_on == "exercise":  # every exercise's share of cases right
            measured = "cases right: " + ", ".join(f"{m} {_span(list(v))}" for m, v in figures.items() if m != "train_s")
        if variant == "solution":
            ok = passed == len(reports)
            outcome = f"passed {passed}/{len(reports)}" if ok else f"FAILED {len(reports) - passed}/{len(reports)}"
            margins = [margin(t) for r in reports for t in r.thresholds if t.metric == primary]
            finite = [m for m in margins if m is not None]
            if finite and project.hands_on == "project":
                measured += f", worst margin {min(finite):+.3g}"
            if not ok:
                notes.extend(f"solution with seed {s}: {r.verdict}" for s, r in zip(variant_seeds, reports)
                             if not r.passed)
        else:
            expected = project.expected(variant)
            missing = [c for c in expected if c not in codes]
            ok = passed == 0 and not missing and (bool(codes) or variant == "naive")
            if passed:
                outcome = "PASSED: it must fail"
            elif missing:
                outcome = f"failed, but without {', '.join(missing)}"
            elif not codes and variant != "naive":
                outcome = "failed without a diagnosis"
            else:
                outcome = "failed as expected"
        calibrated = _calibrated(project, variant, primary)
        slack = 1e-4 * max(1.0, abs(calibrated[0]), abs(calibrated[1])) if calibrated else 0.0  # figures are rounded
        if calibrated and values and any(v is not None and math.isfinite(v) and not (
                calibrated[0] - slack <= v <= calibrated[1] + slack) for v in values):
            notes.append(f"{variant}: {measured.split(',')[0]} is outside its calibrated {calibrated[0]:.4g}.."
                         f"{calibrated[1]:.4g}")
        rows.append(VariantRow(
            variant=variant, seeds=",".join(str(s) for s in variant_seeds), ok=ok, outcome=outcome, measured=measured,
            calibrated=f"{calibrated[0]:.4g}..{calibrated[1]:.4g}" if calibrated else "-",
            train_s=_span(figures.get("train_s", [])), figures=figures, diagnoses=codes,
            verdicts=[r.verdict for r in reports],
        ))
    return ProjectCheck(project.id, rows, notes=notes)


def dev_check(project_ids: list[str] | None = None, *, seeds: int = 3, device: str = "cpu", sandbox: bool = True,
              curriculum: Path | None = None, progress: Callable[[str], None] | None = None,
              update: bool = False, in_process: bool = False) -> DevCheckResult:
    """Check every project named (default: every project of the course).

    `in_process`: grade the exercise folders inside this process (milliseconds each instead of two fresh
    interpreters: `dlpath.grading.inprocess`); projects that train are graded as usual."""
    if not 1 <= seeds <= len(GRADE_SEEDS):
        raise UsageError(f"--seeds must be between 1 and {len(GRADE_SEEDS)}.")
    if device not in ("cpu", "cuda"):
        raise UsageError("--device must be cpu or cuda for a calibration.")
    projects = ([load_project(pid, curriculum=curriculum) for pid in project_ids] if project_ids
                else list_projects(curriculum=curriculum))
    checks = [_check_project(p, seeds, device, sandbox, progress or (lambda _: None),
                             in_process and p.hands_on == "exercise") for p in projects]
    if update:
        for project, check in zip(projects, checks):
            if check.rows and check.ok and project.hands_on == "project":  # exercises have nothing to calibrate
                update_calibration(project, check, seeds, device)
    return DevCheckResult(checks, seeds, device)


def update_calibration(project: Project, check: ProjectCheck, seeds: int, device: str) -> None:
    """Write the measured figures as the `calibration:` block at the end of project.yaml."""
    import platform

    import yaml

    path = project.path / "project.yaml"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("calibration:")), None)
    if start is not None:
        end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()
                    and not lines[i].startswith("#")), len(lines))
        if end != len(lines):
            raise UsageError(f"{path}: the calibration block must be the last one to be rewritten.")
        lines = lines[:start]
    cores = os.cpu_count() or 0
    load = f", load average {os.getloadavg()[1]:.1f}" if hasattr(os, "getloadavg") else ""  # times depend on it
    block: dict[str, Any] = {
        "machine": f"{cores}-core {platform.machine()} {device}, python {platform.python_version()}{load}",
        "date": date.today().isoformat(),
        "seeds": list(GRADE_SEEDS[:seeds]),
    }
    previous = project.calibration.notes if project.calibration else ""
    for row in check.rows:
        block[row.variant] = {k: [round(v[0], 4), round(v[1], 4)] for k, v in row.figures.items()}
    dumped = yaml.safe_dump({"calibration": block}, sort_keys=False, default_flow_style=None, width=100)
    if previous:
        dumped += notes_block(previous)
    path.write_text("\n".join(lines).rstrip() + "\n" + dumped, encoding="utf-8")


def notes_block(notes: str) -> str:
    """The calibration's ``notes:`` as a folded block, wrapped for reading (it reads back as the same text)."""
    import textwrap

    text = " ".join(notes.split())
    return "  notes: >-\n" + textwrap.fill(text, width=100, initial_indent="    ", subsequent_indent="    ",
                                            break_long_words=False, break_on_hyphens=False) + "\n"
