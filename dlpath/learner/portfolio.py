"""A Markdown portfolio of what the learner built (`dlpath portfolio [--out DIR]`).

It writes, into one folder ready to push to GitHub:

- `README.md`: each passed project (what was built, the metrics against the
  thresholds, the learning curve, the skills it shows) and a Mermaid map of
  the road walked so far (the lessons done or skipped);
- `curves/<project>.svg`: the learning curves, when matplotlib is installed
  (the optional `plots` extra); without it the curve is a text plot drawn
  with plotext inside the Markdown.

What it reads. A project's newest passing attempt: its grade report (the
`report` column of the store: thresholds and curves) when the grader
recorded one, else the attempt's metrics compared with the project's
thresholds. Nothing private is written: no file paths, no hidden test seeds,
no output of the learner's code; only metric names, targets and values,
dates, the device kind and the training time.

It never overwrites a `README.md` it did not write (the first line marks its own).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from dlpath.atomic import write_text
from dlpath.errors import NotYet, UsageError
from dlpath.course.planner import LessonStatus
from dlpath.learner.completion import finished_lessons

__all__ = [
    "MARK",
    "PortfolioThreshold",
    "PortfolioProject",
    "Portfolio",
    "NothingPassed",
    "build_portfolio",
    "write_portfolio",
    "markdown",
]

MARK = "<!-- Written by `dlpath portfolio`: run it again to update this page. -->"
README = "README.md"
CURVES = "curves"


class NothingPassed(NotYet):
    """No project has passed yet: there is nothing to put in a portfolio."""


@dataclass(frozen=True)
class PortfolioThreshold:
    metric: str
    target: str  # ">= 0.85"
    value: float | None
    passed: bool


@dataclass(frozen=True)
class PortfolioProject:
    """One passed project, as the portfolio shows it."""

    id: str
    title: str
    summary: str  # what was built
    lesson: str | None
    lesson_title: str | None
    stage: str | None
    stage_title: str | None
    passed_at: str  # ISO date of the newest pass
    attempts: int  # checks until (and including) the first pass (in --json; never on the public page)
    device: str | None  # "cpu", "cuda", ...: the kind only
    duration_s: float
    thresholds: list[PortfolioThreshold]
    skills: list[str]  # what a pass shows the learner can do: the project's `skills` (never the lesson's objectives)
    curve: str | None  # "curves/<id>.svg", "text", or None when no curve was recorded
    curve_text: list[str]  # the text plot, when curve == "text"


@dataclass(frozen=True)
class Portfolio:
    """`dlpath portfolio --json`."""

    folder: str
    files: list[str]  # written, relative to folder
    charts: str  # "svg" (matplotlib is installed) or "text"
    projects: list[PortfolioProject]
    lessons_done: int
    lessons_skipped: int
    hours_done: float
    updated: str  # ISO date
    exercises_passed: int = 0  # exercise folders passed: drills, counted here, not shown as projects


# ---------------------------------------------------------------- reading attempts


def _target(threshold: Any) -> str:
    parts = []
    if threshold.min is not None:
        parts.append(f">= {threshold.min:g}")
    if threshold.max is not None:
        parts.append(f"<= {threshold.max:g}")
    return " and ".join(parts)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return None if value != value or value in (float("inf"), float("-inf")) else value


def _thresholds(attempt: Any, project: Any) -> list[PortfolioThreshold]:
    report = attempt.report or {}
    rows = report.get("thresholds")
    if isinstance(rows, list) and rows:
        out = []
        for row in rows:
            if isinstance(row, dict) and isinstance(row.get("metric"), str):
                out.append(PortfolioThreshold(row["metric"], str(row.get("target", "")), _number(row.get("value")),
                                              bool(row.get("passed", False))))
        return out
    if project is None:  # an older attempt of a project no longer shipped: its metrics alone
        return [PortfolioThreshold(k, "", _number(v), True) for k, v in sorted(attempt.metrics.items())]
    out = []
    for t in project.thresholds:
        value = _number(attempt.metrics.get(t.metric))
        ok = value is not None and (t.min is None or value >= t.min) and (t.max is None or value <= t.max)
        out.append(PortfolioThreshold(t.metric, _target(t), value, ok))
    return out


def _series(report: Mapping[str, Any] | None) -> tuple[str | None, list[tuple[str, str, list[tuple[float, float]]]]]:
    """(x label, [(name, kind, points)]) from a report's curves; only finite numbers are kept."""
    curves = (report or {}).get("curves")
    if not isinstance(curves, dict):
        return None, []
    out = []
    for s in curves.get("series") or []:
        if not isinstance(s, dict) or not isinstance(s.get("name"), str):
            continue
        points = []
        for p in s.get("points") or []:
            if isinstance(p, (list, tuple)) and len(p) == 2:
                x, y = _number(p[0]), _number(p[1])
                if x is not None and y is not None:
                    points.append((x, y))
        if points:
            kind = "loss" if s.get("kind") == "loss" else "metric"
            out.append((s["name"], kind, points))
    x = curves.get("x")
    return (x if isinstance(x, str) else None), out


def _device_kind(device: Any) -> str | None:
    if not isinstance(device, str) or not device:
        return None
    return device.split(":")[0].split(" ")[0]


def _date(at: str) -> str:
    return at[:10]


# ---------------------------------------------------------------- charts


def matplotlib_available() -> bool:
    """Whether the optional `plots` extra (matplotlib) is installed."""
    return importlib.util.find_spec("matplotlib") is not None


def _text_plot(x_label: str | None, series: list[tuple[str, str, list[tuple[float, float]]]], width: int = 72,
               height: int = 14) -> list[str]:
    """The curves as plain-text charts (the grade report's own, without colour)."""
    from dlpath.grading.protocol import Curves, Series
    from dlpath.grading.charts import curve_charts

    curves = Curves(x_label, tuple(Series(name, kind, tuple((float(x), float(y)) for x, y in points))
                                   for name, kind, points in series))
    lines: list[str] = []
    for title, chart in curve_charts(curves, width=width, height=height, color=False):
        if lines:
            lines.append("")
        lines.append(title.capitalize())
        lines.extend(line.rstrip() for line in chart.splitlines())
    return lines


def _svg(path: Path, title: str, x_label: str | None, series: list[tuple[str, str, list[tuple[float, float]]]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "dlpath"  # the same curves give the same file
    from matplotlib import pyplot as plt

    kinds = [k for k in ("loss", "metric") if any(s[1] == k for s in series)]
    fig, axes = plt.subplots(len(kinds), 1, figsize=(7, 2.8 * len(kinds)), squeeze=False)
    for ax, kind in zip(axes[:, 0], kinds):
        for name, _, points in (s for s in series if s[1] == kind):
            ax.plot([p[0] for p in points], [p[1] for p in points], label=name, linewidth=1.6)
        ax.set_ylabel("loss" if kind == "loss" else "metric")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize="small")
    axes[-1, 0].set_xlabel(x_label or "logged point")
    axes[0, 0].set_title(title)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None, "Creator": "dlpath portfolio"})
    plt.close(fig)


# ---------------------------------------------------------------- building


def _passed_projects(attempts: Iterable[Any]) -> dict[str, tuple[Any, int]]:
    """{project: (newest passing attempt, attempts up to the first pass)}; attempts oldest first."""
    seen: dict[str, int] = {}
    first_pass: dict[str, int] = {}
    newest: dict[str, Any] = {}
    for a in attempts:
        seen[a.project] = seen.get(a.project, 0) + 1
        if a.passed:
            first_pass.setdefault(a.project, seen[a.project])
            newest[a.project] = a
    return {p: (newest[p], first_pass[p]) for p in newest}


def _load_project(project_id: str, curriculum_path: Path | None) -> Any:
    from dlpath.grading.project import load_project

    try:
        return load_project(project_id, curriculum=curriculum_path)
    except UsageError:  # a project that left the course keeps its place, from what the store holds
        return None


def build_portfolio(
    curriculum: Any,
    completions: Mapping[str, Any],
    attempts: Iterable[Any],
    folder: Path,
    *,
    curriculum_path: Path | None = None,
    charts: str | None = None,
    today: str | None = None,
) -> tuple[Portfolio, dict[str, list[tuple[str, str, list[tuple[float, float]]]]], dict[str, str | None]]:
    """The portfolio's content (nothing written yet), with the curves to draw.

    `attempts` oldest first. `charts` is "svg" or "text" (None: svg when matplotlib is installed).
    """
    from datetime import date

    charts = charts or ("svg" if matplotlib_available() else "text")
    passed = _passed_projects(attempts)
    loaded = {project_id: _load_project(project_id, curriculum_path) for project_id in passed}
    exercises = {i for i, project in loaded.items() if project is not None and project.hands_on == "exercise"}
    if not set(passed) - exercises:
        drills = f" (the {len(exercises)} exercise folder(s) you passed are drills, not projects)" if exercises else ""
        raise NothingPassed(
            f"no project has passed yet: a portfolio shows the projects you built and passed{drills}.",
            hint="`dlpath next` leads to the first one; `dlpath check` in its folder grades it.",
        )
    finished, _ = finished_lessons(curriculum, completions)
    order = {lesson.id: i for i, lesson in enumerate(curriculum.lessons)}
    projects: list[PortfolioProject] = []
    curves: dict[str, list[tuple[str, str, list[tuple[float, float]]]]] = {}
    x_labels: dict[str, str | None] = {}
    for project_id, (attempt, tries) in passed.items():
        if project_id in exercises:
            continue
        project = loaded[project_id]
        lesson_id = curriculum.canonical_id(attempt.lesson) if attempt.lesson else None
        if lesson_id is None and project is not None:
            lesson_id = curriculum.canonical_id(project.lesson)
        lesson = curriculum.by_id.get(lesson_id) if lesson_id else None
        x_label, series = _series(attempt.report)
        curve: str | None = None
        if series:
            curve = f"{CURVES}/{project_id}.svg" if charts == "svg" else "text"
            curves[project_id] = series
            x_labels[project_id] = x_label
        report = attempt.report or {}
        projects.append(PortfolioProject(
            id=project_id,
            title=project.title if project is not None else project_id,
            summary=" ".join(project.summary.split()) if project is not None else "",
            lesson=lesson.id if lesson else attempt.lesson,
            lesson_title=lesson.title if lesson else None,
            stage=lesson.stage if lesson else None,
            stage_title=curriculum.stages[curriculum.stage_index(lesson.stage)].title if lesson else None,
            passed_at=_date(attempt.at),
            attempts=tries,
            device=_device_kind(report.get("device", attempt.device)),
            duration_s=round(float(_number(report.get("duration_s")) or attempt.duration_s or 0.0), 1),
            thresholds=_thresholds(attempt, project),
            skills=list(project.skills) if project is not None else [],
            curve=curve,
            curve_text=_text_plot(x_label, series) if curve == "text" else [],
        ))
    projects.sort(key=lambda p: (order.get(p.lesson or "", len(order)), p.passed_at, p.id))
    done = [lesson for lesson in curriculum.lessons if finished.get(lesson.id) is LessonStatus.DONE]
    skipped = [lesson for lesson in curriculum.lessons if finished.get(lesson.id) is LessonStatus.SKIPPED]
    portfolio = Portfolio(
        folder=str(folder), files=[], charts=charts, projects=projects, lessons_done=len(done),
        lessons_skipped=len(skipped), hours_done=round(sum(float(l.hours) for l in done), 1),
        updated=today or date.today().isoformat(), exercises_passed=len(exercises),
    )
    return portfolio, curves, x_labels


def _road(curriculum: Any, completions: Mapping[str, Any]) -> str:
    """A Mermaid map of the lessons done or skipped so far, with their stages and links."""
    from dlpath.learner.roadmap import MapView, map_view, mermaid

    full = map_view(curriculum, completions)
    walked = [l for l in full.lessons if l.status in (LessonStatus.DONE, LessonStatus.SKIPPED)]
    ids = {l.id for l in walked}
    walked = [type(l)(l.id, l.title, l.stage, l.status, [p for p in l.prerequisites if p in ids], l.project, l.tracks)
              for l in walked]
    stages = [s for s in full.stages if any(l.stage == s for l in walked)]
    return mermaid(MapView(stages, walked))


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value == int(value) and abs(value) >= 1:
        return f"{int(value)}"
    return f"{value:.4g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(portfolio: Portfolio, road: str) -> str:
    """The portfolio's README.md."""
    n = len(portfolio.projects)
    lines = [
        MARK,
        "",
        "# My deep-learning portfolio",
        "",
        "Projects I built while learning deep learning with dlpath, a command-line tutor. "
        "Each one is my own PyTorch code, trained from scratch and then measured by the grader on "
        "held-out data the code never saw.",
        "",
        f"**{n} project{'s' if n != 1 else ''} passed** · {portfolio.lessons_done} lessons done · "
        + (f"{portfolio.exercises_passed} exercise folders passed · " if portfolio.exercises_passed else "")
        + f"{portfolio.hours_done:g} hours of study · updated {portfolio.updated}",
        "",
    ]
    for p in portfolio.projects:
        lines.append(f"## {p.title}")
        lines.append("")
        where = []
        if p.lesson_title:
            where.append(f"Lesson: {p.lesson_title}" + (f" ({p.stage_title})" if p.stage_title else ""))
        where.append(f"passed on {p.passed_at}")  # how many tries it took is the learner's own business
        if p.duration_s:
            where.append(f"trained in {p.duration_s:g} s" + (f" on {p.device}" if p.device else ""))
        lines.append("*" + " · ".join(where) + "*")
        lines.append("")
        if p.summary:
            lines.extend([p.summary, ""])
        if p.thresholds:
            lines.extend(["| metric | target | measured | |", "|---|---|---:|:-:|"])
            for t in p.thresholds:
                lines.append(f"| {_cell(t.metric)} | {_cell(t.target) or '-'} | {_fmt(t.value)} | "
                             f"{'✓' if t.passed else '✗'} |")
            lines.append("")
        if p.curve == "text":
            lines.extend(["**Learning curve**", "", "```text", *p.curve_text, "```", ""])
        elif p.curve:
            lines.extend(["**Learning curve**", "", f"![Learning curve of {p.title}]({p.curve})", ""])
        if p.skills:
            lines.append("**Skills shown**")
            lines.append("")
            lines.extend(f"- {s}" for s in p.skills)
            lines.append("")
    lines.extend([
        "## The road so far",
        "",
        f"{portfolio.lessons_done} lessons done and {portfolio.lessons_skipped} tested out of, "
        "on the way from the foundations to a specialization.",
        "",
        "```mermaid",
        road.rstrip("\n"),
        "```",
        "",
    ])
    return "\n".join(lines)


# ---------------------------------------------------------------- writing


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file: --out needs a folder for the portfolio.",
                         hint="Give another folder with --out DIR (it is created if it does not exist).")
    readme = folder / README
    if readme.is_file():
        try:
            first = readme.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0].strip()
        except OSError:
            first = ""
        if first != MARK:
            raise UsageError(
                f"{readme} exists and was not written by `dlpath portfolio`: it is left as it is.",
                hint="Choose another folder with --out DIR, or move that README.md aside.",
            )


def _write(path: Path, text: str) -> None:
    write_text(path, text)


def write_portfolio(curriculum: Any, store: Any, folder: Path, *, curriculum_path: Path | None = None,
                    charts: str | None = None) -> Portfolio:
    """Build the portfolio from the store and write it into `folder` (created if needed)."""
    folder = Path(folder).expanduser()
    _check_folder(folder)
    completions = store.completions()
    attempts = list(reversed(store.attempts(limit=None)))
    portfolio, curves, x_labels = build_portfolio(
        curriculum, completions, attempts, folder.resolve(), curriculum_path=curriculum_path, charts=charts,
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    if portfolio.charts == "svg" and curves:
        (folder / CURVES).mkdir(exist_ok=True)
        titles = {p.id: p.title for p in portfolio.projects}
        for project_id, series in curves.items():
            _svg(folder / CURVES / f"{project_id}.svg", titles[project_id], x_labels[project_id], series)
            files.append(f"{CURVES}/{project_id}.svg")
    _write(folder / README, markdown(portfolio, _road(curriculum, completions)))
    files.insert(0, README)
    return Portfolio(**{**portfolio.__dict__, "files": files})
