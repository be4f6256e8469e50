"""The part of project.yaml an exercise folder has instead of a data set and thresholds.

An exercise folder's task kind declares ``hands_on = "exercise"``; its
project.yaml then lists ``exercises:`` (the functions of ``exercises.py``, each
with a title and its points) and, under ``expect:``, the diagnosis codes its
starter and each of its wrong answers (``wrong/<name>.py``) must get. The
thresholds follow: one per function, named after it, every case right. Read by
the project.yaml reader (``dlpath.grading.project``), every problem with its line;
``grading.py`` is read as text, never run, to check that it defines each
exercise and each mistake code that ``expect`` names. Documented in
docs/project-format.md, "Exercises".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from dlpath.text import close_matches

__all__ = ["ExerciseSpec", "ExerciseSheet", "TOP_REQUIRED", "TOP_OPTIONAL", "WRONG_DIR", "read_sheet",
           "wrong_answers"]

TOP_REQUIRED = ("format_version", "id", "title", "lesson", "summary", "task", "exercises", "budget_s", "memory_mb")
TOP_OPTIONAL = ("hardware", "hints", "skills", "requires", "expect")
WRONG_DIR = "wrong"

_SIGNATURE = re.compile(r"^([A-Za-z_]\w*)\(([^()]*)\)$")
_PARAM = re.compile(r"^\*{0,2}([A-Za-z_]\w*)(\s*=\s*[^,]+)?$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


@dataclass(frozen=True)
class ExerciseSpec:
    """One function of an exercise folder, as project.yaml lists it."""

    name: str  #: the function's name in exercises.py (and the name of its metric)
    params: tuple[str, ...]  #: its arguments' names, as the signature gives them
    signature: str  #: "softmax(x)", as written in project.yaml
    title: str  #: one line, shown by `dlpath show`
    points: float = 1.0  #: its weight in the score
    #: what the function must not use, as dotted names ("torch.softmax"): refused in every spelling that ends in
    #: the same name (``dlpath.grading.tasks._forbidden``); the judge reads the learner's files before they run
    forbid: tuple[str, ...] = ()
    instead: str = ""  #: what to write instead of a forbidden name, said with the diagnosis (required with forbid)


@dataclass(frozen=True)
class ExerciseSheet:
    """What the reader takes from an exercise folder's project.yaml."""

    exercises: tuple[ExerciseSpec, ...]
    starter: tuple[str, ...] = ()  #: codes the starter must get
    wrong: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  #: wrong answer -> codes it must get


def wrong_answers(folder: Path) -> list[str]:
    """The names of the wrong answers in ``folder/wrong/`` (``wrong/<name>.py``), sorted."""
    where = Path(folder) / WRONG_DIR
    return sorted(p.stem for p in where.glob("*.py")) if where.is_dir() else []


def read_sheet(reader: Any, keys: dict, folder: Path, task: Any, anchor: Any) -> ExerciseSheet:
    """The exercises and expectations of the exercise folder ``folder`` (problems go to ``reader``)."""
    from dlpath.grading.exercises import GRADING_FILE, declared

    exercises = _read_exercises(reader, keys)
    found = declared(folder)
    if found is None:
        reader.problem(anchor, f"the exercise folder has no readable {GRADING_FILE} (the judge's cases, "
                       "references and mistakes: docs/project-format.md, \"Exercises\")")
        names: dict[str, int] = {}
        codes: dict[str, int] = {}
    else:
        names, codes = found
        for spec in exercises:
            if spec.name not in names:
                reader.problem(anchor, f"{GRADING_FILE} defines no Exercise(\"{spec.name}\", ...) for the "
                               f"exercise {spec.signature}")
    for variant in ("starter", "solution"):
        if not (folder / variant / task.entry).is_file():
            reader.problem(anchor, f"the exercise folder has no {variant}/{task.entry}")
    wrong = wrong_answers(folder)
    if not wrong:
        reader.problem(anchor, f"the exercise folder has no wrong answer ({WRONG_DIR}/<name>.py): dev check "
                       "proves that each plausible mistake gets its explanation")
    starter, expected = _read_expect(reader, keys, task, set(codes), wrong, anchor)
    return ExerciseSheet(tuple(exercises), starter, expected)


def _read_exercises(reader: Any, keys: dict) -> list[ExerciseSpec]:
    out: list[ExerciseSpec] = []
    if "exercises" not in keys:
        return out
    node = keys["exercises"][1]
    items = getattr(node, "value", None)
    if not isinstance(items, list) or not items:
        reader.problem(node, "'exercises' must be a non-empty list of {function, title, points}")
        return out
    seen: set[str] = set()
    for i, item in enumerate(items, 1):
        entry = reader.mapping(item, f"exercise {i}")
        if entry is None:
            continue
        reader.check_keys(entry, item, f"exercise {i}", ("function", "title"), ("points", "forbid", "instead"))
        signature = reader.string(entry, "function", f"exercise {i}")
        title = reader.string(entry, "title", f"exercise {i}")
        points = reader.number(entry, "points", f"exercise {i}") or 1.0
        forbid, instead = _read_forbid(reader, entry, item, i)
        if signature is None or title is None:
            continue
        match = _SIGNATURE.match(signature.strip())
        params = [p.strip() for p in match.group(2).split(",")] if match and match.group(2).strip() else []
        bad = [p for p in params if not _PARAM.match(p)]
        if match is None or bad:
            reader.problem(entry["function"][1], f"exercise {i}: 'function' must be a Python signature such as "
                           f"softmax(x) or numerical_gradient(f, x, h=1e-5), not {signature!r}")
            continue
        name = match.group(1)
        if name in seen:
            reader.problem(entry["function"][1], f"exercise {i}: the function '{name}' is listed twice")
        seen.add(name)
        out.append(ExerciseSpec(name, tuple(_PARAM.match(p).group(1) for p in params),  # type: ignore[union-attr]
                                signature.strip(), title.strip(), points, forbid, instead))
    return out


def _read_forbid(reader: Any, entry: dict, item: Any, i: int) -> tuple[tuple[str, ...], str]:
    """An exercise's ``forbid:`` (dotted Python names) and ``instead:`` (what to write instead)."""
    forbid = reader.strings(entry, "forbid", f"exercise {i}")
    good = []
    for name in forbid:
        if _DOTTED.match(name.strip()):
            good.append(name.strip())
        else:
            reader.problem(entry["forbid"][1], f"exercise {i}: 'forbid' lists Python names such as "
                           f"torch.softmax or torch.nn.functional.linear, not {name!r}")
    instead = reader.string(entry, "instead", f"exercise {i}") or ""
    if good and not instead:
        reader.problem(item, f"exercise {i}: 'forbid' needs 'instead': what the learner writes in its place")
    if instead and "forbid" not in entry:
        reader.problem(entry["instead"][1], f"exercise {i}: 'instead' without 'forbid' says nothing")
    return tuple(good), " ".join(instead.split())


def _read_expect(reader: Any, keys: dict, task: Any, declared_codes: set[str], wrong: list[str],
                 anchor: Any) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    from dlpath.grading.diagnose import known_codes

    known = set(known_codes(task)) | declared_codes
    node = keys["expect"][1] if "expect" in keys else None
    entry = reader.mapping(node, "expect") if node is not None else {}
    if entry is None:
        return (), {}
    if node is not None:
        reader.check_keys(entry, node, "expect", (), ("starter", WRONG_DIR))

    def codes(where: Any, what: str) -> tuple[str, ...]:
        items = getattr(where, "value", None)
        if not isinstance(items, list):
            reader.problem(where, f"expect: {what} must be a list of diagnosis codes")
            return ()
        out = []
        for item in items:
            code = reader.scalar(item)
            if not isinstance(code, str) or code not in known:
                close = close_matches(str(code), sorted(known), n=1, cutoff=0.6)
                tail = f" (did you mean '{close[0]}'?)" if close else (
                    " (an exercise's own codes are the @mistake(\"...\") of its grading.py)")
                reader.problem(item, f"expect: {what}: unknown diagnosis code {code!r}{tail}")
            else:
                out.append(code)
        return tuple(out)

    starter = codes(entry["starter"][1], "starter") if "starter" in entry else ()
    expected: dict[str, tuple[str, ...]] = {}
    if WRONG_DIR in entry:
        answers = reader.mapping(entry[WRONG_DIR][1], f"expect: {WRONG_DIR}") or {}
        for name, (key_node, value_node) in answers.items():
            if name not in wrong:
                reader.problem(key_node, f"expect: {WRONG_DIR}: there is no {WRONG_DIR}/{name}.py")
            expected[name] = codes(value_node, f"{WRONG_DIR}: {name}")
    for name in wrong:
        if name not in expected:
            reader.problem(node if node is not None else anchor,
                           f"expect: {WRONG_DIR}: the wrong answer {WRONG_DIR}/{name}.py has no expected codes "
                           "(say which diagnosis it must get)")
    if not starter:
        reader.problem(node if node is not None else anchor, "expect: starter: say which codes the starter must get "
                       "(usually [exercise-not-done])")
    return starter, expected
