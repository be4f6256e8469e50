"""The curriculum: load a folder of YAML into frozen objects, and validate it.

A curriculum is a folder with `curriculum.yaml` (format version, stages,
tracks, lesson files), one YAML file of lessons per stage, and `lessons/<id>.md`
bodies (docs/curriculum-format.md). Loading uses YAML safe loading only (the C
loader when present) and keeps the line of every node, so that `validate`
reports every problem at once with its file and line.

The objects are frozen dataclasses compared by identity (`eq=False`): nothing
compares two lessons by value, and skipping the generated `__eq__`/`__hash__`
takes milliseconds off every command's start.

Loading for everyday commands is cached (a pickle under the data home keyed by
the files' sizes and modification times), so `dlpath next` stays fast on a
curriculum of thousands of lessons.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from dlpath.errors import UsageError

__all__ = [
    "FORMAT_VERSION",
    "RESOURCE_KINDS",
    "Resource",
    "Choice",
    "Question",
    "Requirements",
    "Lesson",
    "Stage",
    "Track",
    "Problem",
    "Curriculum",
    "CurriculumInvalid",
    "UnknownLesson",
    "UnknownTrack",
    "load_curriculum",
    "validate_curriculum",
    "default_curriculum_path",
]

FORMAT_VERSION = 1
RESOURCE_KINDS = ("book", "course", "docs", "video", "article", "paper", "tool", "community")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_INDEX = "curriculum.yaml"
_STR_TAG = "tag:yaml.org,2002:str"

try:  # the C loader is many times faster; fall back to the pure-Python one
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class CurriculumInvalid(UsageError):
    """The curriculum has problems; `problems` lists them all."""

    def __init__(self, root: Path, problems: list[Problem]) -> None:
        shown = "\n".join(f"  {p}" for p in problems[:5])
        more = f"\n  ... and {len(problems) - 5} more" if len(problems) > 5 else ""
        super().__init__(
            f"the curriculum in {root} has {len(problems)} problem(s):\n{shown}{more}",
            hint=f"Run `dlpath validate {root}` to see them all, fix them, and try again.",
        )
        self.root = root
        self.problems = problems


class UnknownLesson(UsageError):
    """No lesson has this id (or alias); `suggestions` are the closest ids."""

    def __init__(self, lesson_id: str, suggestions: list[str]) -> None:
        tail = f" Did you mean {_or_list(suggestions)}?" if suggestions else ""
        super().__init__(
            f"there is no lesson '{lesson_id}'.{tail}",
            hint="`dlpath map` lists every lesson; `dlpath search WORDS` finds one by topic.",
        )
        self.lesson_id = lesson_id
        self.suggestions = suggestions


class UnknownTrack(UsageError):
    """No track has this id."""

    def __init__(self, track_id: str, known: list[str]) -> None:
        close = _close(track_id, known, n=3, cutoff=0.5)
        tail = f" Did you mean {_or_list(close)}?" if close else ""
        super().__init__(
            f"there is no track '{track_id}'.{tail}",
            hint=f"Tracks: {', '.join(known) or 'none'}. `dlpath track` describes each.",
        )


def _close(word: str, candidates: list[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    import difflib  # only when something is wrong: keep it off the start-up path

    return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)


def _or_list(items: list[str]) -> str:
    quoted = [f"'{i}'" for i in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


@dataclass(frozen=True, eq=False)
class Resource:
    """Somewhere to go deeper."""

    title: str
    kind: str  # one of RESOURCE_KINDS
    where: str  # a URL, or where to find it (book, chapter, publisher)


@dataclass(frozen=True, eq=False)
class Choice:
    """One answer of a self-check question."""

    text: str
    correct: bool = False
    why: str | None = None  # why this answer is wrong (required for wrong answers)


@dataclass(frozen=True, eq=False)
class Question:
    """A multiple-choice self-check question (`dlpath quiz`)."""

    question: str
    choices: tuple[Choice, ...]

    @property
    def answer(self) -> int:
        """The 1-based number of the correct choice."""
        return next(i for i, c in enumerate(self.choices, 1) if c.correct)


@dataclass(frozen=True, eq=False)
class Requirements:
    """Hardware a lesson needs; a learner without it is not offered the lesson."""

    cuda: bool = False  # an NVIDIA GPU that PyTorch can use
    min_vram_gb: float | None = None  # at least this much GPU memory

    @property
    def any(self) -> bool:
        return self.cuda or self.min_vram_gb is not None


@dataclass(frozen=True, eq=False)
class Lesson:
    """One lesson of the graph."""

    id: str  # unique slug
    stage: str  # a stage id
    title: str
    summary: str
    objectives: tuple[str, ...]
    prerequisites: tuple[str, ...]  # lesson ids
    hours: float  # estimated hours, reading and exercise
    resources: tuple[Resource, ...] = ()
    project: str | None = None  # a project id; the lesson is done when `dlpath check` passes
    tracks: tuple[str, ...] = ()
    requires: Requirements = field(default_factory=Requirements)
    aliases: tuple[str, ...] = ()  # former ids, so progress survives a rename
    questions: tuple[Question, ...] = ()
    inline_body: str | None = None  # the body, when written in the YAML
    file: str = ""  # where the lesson is defined
    line: int = 0


@dataclass(frozen=True, eq=False)
class Stage:
    """A stage of the road, in order."""

    id: str
    title: str
    summary: str = ""


@dataclass(frozen=True, eq=False)
class Track:
    """A specialization or career path a learner may choose."""

    id: str
    title: str
    summary: str = ""
    careers: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Problem:
    """One thing wrong with a curriculum, where it is."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True, eq=False)
class Curriculum:
    """A loaded, valid curriculum."""

    root: Path
    title: str
    stages: tuple[Stage, ...]
    tracks: tuple[Track, ...]
    lessons: tuple[Lesson, ...]  # in stage order, then the curriculum's own order
    projects_dirs: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        by_id = {lesson.id: lesson for lesson in self.lessons}
        aliases = {a: lesson.id for lesson in self.lessons for a in lesson.aliases}
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_aliases", aliases)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__post_init__()

    @property
    def by_id(self) -> dict[str, Lesson]:
        return self._by_id  # type: ignore[attr-defined,no-any-return]

    def canonical_id(self, lesson_id: str) -> str | None:
        """The current id of `lesson_id` (itself, or the lesson it is an alias of)."""
        if lesson_id in self.by_id:
            return lesson_id
        return self._aliases.get(lesson_id)  # type: ignore[attr-defined,no-any-return]

    def lesson(self, lesson_id: str) -> Lesson:
        """The lesson with this id or alias; `UnknownLesson` with suggestions if none."""
        canonical = self.canonical_id(lesson_id)
        if canonical is None:
            known = list(self.by_id) + list(self._aliases)  # type: ignore[attr-defined]
            close = _close(lesson_id, known, n=3, cutoff=0.6)
            # a word inside an id is a good hint too ("backprop" -> "forward-and-backprop")
            close += [i for i in self.by_id if lesson_id and lesson_id in i and i not in close][: 3 - len(close)]
            raise UnknownLesson(lesson_id, [self.canonical_id(c) or c for c in close])
        return self.by_id[canonical]

    def track(self, track_id: str) -> Track:
        for track in self.tracks:
            if track.id == track_id:
                return track
        raise UnknownTrack(track_id, [t.id for t in self.tracks])

    def stage_index(self, stage_id: str) -> int:
        for i, stage in enumerate(self.stages):
            if stage.id == stage_id:
                return i
        raise KeyError(stage_id)

    def body_path(self, lesson: Lesson) -> Path:
        return self.root / "lessons" / f"{lesson.id}.md"

    def body(self, lesson: Lesson) -> str:
        """The lesson's Markdown body."""
        if lesson.inline_body is not None:
            return lesson.inline_body
        try:
            return _printable(self.body_path(lesson).read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(
                f"{self.body_path(lesson)}: cannot read the body of lesson '{lesson.id}' ({exc.strerror}).",
                hint=f"Run `dlpath validate {self.root}`.",
            ) from None


# ---------------------------------------------------------------- locating


def default_curriculum_path() -> Path:
    """$DLPATH_CURRICULUM, else the curriculum that ships with dlpath."""
    from dlpath.paths import curriculum_dir

    env = os.environ.get("DLPATH_CURRICULUM")
    return Path(env).expanduser() if env else curriculum_dir()


def _resolve_root(path: Path | None) -> Path:
    root = Path(path).expanduser() if path is not None else default_curriculum_path()
    if root.is_file() and root.name == _INDEX:
        root = root.parent
    if not root.is_dir():
        raise UsageError(
            f"{root}: no such curriculum folder.",
            hint="Give a folder that holds curriculum.yaml (see docs/curriculum-format.md).",
        )
    if not (root / _INDEX).is_file():
        raise UsageError(
            f"{root}: this folder has no {_INDEX}, so it is not a curriculum.",
            hint="A curriculum folder holds curriculum.yaml and its lesson files (see docs/curriculum-format.md).",
        )
    return root


def _projects_dirs(root: Path) -> tuple[Path, ...]:
    from dlpath.paths import project_roots  # the same search `dlpath start` and `check` use

    return tuple(project_roots(root))


# ---------------------------------------------------------------- loading


def load_curriculum(path: Path | None = None, *, use_cache: bool = True) -> Curriculum:
    """Load and check the curriculum at `path` (None: the default one).

    Raises `CurriculumInvalid` listing the problems when there are any.
    """
    root = _resolve_root(path)
    key = _cache_key(root) if use_cache else None
    if key is not None:
        cached = _read_cache(root, key)
        if cached is not None:
            return cached
    curriculum, problems = _build(root)
    if problems or curriculum is None:
        raise CurriculumInvalid(root, problems)
    if key is not None:
        _write_cache(root, key, curriculum)
    return curriculum


def validate_curriculum(path: Path | None = None) -> tuple[Path, list[Problem]]:
    """Every problem of the curriculum at `path` and of its projects, in file and line order."""
    root = _resolve_root(path)
    course, problems = _build(root)
    return root, problems + _project_problems(root, course)


def _project_problems(root: Path, course: Curriculum | None) -> list[Problem]:
    """Every problem of the projects the course can use; for the course's own projects, also a
    `lesson:` that names no lesson of the course."""
    from dlpath.paths import projects_dir
    from dlpath.projects import _quick_lesson, project_folders, validate_project

    shipped = projects_dir().resolve()
    own_shipped = root.resolve() == default_shipped_root()
    problems: list[Problem] = []
    known = {l.id for l in course.lessons} | {a for l in course.lessons for a in l.aliases} if course else None
    for folder in project_folders(root):
        found = validate_project(folder)
        problems.extend(found)
        is_own = own_shipped or folder.resolve().parent != shipped
        if found or known is None or not is_own:
            continue
        lesson = _quick_lesson(folder / "project.yaml")
        if lesson is not None and lesson not in known:
            close = _close(lesson, sorted(known), n=1, cutoff=0.6)
            tail = f" (did you mean '{close[0]}'?)" if close else ""
            line = next((n for n, text in enumerate((folder / "project.yaml").read_text(encoding="utf-8").splitlines(), 1)
                         if text.startswith("lesson:")), None)
            problems.append(Problem(str(folder / "project.yaml"), line,
                                    f"project '{folder.name}' completes the lesson '{lesson}', which the curriculum "
                                    f"does not have{tail}"))
    return problems


def default_shipped_root() -> Path:
    from dlpath.paths import curriculum_dir

    return curriculum_dir().resolve()


# The cache: one pickle per curriculum folder, keyed by the YAML files' stats
# and the dlpath version; bodies are read on demand, so they are not part of it.


def _cache_file(root: Path) -> Path:
    import zlib  # already loaded with the standard library; hashlib would cost a few ms

    from dlpath.paths import data_home

    where = str(root.resolve())
    digest = f"{zlib.crc32(where.encode()):08x}{zlib.adler32(where.encode()):08x}"
    return data_home() / "cache" / f"curriculum-{digest}.pickle"


def _cache_key(root: Path) -> tuple[Any, ...] | None:
    from dlpath import __version__

    try:
        names = sorted(p.name for p in root.iterdir() if p.suffix in (".yaml", ".yml"))
        stats = tuple((n, (root / n).stat().st_mtime_ns, (root / n).stat().st_size) for n in names)
        lessons_dir = root / "lessons"
        lessons_stat = lessons_dir.stat().st_mtime_ns if lessons_dir.is_dir() else 0
    except OSError:
        return None
    dirs = tuple((str(d), d.stat().st_mtime_ns if d.is_dir() else 0) for d in _projects_dirs(root))
    try:  # each project names its lesson: a change there changes the curriculum's links
        yamls = tuple(sorted((str(p), p.stat().st_mtime_ns) for d in _projects_dirs(root) if d.is_dir()
                             for p in d.glob("*/project.yaml")))
    except OSError:
        return None
    dirs = dirs + yamls
    return (__version__, str(root.resolve()), stats, lessons_stat, dirs)


def _read_cache(root: Path, key: tuple[Any, ...]) -> Curriculum | None:
    try:
        with open(_cache_file(root), "rb") as fh, _no_gc():
            stored_key, curriculum = pickle.load(fh)
    except Exception:  # missing, stale or damaged: the cache is only ever a shortcut
        return None
    return curriculum if stored_key == key else None


def _write_cache(root: Path, key: tuple[Any, ...], curriculum: Curriculum) -> None:
    target = _cache_file(root)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump((key, curriculum), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except OSError:
        pass  # a read-only or full disk only costs speed


# ---------------------------------------------------------------- building and checking


class _Reader:
    """Turns YAML nodes into values, collecting problems with file and line."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def problem(self, node: yaml.Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(Problem(self.file, line, message))

    def parse(self, path: Path) -> yaml.Node | None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(self.file, None, f"cannot read the file ({exc})"))
            return None
        try:
            return yaml.compose(text, Loader=_Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            what = getattr(exc, "problem", None) or str(exc)
            self.problems.append(
                Problem(self.file, mark.line + 1 if mark else None, f"YAML syntax error: {what}")
            )
            return None

    def mapping(self, node: yaml.Node | None, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping of keys to values")
            return None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            if key in out:
                self.problem(key_node, f"{what} has the key '{key}' twice")
            out[key] = (key_node, value_node)
        return out

    def scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return node  # the caller reports the wrong type
        if node.tag == _STR_TAG:  # most values: no need for the constructor
            return node.value if node.value.isprintable() else _printable(node.value)
        try:
            value = self._constructor.construct_object(node, deep=True)
            return _printable(value) if isinstance(value, str) and not value.isprintable() else value
        except yaml.YAMLError as exc:
            self.problem(node, f"bad value: {exc}")
            return None

    def check_keys(
        self, keys: dict[str, tuple[yaml.Node, yaml.Node]], node: yaml.Node, what: str,
        required: Iterable[str], optional: Iterable[str],
    ) -> None:
        required = tuple(required)
        allowed = set(required) | set(optional)
        for key, (key_node, _) in keys.items():
            if key not in allowed:
                close = _close(key, sorted(allowed), n=1, cutoff=0.6)
                tail = f" (did you mean '{close[0]}'?)" if close else ""
                self.problem(key_node, f"{what} has an unknown key '{key}'{tail}")
        for key in required:
            if key not in keys:
                self.problem(node, f"{what} is missing the required key '{key}'")

    def string(self, keys: dict, key: str, what: str, *, default: str | None = None) -> str | None:
        if key not in keys:
            return default
        node = keys[key][1]
        value = self.scalar(node)
        if not isinstance(value, str) or not value.strip():
            self.problem(node, f"{what}: '{key}' must be a non-empty text, not {_describe(value)}")
            return default
        return value

    def strings(self, keys: dict, key: str, what: str) -> tuple[str, ...]:
        if key not in keys:
            return ()
        node = keys[key][1]
        if isinstance(node, yaml.ScalarNode) and self.scalar(node) is None:
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"{what}: '{key}' must be a list of texts")
            return ()
        out = []
        for item in node.value:
            value = self.scalar(item)
            if not isinstance(value, str) or not value.strip():
                self.problem(item, f"{what}: every item of '{key}' must be a text, not {_describe(value)}")
            else:
                out.append(value)
        return tuple(out)

    def number(self, keys: dict, key: str, what: str) -> float | None:
        if key not in keys:
            return None
        node = keys[key][1]
        value = self.scalar(node)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            self.problem(node, f"{what}: '{key}' must be a number above 0, not {_describe(value)}")
            return None
        return float(value)


def _printable(text: str) -> str:
    """A course's text without escape sequences or control characters (they would drive the terminal)."""
    from dlpath.text import clean

    return clean(text)


def _describe(value: Any) -> str:
    if isinstance(value, yaml.MappingNode):
        return "a mapping"
    if isinstance(value, yaml.SequenceNode):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{value!r} (a yes/no value)"
    if isinstance(value, str):
        return "an empty text" if not value.strip() else f"'{value}'"
    kind = {int: "whole number", float: "number"}.get(type(value), type(value).__name__)
    return f"{value!r} (a {kind})"


_LESSON_REQUIRED = ("id", "stage", "title", "summary", "objectives", "hours")
_LESSON_OPTIONAL = (
    "prerequisites", "resources", "project", "tracks", "requires", "aliases", "questions", "body",
)


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many objects.

    Loading creates hundreds of thousands of objects and no reference cycles; the
    collector would walk the growing heap again and again (more than half the time
    of validating a 10,000-lesson curriculum), so it waits until the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(root: Path) -> tuple[Curriculum | None, list[Problem]]:
    with _no_gc():
        return _build_unguarded(root)


def _build_unguarded(root: Path) -> tuple[Curriculum | None, list[Problem]]:
    index_name = _INDEX
    reader = _Reader(index_name)
    problems = reader.problems
    doc = reader.parse(root / index_name)
    if doc is None:
        if not problems:
            problems.append(Problem(index_name, None, "the file is empty"))
        return None, problems
    keys = reader.mapping(doc, index_name)
    if keys is None:
        return None, problems
    reader.check_keys(keys, doc, index_name, ("format_version", "stages", "lesson_files"), ("title", "tracks"))

    version = reader.scalar(keys["format_version"][1]) if "format_version" in keys else None
    if "format_version" in keys:
        if not isinstance(version, int) or isinstance(version, bool):
            reader.problem(keys["format_version"][1], f"format_version must be a whole number, not {_describe(version)}")
        elif version > FORMAT_VERSION:
            reader.problem(
                keys["format_version"][1],
                f"this curriculum uses format version {version}, but this dlpath reads up to "
                f"version {FORMAT_VERSION}: upgrade dlpath (pip install --upgrade dlpath)",
            )
            return None, problems
    title = reader.string(keys, "title", index_name, default="Curriculum") or "Curriculum"

    stages = _read_stages(reader, keys)
    tracks = _read_tracks(reader, keys)
    files = reader.strings(keys, "lesson_files", index_name)

    lessons: list[Lesson] = []
    lesson_nodes: dict[int, dict[str, Any]] = {}  # id(lesson) -> {key: (file, line)}
    unreadable: list[Problem] = []  # why a lesson file could not be read at all
    for name in files:
        path = root / name
        file_reader = _Reader(name)
        if not path.is_file():
            reader.problem(keys["lesson_files"][1], f"lesson file '{name}' does not exist in {root}")
            continue
        node = file_reader.parse(path)
        if node is not None:
            for lesson, where in _read_lessons(file_reader, node):
                lessons.append(lesson)
                lesson_nodes[id(lesson)] = where
        elif file_reader.problems:
            unreadable.extend(file_reader.problems)
        problems.extend(file_reader.problems)
    if unreadable:
        # The lessons of an unreadable file are unknown: checking the graph now would blame
        # every lesson that needs one of them. The syntax error alone, then, to fix first.
        return None, unreadable

    stage_ids = [s.id for s in stages]
    stage_pos = {s: i for i, s in enumerate(stage_ids)}
    track_ids = {t.id for t in tracks}
    projects_dirs = _projects_dirs(root)
    _link_projects(root, lessons, lesson_nodes, problems)
    _check_graph(root, lessons, lesson_nodes, stage_pos, track_ids, projects_dirs, problems)

    problems.sort(key=lambda p: (p.file != index_name, p.file, p.line or 0))
    if problems:
        return None, problems
    ordered = sorted(lessons, key=lambda l: stage_pos[l.stage])  # stable: keeps file order within a stage
    return (
        Curriculum(
            root=root.resolve(), title=title, stages=tuple(stages), tracks=tuple(tracks),
            lessons=tuple(ordered), projects_dirs=projects_dirs,
        ),
        problems,
    )


def _link_projects(root: Path, lessons: list[Lesson], where: dict[int, dict[str, Any]], problems: list[Problem]) -> None:
    """Each lesson's project, from the projects that name it (`lesson:` in project.yaml): the link is
    stated once, there. A lesson's own `project:` is optional and must agree."""
    from dlpath.projects import lesson_links

    links = lesson_links(root)
    for lesson in lessons:
        found = [pid for pid, _ in links.get(lesson.id, [])]
        file, line = (where.get(id(lesson), {}).get("project") or where.get(id(lesson), {}).get("")
                      or (lesson.file, lesson.line))
        if len(found) > 1:
            problems.append(Problem(file, line, f"lesson '{lesson.id}' is named by several projects "
                                    f"({', '.join(found)}); a lesson is completed by one project"))
        if lesson.project is None:
            if found:
                object.__setattr__(lesson, "project", found[0])  # frozen: set once, while loading
        elif found and lesson.project not in found:
            problems.append(Problem(file, line, f"lesson '{lesson.id}' names the project '{lesson.project}', but "
                                    f"the project that names this lesson is '{found[0]}': state the link once, "
                                    "in project.yaml's `lesson:`"))
        elif not found and any(lesson.project == pid for entries in links.values() for pid, _ in entries):
            other = next(lid for lid, entries in links.items() for pid, _ in entries if pid == lesson.project)
            problems.append(Problem(file, line, f"lesson '{lesson.id}' names the project '{lesson.project}', which "
                                    f"names the lesson '{other}' instead"))


def _read_stages(reader: _Reader, keys: dict) -> list[Stage]:
    stages: list[Stage] = []
    if "stages" not in keys:
        return stages
    node = keys["stages"][1]
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        reader.problem(node, "stages must be a non-empty list of stages in order")
        return stages
    seen: set[str] = set()
    for item in node.value:
        entry = reader.mapping(item, "a stage")
        if entry is None:
            continue
        reader.check_keys(entry, item, "a stage", ("id", "title"), ("summary",))
        sid = reader.string(entry, "id", "a stage")
        what = f"stage '{sid}'"
        stitle = reader.string(entry, "title", what)
        summary = reader.string(entry, "summary", what, default="") or ""
        if sid is None or stitle is None:
            continue
        if sid in seen:
            reader.problem(item, f"the stage id '{sid}' is used twice")
            continue
        seen.add(sid)
        stages.append(Stage(sid, stitle, summary))
    return stages


def _read_tracks(reader: _Reader, keys: dict) -> list[Track]:
    tracks: list[Track] = []
    if "tracks" not in keys:
        return tracks
    node = keys["tracks"][1]
    if not isinstance(node, yaml.SequenceNode):
        reader.problem(node, "tracks must be a list of tracks")
        return tracks
    seen: set[str] = set()
    for item in node.value:
        entry = reader.mapping(item, "a track")
        if entry is None:
            continue
        reader.check_keys(entry, item, "a track", ("id", "title"), ("summary", "careers", "skills"))
        tid = reader.string(entry, "id", "a track")
        what = f"track '{tid}'"
        ttitle = reader.string(entry, "title", what)
        if tid is None or ttitle is None:
            continue
        if tid in seen:
            reader.problem(item, f"the track id '{tid}' is used twice")
            continue
        seen.add(tid)
        tracks.append(
            Track(
                tid, ttitle, reader.string(entry, "summary", what, default="") or "",
                reader.strings(entry, "careers", what), reader.strings(entry, "skills", what),
            )
        )
    return tracks


def _read_lessons(reader: _Reader, doc: yaml.Node) -> Iterable[tuple[Lesson, dict[str, Any]]]:
    keys = reader.mapping(doc, "a lesson file")
    if keys is None:
        return
    reader.check_keys(keys, doc, "a lesson file", ("lessons",), ())
    if "lessons" not in keys:
        return
    node = keys["lessons"][1]
    if not isinstance(node, yaml.SequenceNode):
        reader.problem(node, "'lessons' must be a list of lessons")
        return
    for item in node.value:
        lesson = _read_lesson(reader, item)
        if lesson is not None:
            yield lesson


def _read_lesson(reader: _Reader, node: yaml.Node) -> tuple[Lesson, dict[str, Any]] | None:
    entry = reader.mapping(node, "a lesson")
    if entry is None:
        return None
    lid = reader.string(entry, "id", "a lesson")
    what = f"lesson '{lid}'" if lid else "a lesson"
    reader.check_keys(entry, node, what, _LESSON_REQUIRED, _LESSON_OPTIONAL)
    if lid is None:
        return None
    if not _SLUG.match(lid):
        reader.problem(entry["id"][1], f"lesson id '{lid}' must be a slug: lowercase letters, digits and '-'")
    where = {key: (reader.file, k.start_mark.line + 1) for key, (k, _) in entry.items()}
    where[""] = (reader.file, node.start_mark.line + 1)
    project = reader.string(entry, "project", what)
    body = reader.string(entry, "body", what)
    lesson = Lesson(
        id=lid,
        stage=reader.string(entry, "stage", what) or "",
        title=reader.string(entry, "title", what) or lid,
        summary=reader.string(entry, "summary", what) or "",
        objectives=reader.strings(entry, "objectives", what),
        prerequisites=reader.strings(entry, "prerequisites", what),
        hours=reader.number(entry, "hours", what) or 0.0,
        resources=_read_resources(reader, entry, what),
        project=project,
        tracks=reader.strings(entry, "tracks", what),
        requires=_read_requires(reader, entry, what),
        aliases=reader.strings(entry, "aliases", what),
        questions=_read_questions(reader, entry, what),
        inline_body=body,
        file=reader.file,
        line=node.start_mark.line + 1,
    )
    where["_prereq_lines"] = _item_lines(entry.get("prerequisites"))
    return lesson, where


def _item_lines(pair: tuple[yaml.Node, yaml.Node] | None) -> list[int]:
    if pair is None or not isinstance(pair[1], yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in pair[1].value]


def _read_resources(reader: _Reader, entry: dict, what: str) -> tuple[Resource, ...]:
    if "resources" not in entry:
        return ()
    node = entry["resources"][1]
    if not isinstance(node, yaml.SequenceNode):
        reader.problem(node, f"{what}: 'resources' must be a list")
        return ()
    out = []
    for item in node.value:
        res = reader.mapping(item, f"{what}: a resource")
        if res is None:
            continue
        reader.check_keys(res, item, f"{what}: a resource", ("title", "kind", "where"), ())
        title = reader.string(res, "title", f"{what}: a resource")
        kind = reader.string(res, "kind", f"{what}: a resource")
        where = reader.string(res, "where", f"{what}: a resource")
        if kind is not None and kind not in RESOURCE_KINDS:
            reader.problem(res["kind"][1], f"{what}: resource kind '{kind}' is not one of {', '.join(RESOURCE_KINDS)}")
        if title and kind and where:
            out.append(Resource(title, kind, where))
    return tuple(out)


def _read_requires(reader: _Reader, entry: dict, what: str) -> Requirements:
    if "requires" not in entry:
        return Requirements()
    node = entry["requires"][1]
    req = reader.mapping(node, f"{what}: 'requires'")
    if req is None:
        return Requirements()
    reader.check_keys(req, node, f"{what}: 'requires'", (), ("cuda", "min_vram_gb"))
    cuda = False
    if "cuda" in req:
        value = reader.scalar(req["cuda"][1])
        if not isinstance(value, bool):
            reader.problem(req["cuda"][1], f"{what}: 'requires.cuda' must be true or false, not {_describe(value)}")
        else:
            cuda = value
    vram = reader.number(req, "min_vram_gb", f"{what}: 'requires'")
    return Requirements(cuda=cuda or vram is not None, min_vram_gb=vram)


def _read_questions(reader: _Reader, entry: dict, what: str) -> tuple[Question, ...]:
    if "questions" not in entry:
        return ()
    node = entry["questions"][1]
    if not isinstance(node, yaml.SequenceNode):
        reader.problem(node, f"{what}: 'questions' must be a list")
        return ()
    out = []
    for n, item in enumerate(node.value, 1):
        qwhat = f"{what}: question {n}"
        q = reader.mapping(item, qwhat)
        if q is None:
            continue
        reader.check_keys(q, item, qwhat, ("question", "choices"), ())
        text = reader.string(q, "question", qwhat)
        if "choices" not in q:
            continue
        cnode = q["choices"][1]
        if not isinstance(cnode, yaml.SequenceNode) or len(cnode.value) < 2:
            reader.problem(cnode, f"{qwhat}: 'choices' must be a list of at least two choices")
            continue
        choices = []
        for citem in cnode.value:
            c = reader.mapping(citem, f"{qwhat}: a choice")
            if c is None:
                continue
            reader.check_keys(c, citem, f"{qwhat}: a choice", ("text",), ("correct", "why"))
            ctext = reader.string(c, "text", f"{qwhat}: a choice")
            correct = reader.scalar(c["correct"][1]) if "correct" in c else False
            if not isinstance(correct, bool):
                reader.problem(c["correct"][1], f"{qwhat}: 'correct' must be true or false")
                correct = False
            why = reader.string(c, "why", f"{qwhat}: a choice")
            if not correct and why is None:
                reader.problem(citem, f"{qwhat}: every wrong choice needs a 'why' (one line: why it is wrong)")
            if ctext:
                choices.append(Choice(ctext, correct, why))
        right = sum(c.correct for c in choices)
        if right != 1:
            reader.problem(cnode, f"{qwhat}: exactly one choice must be 'correct: true' (found {right})")
            continue
        if text:
            out.append(Question(text, tuple(choices)))
    return tuple(out)


def _check_graph(
    root: Path,
    lessons: list[Lesson],
    where: dict[int, dict[str, Any]],
    stage_pos: dict[str, int],
    track_ids: set[str],
    projects_dirs: tuple[Path, ...],
    problems: list[Problem],
) -> None:
    def at(lesson: Lesson, key: str = "") -> tuple[str, int]:
        info = where.get(id(lesson), {})
        return info.get(key) or info.get("") or (lesson.file, lesson.line)

    def add(lesson: Lesson, key: str, message: str) -> None:
        file, line = at(lesson, key)
        problems.append(Problem(file, line, message))

    by_id: dict[str, Lesson] = {}
    names: dict[str, Lesson] = {}  # ids and aliases
    for lesson in lessons:
        if lesson.id in names:
            first = names[lesson.id]
            add(lesson, "id", f"duplicate lesson id '{lesson.id}' (also used at {first.file}:{first.line})")
            continue
        names[lesson.id] = lesson
        by_id[lesson.id] = lesson
    for lesson in lessons:
        for alias in lesson.aliases:
            if alias in names and names[alias] is not lesson:
                other = names[alias]
                add(lesson, "aliases", f"lesson '{lesson.id}' has the alias '{alias}', which is already "
                    f"used by lesson '{other.id}' ({other.file}:{other.line})")
            else:
                names[alias] = lesson

    known = sorted(by_id)
    body_dir = root / "lessons"
    body_sizes = _body_sizes(body_dir)
    for lesson in lessons:
        if by_id.get(lesson.id) is not lesson:
            continue
        if lesson.stage and lesson.stage not in stage_pos:
            add(lesson, "stage", f"lesson '{lesson.id}' is in the unknown stage '{lesson.stage}' "
                f"(stages: {', '.join(stage_pos)})")
        for track in lesson.tracks:
            if track not in track_ids:
                add(lesson, "tracks", f"lesson '{lesson.id}' names the unknown track '{track}'")
        lines = where.get(id(lesson), {}).get("_prereq_lines", [])
        for n, pre in enumerate(lesson.prerequisites):
            line = lines[n] if n < len(lines) else at(lesson, "prerequisites")[1]
            target = names.get(pre)
            if target is None:
                close = _close(pre, known, n=1, cutoff=0.6)
                tail = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(Problem(lesson.file, line,
                                        f"lesson '{lesson.id}' needs '{pre}', which does not exist{tail}"))
            elif target is lesson:
                problems.append(Problem(lesson.file, line, f"lesson '{lesson.id}' lists itself as a prerequisite"))
            elif (lesson.stage in stage_pos and target.stage in stage_pos
                  and stage_pos[target.stage] > stage_pos[lesson.stage]):
                problems.append(Problem(
                    lesson.file, line,
                    f"lesson '{lesson.id}' ({lesson.stage}) needs '{target.id}', which is in the later "
                    f"stage '{target.stage}': move one of them, or drop the prerequisite",
                ))
        if lesson.inline_body is None:
            size = body_sizes.get(lesson.id)
            if size is None:
                add(lesson, "", f"lesson '{lesson.id}' has no body: write lessons/{lesson.id}.md "
                    "or give it a 'body'")
            elif size < 64 and not (body_dir / f"{lesson.id}.md").read_text(encoding="utf-8", errors="replace").strip():
                add(lesson, "", f"lesson '{lesson.id}' has an empty body (lessons/{lesson.id}.md)")
        if lesson.project is not None and not any(
            (d / lesson.project / "project.yaml").is_file() for d in projects_dirs
        ):
            add(lesson, "project", f"lesson '{lesson.id}' names the project '{lesson.project}', "
                f"which does not exist (looked in {', '.join(str(d) for d in projects_dirs)})")

    for cycle in _cycles(by_id, names):
        first = by_id[cycle[0]]
        add(first, "prerequisites", "prerequisites form a cycle (each needs the next): " + " -> ".join(cycle + [cycle[0]]))


def _body_sizes(body_dir: Path) -> dict[str, int]:
    """{lesson id: size in bytes} of the Markdown bodies in `body_dir`."""
    sizes: dict[str, int] = {}
    try:
        with os.scandir(body_dir) as entries:
            for entry in entries:
                if entry.name.endswith(".md") and entry.is_file():
                    sizes[entry.name[:-3]] = entry.stat().st_size
    except OSError:
        pass
    return sizes


def _cycles(by_id: dict[str, Lesson], names: dict[str, Lesson]) -> list[list[str]]:
    """Each cycle of the prerequisite graph once, as the list of its lesson ids."""
    edges = {
        lid: [names[p].id for p in lesson.prerequisites if p in names and names[p].id != lid]
        for lid, lesson in by_id.items()
    }
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(edges, white)
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for start in edges:
        if color[start] != white:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        color[start] = grey
        while stack:
            node, i = stack[-1]
            if i < len(edges[node]):
                stack[-1] = (node, i + 1)
                nxt = edges[node][i]
                if color[nxt] == white:
                    color[nxt] = grey
                    stack.append((nxt, 0))
                    path.append(nxt)
                elif color[nxt] == grey:
                    cycle = path[path.index(nxt):]  # each lesson needs the next
                    key = frozenset(cycle)
                    if key not in seen:
                        seen.add(key)
                        found.append(cycle)
            else:
                color[node] = black
                stack.pop()
                path.pop()
    return found
