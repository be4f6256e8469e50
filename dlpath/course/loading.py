"""Loading a curriculum: find its folder, read its YAML into a `Curriculum`, cache the result.

A curriculum is a folder with `curriculum.yaml` (format version, stages,
tracks, lesson files), one YAML file of lessons per stage, and `lessons/<id>.md`
bodies (docs/curriculum-format.md). Every problem is collected with its file
and line (`dlpath.course.reader`), then the graph is checked
(`dlpath.course.checks`).

Loading for everyday commands is cached (JSON under the data home keyed by the
files' sizes and modification times), so `dlpath next` stays fast on a
curriculum of thousands of lessons. The cache is plain data read into the same
frozen objects, never a pickle: whatever wrote the data home (a learner's code
when the sandbox is partial), reading the cache runs nothing.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Iterable

import yaml

from dlpath.course.model import (FORMAT_VERSION, RESOURCE_KINDS, WEAKENING_OPTIONS, Choice, Curriculum,
                                 CurriculumInvalid, Lesson, Question, Requirements, Resource, Stage, Track)
from dlpath.course.reader import Problem, Reader, describe, no_gc
from dlpath.errors import UsageError
from dlpath.paths import curriculum_dir, data_home, project_roots
from dlpath.version import __version__

__all__ = ["load_curriculum", "validate_curriculum", "default_curriculum_path", "resolve_root", "INDEX"]

INDEX = "curriculum.yaml"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def default_curriculum_path() -> Path:
    """$DLPATH_CURRICULUM, else the curriculum that ships with dlpath."""
    env = os.environ.get("DLPATH_CURRICULUM")
    return Path(env).expanduser() if env else curriculum_dir()


def resolve_root(path: Path | None) -> Path:
    root = Path(path).expanduser() if path is not None else default_curriculum_path()
    if root.is_file() and root.name == INDEX:
        root = root.parent
    if not root.is_dir():
        raise UsageError(
            f"{root}: no such curriculum folder.",
            hint="Give a folder that holds curriculum.yaml (see docs/curriculum-format.md).",
        )
    if not (root / INDEX).is_file():
        raise UsageError(
            f"{root}: this folder has no {INDEX}, so it is not a curriculum.",
            hint="A curriculum folder holds curriculum.yaml and its lesson files (see docs/curriculum-format.md).",
        )
    return root


def _projects_dirs(root: Path) -> tuple[Path, ...]:
    return tuple(project_roots(root))  # the same search `dlpath start` and `check` use


# ---------------------------------------------------------------- loading


def load_curriculum(path: Path | None = None, *, use_cache: bool = True) -> Curriculum:
    """Load and check the curriculum at `path` (None: the default one).

    Raises `CurriculumInvalid` listing the problems when there are any.
    """
    root = resolve_root(path)
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


def validate_curriculum(path: Path | None = None) -> tuple[Path, Curriculum | None, list[Problem]]:
    """The curriculum at `path` (None when it has problems) and every problem of it, in file and line order.

    The projects are checked by `dlpath.grading.project.validate_course`, which calls this."""
    from dlpath.course.charts import chart_problems

    root = resolve_root(path)
    course, problems = _build(root)
    if course is not None:
        problems = problems + chart_problems(course)
    return root, course, problems


def default_shipped_root() -> Path:
    return curriculum_dir().resolve()


# The cache: one JSON file per curriculum folder, keyed by the YAML files' stats
# and the dlpath version; bodies are read on demand, so they are not part of it.

_CACHE_FORMAT = 1


def _cache_file(root: Path) -> Path:
    import zlib  # already loaded with the standard library; hashlib would cost a few ms

    where = str(root.resolve())
    digest = f"{zlib.crc32(where.encode()):08x}{zlib.adler32(where.encode()):08x}"
    return data_home() / "cache" / f"curriculum-{digest}.json"


def _cache_key(root: Path) -> list[Any] | None:
    try:
        names = sorted(p.name for p in root.iterdir() if p.suffix in (".yaml", ".yml"))
        stats = [[n, (root / n).stat().st_mtime_ns, (root / n).stat().st_size] for n in names]
        lessons_dir = root / "lessons"
        lessons_stat = lessons_dir.stat().st_mtime_ns if lessons_dir.is_dir() else 0
    except OSError:
        return None
    dirs = [[str(d), d.stat().st_mtime_ns if d.is_dir() else 0] for d in _projects_dirs(root)]
    try:  # each project names its lesson: a change there changes the curriculum's links
        yamls = sorted([str(p), p.stat().st_mtime_ns] for d in _projects_dirs(root) if d.is_dir()
                       for p in d.glob("*/project.yaml"))
    except OSError:
        return None
    return [__version__, str(root.resolve()), stats, lessons_stat, dirs + yamls]


def _read_cache(root: Path, key: list[Any]) -> Curriculum | None:
    try:
        with open(_cache_file(root), encoding="utf-8") as fh, no_gc():
            data = json.load(fh)
            if data.get("format") != _CACHE_FORMAT or data.get("key") != key:
                return None
            return _curriculum_from(data["curriculum"])
    except Exception:  # missing, stale, damaged or forged: the cache is only ever a shortcut
        return None


def _write_cache(root: Path, key: list[Any], curriculum: Curriculum) -> None:
    from dlpath.atomic import write_text
    from dlpath.jsonable import jsonable

    target = _cache_file(root)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text(target, json.dumps({"format": _CACHE_FORMAT, "key": key, "curriculum": jsonable(curriculum)}))
    except OSError:
        pass  # a read-only or full disk only costs speed


def _text(value: Any, optional: bool = False) -> Any:
    if isinstance(value, str) or (optional and value is None):
        return value
    raise ValueError("not a text")


def _texts(values: Any) -> tuple[str, ...]:
    return tuple(_text(v) for v in values)


def _number(value: Any, optional: bool = False) -> Any:
    if (isinstance(value, (int, float)) and not isinstance(value, bool)) or (optional and value is None):
        return value
    raise ValueError("not a number")


def _lesson_from(d: dict[str, Any]) -> Lesson:
    requires = d["requires"]
    return Lesson(
        id=_text(d["id"]), stage=_text(d["stage"]), title=_text(d["title"]), summary=_text(d["summary"]),
        objectives=_texts(d["objectives"]), prerequisites=_texts(d["prerequisites"]), hours=_number(d["hours"]),
        resources=tuple(Resource(_text(r["title"]), _text(r["kind"]), _text(r["where"])) for r in d["resources"]),
        project=_text(d["project"], True), exercises=_texts(d["exercises"]), tracks=_texts(d["tracks"]),
        requires=Requirements(cuda=requires["cuda"] is True, min_vram_gb=_number(requires["min_vram_gb"], True)),
        aliases=_texts(d["aliases"]),
        questions=tuple(Question(_text(q["question"]), tuple(
            Choice(_text(c["text"]), c["correct"] is True, _text(c["why"], True)) for c in q["choices"]))
            for q in d["questions"]),
        inline_body=_text(d["inline_body"], True), file=_text(d["file"]), line=int(_number(d["line"])),
    )


def _curriculum_from(d: dict[str, Any]) -> Curriculum:
    """A `Curriculum` from its cached JSON: plain values checked one by one (ValueError, KeyError or TypeError
    when anything is not what `_write_cache` writes)."""
    return Curriculum(
        root=Path(_text(d["root"])), title=_text(d["title"]),
        stages=tuple(Stage(_text(s["id"]), _text(s["title"]), _text(s["summary"])) for s in d["stages"]),
        tracks=tuple(Track(_text(t["id"]), _text(t["title"]), _text(t["summary"]), _texts(t["careers"]),
                           _texts(t["skills"])) for t in d["tracks"]),
        lessons=tuple(_lesson_from(lesson) for lesson in d["lessons"]),
        projects_dirs=tuple(Path(_text(p)) for p in d["projects_dirs"]),
        complete_with=_texts(d["complete_with"]),
    )

_LESSON_REQUIRED = ("id", "stage", "title", "summary", "objectives", "hours")
_LESSON_OPTIONAL = (
    "prerequisites", "resources", "project", "tracks", "requires", "aliases", "questions", "body",
)


def _build(root: Path) -> tuple[Curriculum | None, list[Problem]]:
    with no_gc():
        return _build_unguarded(root)


def _build_unguarded(root: Path) -> tuple[Curriculum | None, list[Problem]]:
    index_name = INDEX
    reader = Reader(index_name)
    problems = reader.problems
    doc = reader.parse(root / index_name)
    if doc is None:
        if not problems:
            problems.append(Problem(index_name, None, "the file is empty"))
        return None, problems
    keys = reader.mapping(doc, index_name)
    if keys is None:
        return None, problems
    reader.check_keys(keys, doc, index_name, ("format_version", "stages", "lesson_files"),
                      ("title", "tracks", "complete_with"))

    version = reader.scalar(keys["format_version"][1]) if "format_version" in keys else None
    if "format_version" in keys:
        if not isinstance(version, int) or isinstance(version, bool):
            reader.problem(keys["format_version"][1], f"format_version must be a whole number, not {describe(version)}")
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
    complete_with = _read_complete_with(reader, keys)
    files = reader.strings(keys, "lesson_files", index_name)

    lessons: list[Lesson] = []
    lesson_nodes: dict[int, dict[str, Any]] = {}  # id(lesson) -> {key: (file, line)}
    unreadable: list[Problem] = []  # why a lesson file could not be read at all
    for name in files:
        path = root / name
        file_reader = Reader(name)
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
    from dlpath.course.checks import check_graph, link_projects  # only when the YAML is read (not cached)

    link_projects(root, lessons, lesson_nodes, problems)
    check_graph(root, lessons, lesson_nodes, stage_pos, track_ids, projects_dirs, problems)

    problems.sort(key=lambda p: (p.file != index_name, p.file, p.line or 0))
    if problems:
        return None, problems
    ordered = sorted(lessons, key=lambda l: stage_pos[l.stage])  # stable: keeps file order within a stage
    return (
        Curriculum(
            root=root.resolve(), title=title, stages=tuple(stages), tracks=tuple(tracks),
            lessons=tuple(ordered), projects_dirs=projects_dirs, complete_with=complete_with,
        ),
        problems,
    )



def _read_complete_with(reader: Reader, keys: dict) -> tuple[str, ...]:
    """`complete_with:`, the debugging options whose passes still complete a lesson in this course."""
    from dlpath.text import close_matches

    names = reader.strings(keys, "complete_with", "complete_with")
    if not names:
        return ()
    items = keys["complete_with"][1].value
    known = []
    for name, item in zip(names, [i for i in items if isinstance(reader.scalar(i), str)]):
        if name in WEAKENING_OPTIONS:
            known.append(name)
            continue
        close = close_matches(name.lstrip("-"), list(WEAKENING_OPTIONS))
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        reader.problem(item, f"complete_with: '{name}' is not a grading option that weakens a grade{hint}; the "
                             f"options are {', '.join(WEAKENING_OPTIONS)}")
    return tuple(known)


def _read_stages(reader: Reader, keys: dict) -> list[Stage]:
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


def _read_tracks(reader: Reader, keys: dict) -> list[Track]:
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


def _read_lessons(reader: Reader, doc: yaml.Node) -> Iterable[tuple[Lesson, dict[str, Any]]]:
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


def _read_lesson(reader: Reader, node: yaml.Node) -> tuple[Lesson, dict[str, Any]] | None:
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


def _read_resources(reader: Reader, entry: dict, what: str) -> tuple[Resource, ...]:
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


def _read_requires(reader: Reader, entry: dict, what: str) -> Requirements:
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
            reader.problem(req["cuda"][1], f"{what}: 'requires.cuda' must be true or false, not {describe(value)}")
        else:
            cuda = value
    vram = reader.number(req, "min_vram_gb", f"{what}: 'requires'")
    return Requirements(cuda=cuda or vram is not None, min_vram_gb=vram)


def _read_questions(reader: Reader, entry: dict, what: str) -> tuple[Question, ...]:
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

