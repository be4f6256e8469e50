"""Consoles and JSON output shared by every renderer.

rich already follows `NO_COLOR` and writes no ANSI codes when the output is
not a terminal; JSON is written with the standard library so it is never
coloured or wrapped.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console

from dlpath.jsonable import jsonable
from dlpath.text import clean

__all__ = ["console", "error_console", "jsonable", "print_json", "in_notebook_shell", "hanging", "wrap_hanging", "clean"]

# Set in the shell that a notebook's `!command` runs in (Jupyter starts kernels with
# JPY_PARENT_PID or JPY_SESSION_NAME; Colab and Kaggle set their own); DLPATH_NOTEBOOK=1
# forces notebook output, DLPATH_NOTEBOOK=0 turns it off.
_NOTEBOOK_VARIABLES = ("JPY_PARENT_PID", "JPY_SESSION_NAME", "COLAB_RELEASE_TAG", "KAGGLE_KERNEL_RUN_TYPE")


def in_notebook_shell() -> bool:
    """Whether this process runs under a notebook's `!command` (a pseudo-terminal that is not a terminal).

    There, colours work but cursor movement does not: a live display would leave a
    trail of half-drawn frames and stray escape codes.
    """
    forced = os.environ.get("DLPATH_NOTEBOOK")
    if forced is not None and forced.strip() != "":
        return forced.strip() not in ("0", "no", "false")
    return any(os.environ.get(v) for v in _NOTEBOOK_VARIABLES)


def _console(file: Any) -> Console:
    if in_notebook_shell() and not _inside_kernel():
        # Plain lines (no live display, no cursor codes), colours kept: notebooks render them.
        color = None if os.environ.get("NO_COLOR") else "standard"
        return Console(file=file, highlight=False, force_terminal=False, force_interactive=False,
                       color_system=color, width=_notebook_width())
    return Console(file=file, highlight=False)


def _inside_kernel() -> bool:
    """Whether this is the notebook's kernel itself (the Python API), where rich renders HTML."""
    return "ipykernel" in sys.modules


def _notebook_width() -> int:
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return 100




def console() -> Console:
    """A console on standard output."""
    return _console(sys.stdout)


def error_console() -> Console:
    """A console on standard error, for messages about failures."""
    return _console(sys.stderr)


class _Hanging:
    """`prefix` then `body`, wrapped lines aligned under the body; no trailing spaces."""

    def __init__(self, prefix: Any, body: Any, indent: int) -> None:
        self.prefix = prefix
        self.body = body
        self.indent = indent

    def __rich_console__(self, console: Console, options: Any) -> Any:
        from rich.text import Text

        lead = self.indent + self.prefix.cell_len
        lines = self.body.wrap(console, max(10, options.max_width - lead))
        out = Text()
        for i, line in enumerate(lines):
            if i:
                out.append("\n" + " " * lead)
            else:
                out.append(" " * self.indent)
                out.append_text(self.prefix)
            line.rstrip()
            out.append_text(line)
        yield out


def hanging(prefix: Any, text: Any, *, style: str = "", indent: int = 0) -> Any:
    """`prefix` then `text`, wrapped lines aligned under the text (a bullet with a hanging indent).

    `prefix` and `text` are strings or rich Texts; strings are printed as they are (no markup).
    """
    from rich.text import Text

    head = prefix if isinstance(prefix, Text) else Text(prefix, style=style)
    body = text if isinstance(text, Text) else Text(str(text))
    return _Hanging(head, body, indent)


def wrap_hanging(text: str, width: int, prefix: str) -> str:
    """`prefix` + `text` wrapped to `width` columns, continuation lines indented under the text.

    For the hot path (`dlpath next` prints one Text): plain string work, no layout pass.
    """
    import textwrap

    room = max(10, width - len(prefix))
    lines = textwrap.wrap(text, room, break_long_words=False, break_on_hyphens=False) or [""]
    pad = " " * len(prefix)
    return prefix + ("\n" + pad).join(lines)


def print_json(value: Any) -> None:
    """Write `value` as indented JSON on standard output."""
    import json
    sys.stdout.write(json.dumps(jsonable(value), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
