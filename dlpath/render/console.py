"""Consoles and JSON output shared by every renderer.

rich already follows `NO_COLOR` and writes no ANSI codes when the output is
not a terminal; JSON is written with the standard library so it is never
coloured or wrapped.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

__all__ = ["console", "error_console", "jsonable", "print_json", "clean"]

# Escape sequences (CSI, OSC, and two-character ESC ones), then any control character but tab and newline,
# the C1 controls, and the Unicode bidirectional overrides that can disguise text.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|\x1b[@-Z\\\\-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """`text` with escape sequences and control characters removed: text that came from outside
    dlpath (a learner's output, an imported file, a course's YAML) must not drive the terminal."""
    if not isinstance(text, str):
        text = str(text)
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def console() -> Console:
    """A console on standard output."""
    return Console(file=sys.stdout, highlight=False)


def error_console() -> Console:
    """A console on standard error, for messages about failures."""
    return Console(file=sys.stderr, highlight=False)


def jsonable(value: Any) -> Any:
    """`value` made of dicts, lists, strings, numbers, booleans and None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return None
    return value


def print_json(value: Any) -> None:
    """Write `value` as indented JSON on standard output."""
    import json
    sys.stdout.write(json.dumps(jsonable(value), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
