"""Errors that dlpath raises on purpose, and the exit statuses they map to.

Core modules raise these with everything the user needs to act (file, line,
suggestions, the next step). The CLI maps them to a message and an exit status
in one place (`dlpath.cli.main`); no other module prints an error.

Each module may define its own subclasses next to the code that raises them;
they only need to subclass `DlpathError` (or one of the classes below) so the
handler knows the exit status.
"""

from __future__ import annotations

import enum

__all__ = [
    "ExitStatus",
    "DlpathError",
    "UsageError",
    "NotYet",
    "EnvironmentProblem",
]


class ExitStatus(enum.IntEnum):
    """Exit statuses of every dlpath command."""

    OK = 0
    NOT_YET = 1  # the learner's work is not there yet (a failed grade, a lesson not done)
    USAGE = 2  # bad input, bad usage, or an environment problem dlpath cannot fix


class DlpathError(Exception):
    """Base of every error dlpath reports to the user without a traceback."""

    exit_status: ExitStatus = ExitStatus.USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(DlpathError):
    """The command was used wrongly or given bad input (exit 2)."""


class NotYet(DlpathError):
    """The learner's work is not there yet (exit 1)."""

    exit_status = ExitStatus.NOT_YET


class EnvironmentProblem(DlpathError):
    """Something outside dlpath stops it: a full disk, a missing package (exit 2)."""
