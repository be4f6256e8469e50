"""`dlpath gpu`: the whole hardware report, and what it means for the learner.

`gpu_report()` returns a `GpuReport` whose fields are the `--json` shape:

    {
      "nvml":  {"available", "driver_version", "cuda_driver_version", "bindings_version",
                "error", "error_kind"},
      "gpus":  [{"index", "name", "uuid", "memory_total_mib", "memory_used_mib",
                 "memory_free_mib", "compute_capability", "utilization_gpu_pct",
                 "utilization_memory_pct", "temperature_c", "power_draw_w", "power_limit_w",
                 "mig_enabled", "mig_devices": [{"index", "uuid", "memory_total_mib",
                 "memory_free_mib"}], "process_count", "visible_to_cuda",
                 "arch_in_torch_build", "ok", "error", "unsupported", "query_errors"}],
      "torch": {"installed", "version", "build", "cuda_version", "hip_version",
                "cuda_available", "device_count", "arch_list", "cudnn_version",
                "bf16_supported", "tf32_supported", "fp8_supported", "mps_built",
                "mps_available", "devices": [...], "error", "cuda_error"},
      "cpu":   {"model", "logical_cores", "usable_cores", "ram_total_mib",
                "ram_available_mib", "os", "python", "nvidia_pci_devices"},
      "diagnoses": [{"code", "severity", "message", "fix"}],
      "recommendations": {"device", "device_reason", "precision", "precision_reason",
                "memory_basis", "free_memory_mib", "headroom", "bytes_per_parameter",
                "max_trainable_parameters", "parameter_arithmetic", "dataloader_workers",
                "workers_reason", "lessons": [{"id", "title", "open", "reason"}],
                "lessons_note"},
      "kernels": {"route", "numba_cuda", "tested", "compiler", "message", "install"}
    }

A field a device does not support is null. Every source is injectable, so
tests drive any machine without one: `nvml` (a stand-in for the `pynvml`
module), `torch_info` (a `TorchInfo`), `cpu` (a `CpuInfo`), `environ`, and
`deprecated_pynvml` (the version of a `pynvml` distribution, or None), and
`versions` (the installed version of a distribution, for the kernel route).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from dlpath.hardware import framework, system
from dlpath.hardware import nvml as nvml_side
from dlpath.hardware.findings import HardwareFinding, diagnose
from dlpath.hardware.framework import TorchInfo, arch_covers
from dlpath.hardware.gating import LessonAccess, lesson_access
from dlpath.hardware.kernels import KernelRoute, kernel_route
from dlpath.hardware.nvml import GpuInfo, NvmlStatus
from dlpath.hardware.profile import FAKE_GPU_VARIABLE, fast_profile, profile_from_reading
from dlpath.hardware.system import CpuInfo
from dlpath.hardware.visibility import cuda_visibility

__all__ = ["GpuReport", "Recommendations", "gpu_report", "HEADROOM", "BYTES_PER_PARAMETER"]

HEADROOM = 0.2  # keep a fifth of memory free for activations, the CUDA context, fragmentation
BYTES_PER_PARAMETER = {
    # mixed-precision Adam: 16-bit weights and gradients (2 + 2), fp32 master weights (4),
    # Adam's two moments (4 + 4), and ~2 for buffers -> about 18 bytes per trainable parameter
    "gpu": 18,
    # fp32 Adam on a CPU: weights, gradients and the two moments, 4 bytes each
    "cpu": 16,
}
_UNSET = object()


@dataclass
class Recommendations:
    """What the hardware means for the learner."""

    device: str  # "cuda" | "mps" | "cpu"
    device_reason: str
    precision: str  # "bf16" | "fp16-mixed" | "fp32"
    precision_reason: str
    memory_basis: str  # whose free memory the ceiling is computed from
    free_memory_mib: int | None
    headroom: float
    bytes_per_parameter: int
    max_trainable_parameters: int | None
    parameter_arithmetic: str
    dataloader_workers: int
    workers_reason: str
    lessons: list[LessonAccess] = field(default_factory=list)
    lessons_note: str | None = None


@dataclass
class GpuReport:
    """The `dlpath gpu` report; its fields are the `--json` shape."""

    nvml: NvmlStatus
    gpus: list[GpuInfo]
    torch: TorchInfo
    cpu: CpuInfo
    diagnoses: list[HardwareFinding]
    recommendations: Recommendations
    kernels: KernelRoute  #: how CUDA kernels written in Python run here (simulator, real CUDA, or not yet)


def gpu_report(
    curriculum: Any = None,
    *,
    nvml: Any = None,
    torch_info: TorchInfo | None = None,
    cpu: CpuInfo | None = None,
    environ: Mapping[str, str] | None = None,
    deprecated_pynvml: Any = _UNSET,
    lessons_note: str | None = None,
    import_torch: bool = False,
    versions: Any = None,
) -> GpuReport:
    """Read the driver, torch and the CPU, and explain what they mean. Never raises on hardware.

    `curriculum` (a `dlpath.course.model.Curriculum`, or None to skip) gives the
    GPU-only lessons to mark open or closed. `import_torch` imports torch
    even for a CPU-only build (see `dlpath.hardware.framework`).
    """
    env = dict(os.environ if environ is None else environ)
    reading = nvml_side.read_nvml(nvml)  # always afresh: this is the report that explains the hardware
    if nvml is None:
        from dlpath.hardware.cache import store_reading

        store_reading(reading)  # ... and the next `dlpath next` starts from it
    torch = torch_info if torch_info is not None else framework.probe_torch(full=import_torch)
    cpu = cpu if cpu is not None else system.read_system()
    if deprecated_pynvml is _UNSET:
        deprecated_pynvml = nvml_side.installed_version("pynvml")

    working = [g for g in reading.gpus if g.ok]
    visibility = cuda_visibility([(g.index, g.uuid, [m.uuid for m in g.mig_devices]) for g in working], env)
    for gpu in reading.gpus:
        split_empty = bool(gpu.mig_enabled) and not gpu.mig_devices  # MIG on, no instance: CUDA sees nothing
        gpu.visible_to_cuda = gpu.ok and gpu.index in visibility.visible and not split_empty
        if gpu.capability and (torch.is_cuda_build and not torch.is_rocm_build):
            gpu.arch_in_torch_build = arch_covers(torch.arch_list, gpu.capability)

    diagnoses = diagnose(reading, torch, cpu, visibility, deprecated_pynvml=deprecated_pynvml, environ=env)
    profile = fast_profile(environ=env) if FAKE_GPU_VARIABLE in env else profile_from_reading(reading, env)
    recommendations = _recommend(reading.gpus, torch, cpu)
    if curriculum is not None:
        recommendations.lessons = lesson_access(curriculum, profile)
        if recommendations.lessons and profile.cuda_gpu and not torch.cuda_available:
            lessons_note = lessons_note or (
                "Lessons marked open need PyTorch to use the GPU too: fix the errors above first."
            )
    recommendations.lessons_note = lessons_note
    kernels = kernel_route(profile.cuda_gpu, reading.status.cuda_driver_version, versions=versions, environ=env)
    return GpuReport(reading.status, reading.gpus, torch, cpu, diagnoses, recommendations, kernels)


def _usable(gpu: GpuInfo) -> tuple[int | None, int | None, str]:
    """(total, free, label) of what one program gets on `gpu`: under MIG, its largest instance."""
    if gpu.mig_enabled and gpu.mig_devices:
        best = max(gpu.mig_devices, key=lambda m: m.memory_total_mib or 0)
        return best.memory_total_mib, best.memory_free_mib, f"MIG instance {best.index} of GPU {gpu.index}"
    return gpu.memory_total_mib, gpu.memory_free_mib, f"GPU {gpu.index} ({gpu.name})"


def _humans(count: int) -> str:
    for size, word in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if count >= size:
            return f"{count / size:.1f} {word}"
    return str(count)


def _recommend(gpus: list[GpuInfo], torch: TorchInfo, cpu: CpuInfo) -> Recommendations:
    candidates = [g for g in gpus if g.ok and g.visible_to_cuda and not (g.mig_enabled and not g.mig_devices)]
    gpu: GpuInfo | None = None
    if torch.cuda_available and candidates:
        gpu = max(candidates, key=lambda g: (_usable(g)[1] or _usable(g)[0] or 0))

    if torch.cuda_available:
        device = "cuda"
        device_reason = "PyTorch can use the GPU: put the model and each batch on device 'cuda'."
    elif torch.mps_available:
        device = "mps"
        device_reason = "PyTorch can use this Mac's GPU through MPS: device 'mps'."
    else:
        device = "cpu"
        device_reason = (
            "PyTorch cannot use a GPU here (see the diagnoses), so train on the CPU."
            if any(g.ok for g in gpus)
            else "No GPU that PyTorch can use: train on the CPU, with small models."
        )

    precision, precision_reason = _precision(device, gpu, torch)

    if device == "cuda":
        if gpu is not None:
            _, free, label = _usable(gpu)
            basis = f"free memory of {label}"
        else:
            first = torch.devices[0] if torch.devices else None
            free = first.memory_total_mib if first else None
            basis = "total memory of CUDA device 0 (the driver gave no free figure)"
        per = BYTES_PER_PARAMETER["gpu"]
        what = "mixed-precision Adam"
    else:
        free = cpu.ram_available_mib if cpu.ram_available_mib is not None else cpu.ram_total_mib
        basis = "available RAM" if cpu.ram_available_mib is not None else "total RAM"
        if device == "mps":
            basis += " (shared with the Mac's GPU)"
        per = BYTES_PER_PARAMETER["cpu"]
        what = "fp32 Adam"
    if free is None:
        ceiling = None
        arithmetic = f"unknown: the {basis} could not be read"
    else:
        ceiling = int(free * 1024 * 1024 * (1 - HEADROOM) / per)
        arithmetic = (
            f"at most about {_humans(ceiling)} parameters fit in memory for training: {free:,} MiB "
            f"{basis.split(' (')[0]} x {1 - HEADROOM:.1f} (20% headroom) / {per} bytes per parameter ({what}: "
            "weights, gradients, optimizer state). A ceiling, not a promise: activations come on top and grow "
            "with batch size, so the real limit is lower"
            + ("; and on a CPU, training time runs out long before memory does (the projects meant for a CPU "
               "use small models)." if device == "cpu" else ".")
        )

    workers, workers_reason = _workers(device, cpu)
    return Recommendations(
        device=device,
        device_reason=device_reason,
        precision=precision,
        precision_reason=precision_reason,
        memory_basis=basis,
        free_memory_mib=free,
        headroom=HEADROOM,
        bytes_per_parameter=per,
        max_trainable_parameters=ceiling,
        parameter_arithmetic=arithmetic,
        dataloader_workers=workers,
        workers_reason=workers_reason,
    )


def _precision(device: str, gpu: GpuInfo | None, torch: TorchInfo) -> tuple[str, str]:
    if device == "cpu":
        return "fp32", "On a CPU, train in fp32: low-precision speed-ups are a GPU feature."
    if device == "mps":
        return "fp32", "On MPS, fp32 is the safe default; fp16 autocast works for many models but not all."
    capability = gpu.capability if gpu is not None else None
    if capability is None and torch.devices and torch.devices[0].compute_capability:
        major, minor = torch.devices[0].compute_capability.split(".")
        capability = (int(major), int(minor))
    if torch.is_rocm_build:
        if torch.bf16_supported:
            return "bf16", "This AMD GPU supports bf16: use torch.autocast(device_type='cuda', dtype=torch.bfloat16)."
        return "fp16-mixed", "Use torch.autocast with float16 and a GradScaler."
    if capability is None:
        return "fp32", "The GPU's compute capability is unknown, so fp32 is the safe choice."
    cc = f"{capability[0]}.{capability[1]}"
    if capability >= (8, 0):
        return "bf16", (
            f"Compute capability {cc} (8.0 or newer) has bf16 tensor cores: use "
            "torch.autocast(device_type='cuda', dtype=torch.bfloat16); no loss scaling needed."
        )
    if capability >= (7, 0):
        return "fp16-mixed", (
            f"Compute capability {cc} (7.0 to 7.x) has fp16 tensor cores but no fast bf16: use "
            "torch.autocast with float16 and torch.amp.GradScaler."
        )
    return "fp32", f"Compute capability {cc} is older than 7.0: no tensor cores, so fp32."


def _workers(device: str, cpu: CpuInfo) -> tuple[int, str]:
    cores = cpu.usable_cores or cpu.logical_cores or 1
    if device in ("cuda", "mps"):
        workers = max(0, min(8, cores - 1))
        return workers, (
            f"{cores} usable core(s): keep one for the training loop, the rest load data "
            f"(num_workers={workers}, at most 8; raise it if the GPU waits on data)."
        )
    if cores <= 2:
        return 0, (
            f"{cores} usable core(s), and the CPU also does the training maths: load data in the main "
            "process (num_workers=0)."
        )
    workers = min(4, cores // 4) or 1
    return workers, (
        f"{cores} usable cores; most go to the training maths on the CPU, so a few workers "
        f"(num_workers={workers}) are enough."
    )
