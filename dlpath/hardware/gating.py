"""Which lessons the hardware allows: one rule, shared by `dlpath next` and `dlpath gpu`.

A lesson's `requires` (see docs/curriculum-format.md) may ask for a CUDA GPU
and a minimum of GPU memory. `unmet_requirements` says, in words, what this
machine lacks for it; an empty answer means the lesson is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlpath.hardware.profile import HardwareProfile

__all__ = ["LessonAccess", "unmet_requirements", "lesson_access"]


@dataclass
class LessonAccess:
    """One lesson that needs a GPU, and whether this machine may take it."""

    id: str
    title: str
    open: bool
    reason: str  # why it is closed, or what it needs when open


def _field(requires: Any, name: str) -> Any:
    if requires is None:
        return None
    if isinstance(requires, dict):
        return requires.get(name)
    return getattr(requires, name, None)


def unmet_requirements(requires: Any, profile: HardwareProfile) -> tuple[str, ...]:
    """What the machine in `profile` lacks for a lesson's `requires`; () when nothing."""
    min_vram = _field(requires, "min_vram_gb")
    needs_cuda = bool(_field(requires, "cuda")) or min_vram is not None
    if not needs_cuda:
        return ()
    if not profile.cuda_gpu:
        return ("needs an NVIDIA GPU that CUDA can use; none was found",)
    if min_vram is not None and (profile.max_vram_gb is None or profile.max_vram_gb < float(min_vram)):
        have = "an unknown amount" if profile.max_vram_gb is None else f"{profile.max_vram_gb:g} GB"
        return (f"needs {float(min_vram):g} GB of GPU memory; the largest GPU here has {have}",)
    return ()


def _needs(requires: Any) -> str:
    min_vram = _field(requires, "min_vram_gb")
    return "a CUDA GPU" + (f" with {float(min_vram):g} GB" if min_vram is not None else "")


def lesson_access(curriculum: Any, profile: HardwareProfile) -> list[LessonAccess]:
    """Every lesson of `curriculum` with hardware requirements, open or closed on `profile`."""
    result = []
    for lesson in getattr(curriculum, "lessons", ()):
        requires = getattr(lesson, "requires", None)
        if not (_field(requires, "cuda") or _field(requires, "min_vram_gb") is not None):
            continue
        unmet = unmet_requirements(requires, profile)
        result.append(
            LessonAccess(
                id=lesson.id,
                title=lesson.title,
                open=not unmet,
                reason="; ".join(unmet) if unmet else f"needs {_needs(requires)}: you have it",
            )
        )
    return result
