"""What the NVIDIA driver sees, read through NVML (module `pynvml` from `nvidia-ml-py`).

Every NVML call here goes through the module object handed in (`nv`), never a
global import, so that tests can pass a stand-in that mimics `pynvml`: the
same function names, the same error classes (`NVMLError` and subclasses such
as `NVMLError_NotSupported`) and the same return types. The real module is
imported lazily by `load_bindings()`.

Nothing here raises: a missing library, a driver that is not loaded, a GPU
that stopped answering or a field the device does not support all end up as
values (`None` fields, an `error` string, an `error_kind` the diagnoses read).
"""

from __future__ import annotations

import importlib
import sys
import warnings
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable

from dlpath.text import TextEnum

__all__ = [
    "MigDevice",
    "GpuInfo",
    "NvmlStatus",
    "NvmlReading",
    "load_bindings",
    "read_nvml",
    "cuda_version_text",
    "installed_version",
    "NvmlError",
]

_MIB = 1024 * 1024

class NvmlError(TextEnum):
    """Why the driver side could not be read (`NvmlStatus.error_kind`), each read by one finding."""

    BINDINGS_MISSING = "bindings-missing"  #: nvidia-ml-py is not installed (or `import pynvml` failed)
    LIBRARY_MISSING = "library-missing"  #: libnvidia-ml is not on this machine: no NVIDIA driver
    DRIVER_NOT_LOADED = "driver-not-loaded"  #: the library is there, the kernel module is not
    DRIVER_LIBRARY_MISMATCH = "driver-library-mismatch"  #: driver upgraded without a reboot
    NO_PERMISSION = "no-permission"  #: the driver refused us
    OTHER = "other"


@dataclass
class MigDevice:
    """One MIG instance of a GPU split with Multi-Instance GPU."""

    index: int
    uuid: str | None
    memory_total_mib: int | None
    memory_free_mib: int | None


@dataclass
class GpuInfo:
    """One GPU as the driver reports it. A field the device does not support is None."""

    index: int
    name: str | None = None
    uuid: str | None = None
    memory_total_mib: int | None = None
    memory_used_mib: int | None = None
    memory_free_mib: int | None = None
    compute_capability: str | None = None  # "9.0"
    utilization_gpu_pct: int | None = None
    utilization_memory_pct: int | None = None
    temperature_c: int | None = None
    power_draw_w: float | None = None
    power_limit_w: float | None = None
    mig_enabled: bool | None = None
    mig_devices: list[MigDevice] = field(default_factory=list)
    process_count: int | None = None
    visible_to_cuda: bool = True  # after CUDA_VISIBLE_DEVICES (filled in by the report)
    arch_in_torch_build: bool | None = None  # filled in by the report; None: nothing to compare with
    ok: bool = True  # False when the GPU failed its queries (see `error`)
    error: str | None = None
    unsupported: list[str] = field(default_factory=list)  # fields the device does not support
    query_errors: dict[str, str] = field(default_factory=dict)  # field -> why it failed

    @property
    def capability(self) -> tuple[int, int] | None:
        """The compute capability as numbers, or None."""
        if not self.compute_capability:
            return None
        major, _, minor = self.compute_capability.partition(".")
        return int(major), int(minor or 0)


@dataclass
class NvmlStatus:
    """The driver side as a whole (the `nvml` object of `dlpath gpu --json`)."""

    available: bool = False
    driver_version: str | None = None
    cuda_driver_version: str | None = None  # the newest CUDA the driver supports, "12.4"
    bindings_version: str | None = None  # nvidia-ml-py
    error: str | None = None
    error_kind: NvmlError | None = None


@dataclass
class NvmlReading:
    """Everything one NVML session returned."""

    status: NvmlStatus
    gpus: list[GpuInfo]


def installed_version(distribution: str) -> str | None:
    """The version of an installed distribution, or None when it is not installed."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None
    except Exception:  # a broken metadata folder is no reason to fail a report
        return None


def load_bindings() -> ModuleType:
    """Import `pynvml` (from nvidia-ml-py). Raises ImportError when it cannot."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a deprecated wrapper may warn on import
        return importlib.import_module("pynvml")


def _library_loadable() -> bool:
    """Whether the NVML shared library can be loaded, asked without importing pynvml.

    Only Linux is checked here (the name pynvml itself loads there); elsewhere
    the answer is "try", and pynvml decides.
    """
    if not sys.platform.startswith("linux"):
        return True
    import ctypes

    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return False
    return True


def cuda_version_text(value: int | None) -> str | None:
    """NVML's CUDA version number (12040) as text ("12.4")."""
    if not value or value <= 0:
        return None
    return f"{value // 1000}.{(value % 1000) // 10}"


def _error_class(nv: Any, name: str) -> type:
    cls = getattr(nv, name, None)
    return cls if isinstance(cls, type) else _NeverRaised


class _NeverRaised(Exception):
    """Stands for an NVML error class an old binding does not define."""


def _describe(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:
        text = ""
    return text or type(exc).__name__


def _error_kind(nv: Any, exc: BaseException) -> NvmlError:
    checks = (
        ("NVMLError_LibraryNotFound", NvmlError.LIBRARY_MISSING),
        ("NVMLError_DriverNotLoaded", NvmlError.DRIVER_NOT_LOADED),
        ("NVMLError_LibRmVersionMismatch", NvmlError.DRIVER_LIBRARY_MISMATCH),
        ("NVMLError_NoPermission", NvmlError.NO_PERMISSION),
    )
    for name, kind in checks:
        if isinstance(exc, _error_class(nv, name)):
            return kind
    return NvmlError.OTHER


class _Session:
    """Runs queries on one NVML session, sorting failures into n/a and errors."""

    def __init__(self, nv: Any) -> None:
        self.nv = nv
        self.base_error = _error_class(nv, "NVMLError")
        self.not_supported = _error_class(nv, "NVMLError_NotSupported")

    def query(self, gpu: GpuInfo, name: str, call: Callable[[], Any]) -> Any:
        """`call()`, or None with the reason noted on `gpu`."""
        try:
            return call()
        except self.not_supported:
            gpu.unsupported.append(name)
        except self.base_error as exc:
            gpu.query_errors[name] = _describe(exc)
        except Exception as exc:  # a binding that does not match the library, a ctypes error
            gpu.query_errors[name] = f"{type(exc).__name__}: {_describe(exc)}"
        return None


def read_nvml(nv: Any = None, *, brief: bool = False) -> NvmlReading:
    """Read the driver and every GPU it sees. Never raises.

    `nv` is the `pynvml` module, or a stand-in with the same names; None loads
    the real one. `brief` reads only what lesson gating needs (name, UUID,
    memory, MIG), for the fast profile.
    """
    # Reading package metadata costs tens of milliseconds: the brief read skips it.
    status = NvmlStatus(bindings_version=None if brief else installed_version("nvidia-ml-py"))
    if nv is None and brief and not _library_loadable():
        # pynvml would fail the same way; not importing it saves ~20 ms for `dlpath next`
        status.error = "NVML Shared Library Not Found"
        status.error_kind = NvmlError.LIBRARY_MISSING
        return NvmlReading(status, [])
    if nv is None:
        try:
            nv = load_bindings()
        except Exception as exc:
            status.error = f"the NVML bindings could not be imported ({_describe(exc)})"
            status.error_kind = NvmlError.BINDINGS_MISSING
            return NvmlReading(status, [])
    try:
        nv.nvmlInit()
    except Exception as exc:
        status.error = _describe(exc)
        status.error_kind = _error_kind(nv, exc)
        return NvmlReading(status, [])
    try:
        return _read_initialised(nv, status, brief)
    finally:
        try:
            nv.nvmlShutdown()
        except Exception:
            pass


def _read_initialised(nv: Any, status: NvmlStatus, brief: bool) -> NvmlReading:
    status.available = True
    session = _Session(nv)
    system = GpuInfo(index=-1)  # collects system-level failures
    if not brief:
        status.driver_version = session.query(system, "driver_version", nv.nvmlSystemGetDriverVersion)
        status.cuda_driver_version = cuda_version_text(
            session.query(system, "cuda_driver_version", nv.nvmlSystemGetCudaDriverVersion)
        )
    count = session.query(system, "device_count", nv.nvmlDeviceGetCount)
    if count is None:
        reason = system.query_errors.get("device_count", "not supported")
        status.error = f"the driver could not count its GPUs ({reason})"
        status.error_kind = NvmlError.OTHER
        return NvmlReading(status, [])
    return NvmlReading(status, [_read_gpu(session, index, brief) for index in range(int(count))])


def _read_gpu(session: _Session, index: int, brief: bool) -> GpuInfo:
    nv = session.nv
    gpu = GpuInfo(index=index)
    handle = session.query(gpu, "handle", lambda: nv.nvmlDeviceGetHandleByIndex(index))
    if handle is None:
        gpu.ok = False
        gpu.error = gpu.query_errors.get("handle", "the driver gave no handle for it")
        return gpu
    q = session.query
    gpu.name = q(gpu, "name", lambda: nv.nvmlDeviceGetName(handle))
    gpu.uuid = q(gpu, "uuid", lambda: nv.nvmlDeviceGetUUID(handle))
    memory = q(gpu, "memory", lambda: nv.nvmlDeviceGetMemoryInfo(handle))
    if memory is not None:
        gpu.memory_total_mib = int(memory.total) // _MIB
        gpu.memory_used_mib = int(memory.used) // _MIB
        gpu.memory_free_mib = int(memory.free) // _MIB
    mode = q(gpu, "mig_mode", lambda: nv.nvmlDeviceGetMigMode(handle))
    if mode is not None:
        gpu.mig_enabled = int(mode[0]) == int(nv.NVML_DEVICE_MIG_ENABLE)
    if gpu.mig_enabled:
        gpu.mig_devices = _read_mig(session, gpu, handle)
    if brief:
        _mark_failed(gpu, _BRIEF_FIELDS)
        return gpu
    capability = q(gpu, "compute_capability", lambda: nv.nvmlDeviceGetCudaComputeCapability(handle))
    if capability is not None:
        gpu.compute_capability = f"{int(capability[0])}.{int(capability[1])}"
    rates = q(gpu, "utilization", lambda: nv.nvmlDeviceGetUtilizationRates(handle))
    if rates is not None:
        gpu.utilization_gpu_pct = int(rates.gpu)
        gpu.utilization_memory_pct = int(rates.memory)
    gpu.temperature_c = q(
        gpu, "temperature", lambda: nv.nvmlDeviceGetTemperature(handle, nv.NVML_TEMPERATURE_GPU)
    )
    draw = q(gpu, "power_draw", lambda: nv.nvmlDeviceGetPowerUsage(handle))
    gpu.power_draw_w = None if draw is None else round(draw / 1000.0, 1)
    limit = q(gpu, "power_limit", lambda: nv.nvmlDeviceGetEnforcedPowerLimit(handle))
    gpu.power_limit_w = None if limit is None else round(limit / 1000.0, 1)
    processes = q(gpu, "processes", lambda: nv.nvmlDeviceGetComputeRunningProcesses(handle))
    gpu.process_count = None if processes is None else len(processes)
    _mark_failed(gpu, _ALL_FIELDS)
    return gpu


_BRIEF_FIELDS = ("name", "uuid", "memory", "mig_mode")
_ALL_FIELDS = _BRIEF_FIELDS + (
    "compute_capability", "utilization", "temperature", "power_draw", "power_limit", "processes",
)


def _mark_failed(gpu: GpuInfo, fields: tuple[str, ...]) -> None:
    """A GPU none of whose queries gave an answer, and not only for want of support, failed."""
    unanswered = [f for f in fields if f in gpu.unsupported or f in gpu.query_errors]
    if len(unanswered) == len(fields) and gpu.query_errors:
        gpu.ok = False
        gpu.error = next(iter(gpu.query_errors.values()))


def _read_mig(session: _Session, gpu: GpuInfo, handle: Any) -> list[MigDevice]:
    nv = session.nv
    found: list[MigDevice] = []
    slots = session.query(gpu, "mig_device_count", lambda: nv.nvmlDeviceGetMaxMigDeviceCount(handle))
    for slot in range(int(slots or 0)):
        try:
            mig = nv.nvmlDeviceGetMigDeviceHandleByIndex(handle, slot)
        except Exception:  # NotFound: an empty slot
            continue
        probe = GpuInfo(index=slot)
        uuid = session.query(probe, "uuid", lambda: nv.nvmlDeviceGetUUID(mig))
        memory = session.query(probe, "memory", lambda: nv.nvmlDeviceGetMemoryInfo(mig))
        found.append(
            MigDevice(
                index=slot,
                uuid=uuid,
                memory_total_mib=None if memory is None else int(memory.total) // _MIB,
                memory_free_mib=None if memory is None else int(memory.free) // _MIB,
            )
        )
    return found
