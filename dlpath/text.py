"""Text that came from outside dlpath, made safe for a terminal (no rich, no torch: core modules use it)."""

from __future__ import annotations

import enum
import re

__all__ = ["clean", "close_matches", "or_list", "ordinal", "TextEnum"]

# Escape sequences (CSI, OSC, and two-character ESC ones), then any control character but tab and newline,
# the C1 controls, and the Unicode bidirectional overrides that can disguise text.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """`text` with escape sequences and control characters removed: text that came from outside
    dlpath (a learner's output, an imported file, a course's YAML) must not drive the terminal."""
    if not isinstance(text, str):
        text = str(text)
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def close_matches(word: str, candidates: list[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    """The candidates closest to `word` (for "did you mean ...?")."""
    import difflib  # only when something is wrong: keep it off the start-up path

    return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)


def or_list(items: list[str]) -> str:
    """'a', 'b' or 'c'."""
    quoted = [f"'{i}'" for i in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


class TextEnum(str, enum.Enum):
    """An enum whose members are their text: equal to it, printed as it, written to JSON as it."""

    def __str__(self) -> str:
        return str(self.value)


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def ordinal(n: int) -> str:
    """1 -> "first", ..., 10 -> "tenth", 11 -> "11th", 22 -> "22nd"."""
    if 1 <= n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
