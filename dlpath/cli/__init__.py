"""The `dlpath` command line: Typer wiring only.

A command parses its arguments, calls one core function, and renders the
result (rich for people, `--json` for programs). Errors raised in the core
(`dlpath.errors.DlpathError`) become a message and an exit status here, in
`_fail`, and nowhere else.

Command modules register on `app` with the `command` decorator below and keep
their heavy imports (torch, rich.markdown, the grader) inside the functions,
so that `dlpath next` starts fast.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import typer

from dlpath import __version__
from dlpath.errors import DlpathError, ExitStatus

__all__ = ["app", "command", "state", "main"]

app = typer.Typer(
    name="dlpath",
    help="A tutor from zero to a deep-learning specialization: "
    "`dlpath next` says what to do now.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _State:
    """Options given before the command, shared by every command."""

    curriculum: Optional[Path] = None
    debug: bool = False


state = _State()


def _debug() -> bool:
    return state.debug or os.environ.get("DLPATH_DEBUG", "") not in ("", "0")


def _fail(message: str, status: int, hint: str | None = None) -> None:
    from dlpath.render.console import error_console

    err = error_console()
    err.print(f"Error: {message}", style="bold red", markup=False, highlight=False, soft_wrap=True)
    if hint:
        err.print(hint, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(int(status))


def _wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` with dlpath's errors mapped to a message and an exit status."""

    @functools.wraps(fn)
    def wrapper(*a: Any, **k: Any) -> Any:
        try:
            return fn(*a, **k)
        except (typer.Exit, typer.Abort):
            raise
        except DlpathError as exc:
            if _debug():
                raise
            _fail(exc.message, exc.exit_status, exc.hint)
        except KeyboardInterrupt:
            _fail("interrupted.", 130)
        except OSError as exc:
            if _debug():
                raise
            _fail(_describe_os_error(exc), ExitStatus.USAGE)
        except Exception as exc:  # a bug in dlpath: say so, without a wall of text
            if _debug():
                raise
            _fail(
                f"dlpath hit an internal error ({type(exc).__name__}: {exc}).",
                ExitStatus.USAGE,
                "Run it again with `dlpath --traceback ...` (or DLPATH_DEBUG=1) "
                "to see where, and please report it.",
            )

    return wrapper


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a command on `app`, mapping dlpath's errors to exit statuses."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        return app.command(*args, **kwargs)(_wrap(fn))

    return decorate


def _describe_os_error(exc: OSError) -> str:
    import errno

    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if exc.errno == errno.ENOSPC:
        return f"the disk is full{where}: free some space and run the command again; nothing was lost."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied{where}: check the folder's permissions."
    return f"{exc.strerror or exc}{where}."


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dlpath {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    curriculum: Optional[Path] = typer.Option(
        None,
        "--curriculum",
        envvar="DLPATH_CURRICULUM",
        help="Use the curriculum in this folder instead of the one dlpath ships.",
    ),
    traceback: bool = typer.Option(
        False, "--traceback", help="Show the full stack when something fails (or set DLPATH_DEBUG=1)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """A tutor from zero to a deep-learning specialization: `dlpath next` says what to do now."""
    state.curriculum = curriculum
    state.debug = traceback


def _register() -> None:
    # Each module adds its commands to `app` when imported.
    import importlib

    for name in ("lessons", "hardware", "projects", "quiz"):
        try:
            importlib.import_module(f"dlpath.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"dlpath.cli.{name}":
                raise


_register()


def main() -> None:
    """Entry point of the `dlpath` console script."""
    try:
        app(prog_name="dlpath")
    except KeyboardInterrupt:
        sys.stderr.write("interrupted.\n")
        sys.exit(130)
