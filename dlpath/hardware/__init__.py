"""Hardware: what the driver sees (NVML), what PyTorch can use, and what that means.

Two entry points:

- `fast_profile()`: NVML only, never imports torch, cheap, and cached in the
  data home (`dlpath.hardware.cache`); `dlpath next` and the grader use it to
  gate GPU-only lessons and pick a device. `DLPATH_FAKE_GPU` simulates
  hardware for it (see `dlpath.hardware.profile`; `check_fake_gpu` reports a
  value it cannot read).
- `gpu_report()`: the full report of `dlpath gpu` (NVML, torch, CPU,
  diagnoses, recommendations); imports torch lazily.

`unmet_requirements(lesson.requires, profile)` is the one rule that says
whether a lesson's hardware needs are met.

Nothing here imports torch, pynvml, typer or rich at import time.
"""

from __future__ import annotations

from typing import Any

from dlpath.hardware.gating import LessonAccess, lesson_access, unmet_requirements
from dlpath.hardware.profile import (
    FAKE_GPU_VARIABLE,
    BadFakeGpu,
    GpuBrief,
    HardwareProfile,
    check_fake_gpu,
    fast_profile,
)

__all__ = [
    "fast_profile",
    "HardwareProfile",
    "GpuBrief",
    "FAKE_GPU_VARIABLE",
    "BadFakeGpu",
    "check_fake_gpu",
    "gpu_report",
    "GpuReport",
    "Recommendations",
    "HardwareFinding",
    "unmet_requirements",
    "lesson_access",
    "LessonAccess",
]


def gpu_report(*args: Any, **kwargs: Any) -> Any:
    """The full `dlpath gpu` report; see `dlpath.hardware.report.gpu_report`."""
    from dlpath.hardware.report import gpu_report as build

    return build(*args, **kwargs)


def __getattr__(name: str) -> Any:
    # The report's types live in modules `next` does not need; load them on first use.
    if name in ("GpuReport", "Recommendations"):
        from dlpath.hardware import report

        return getattr(report, name)
    if name == "HardwareFinding":
        from dlpath.hardware.findings import HardwareFinding

        return HardwareFinding
    raise AttributeError(f"module 'dlpath.hardware' has no attribute {name!r}")
