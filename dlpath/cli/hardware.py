"""`dlpath gpu`: what hardware you have, whether PyTorch can use it, and what that means."""

from __future__ import annotations

from typing import Any

import typer

from dlpath.cli import JSON, command, emit, state

__all__ = ["gpu"]


def _curriculum() -> tuple[Any, str | None]:
    """The curriculum for the lesson list, or None and why (a broken one must not stop the report)."""
    from dlpath.course.loading import load_curriculum
    from dlpath.errors import DlpathError

    try:
        return load_curriculum(state.curriculum), None
    except DlpathError as exc:
        first = exc.message.splitlines()[0].rstrip(":")
        return None, f"GPU-only lessons are not listed: {first} (`dlpath validate` shows every problem)."


@command("gpu")
def gpu(
    json: bool = JSON,
    check_import: bool = typer.Option(
        False, "--check-import",
        help="Also import torch on a CPU-only build, to prove it loads (slower; a GPU build is always imported).",
    ),
) -> None:
    """What hardware you have, whether PyTorch can use it, and what that means for you.

    Exits 0 whatever the hardware; problems are reported as diagnoses with a fix.
    """
    from dlpath.hardware import check_fake_gpu, gpu_report

    check_fake_gpu()
    curriculum, note = _curriculum()
    report = gpu_report(curriculum, lessons_note=note, import_torch=check_import)
    from dlpath.render import hardware as render

    emit(report, render.gpu_report, json)
