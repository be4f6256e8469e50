"""Mini-projects: `project.yaml` read into typed, frozen objects, with every problem at once.

A project is a folder (`projects/<id>/` in the shipped content) holding
`project.yaml`, `starter/` (what the learner edits), `solution/` (a reference
that passes) and `naive/` (a plausible baseline that must fail). The format is
documented field by field in docs/project-format.md. `project.yaml` is read by
the same kind of reader as the curriculum: YAML safe loading, unknown keys are
errors, a `format_version`, and every problem reported with its file and line
(`validate_project`); `validate_course` checks a curriculum and every project
it can use, for `dlpath validate`. The learner's folder (`dlpath start`, its
marker) is `dlpath.grading.workspace`.

Projects are looked up by id in `dlpath.paths.project_roots()`: the folder
named by `DLPATH_PROJECTS` first (an instructor's own projects, the test
fixtures), the `projects/` folder beside the curriculum in use, then the
shipped projects (`dlpath.course.catalog`). A project names the lesson it
completes (`lesson:`); the curriculum derives each lesson's project from that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping


from dlpath.course.catalog import project_folders
from dlpath.course.checks import project_lesson_problem
from dlpath.course.loading import default_shipped_root, validate_curriculum
from dlpath.course.reader import Problem, Reader
from dlpath.errors import UsageError
from dlpath.grading.release import ReleasePolicy, read_release
from dlpath.grading.tasks.api import Requires
from dlpath.paths import project_roots, projects_dir
from dlpath.text import close_matches

__all__ = [
    "FORMAT_VERSION",
    "Threshold",
    "DatasetSpec",
    "Requires",
    "Expectations",
    "Calibration",
    "Project",
    "ProjectError",
    "UnknownProject",
    "BadProjectId",
    "check_project_id",
    "project_roots",
    "load_project",
    "validate_project",
    "list_projects",
    "validate_course",
    "validate_path",
    "Validation",
    "VARIANTS",
]

FORMAT_VERSION = 1
VARIANTS = ("starter", "solution", "naive")

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class ProjectError(UsageError):
    """A project.yaml that cannot be used; the message lists its problems with file and line."""


class UnknownProject(UsageError):
    """No project has this id (the message suggests close ones)."""


class BadProjectId(UsageError):
    """A project id that is not a plain slug (path tricks such as `../x`)."""


@dataclass(frozen=True)
class Threshold:
    """One pass condition: `metric` must be at least `min` and/or at most `max`; `weight` counts in the score."""

    metric: str
    min: float | None = None
    max: float | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class DatasetSpec:
    """The data a project trains and tests on: a generator (or `shipped:<name>`), its params, the sizes."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    train: int = 1000
    val: int = 0
    test: int = 1000


@dataclass(frozen=True)
class Expectations:
    """What `dlpath dev check` expects of the starter and the naive baseline: diagnosis codes among theirs."""

    starter: tuple[str, ...] = ()
    naive: tuple[str, ...] = ()
    wrong: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  #: an exercise folder's wrong answers


@dataclass(frozen=True)
class Calibration:
    """The figures behind the thresholds, as `dlpath dev check` measured them."""

    machine: str = ""  #: where they were measured ("2-core CPU, torch 2.13")
    date: str = ""
    seeds: tuple[int, ...] = ()  #: the grade seeds used
    figures: Mapping[str, Mapping[str, tuple[float, float]]] = field(default_factory=dict)
    #: variant ("solution", "naive", "starter") -> figure (a metric, or "train_s") -> (lowest, highest)
    notes: str = ""


@dataclass(frozen=True)
class Project:
    """A mini-project, as its project.yaml describes it."""

    id: str  #: slug, the folder name
    title: str  #: one line
    lesson: str  #: the curriculum lesson this project completes
    summary: str  #: what to build, two or three sentences
    task: str  #: a task kind (`dlpath.grading.tasks`)
    dataset: DatasetSpec | None  #: None for an exercise folder
    thresholds: tuple[Threshold, ...]  #: every one must hold to pass
    budget_s: float  #: wall-clock budget of training, in seconds
    memory_mb: int  #: memory cap of the learner's processes, in MB
    hardware: str  #: what the project needs, in words
    hints: tuple[str, ...]  #: shown one more at a time by `dlpath hint`
    path: Path  #: the project folder
    #: (diagnosis code, what that finding means in this project): the mentor adds it to the finding's message
    advice: tuple[tuple[str, str], ...] = ()
    requires: Requires = field(default_factory=Requires)
    expect: Expectations = field(default_factory=Expectations)
    calibration: Calibration | None = None
    release: ReleasePolicy = field(default_factory=ReleasePolicy)  #: what students see, when; how often
    format_version: int = FORMAT_VERSION
    exercises: tuple[Any, ...] = ()  #: an exercise folder's functions (dlpath.grading.exercise_spec.ExerciseSpec)
    entry: str = "train.py"  #: the learner's file (the task kind's `entry`)
    skills: tuple[str, ...] = ()  #: what a pass shows the learner can do, short phrases (the portfolio lists them)

    @property
    def hands_on(self) -> str:
        """"project" or "exercise" (a folder of exercises: docs/project-format.md, "Exercises")."""
        return "exercise" if self.exercises else "project"

    @property
    def variants(self) -> tuple[str, ...]:
        """What `dlpath dev check` grades: the solution first, then the variants that must fail."""
        if self.hands_on == "exercise":
            return ("solution", "starter", *(f"wrong/{name}" for name in self.expect.wrong))
        return ("solution", "starter", "naive")

    def expected(self, variant: str) -> tuple[str, ...]:
        """The diagnosis codes `variant` (one that must fail) must get."""
        if variant.startswith("wrong/"):
            return tuple(self.expect.wrong.get(variant[len("wrong/"):], ()))
        return tuple(getattr(self.expect, variant, ()))

    @property
    def starter_dir(self) -> Path:
        return self.path / "starter"

    @property
    def solution_dir(self) -> Path:
        return self.path / "solution"

    @property
    def naive_dir(self) -> Path:
        return self.path / "naive"

    @property
    def public_seed(self) -> int:
        """The fixed seed of the training data: the same for every learner and every check."""
        import hashlib

        return int.from_bytes(hashlib.sha256(self.id.encode()).digest()[:4], "big") & 0x7FFFFFFF


def check_project_id(project_id: str) -> str:
    """`project_id` if it is a plain slug; `BadProjectId` otherwise."""
    if isinstance(project_id, str) and not _ID.match(project_id) and _ID.match(project_id.strip().lower()):
        raise BadProjectId(f"'{project_id}' is not a project id: ids are lowercase.",
                           hint=f"Did you mean '{project_id.strip().lower()}'? `dlpath projects` lists the projects.")
    if not isinstance(project_id, str) or not _ID.match(project_id):
        raise BadProjectId(
            f"'{project_id}' is not a project id: ids are lowercase letters, digits, '-' and '_' "
            "(no '/', '..' or absolute paths).",
            hint="`dlpath projects` lists the projects.",
        )
    return project_id


# ------------------------------------------------------------------ reading


_TOP_REQUIRED = ("format_version", "id", "title", "lesson", "summary", "task", "dataset", "thresholds",
                 "budget_s", "memory_mb")
_TOP_OPTIONAL = ("hardware", "hints", "skills", "advice", "requires", "expect", "calibration", "release")


def _read(folder: Path) -> tuple[Project | None, list[Any]]:
    """(the project, or None when it has problems; every problem with file and line)."""
    where = folder / "project.yaml"
    label = str(where)
    reader = Reader(label)
    if not where.is_file():
        return None, [Problem(str(folder), None, "no project.yaml here; this is not a project folder")]
    doc = reader.parse(where)
    if doc is None:
        if not reader.problems:
            reader.problems.append(Problem(label, None, "the file is empty"))
        return None, reader.problems
    keys = reader.mapping(doc, "project.yaml")
    if keys is None:
        return None, reader.problems
    task_kind = reader.string(keys, "task", "project.yaml")
    task = _task_class(reader, keys, task_kind)
    sheet = None
    if getattr(task, "hands_on", "project") == "exercise":  # its exercises stand for a data set and thresholds
        from dlpath.grading import exercise_spec

        reader.check_keys(keys, doc, "project.yaml", exercise_spec.TOP_REQUIRED, exercise_spec.TOP_OPTIONAL)
        sheet = exercise_spec.read_sheet(reader, keys, folder, task, keys["id"][1] if "id" in keys else doc)
    else:
        reader.check_keys(keys, doc, "project.yaml", _TOP_REQUIRED, _TOP_OPTIONAL)

    version = reader.scalar(keys["format_version"][1]) if "format_version" in keys else FORMAT_VERSION
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        reader.problem(keys["format_version"][1], f"format_version {version} is newer than this dlpath reads "
                       f"({FORMAT_VERSION}): upgrade dlpath (pip install --upgrade dlpath)")
        return None, reader.problems
    if "format_version" in keys and version != FORMAT_VERSION:
        reader.problem(keys["format_version"][1], f"format_version must be {FORMAT_VERSION}, not {version!r}")

    pid = reader.string(keys, "id", "project.yaml")
    if pid is not None and not _ID.match(pid):
        reader.problem(keys["id"][1], f"id '{pid}' must be a slug: lowercase letters, digits, '-' and '_'")
    elif pid is not None and pid != folder.name:
        reader.problem(keys["id"][1], f"id '{pid}' differs from the folder name '{folder.name}'")
    title = reader.string(keys, "title", "project.yaml")
    lesson = reader.string(keys, "lesson", "project.yaml")
    summary = reader.string(keys, "summary", "project.yaml")
    if sheet is None:
        dataset = _read_dataset(reader, keys, task)
        thresholds = _read_thresholds(reader, keys, task)
    else:
        dataset, thresholds = None, [Threshold(e.name, 1.0, None, e.points) for e in sheet.exercises]
    budget = reader.number(keys, "budget_s", "project.yaml")
    memory = _positive_int(reader, keys, "memory_mb", "project.yaml")
    hardware = reader.string(keys, "hardware", "project.yaml", default="") or ""
    hints = reader.strings(keys, "hints", "project.yaml")
    skills = reader.strings(keys, "skills", "project.yaml")
    requires = _read_requires(reader, keys, task)
    expect = _read_expect(reader, keys, task) if sheet is None else Expectations(sheet.starter, (), sheet.wrong)
    advice = _read_advice(reader, keys, task) if sheet is None else ()
    calibration = _read_calibration(reader, keys)
    release = read_release(reader, keys)
    for variant in VARIANTS if sheet is None else ():
        if not (folder / variant / "train.py").is_file():
            line_node = keys["id"][1] if "id" in keys else doc
            reader.problems.append(Problem(label, line_node.start_mark.line + 1,
                                           f"the project has no {variant}/train.py (every project needs a starter, "
                                           "a solution that passes and a naive baseline that fails)"))
    if reader.problems:
        return None, reader.problems
    assert pid and title and lesson and summary and task_kind and (dataset or sheet) and budget and memory
    return Project(
        id=pid, title=title, lesson=lesson, summary=summary.strip(), task=task_kind, dataset=dataset,
        thresholds=tuple(thresholds), budget_s=float(budget), memory_mb=int(memory), hardware=hardware.strip(),
        hints=tuple(h.strip() for h in hints), path=folder.resolve(), advice=advice, requires=requires, expect=expect,
        calibration=calibration, release=release, format_version=FORMAT_VERSION,
        exercises=sheet.exercises if sheet else (), entry=task.entry, skills=tuple(" ".join(k.split()) for k in skills),
    ), []


def _task_class(reader: Any, keys: dict, kind: str | None) -> Any:
    if kind is None:
        return None
    from dlpath.grading.tasks import TASKS

    task = TASKS.get(kind)
    if task is None:
        close = close_matches(kind, sorted(TASKS), n=1, cutoff=0.6)
        tail = f" (did you mean '{close[0]}'?)" if close else f"; dlpath knows: {', '.join(sorted(TASKS))}"
        reader.problem(keys["task"][1], f"unknown task kind '{kind}'{tail}")
    return task


def _positive_int(reader: Any, keys: dict, key: str, what: str) -> int | None:
    if key not in keys:
        return None
    node = keys[key][1]
    value = reader.scalar(node)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        reader.problem(node, f"{what}: '{key}' must be a whole number above 0, not {value!r}")
        return None
    return value


def _read_dataset(reader: Any, keys: dict, task: Any) -> DatasetSpec | None:
    from dlpath.datasets import GENERATORS, SHIPPED_PREFIX

    if "dataset" not in keys:
        return None
    node = keys["dataset"][1]
    entry = reader.mapping(node, "dataset")
    if entry is None:
        return None
    reader.check_keys(entry, node, "dataset", ("name",), ("params", "train", "val", "test"))
    name = reader.string(entry, "name", "dataset")
    sizes = {}
    for part in ("train", "val", "test"):
        if part in entry:
            value = reader.scalar(entry[part][1])
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                reader.problem(entry[part][1], f"dataset: '{part}' must be a whole number of samples, not {value!r}")
            else:
                sizes[part] = value
    params: dict[str, Any] = {}
    params_node = entry["params"][1] if "params" in entry else None
    if params_node is not None:
        raw = reader.mapping(params_node, "dataset: params")
        for key, (key_node, value_node) in (raw or {}).items():
            params[key] = (key_node, value_node, reader.scalar(value_node))
    if name is None:
        return None
    if name.startswith(SHIPPED_PREFIX):
        from dlpath.datasets.shipped import shipped_dir, shipped_table

        folder = shipped_dir() / name[len(SHIPPED_PREFIX):]
        if shipped_table(folder) is None:
            reader.problem(entry["name"][1], f"dataset: no shipped data set '{name[len(SHIPPED_PREFIX):]}' "
                           f"(looked for {folder / 'data.csv'} or data.csv.gz)")
        for key, (key_node, _, _) in params.items():
            if key != "heldback":
                reader.problem(key_node, f"dataset: a shipped data set has only the parameter 'heldback', not '{key}'")
        kind = "classification"
    else:
        spec = GENERATORS.get(name)
        if spec is None:
            close = close_matches(name, sorted(GENERATORS), n=1, cutoff=0.6)
            tail = f" (did you mean '{close[0]}'?)" if close else f"; dlpath generates: {', '.join(sorted(GENERATORS))}"
            reader.problem(entry["name"][1], f"dataset: unknown data set '{name}'{tail}")
            return None
        kind = spec.kind
        known = {p.name: p for p in spec.params}
        for key, (key_node, value_node, value) in params.items():
            param = known.get(key)
            if param is None:
                reader.problem(key_node, f"dataset: data set '{name}' has no parameter '{key}' "
                               f"(its parameters: {', '.join(known) or 'none'})")
            elif not _type_fits(param.type, value):
                reader.problem(value_node, f"dataset: parameter '{key}' of '{name}' must be {_type_words(param.type)}, "
                               f"not {value!r}")
    if task is not None and kind not in task.dataset_kinds:
        reader.problem(entry["name"][1], f"dataset: '{name}' is a {kind} data set; task '{task.kind}' takes "
                       f"{' or '.join(task.dataset_kinds)} data")
    return DatasetSpec(name=name, params={k: v[2] for k, v in params.items()}, **sizes)


def _type_fits(kind: str, value: Any) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    return True


def _type_words(kind: str) -> str:
    return {"int": "a whole number", "float": "a number", "bool": "true or false", "str": "a text"}.get(kind, kind)


def _read_thresholds(reader: Any, keys: dict, task: Any) -> list[Threshold]:
    out: list[Threshold] = []
    if "thresholds" not in keys:
        return out
    node = keys["thresholds"][1]
    if not hasattr(node, "value") or not isinstance(node.value, list) or not node.value:
        reader.problem(node, "'thresholds' must be a non-empty list of {metric, min and/or max}")
        return out
    known = {m.name: m for m in task.metrics} if task is not None else None
    for i, item in enumerate(node.value, 1):
        entry = reader.mapping(item, f"threshold {i}")
        if entry is None:
            continue
        reader.check_keys(entry, item, f"threshold {i}", ("metric",), ("min", "max", "weight"))
        metric = reader.string(entry, "metric", f"threshold {i}")
        if metric is None:
            continue
        what = f"threshold {i} ({metric})"
        if known is not None and metric not in known:
            reader.problem(entry["metric"][1], f"{what}: task '{task.kind}' has no metric '{metric}' "
                           f"(its metrics: {', '.join(known)})")
        bounds: dict[str, float] = {}
        for side in ("min", "max"):
            if side in entry:
                value = reader.scalar(entry[side][1])
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    reader.problem(entry[side][1], f"{what}: '{side}' must be a number, not {value!r}")
                else:
                    bounds[side] = float(value)
        if "min" not in entry and "max" not in entry:
            reader.problem(item, f"{what} needs 'min' or 'max' (the direction of the target)")
        weight = 1.0
        if "weight" in entry:
            value = reader.scalar(entry["weight"][1])
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                reader.problem(entry["weight"][1], f"{what}: 'weight' must be a number above 0, not {value!r}")
            else:
                weight = float(value)
        out.append(Threshold(metric, bounds.get("min"), bounds.get("max"), weight))
    return out


def _read_requires(reader: Any, keys: dict, task: Any) -> Requires:
    base = task.requires if task is not None else None
    cuda, processes = (base.cuda, base.processes) if base is not None else (False, 1)
    if "requires" not in keys:
        return Requires(cuda, processes)
    node = keys["requires"][1]
    entry = reader.mapping(node, "requires")
    if entry is None:
        return Requires(cuda, processes)
    reader.check_keys(entry, node, "requires", (), ("cuda", "processes", "packages"))
    packages = reader.strings(entry, "packages", "requires")
    for name in packages:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            reader.problem(entry["packages"][1], f"requires: 'packages' names Python packages as they are imported "
                                                 f"(pandas, matplotlib), not {name!r}")
    if "cuda" in entry:
        value = reader.scalar(entry["cuda"][1])
        if not isinstance(value, bool):
            reader.problem(entry["cuda"][1], f"requires: 'cuda' must be true or false, not {value!r}")
        else:
            cuda = cuda or value
    if "processes" in entry:
        value = _positive_int(reader, entry, "processes", "requires")
        if value is not None:
            processes = max(processes, value)
    return Requires(cuda, processes, tuple(packages))


def _unknown_code(reader: Any, node: Any, where: str, code: str, codes: Any) -> None:
    close = close_matches(code, sorted(codes), n=1, cutoff=0.6)
    tail = f" (did you mean '{close[0]}'?)" if close else ""
    reader.problem(node, f"{where}: unknown diagnosis code '{code}'{tail}")


def _read_advice(reader: Any, keys: dict, task: Any) -> tuple[tuple[str, str], ...]:
    """`advice:`, a mapping from a diagnosis code to what that finding means in this project."""
    if "advice" not in keys:
        return ()
    entry = reader.mapping(keys["advice"][1], "advice")
    if entry is None:
        return ()
    from dlpath.grading.diagnose import known_codes

    codes = known_codes(task)
    out = []
    for code, (key_node, _) in entry.items():
        if code not in codes:
            _unknown_code(reader, key_node, "advice", code, codes)
            continue
        text = reader.string(entry, code, "advice")
        if text is not None and text.strip():
            out.append((code, " ".join(text.split())))
    return tuple(out)


def _read_expect(reader: Any, keys: dict, task: Any) -> Expectations:
    if "expect" not in keys:
        return Expectations()
    node = keys["expect"][1]
    entry = reader.mapping(node, "expect")
    if entry is None:
        return Expectations()
    reader.check_keys(entry, node, "expect", (), ("starter", "naive"))
    from dlpath.grading.diagnose import known_codes

    codes = known_codes(task)
    out = {}
    for variant in ("starter", "naive"):
        found = reader.strings(entry, variant, f"expect: {variant}")
        if variant in entry and hasattr(entry[variant][1], "value") and isinstance(entry[variant][1].value, list):
            for item, code in zip(entry[variant][1].value, found):
                if code not in codes:
                    _unknown_code(reader, item, f"expect: {variant}", code, codes)
        out[variant] = found
    return Expectations(**out)


def _read_calibration(reader: Any, keys: dict) -> Calibration | None:
    if "calibration" not in keys:
        return None
    node = keys["calibration"][1]
    entry = reader.mapping(node, "calibration")
    if entry is None:
        return None
    reader.check_keys(entry, node, "calibration", (), ("machine", "date", "seeds", "notes", *VARIANTS))
    seeds: list[int] = []
    if "seeds" in entry:
        seeds_node = entry["seeds"][1]
        for item in getattr(seeds_node, "value", []) if isinstance(getattr(seeds_node, "value", None), list) else []:
            value = reader.scalar(item)
            if isinstance(value, int) and not isinstance(value, bool):
                seeds.append(value)
            else:
                reader.problem(item, f"calibration: seeds must be whole numbers, not {value!r}")
    figures: dict[str, dict[str, tuple[float, float]]] = {}
    for variant in VARIANTS:
        if variant not in entry:
            continue
        raw = reader.mapping(entry[variant][1], f"calibration: {variant}")
        for name, (_, value_node) in (raw or {}).items():
            pair = getattr(value_node, "value", None)
            values = [reader.scalar(v) for v in pair] if isinstance(pair, list) else []
            if len(values) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                reader.problem(value_node, f"calibration: {variant}: '{name}' must be [lowest, highest]")
                continue
            figures.setdefault(variant, {})[name] = (float(values[0]), float(values[1]))
    date = reader.scalar(entry["date"][1]) if "date" in entry else ""
    return Calibration(
        machine=reader.string(entry, "machine", "calibration", default="") or "",
        date=str(date or ""), seeds=tuple(seeds), figures=figures,
        notes=(reader.string(entry, "notes", "calibration", default="") or "").strip(),
    )


def validate_project(folder: Path) -> list[Any]:
    """Every problem of the project in `folder` (empty when it is valid)."""
    return _read(folder)[1]


def _load_folder(folder: Path) -> Project:
    project, problems = _read(folder)
    if project is None:
        shown = "\n".join(f"  {p}" for p in problems[:8])
        more = f"\n  ... and {len(problems) - 8} more" if len(problems) > 8 else ""
        raise ProjectError(f"the project in {folder} has {len(problems)} problem(s):\n{shown}{more}",
                           hint="Run `dlpath validate` to see every problem of the course's projects.")
    return project


def load_project(id_or_path: str | Path, *, curriculum: Path | None = None) -> Project:
    """The project with this id (searched in `project_roots(curriculum)`), or the one in this folder (a Path)."""
    if isinstance(id_or_path, Path):
        return _load_folder(id_or_path)
    project_id = check_project_id(id_or_path)
    for root in project_roots(curriculum):
        folder = root / project_id
        if (folder / "project.yaml").is_file():
            return _load_folder(folder)
    import difflib

    known = sorted({p.name for root in project_roots(curriculum) if root.is_dir() for p in root.iterdir()
                    if (p / "project.yaml").is_file()})
    close = difflib.get_close_matches(project_id, known, n=3)
    hint = f"Did you mean {' or '.join(repr(c) for c in close)}?" if close else "`dlpath projects` lists them."
    raise UnknownProject(f"there is no project '{project_id}'.", hint=hint)


def list_projects(*, curriculum: Path | None = None) -> list[Project]:
    """Every project in `project_roots(curriculum)`, each id once (the first found)."""
    return [_load_folder(folder) for folder in project_folders(curriculum)]


@dataclass(frozen=True)
class Validation:
    """What `dlpath validate [PATH]` checked and found (the `--json` shape)."""

    path: Path  #: the folder checked
    kind: str  #: "curriculum" (and the projects it can use), "project" (one folder) or "projects" (a folder of them)
    lessons: int  #: lessons read (0 when a curriculum could not be read, or for projects alone)
    projects: list[str]  #: the project and exercise folders checked, by id
    problems: list[Problem]  #: every problem, with file and line

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_path(path: Path | None = None) -> Validation:
    """`dlpath validate [PATH]`: a curriculum folder (and every project it can use), one project folder (holding a
    project.yaml), or a folder of project folders."""
    if path is not None:
        folder = Path(path).expanduser()
        if (folder / "project.yaml").is_file():
            return Validation(folder.resolve(), "project", 0, [folder.name], validate_project(folder))
        if folder.is_dir() and not (folder / "curriculum.yaml").exists():
            children = sorted(f for f in folder.iterdir() if (f / "project.yaml").is_file())
            if children:
                return Validation(folder.resolve(), "projects", 0, [f.name for f in children],
                                  [problem for f in children for problem in validate_project(f)])
    return validate_course(path)


def validate_course(path: Path | None = None) -> Validation:
    """Every problem of the curriculum at `path` and of the projects it can use, in file and line order
    (`dlpath validate`). For the course's own projects, also a `lesson:` that names no lesson of the course."""
    root, course, problems = validate_curriculum(path)
    shipped = projects_dir().resolve()
    own_shipped = root.resolve() == default_shipped_root()
    folders = project_folders(root)
    for folder in folders:
        found = validate_project(folder)
        problems.extend(found)
        is_own = own_shipped or folder.resolve().parent != shipped
        if found or course is None or not is_own:
            continue
        problem = project_lesson_problem(folder, course)
        if problem is not None:
            problems.append(problem)
    return Validation(root, "curriculum", len(course.lessons) if course is not None else 0,
                      [f.name for f in folders], problems)
