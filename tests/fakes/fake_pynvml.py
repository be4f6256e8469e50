"""A stand-in for the `pynvml` module (nvidia-ml-py) that drives hardware scenarios without a GPU.

It mimics what dlpath uses of the real module: the same function names, the
same error classes (`NVMLError`, whose constructor picks the subclass for a
code, and `NVMLError_NotSupported`, `NVMLError_GpuIsLost`, ...), the same
error codes and constants, and return values of the same shape (a memory
struct with `total`, `free`, `used` in bytes; utilization with `gpu` and
`memory`; compute capability as a tuple; MIG mode as `[current, pending]`;
power in milliwatts). `tests/test_hardware_bindings.py` checks all of this
against the installed nvidia-ml-py.

It defines its own error classes on purpose: code that caught the real
`pynvml.NVMLError` instead of the one on the module it was handed would let
these escape, and the tests would see it.

    nv = FakePynvml([FakeGpu("NVIDIA H100 80GB HBM3", memory_total_mib=81559)])
    nv = FakePynvml(init_error=NVML_ERROR_DRIVER_NOT_LOADED)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

NVML_SUCCESS = 0
NVML_ERROR_UNINITIALIZED = 1
NVML_ERROR_INVALID_ARGUMENT = 2
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_GPU_IS_LOST = 15
NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18
NVML_ERROR_UNKNOWN = 999

NVML_TEMPERATURE_GPU = 0
NVML_DEVICE_MIG_DISABLE = 0
NVML_DEVICE_MIG_ENABLE = 1

_MESSAGES = {
    NVML_ERROR_UNINITIALIZED: "Uninitialized",
    NVML_ERROR_INVALID_ARGUMENT: "Invalid Argument",
    NVML_ERROR_NOT_SUPPORTED: "Not Supported",
    NVML_ERROR_NO_PERMISSION: "Insufficient Permissions",
    NVML_ERROR_NOT_FOUND: "Not Found",
    NVML_ERROR_DRIVER_NOT_LOADED: "Driver Not Loaded",
    NVML_ERROR_LIBRARY_NOT_FOUND: "NVML Shared Library Not Found",
    NVML_ERROR_GPU_IS_LOST: "GPU is lost",
    NVML_ERROR_LIB_RM_VERSION_MISMATCH: "RM has detected an NVML/RM version mismatch.",
    NVML_ERROR_UNKNOWN: "Unknown Error",
}


class NVMLError(Exception):
    """Like pynvml's: `NVMLError(code)` builds the subclass registered for `code`."""

    _by_code: dict[int, type] = {}

    def __new__(cls, value: int):
        if cls is NVMLError:
            cls = NVMLError._by_code.get(value, cls)
        obj = Exception.__new__(cls)
        obj.value = value
        return obj

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return _MESSAGES.get(self.value, f"NVML Error with code {self.value}")


def _subclass(name: str, code: int) -> type:
    cls = type(name, (NVMLError,), {})
    NVMLError._by_code[code] = cls
    return cls


NVMLError_Uninitialized = _subclass("NVMLError_Uninitialized", NVML_ERROR_UNINITIALIZED)
NVMLError_InvalidArgument = _subclass("NVMLError_InvalidArgument", NVML_ERROR_INVALID_ARGUMENT)
NVMLError_NotSupported = _subclass("NVMLError_NotSupported", NVML_ERROR_NOT_SUPPORTED)
NVMLError_NoPermission = _subclass("NVMLError_NoPermission", NVML_ERROR_NO_PERMISSION)
NVMLError_NotFound = _subclass("NVMLError_NotFound", NVML_ERROR_NOT_FOUND)
NVMLError_DriverNotLoaded = _subclass("NVMLError_DriverNotLoaded", NVML_ERROR_DRIVER_NOT_LOADED)
NVMLError_LibraryNotFound = _subclass("NVMLError_LibraryNotFound", NVML_ERROR_LIBRARY_NOT_FOUND)
NVMLError_GpuIsLost = _subclass("NVMLError_GpuIsLost", NVML_ERROR_GPU_IS_LOST)
NVMLError_LibRmVersionMismatch = _subclass("NVMLError_LibRmVersionMismatch", NVML_ERROR_LIB_RM_VERSION_MISMATCH)
NVMLError_Unknown = _subclass("NVMLError_Unknown", NVML_ERROR_UNKNOWN)

ERROR_CLASSES = [
    "NVMLError", "NVMLError_Uninitialized", "NVMLError_InvalidArgument", "NVMLError_NotSupported", "NVMLError_NoPermission",
    "NVMLError_NotFound", "NVMLError_DriverNotLoaded", "NVMLError_LibraryNotFound", "NVMLError_GpuIsLost",
    "NVMLError_LibRmVersionMismatch", "NVMLError_Unknown",
]

_MIB = 1024 * 1024


class c_nvmlMemory_t(SimpleNamespace):
    """Same fields as pynvml's struct: total, free, used (bytes)."""


class c_nvmlUtilization_t(SimpleNamespace):
    """Same fields as pynvml's struct: gpu, memory (percent)."""


@dataclass
class FakeMig:
    """One MIG instance."""

    uuid: str
    memory_total_mib: int
    memory_used_mib: int = 0


@dataclass
class FakeGpu:
    """One simulated GPU. `unsupported` names functions that raise NotSupported;
    `fail_with` makes every query (after the handle) raise that error code;
    `handle_error` makes nvmlDeviceGetHandleByIndex itself fail."""

    name: str
    memory_total_mib: int = 16384
    memory_used_mib: int = 0
    uuid: str = ""
    compute_capability: tuple[int, int] = (8, 0)
    utilization: tuple[int, int] = (0, 0)
    temperature_c: int = 40
    power_mw: int = 50_000
    power_limit_mw: int = 300_000
    mig_mode: int = NVML_DEVICE_MIG_DISABLE
    mig: list[FakeMig] = field(default_factory=list)
    processes: int = 0
    unsupported: set[str] = field(default_factory=set)
    fail_with: int | None = None
    handle_error: int | None = None


# Everything but name and memory, for the "NotSupported for every optional field" scenario.
OPTIONAL_FUNCTIONS = {
    "nvmlDeviceGetUUID", "nvmlDeviceGetCudaComputeCapability", "nvmlDeviceGetUtilizationRates",
    "nvmlDeviceGetTemperature", "nvmlDeviceGetPowerUsage", "nvmlDeviceGetEnforcedPowerLimit",
    "nvmlDeviceGetMigMode", "nvmlDeviceGetComputeRunningProcesses",
}


class _Handle:
    def __init__(self, gpu: FakeGpu, mig: FakeMig | None = None) -> None:
        self.gpu = gpu
        self.mig = mig


class FakePynvml:
    """A module-like object with pynvml's names. Counts calls in `calls`."""

    def __init__(
        self,
        gpus: list[FakeGpu] | None = None,
        *,
        init_error: int | None = None,
        driver_version: str = "550.54.15",
        cuda_driver_version: int = 12040,
    ) -> None:
        self._gpus = list(gpus or [])
        for i, gpu in enumerate(self._gpus):
            gpu.uuid = gpu.uuid or f"GPU-{i:08x}-1111-2222-3333-444455556666"
        self._init_error = init_error
        self._driver = driver_version
        self._cuda = cuda_driver_version
        self.initialised = 0
        self.calls: list[str] = []
        # the module's constants and error classes, as attributes
        for name, value in globals().items():
            if name.startswith(("NVML_", "NVMLError")) or name in ("c_nvmlMemory_t", "c_nvmlUtilization_t"):
                setattr(self, name, value)

    # -- the library --------------------------------------------------------------
    def nvmlInit(self) -> None:
        self.calls.append("nvmlInit")
        if self._init_error is not None:
            raise NVMLError(self._init_error)
        self.initialised += 1

    def nvmlShutdown(self) -> None:
        self.calls.append("nvmlShutdown")
        self._need_init()
        self.initialised -= 1

    def _need_init(self) -> None:
        if self.initialised <= 0:
            raise NVMLError(NVML_ERROR_UNINITIALIZED)

    def nvmlSystemGetDriverVersion(self) -> str:
        self._need_init()
        return self._driver

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        self._need_init()
        return self._cuda

    def nvmlDeviceGetCount(self) -> int:
        self._need_init()
        return len(self._gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> _Handle:
        self._need_init()
        if not 0 <= index < len(self._gpus):
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        gpu = self._gpus[index]
        if gpu.handle_error is not None:
            raise NVMLError(gpu.handle_error)
        return _Handle(gpu)

    # -- per device ----------------------------------------------------------------
    def _device(self, function: str, handle: _Handle) -> FakeGpu:
        self.calls.append(function)
        self._need_init()
        gpu = handle.gpu
        if gpu.fail_with is not None:
            raise NVMLError(gpu.fail_with)
        if function in gpu.unsupported:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return gpu

    def nvmlDeviceGetName(self, handle: _Handle) -> str:
        return self._device("nvmlDeviceGetName", handle).name

    def nvmlDeviceGetUUID(self, handle: _Handle) -> str:
        gpu = self._device("nvmlDeviceGetUUID", handle)
        return handle.mig.uuid if handle.mig else gpu.uuid

    def nvmlDeviceGetMemoryInfo(self, handle: _Handle, version: Any = None) -> c_nvmlMemory_t:
        gpu = self._device("nvmlDeviceGetMemoryInfo", handle)
        total, used = (handle.mig.memory_total_mib, handle.mig.memory_used_mib) if handle.mig else (
            gpu.memory_total_mib, gpu.memory_used_mib)
        return c_nvmlMemory_t(total=total * _MIB, free=(total - used) * _MIB, used=used * _MIB)

    def nvmlDeviceGetCudaComputeCapability(self, handle: _Handle) -> tuple[int, int]:
        return tuple(self._device("nvmlDeviceGetCudaComputeCapability", handle).compute_capability)

    def nvmlDeviceGetUtilizationRates(self, handle: _Handle) -> c_nvmlUtilization_t:
        gpu = self._device("nvmlDeviceGetUtilizationRates", handle)
        return c_nvmlUtilization_t(gpu=gpu.utilization[0], memory=gpu.utilization[1])

    def nvmlDeviceGetTemperature(self, handle: _Handle, sensor: int) -> int:
        assert sensor == NVML_TEMPERATURE_GPU
        return self._device("nvmlDeviceGetTemperature", handle).temperature_c

    def nvmlDeviceGetPowerUsage(self, handle: _Handle) -> int:
        return self._device("nvmlDeviceGetPowerUsage", handle).power_mw

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: _Handle) -> int:
        return self._device("nvmlDeviceGetEnforcedPowerLimit", handle).power_limit_mw

    def nvmlDeviceGetMigMode(self, device: _Handle) -> list[int]:
        gpu = self._device("nvmlDeviceGetMigMode", device)
        return [gpu.mig_mode, gpu.mig_mode]

    def nvmlDeviceGetMaxMigDeviceCount(self, device: _Handle) -> int:
        gpu = self._device("nvmlDeviceGetMaxMigDeviceCount", device)
        return 7 if gpu.mig_mode == NVML_DEVICE_MIG_ENABLE else 0

    def nvmlDeviceGetMigDeviceHandleByIndex(self, device: _Handle, index: int) -> _Handle:
        gpu = self._device("nvmlDeviceGetMigDeviceHandleByIndex", device)
        if index >= len(gpu.mig):
            raise NVMLError(NVML_ERROR_NOT_FOUND)
        return _Handle(gpu, gpu.mig[index])

    def nvmlDeviceGetComputeRunningProcesses(self, handle: _Handle) -> list[SimpleNamespace]:
        gpu = self._device("nvmlDeviceGetComputeRunningProcesses", handle)
        return [SimpleNamespace(pid=1000 + i, usedGpuMemory=512 * _MIB) for i in range(gpu.processes)]


FUNCTIONS = sorted(name for name in vars(FakePynvml) if name.startswith("nvml"))
