"""The fast hardware profile: what `dlpath next` and the grader need, from NVML alone.

It never imports torch and reads only a few NVML fields, so it adds little to
a command's start. It never raises: whatever goes wrong ends up in `error`.

`DLPATH_FAKE_GPU` overrides detection, so tests and instructors can simulate
hardware (for example to see which lessons `dlpath next` offers on a big GPU):

    DLPATH_FAKE_GPU="NVIDIA H100 80GB HBM3:81559"            one GPU: name:MiB
    DLPATH_FAKE_GPU="NVIDIA T4:15360,NVIDIA T4:15360"         several, comma-separated
    DLPATH_FAKE_GPU=none                                      no GPU at all

A fake GPU counts as a CUDA GPU; `CUDA_VISIBLE_DEVICES` does not apply to it.
A value dlpath cannot read is reported (`check_fake_gpu`, `BadFakeGpu`), not ignored.

The real reading is cached in the data home (`dlpath.hardware.cache`): a GPU
machine pays for NVML once per boot, driver and set of GPUs, not per command.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

from dlpath.errors import UsageError
from dlpath.hardware.nvml import GpuInfo, NvmlReading, read_nvml
from dlpath.hardware.visibility import cuda_visibility

__all__ = [
    "GpuBrief", "HardwareProfile", "fast_profile", "profile_from_reading", "FAKE_GPU_VARIABLE",
    "BadFakeGpu", "check_fake_gpu",
]

FAKE_GPU_VARIABLE = "DLPATH_FAKE_GPU"


class BadFakeGpu(UsageError):
    """DLPATH_FAKE_GPU is set to something dlpath cannot read."""


@dataclass(frozen=True)
class GpuBrief:
    """One GPU, as much as lesson gating needs."""

    index: int
    name: str
    memory_total_mib: int | None
    usable_memory_mib: int | None  # what one CUDA program gets: the largest MIG instance under MIG
    visible: bool  # not hidden by CUDA_VISIBLE_DEVICES (and, under MIG, split into instances)


@dataclass(frozen=True)
class HardwareProfile:
    """What the driver sees, cheaply: enough to gate lessons and pick a grading device."""

    nvml_available: bool
    gpus: tuple[GpuBrief, ...]
    cuda_gpu: bool  # an NVIDIA GPU the driver sees and CUDA_VISIBLE_DEVICES does not hide
    max_vram_gb: float | None  # the most memory one CUDA program gets on a visible GPU, GiB
    error: str | None  # why NVML said nothing, when it did not
    source: str = "nvml"  # "nvml", or "fake" when DLPATH_FAKE_GPU is set


def fast_profile(nvml: Any = None, environ: Mapping[str, str] | None = None) -> HardwareProfile:
    """The hardware profile from NVML only (or `DLPATH_FAKE_GPU`). Never raises.

    `nvml` is a stand-in for the `pynvml` module (tests); None imports the real
    one, lazily, and, for this process's own environment, goes through the cache
    in the data home.
    """
    env = os.environ if environ is None else environ
    try:
        fake = env.get(FAKE_GPU_VARIABLE)
        if fake is not None:
            return _fake_profile(fake)
        if nvml is None and environ is None:
            from dlpath.hardware.cache import cached_reading

            return profile_from_reading(cached_reading(lambda: read_nvml(None, brief=True)), env)
        return profile_from_reading(read_nvml(nvml, brief=True), env)
    except Exception as exc:  # a bug here must not stop `dlpath next`
        return HardwareProfile(False, (), False, None, f"hardware detection failed ({type(exc).__name__}: {exc})")


def _usable_mib(gpu: GpuInfo) -> int | None:
    if gpu.mig_enabled:
        sizes = [m.memory_total_mib for m in gpu.mig_devices if m.memory_total_mib is not None]
        return max(sizes) if sizes else None
    return gpu.memory_total_mib


def profile_from_reading(reading: NvmlReading, environ: Mapping[str, str]) -> HardwareProfile:
    """The profile that a full or brief NVML reading implies."""
    status = reading.status
    gpus = [g for g in reading.gpus if g.ok]
    visibility = cuda_visibility(
        [(g.index, g.uuid, [m.uuid for m in g.mig_devices]) for g in gpus], environ
    )
    briefs = []
    for gpu in gpus:
        usable = _usable_mib(gpu)
        split_empty = bool(gpu.mig_enabled) and not gpu.mig_devices
        briefs.append(
            GpuBrief(
                index=gpu.index,
                name=gpu.name or f"GPU {gpu.index}",
                memory_total_mib=gpu.memory_total_mib,
                usable_memory_mib=usable,
                visible=gpu.index in visibility.visible and not split_empty,
            )
        )
    usable_sizes = [b.usable_memory_mib for b in briefs if b.visible and b.usable_memory_mib is not None]
    return HardwareProfile(
        nvml_available=status.available,
        gpus=tuple(briefs),
        cuda_gpu=any(b.visible for b in briefs),
        max_vram_gb=round(max(usable_sizes) / 1024, 1) if usable_sizes else None,
        error=status.error,
    )


def _fake_problem(value: str) -> str:
    return (f"{FAKE_GPU_VARIABLE}={value!r} is not understood: write NAME:MiB "
            f"(e.g. 'NVIDIA T4:15360'), several separated by commas, or 'none'")


def _fake_gpus(value: str) -> list[GpuBrief] | None:
    """The GPUs a DLPATH_FAKE_GPU value names ([] for none), or None when it cannot be read."""
    text = value.strip()
    if text.lower() in ("", "none", "0", "no"):
        return []
    briefs = []
    for index, entry in enumerate(part.strip() for part in text.split(",")):
        name, sep, mib = entry.rpartition(":")
        if not sep or not name.strip() or not mib.strip().isdigit() or int(mib) <= 0:
            return None
        memory = int(mib)
        briefs.append(GpuBrief(index, name.strip(), memory, memory, True))
    return briefs


def check_fake_gpu(environ: Mapping[str, str] | None = None) -> None:
    """`BadFakeGpu` when DLPATH_FAKE_GPU is set to something dlpath cannot read."""
    env = os.environ if environ is None else environ
    value = env.get(FAKE_GPU_VARIABLE)
    if value is not None and _fake_gpus(value) is None:
        raise BadFakeGpu(
            _fake_problem(value) + ".",
            hint=f"Fix it, or remove it to detect the real hardware (unset {FAKE_GPU_VARIABLE}).",
        )


def _fake_profile(value: str) -> HardwareProfile:
    briefs = _fake_gpus(value)
    if briefs is None:
        return HardwareProfile(False, (), False, None, _fake_problem(value), source="fake")
    if not briefs:
        return HardwareProfile(False, (), False, None, None, source="fake")
    return HardwareProfile(
        nvml_available=True,
        gpus=tuple(briefs),
        cuda_gpu=True,
        max_vram_gb=round(max(b.memory_total_mib or 0 for b in briefs) / 1024, 1),
        error=None,
        source="fake",
    )
