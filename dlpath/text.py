"""Text that came from outside dlpath, made safe for a terminal (no rich, no torch: core modules use it)."""

from __future__ import annotations

import re

__all__ = ["clean"]

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
