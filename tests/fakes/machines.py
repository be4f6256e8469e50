"""Ready-made torch and CPU sides for hardware scenarios (the NVML side is `fake_pynvml`)."""

from __future__ import annotations

from dlpath.hardware.framework import TorchDevice, TorchInfo
from dlpath.hardware.system import CpuInfo

HOPPER_ARCHES = ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"]


def cpu(cores: int = 8, ram_mib: int = 32768, available_mib: int = 30000, nvidia_pci: int | None = 0) -> CpuInfo:
    return CpuInfo(
        model="Test CPU", logical_cores=cores, usable_cores=cores, ram_total_mib=ram_mib,
        ram_available_mib=available_mib, os="Linux test", python="3.11.0", nvidia_pci_devices=nvidia_pci,
    )


def torch_missing() -> TorchInfo:
    return TorchInfo(installed=False)


def torch_broken() -> TorchInfo:
    return TorchInfo(installed=True, error="importing torch failed: OSError: libcudnn.so.9: cannot open shared object file")


def torch_cpu(version: str = "2.5.1+cpu") -> TorchInfo:
    return TorchInfo(installed=True, version=version, build="cpu")


def torch_cuda(
    cuda: str = "12.4",
    *,
    available: bool = True,
    arches: list[str] | None = None,
    capability: str = "9.0",
    name: str = "NVIDIA H100 80GB HBM3",
    memory_mib: int = 81559,
    cuda_error: str | None = None,
) -> TorchInfo:
    info = TorchInfo(
        installed=True, version=f"2.5.1+cu{cuda.replace('.', '')}", build=f"cuda {cuda}", cuda_version=cuda,
        arch_list=list(HOPPER_ARCHES if arches is None else arches), cuda_error=cuda_error,
    )
    if available:
        major = int(capability.split(".")[0])
        info.cuda_available = True
        info.device_count = 1
        info.devices = [TorchDevice(0, name, capability, memory_mib)]
        info.cudnn_version = "9.1.0"
        info.bf16_supported = major >= 8
        info.tf32_supported = major >= 8
        info.fp8_supported = capability in ("8.9", "9.0")
    return info


def torch_rocm(available: bool = False) -> TorchInfo:
    return TorchInfo(
        installed=True, version="2.5.1+rocm6.2", build="rocm 6.2", hip_version="6.2", cuda_available=available,
        device_count=1 if available else 0,
    )
