"""The `dlpath` command line: Typer wiring only.

A command parses its arguments, calls one core function, and renders the
result (rich for people, `--json` for programs). Errors raised in the core
(`dlpath.errors.DlpathError`) become a message and an exit status here, in
`_fail`, and nowhere else. Under `--json` (or `--format json`) the same error
is a JSON object on standard output instead, `{"error": {"code", "message",
"hint"}}`, for every command, usage errors included (`_Group.main`).

Ctrl-C (or the end of input at a prompt) exits 130 with "Error: interrupted."
everywhere; a closed pipe (`dlpath map | head`) exits quietly.

Command modules register on `app` with the `command` decorator below and keep
their heavy imports (torch, rich.markdown, the grader) inside the functions,
so that `dlpath next` starts fast.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

import typer
from typer.core import TyperGroup

from dlpath.version import __version__
from dlpath.errors import DlpathError, ExitStatus, UsageError

__all__ = ["app", "command", "state", "main", "invoked_command", "error_code", "NoTerminal", "interactive", "ask_choice", "JSON", "emit"]

INTERRUPTED = 130  # the shell's status for a process stopped by Ctrl-C (128 + SIGINT)

# click's base exception; Typer >= 0.20 vendors click, older versions use it as is.
_ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _json_wanted(argv: Sequence[str]) -> bool:
    """Whether the command line asks for JSON output (`--json`, `--format json`)."""
    args = list(argv)
    if "--json" in args or "--format=json" in args:
        return True
    return any(a == "--format" and b == "json" for a, b in zip(args, args[1:]))


class _Group(TyperGroup):
    """The top-level group: usage errors under --json become a JSON error object too."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode or not _json_wanted(argv):
            return super().main(args=argv, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=standalone_mode, **extra)
        try:
            code = super().main(args=argv, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=False, **extra)
        except _ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx is not None else "dlpath"
            _print_json_error("bad-usage", exc.format_message(), f"Run `{where} --help` to see how to use it.")
            code = exc.exit_code
        except typer.Abort:
            _print_json_error("interrupted", "interrupted.", None)
            code = INTERRUPTED
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_Group,
    name="dlpath",
    help="A tutor from zero to a deep-learning specialization: "
    "`dlpath next` says what to do now.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


#: The `--json` option of every command that prints a report (its shape is in docs/json.md).
JSON = typer.Option(False, "--json", help="Print JSON (shape documented in docs/json.md).")


def emit(data: Any, render: Callable[..., None], json: bool = False, **options: Any) -> None:
    """Print a command's result: the data itself under `--json`, else `render(data, console, **options)`.

    Every command that prints a report ends here, so `--json` and the text come from the same data.
    """
    from dlpath.render.console import console, print_json

    if json:
        print_json(data)
    else:
        render(data, console(), **options)


class _State:
    """Options given before the command, shared by every command."""

    curriculum: Optional[Path] = None
    debug: bool = False


state = _State()


def _debug() -> bool:
    return state.debug or os.environ.get("DLPATH_DEBUG", "") not in ("", "0")


def error_code(exc: BaseException) -> str:
    """The stable code of an error in JSON: its `code` attribute, else its class name in kebab case.

    `UnknownLesson` -> "unknown-lesson", `StoreDamaged` -> "store-damaged".
    """
    explicit = getattr(exc, "code", None)
    if isinstance(explicit, str) and explicit:
        return explicit
    return re.sub(r"(?<!^)(?=[A-Z])", "-", type(exc).__name__).lower()


def _print_json_error(code: str, message: str, hint: str | None) -> None:
    from dlpath.render.console import print_json

    print_json({"error": {"code": code, "message": message, "hint": hint}})


def _fail(message: str, status: int, hint: str | None = None, *, code: str = "error", as_json: bool = False) -> None:
    if as_json:
        _print_json_error(code, message, hint)
        raise typer.Exit(int(status))
    from dlpath.render.console import error_console

    err = error_console()
    err.print(f"Error: {message}", style="bold red", markup=False, highlight=False, soft_wrap=True)
    if hint:
        err.print(hint, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(int(status))


def _json_requested(params: dict[str, Any]) -> bool:
    """Whether a command's parameters ask for JSON: `--json`, or a format option set to json."""
    if params.get("json") is True:
        return True
    return any(v == "json" for k, v in params.items() if "format" in k or k in ("fmt", "output"))


def _wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` with dlpath's errors mapped to a message (or a JSON error) and an exit status."""

    @functools.wraps(fn)
    def wrapper(*a: Any, **k: Any) -> Any:
        as_json = _json_requested(k)
        try:
            return fn(*a, **k)
        except typer.Exit:
            raise
        except (KeyboardInterrupt, typer.Abort):  # Ctrl-C, or the end of input at a prompt
            _fail("interrupted.", INTERRUPTED, code="interrupted", as_json=as_json)
        except DlpathError as exc:
            if _debug():
                raise
            _fail(exc.message, exc.exit_status, exc.hint, code=error_code(exc), as_json=as_json)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise  # the reader went away (`dlpath map | head`): Typer exits quietly
            if _debug():
                raise
            _fail(_describe_os_error(exc), ExitStatus.USAGE, code="os-error", as_json=as_json)
        except Exception as exc:  # a bug in dlpath: say so, without a wall of text
            if _debug():
                raise
            _fail(
                f"dlpath hit an internal error ({type(exc).__name__}: {exc}).",
                ExitStatus.USAGE,
                "Run it again with `dlpath --traceback ...` (or DLPATH_DEBUG=1) "
                "to see where, and please report it.",
                code="internal-error",
                as_json=as_json,
            )

    return wrapper


class NoTerminal(UsageError):
    """A command cannot ask questions: no terminal and no --answers."""


def interactive() -> bool:
    """Whether a command can ask questions: standard input is a terminal, and not a notebook's `!command` (whose
    pseudo-terminal never passes an answer on: a prompt there waits for ever)."""
    from dlpath.render.console import in_notebook_shell

    try:
        return sys.stdin.isatty() and not in_notebook_shell()
    except (AttributeError, ValueError):
        return False


def ask_choice(n: int, out: Any) -> int:
    """Prompt until the learner types a choice number from 1 to `n` (quiz and review)."""
    while True:
        raw = typer.prompt(f"Your answer (1-{n})", prompt_suffix=": ").strip()
        if raw.isdigit() and 1 <= int(raw) <= n:
            return int(raw)
        out.print(f"Type a number from 1 to {n}.", markup=False)


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a command on `app`, mapping dlpath's errors to exit statuses."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        return app.command(*args, **kwargs)(_wrap(fn))

    return decorate


def _describe_os_error(exc: OSError) -> str:
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

    for name in ("lessons", "hardware", "projects", "quiz", "companion", "classroom"):
        importlib.import_module(f"dlpath.cli.{name}")


_register()


def invoked_command(argv: Sequence[str]) -> str | None:
    """The command a command line names: its first argument that is neither an option nor `--curriculum`'s
    value (None for `dlpath`, `dlpath --help`, `dlpath --version`)."""
    args = iter(argv)
    for arg in args:
        if arg == "--curriculum":
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def _command_name(info: Any) -> str:
    from typer.main import get_command_name

    return info.name or get_command_name(info.callback.__name__)


@contextlib.contextmanager
def _only(name: str | None) -> Iterator[None]:
    """While running, `app` holds only the command `name` (with its subcommands, for a group), when it has one:
    Typer builds every registered command's parameters at each start, a fifth of what `dlpath next` adds to its
    imports. Any other command line (`--help`, a misspelt command and its suggestions) sees every command."""
    commands = [c for c in app.registered_commands if _command_name(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        yield
        return
    saved = app.registered_commands[:], app.registered_groups[:]
    app.registered_commands[:], app.registered_groups[:] = commands, groups
    try:
        yield
    finally:
        app.registered_commands[:], app.registered_groups[:] = saved


def main() -> None:
    """Entry point of the `dlpath` console script."""
    try:
        with _only(invoked_command(sys.argv[1:])):
            app(prog_name="dlpath")
    except KeyboardInterrupt:  # outside a command (while starting up): the same words as inside one
        sys.stderr.write("Error: interrupted.\n")
        sys.exit(INTERRUPTED)
