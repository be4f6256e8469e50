"""The YAML reader shared by the curriculum and `project.yaml`: every problem at once, with file and line.

Loading uses YAML safe loading only (the C loader when present) and keeps the
line of every node. A `Reader` turns nodes into values and collects each
`Problem` (file, line, message) instead of stopping at the first.
"""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from dlpath.text import clean, close_matches

__all__ = ["Problem", "Reader", "printable", "describe", "no_gc"]

STR_TAG = "tag:yaml.org,2002:str"

try:  # the C loader is many times faster; fall back to the pure-Python one
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class Problem:
    """One thing wrong with a curriculum, where it is."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"



class Reader:
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
        if node.tag == STR_TAG:  # most values: no need for the constructor
            return node.value if node.value.isprintable() else printable(node.value)
        try:
            value = self._constructor.construct_object(node, deep=True)
            return printable(value) if isinstance(value, str) and not value.isprintable() else value
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
                close = close_matches(key, sorted(allowed), n=1, cutoff=0.6)
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
            self.problem(node, f"{what}: '{key}' must be a non-empty text, not {describe(value)}")
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
                self.problem(item, f"{what}: every item of '{key}' must be a text, not {describe(value)}")
            else:
                out.append(value)
        return tuple(out)

    def number(self, keys: dict, key: str, what: str) -> float | None:
        if key not in keys:
            return None
        node = keys[key][1]
        value = self.scalar(node)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            self.problem(node, f"{what}: '{key}' must be a number above 0, not {describe(value)}")
            return None
        return float(value)

def printable(text: str) -> str:
    """A course's text without escape sequences or control characters (they would drive the terminal)."""
    return clean(text)


def describe(value: Any) -> str:
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

@contextlib.contextmanager
def no_gc() -> Iterator[None]:
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

