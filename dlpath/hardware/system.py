"""The CPU and memory side: processor model, cores, RAM. Standard library only; never raises."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CpuInfo", "read_system", "nvidia_pci_devices"]

_NVIDIA_VENDOR = "0x10de"


@dataclass
class CpuInfo:
    """The `cpu` object of `dlpath gpu --json`."""

    model: str | None
    logical_cores: int | None  # what the machine has
    usable_cores: int | None  # what this process may run on (containers and affinity limit it)
    ram_total_mib: int | None
    ram_available_mib: int | None
    os: str
    python: str
    nvidia_pci_devices: int | None = None  # NVIDIA display/3D controllers on the PCI bus (Linux); None: unknown


def nvidia_pci_devices(root: Path = Path("/sys/bus/pci/devices")) -> int | None:
    """How many NVIDIA GPUs sit on the PCI bus, read from sysfs; None where that cannot be read.

    This tells "no NVIDIA GPU" from "an NVIDIA GPU whose driver is missing".
    """
    if not root.is_dir():
        return None
    count = 0
    try:
        for device in root.iterdir():
            try:
                vendor = (device / "vendor").read_text().strip().lower()
                klass = (device / "class").read_text().strip().lower()
            except OSError:
                continue
            # 0x03xxxx: display controllers (VGA 0x0300, 3D 0x0302, ...)
            if vendor == _NVIDIA_VENDOR and klass.startswith("0x03"):
                count += 1
    except OSError:
        return None
    return count


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                return value.strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            done = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=2
            )
            if done.returncode == 0 and done.stdout.strip():
                return done.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or None


def _meminfo() -> tuple[int | None, int | None]:
    try:
        values = {}
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, _, rest = line.partition(":")
            parts = rest.split()
            if parts and parts[0].isdigit():
                values[key] = int(parts[0]) // 1024  # kB -> MiB
        return values.get("MemTotal"), values.get("MemAvailable")
    except OSError:
        pass
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
        return total, None
    except (ValueError, OSError, AttributeError):
        return None, None


def _usable_cores() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count()


def read_system() -> CpuInfo:
    """The CPU model, cores and RAM of this machine."""
    total, available = _meminfo()
    return CpuInfo(
        model=_cpu_model(),
        logical_cores=os.cpu_count(),
        usable_cores=_usable_cores(),
        ram_total_mib=total,
        ram_available_mib=available,
        os=f"{platform.system()} {platform.release()}".strip(),
        python=platform.python_version(),
        nvidia_pci_devices=nvidia_pci_devices(),
    )
