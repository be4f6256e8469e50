"""The curriculum as frozen objects: stages, tracks, lessons, and the `Curriculum` that holds them.

The objects are frozen dataclasses compared by identity (`eq=False`): nothing
compares two lessons by value, and skipping the generated `__eq__`/`__hash__`
takes milliseconds off every command's start. `dlpath.course.loading` builds
them from a folder of YAML (docs/curriculum-format.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from dlpath.course.reader import Problem, printable
from dlpath.errors import UsageError
from dlpath.text import close_matches, or_list

__all__ = [
    "FORMAT_VERSION",
    "HARNESS_TAG",
    "for_readers",
    "RESOURCE_KINDS",
    "WEAKENING_OPTIONS",
    "Resource",
    "Choice",
    "Question",
    "Requirements",
    "Lesson",
    "Stage",
    "Track",
    "Curriculum",
    "CurriculumInvalid",
    "UnknownLesson",
    "UnknownTrack",
]

FORMAT_VERSION = 1
RESOURCE_KINDS = ("book", "course", "docs", "video", "article", "paper", "tool", "community")
#: `dlpath check` options that weaken a grade (a pass made with one completes no lesson), by the names a
#: course's `complete_with:` uses to let them complete one all the same (docs/curriculum-format.md).
WEAKENING_OPTIONS = ("seed", "timeout", "memory-mb", "no-sandbox", "project-copy")


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
        tail = f" Did you mean {or_list(suggestions)}?" if suggestions else ""
        super().__init__(
            f"there is no lesson '{lesson_id}'.{tail}",
            hint="`dlpath map` lists every lesson; `dlpath search WORDS` finds one by topic.",
        )
        self.lesson_id = lesson_id
        self.suggestions = suggestions


class UnknownTrack(UsageError):
    """No track has this id."""

    def __init__(self, track_id: str, known: list[str]) -> None:
        close = close_matches(track_id, known, n=3, cutoff=0.5)
        tail = f" Did you mean {or_list(close)}?" if close else ""
        super().__init__(
            f"there is no track '{track_id}'.{tail}",
            hint=f"Tracks: {', '.join(known) or 'none'}. `dlpath track` describes each.",
        )

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
    exercises: tuple[str, ...] = ()  # exercise folders that name this lesson (their project.yaml's `lesson:`)
    tracks: tuple[str, ...] = ()
    requires: Requirements = field(default_factory=Requirements)
    aliases: tuple[str, ...] = ()  # former ids, so progress survives a rename
    questions: tuple[Question, ...] = ()
    inline_body: str | None = None  # the body, when written in the YAML
    file: str = ""  # where the lesson is defined
    line: int = 0

    @property
    def hands_on(self) -> tuple[tuple[str, str], ...]:
        """(kind, id) of its graded work: its project, then its exercise folders."""
        return ((("project", self.project),) if self.project else ()) + tuple(("exercise", e) for e in self.exercises)


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
class Curriculum:
    """A loaded, valid curriculum."""

    root: Path
    title: str
    stages: tuple[Stage, ...]
    tracks: tuple[Track, ...]
    lessons: tuple[Lesson, ...]  # in stage order, then the curriculum's own order
    projects_dirs: tuple[Path, ...] = ()
    complete_with: tuple[str, ...] = ()  # WEAKENING_OPTIONS whose passes still complete a lesson in this course

    def __post_init__(self) -> None:
        by_id = {lesson.id: lesson for lesson in self.lessons}
        aliases = {a: lesson.id for lesson in self.lessons for a in lesson.aliases}
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_aliases", aliases)

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
            close = close_matches(lesson_id, known, n=3, cutoff=0.6)
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
            return printable(self.body_path(lesson).read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(
                f"{self.body_path(lesson)}: cannot read the body of lesson '{lesson.id}' ({exc.strerror}).",
                hint=f"Run `dlpath validate {self.root}`.",
            ) from None


#: The first line of a lesson's code block that tells the lesson-code tests how to treat it
#: (`# dlpath: skip - REASON`, `# dlpath: fragment - REASON`: docs/curriculum-format.md).
HARNESS_TAG = re.compile(r"^(?P<indent>[ \t]*)#\s*dlpath:\s*(?P<kind>skip|fragment)\b[ \t]*(?:[-:\u2013\u2014][ \t]*)?"
                         r"(?P<reason>.*)$", re.M)


def for_readers(body: str) -> str:
    """A lesson's body as a learner reads it (`dlpath show`): each tag for the tests becomes a plain comment with
    its reason ("# Needs torchvision (pip install torchvision)"), or goes when it gives none."""
    def plain(match: re.Match[str]) -> str:
        reason = match.group("reason").strip()
        return f"{match.group('indent')}# {reason[:1].upper()}{reason[1:]}" if reason else "\x00"

    return re.sub(r"^\x00\n?", "", HARNESS_TAG.sub(plain, body), flags=re.M)
