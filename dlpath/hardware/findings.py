"""Hardware findings: what is wrong (or worth knowing) about this machine, in a student's words, with the fix.

(`dlpath gpu` lists them under "diagnoses"; the grader's own diagnoses of a
learner's training are `dlpath.grading.diagnose.Diagnosis`.) Each finding has a stable `code` (programs and tests match on it), a
severity (`error`: something stops you using your hardware; `warning`:
something will likely bite; `info`: good to know), a message and a fix.
The rules read plain data (the NVML reading, the torch probe, the CPU facts)
and never touch the hardware themselves.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Mapping

from dlpath.hardware.framework import TorchInfo
from dlpath.hardware.nvml import GpuInfo, NvmlError, NvmlReading
from dlpath.hardware.system import CpuInfo
from dlpath.hardware.visibility import Visibility

__all__ = ["HardwareFinding", "diagnose", "SEVERITIES", "CODES", "LOW_VRAM_MIB", "torch_index_url"]

SEVERITIES = ("error", "warning", "info")
LOW_VRAM_MIB = 6 * 1024  # below this, most GPU lessons need care (small batches, mixed precision)

CODES = (
    "torch-cpu-build-with-nvidia-gpu",
    "driver-too-old-for-torch-cuda",
    "gpu-arch-not-in-torch-build",
    "cuda-visible-devices-hides-gpus",
    "nvml-library-missing",
    "nvml-bindings-missing",
    "nvml-error",
    "driver-not-loaded",
    "driver-library-mismatch",
    "deprecated-pynvml-package",
    "gpu-query-failed",
    "mig-enabled",
    "no-gpu",
    "mps-available",
    "rocm-build",
    "low-vram",
    "torch-missing",
    "torch-import-failed",
    "cuda-init-failed",
    "fake-gpu",
)

_INSTALL_PAGE = "https://pytorch.org/get-started/locally/"
# CUDA versions PyTorch has published wheels for, oldest first.
_WHEEL_CUDA = ((11, 8), (12, 1), (12, 4), (12, 6), (12, 8), (12, 9), (13, 0))
_FREE_GPUS = "Google Colab (colab.research.google.com) and Kaggle Notebooks (kaggle.com/code) give free GPU time"


@dataclass
class HardwareFinding:
    """One finding: stable code, severity, what it means, what to do."""

    code: str
    severity: str  # "error" | "warning" | "info"
    message: str
    fix: str


def _version(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    parts = text.split(".")
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return None


def torch_index_url(cuda_driver_version: str | None) -> str | None:
    """The PyTorch wheel index for the newest CUDA build this driver runs, or None if too old."""
    driver = _version(cuda_driver_version)
    if driver is None:
        return f"https://download.pytorch.org/whl/cu{_WHEEL_CUDA[-2][0]}{_WHEEL_CUDA[-2][1]}"
    fitting = [v for v in _WHEEL_CUDA if v <= driver]
    if not fitting:
        return None
    major, minor = fitting[-1]
    return f"https://download.pytorch.org/whl/cu{major}{minor}"


def _gib(mib: int | None) -> str:
    return "an unknown amount" if mib is None else f"{mib / 1024:.1f} GiB"


def _names(gpus: list[GpuInfo]) -> str:
    return ", ".join(f"GPU {g.index} ({g.name or 'unnamed'})" for g in gpus)


def diagnose(
    reading: NvmlReading,
    torch: TorchInfo,
    cpu: CpuInfo,
    visibility: Visibility,
    *,
    deprecated_pynvml: str | None = None,
    environ: Mapping[str, str] | None = None,
    platform: str = sys.platform,
) -> list[HardwareFinding]:
    """Every diagnosis that applies, errors first."""
    found: list[HardwareFinding] = []

    def add(code: str, severity: str, message: str, fix: str) -> None:
        found.append(HardwareFinding(code, severity, message, fix))

    env = environ or {}
    status = reading.status
    working = [g for g in reading.gpus if g.ok]
    visible = [g for g in working if g.visible_to_cuda]

    if deprecated_pynvml is not None:
        add(
            "deprecated-pynvml-package",
            "warning",
            f"The deprecated `pynvml` package ({deprecated_pynvml}) is installed next to nvidia-ml-py. "
            "Old versions of it install their own `pynvml` module over NVIDIA's official one, "
            "so GPU tools may read the driver wrongly or fail.",
            "pip uninstall pynvml && pip install --force-reinstall nvidia-ml-py",
        )

    _driver_side(add, status.error_kind, status.error, cpu, torch, platform)

    if env.get("DLPATH_FAKE_GPU") is not None:
        add(
            "fake-gpu",
            "info",
            f"DLPATH_FAKE_GPU={env['DLPATH_FAKE_GPU']!r} is set: `dlpath next` and the lesson list "
            "below act as if this machine had that hardware. The rest of this report is the real hardware.",
            "Unset DLPATH_FAKE_GPU to go back to the real hardware.",
        )

    failed = [g for g in reading.gpus if not g.ok]
    for gpu in failed:
        add(
            "gpu-query-failed",
            "error" if not working else "warning",
            f"GPU {gpu.index} did not answer the driver ({gpu.error}); "
            + ("the other GPUs are shown." if working else "no GPU can be used until it does."),
            f"Run `nvidia-smi -q -i {gpu.index}`; look for 'Xid' errors in `sudo dmesg`. "
            "A GPU that fell off the bus usually needs a reboot (and, if it keeps happening, "
            "a check of its power and cooling).",
        )

    _torch_side(add, reading, torch, working, visible)
    _visibility(add, visibility, working)

    for gpu in working:
        if gpu.mig_enabled:
            if gpu.mig_devices:
                biggest = max((m.memory_total_mib or 0) for m in gpu.mig_devices)
                add(
                    "mig-enabled",
                    "info",
                    f"GPU {gpu.index} ({gpu.name}) is split into {len(gpu.mig_devices)} MIG instance(s). "
                    f"A PyTorch program uses one instance (the largest has {_gib(biggest)}), "
                    "not the whole GPU.",
                    "Pick an instance with CUDA_VISIBLE_DEVICES=MIG-<uuid> (listed by `nvidia-smi -L`); "
                    "ask your administrator for a larger instance if a lesson needs more memory.",
                )
            else:
                add(
                    "mig-enabled",
                    "warning",
                    f"GPU {gpu.index} ({gpu.name}) has MIG mode on but no MIG instance: "
                    "CUDA programs cannot use it at all.",
                    "Ask your administrator to create a MIG instance (`nvidia-smi mig -cgi ... -C`) "
                    "or to turn MIG off (`nvidia-smi -i N -mig 0`).",
                )

    usable = [_usable_mib(g) for g in visible]
    usable_known = [m for m in usable if m is not None]
    if usable_known and max(usable_known) < LOW_VRAM_MIB:
        add(
            "low-vram",
            "warning",
            f"The largest GPU memory a program gets here is {_gib(max(usable_known))}. "
            "The basics fit; bigger vision and language models will run out of memory.",
            "Use smaller batches, mixed precision (torch.autocast), gradient accumulation and "
            f"gradient checkpointing; for the big lessons, {_FREE_GPUS}.",
        )

    if torch.mps_available:
        add(
            "mps-available",
            "info",
            "This Mac's GPU is usable through PyTorch's MPS backend.",
            'Use device = torch.device("mps"); dlpath grades on it with `--device auto`. '
            "Some operations fall back to the CPU; set PYTORCH_ENABLE_MPS_FALLBACK=1 if one is missing.",
        )

    no_nvidia = not working and status.error_kind in (None, NvmlError.LIBRARY_MISSING, NvmlError.BINDINGS_MISSING)
    if no_nvidia and not (cpu.nvidia_pci_devices or 0) and not torch.cuda_available and not torch.mps_available:
        add(
            "no-gpu",
            "info",
            "No GPU that PyTorch can use was found: you will train on the CPU. "
            "Every foundations and basics project is sized to finish on a laptop CPU.",
            "Keep models small and data sets procedural while you learn; for the GPU-only lessons, "
            f"{_FREE_GPUS} (pick a GPU runtime and install dlpath there).",
        )

    order = {s: i for i, s in enumerate(SEVERITIES)}
    found.sort(key=lambda d: order.get(d.severity, len(order)))
    return found


def _usable_mib(gpu: GpuInfo) -> int | None:
    if gpu.mig_enabled:
        sizes = [m.memory_total_mib for m in gpu.mig_devices if m.memory_total_mib is not None]
        return max(sizes) if sizes else None
    return gpu.memory_total_mib


def _driver_side(add, kind: NvmlError | None, error: str | None, cpu: CpuInfo, torch: TorchInfo, platform: str) -> None:
    if kind == NvmlError.BINDINGS_MISSING:
        add(
            "nvml-bindings-missing",
            "warning",
            f"dlpath could not read the NVIDIA driver: {error}.",
            "pip install nvidia-ml-py",
        )
    elif kind == NvmlError.LIBRARY_MISSING:
        if cpu.nvidia_pci_devices:
            add(
                "nvml-library-missing",
                "error",
                f"This machine has {cpu.nvidia_pci_devices} NVIDIA GPU(s) on its PCI bus, but the NVIDIA "
                "driver's library (libnvidia-ml) is not installed, so nothing can use them.",
                "Install NVIDIA's driver for your system (Ubuntu: `sudo ubuntu-drivers install`; "
                "others: https://www.nvidia.com/Download/index.aspx), reboot, then check with `nvidia-smi`.",
            )
        else:
            where = "macOS has no NVIDIA driver" if platform == "darwin" else "the NVIDIA driver is not installed"
            add(
                "nvml-library-missing",
                "info",
                f"The NVIDIA management library was not found: {where}. "
                "That is expected on a machine without an NVIDIA GPU.",
                "Nothing to do without an NVIDIA GPU. With one, install NVIDIA's driver "
                "(https://www.nvidia.com/Download/index.aspx) and check with `nvidia-smi`.",
            )
    elif kind == NvmlError.DRIVER_NOT_LOADED:
        add(
            "driver-not-loaded",
            "error",
            "The NVIDIA driver is installed but not running (its kernel module is not loaded), "
            "so no program can use the GPU.",
            "Reboot first. If it persists: `sudo modprobe nvidia` and read `sudo dmesg | grep -i nvidia`; "
            "with Secure Boot on, the module must be signed (or Secure Boot turned off); after a kernel "
            "update, reinstall the driver for the new kernel.",
        )
    elif kind == NvmlError.DRIVER_LIBRARY_MISMATCH:
        add(
            "driver-library-mismatch",
            "error",
            "The NVIDIA driver library and the running kernel module have different versions: "
            "the driver was upgraded and the machine not rebooted since.",
            "Reboot. (`nvidia-smi` says 'Driver/library version mismatch' until you do.)",
        )
    elif kind == NvmlError.NO_PERMISSION:
        add(
            "nvml-error",
            "warning",
            f"The NVIDIA driver refused to answer: {error}.",
            "Check that your user may open /dev/nvidia* (often the `video` or `render` group), "
            "or ask your administrator.",
        )
    elif kind == NvmlError.OTHER:
        add(
            "nvml-error",
            "warning",
            f"The NVIDIA driver answered with an error: {error}.",
            "Run `nvidia-smi`; if it fails too, reinstall the driver or reboot.",
        )


def _torch_side(add, reading: NvmlReading, torch: TorchInfo, working: list[GpuInfo], visible: list[GpuInfo]) -> None:
    status = reading.status
    if not torch.installed:
        add(
            "torch-missing",
            "error",
            "PyTorch is not installed in this Python environment, so dlpath cannot grade projects.",
            f"Install it: see {_INSTALL_PAGE} (`pip install torch`, with a CUDA index URL for a GPU).",
        )
        return
    if torch.error:
        add(
            "torch-import-failed",
            "error",
            f"PyTorch is installed but does not import: {torch.error}",
            "Reinstall it in this environment (`pip install --force-reinstall torch`); "
            "check that no file or folder named `torch` in the current folder shadows it.",
        )
        return

    explained = False
    if torch.is_rocm_build:
        explained = bool(working)
        if working:
            add(
                "rocm-build",
                "error",
                f"This PyTorch ({torch.version}) is built for AMD GPUs (ROCm {torch.hip_version}); "
                f"it cannot use the NVIDIA GPU(s) here: {_names(working)}.",
                _reinstall_fix(status.cuda_driver_version),
            )
        else:
            state = "and sees an AMD GPU" if torch.cuda_available else "but sees no AMD GPU"
            add(
                "rocm-build",
                "info",
                f"This PyTorch ({torch.version}) is built for AMD GPUs (ROCm {torch.hip_version}) {state}. "
                "In PyTorch, AMD GPUs are used through the same `torch.cuda` API and device name 'cuda'.",
                "Nothing to change: code written for device 'cuda' runs on the AMD GPU."
                if torch.cuda_available
                else "Check `rocm-smi`, and that your user is in the `video` and `render` groups.",
            )
    elif not torch.is_cuda_build and working:
        explained = True
        add(
            "torch-cpu-build-with-nvidia-gpu",
            "error",
            f"The driver sees {_names(working)}, but this PyTorch ({torch.version}) is a CPU-only build, "
            "so torch.cuda.is_available() is False. This is the classic reason why `nvidia-smi` shows "
            "the GPU and PyTorch does not.",
            _reinstall_fix(status.cuda_driver_version),
        )

    if torch.is_cuda_build and working:
        built = _version(torch.cuda_version)
        driver = _version(status.cuda_driver_version)
        said = (torch.cuda_error or "").lower()
        too_old_said = "too old" in said or "insufficient" in said
        if (built and driver and built[0] > driver[0]) or (too_old_said and not torch.cuda_available):
            explained = True
            add(
                "driver-too-old-for-torch-cuda",
                "error",
                f"This PyTorch was built with CUDA {torch.cuda_version}, but the driver "
                f"({status.driver_version or 'unknown version'}) supports CUDA "
                f"{status.cuda_driver_version or 'of an older version'} at most, so CUDA cannot start.",
                "Update the NVIDIA driver (https://www.nvidia.com/Download/index.aspx), or install a "
                f"PyTorch built for the driver's CUDA: {_reinstall_fix(status.cuda_driver_version)}",
            )
        elif built and driver and built > driver:
            add(
                "driver-too-old-for-torch-cuda",
                "warning",
                f"This PyTorch was built with CUDA {torch.cuda_version}, newer than the CUDA "
                f"{status.cuda_driver_version} the driver supports. It usually works (CUDA's minor-version "
                "compatibility), but some kernels may fail with 'PTX was compiled with an unsupported toolchain'.",
                "Update the NVIDIA driver when you can, or " + _reinstall_fix(status.cuda_driver_version),
            )

        for gpu in visible:
            if gpu.arch_in_torch_build is False:
                explained = True
                cap = gpu.capability or (0, 0)
                newest = max((p[1:3] for p in _arches(torch.arch_list)), default=(0, 0))
                if cap > newest:
                    why = "this GPU is newer than every architecture in the build"
                    fix = ("Install a PyTorch built with a newer CUDA (Blackwell GPUs need CUDA 12.8 or later): "
                           + _reinstall_fix(status.cuda_driver_version))
                else:
                    why = "this GPU is older than the oldest architecture in the build"
                    fix = ("Install an older PyTorch release that still supports it (see "
                           "https://pytorch.org/get-started/previous-versions/), or use a free cloud GPU.")
                add(
                    "gpu-arch-not-in-torch-build",
                    "error",
                    f"GPU {gpu.index} ({gpu.name}) has compute capability {gpu.compute_capability}, which this "
                    f"PyTorch build does not include ({', '.join(torch.arch_list)}): {why}.",
                    fix,
                )

        if visible and not torch.cuda_available and not explained:
            add(
                "cuda-init-failed",
                "error",
                "The driver sees a GPU and this PyTorch is a CUDA build, yet CUDA did not start"
                + (f": {torch.cuda_error}" if torch.cuda_error else "."),
                "Run `python -c \"import torch; torch.zeros(1).cuda()\"` to see the full error; reboot "
                "after a driver update; check that nothing sets CUDA_VISIBLE_DEVICES in your shell profile.",
            )


def _arches(arch_list: list[str]) -> list[tuple[str, int, int]]:
    from dlpath.hardware.framework import _parse_arch

    return [(p[0], p[1], p[2]) for p in (_parse_arch(a) for a in arch_list) if p]


def _reinstall_fix(cuda_driver_version: str | None) -> str:
    url = torch_index_url(cuda_driver_version)
    if url is None:
        return (
            f"the driver's CUDA {cuda_driver_version} is older than any current PyTorch build: "
            "update the NVIDIA driver first, then install PyTorch from " + _INSTALL_PAGE
        )
    return (
        f"pip install --force-reinstall torch --index-url {url} "
        f"(chosen for the driver's CUDA {cuda_driver_version or 'version'}; {_INSTALL_PAGE} lists the current builds)"
    )


def _visibility(add, visibility: Visibility, working: list[GpuInfo]) -> None:
    if not visibility.restricts or not working:
        return
    hidden = [g for g in working if g.index not in visibility.visible]
    if not hidden:
        return
    value = visibility.value
    if not visibility.visible:
        if value is not None and value.strip() == "":
            why = "it is set but empty"
        elif visibility.stopped_at is not None:
            why = f"'{visibility.stopped_at}' names no GPU here (CUDA stops reading at the first entry it cannot match)"
        else:
            why = "it names no GPU here"
        add(
            "cuda-visible-devices-hides-gpus",
            "error",
            f"CUDA_VISIBLE_DEVICES={value!r} hides every GPU from CUDA programs: {why}. "
            "PyTorch will see no GPU although the driver sees " + _names(working) + ".",
            "Unset it (`unset CUDA_VISIBLE_DEVICES`) or set it to an existing index, e.g. "
            "CUDA_VISIBLE_DEVICES=0; look for it in your shell profile or job script.",
        )
    else:
        add(
            "cuda-visible-devices-hides-gpus",
            "info",
            f"CUDA_VISIBLE_DEVICES={value!r} limits CUDA programs to "
            f"{len(visibility.visible)} of {len(working)} GPUs; hidden: {_names(hidden)}.",
            "That is fine if you meant it; unset CUDA_VISIBLE_DEVICES to use every GPU.",
        )
