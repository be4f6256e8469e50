"""What PyTorch can use: its build, whether CUDA works, which GPU architectures it carries.

`probe_torch()` never raises: torch missing, an import that fails, a CUDA
build whose driver is too old all come back as values. Tests hand it a
stand-in (`import_torch=lambda: fake_torch`), or skip it and give the report
a `TorchInfo` directly.

Importing torch takes a second or more, so `probe_torch()` first reads the
build from `torch/version.py` without importing it. It imports torch only
where that tells more: a CUDA or ROCm build (is CUDA usable? which
architectures? which devices?), macOS (MPS), or when asked (`full=True`,
`dlpath gpu --check-import`, which also proves a CPU build loads). Only
`dlpath gpu` and the grader call this, never `dlpath next`.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["TorchDevice", "TorchInfo", "probe_torch", "arch_covers", "cudnn_version_text"]


@dataclass
class TorchDevice:
    """One device as torch numbers it (its own order, after CUDA_VISIBLE_DEVICES)."""

    index: int
    name: str | None
    compute_capability: str | None
    memory_total_mib: int | None


@dataclass
class TorchInfo:
    """The framework side (the `torch` object of `dlpath gpu --json`)."""

    installed: bool = False
    version: str | None = None
    build: str = "none"  # "cpu", "cuda 12.4", "rocm 6.2", or "none" when torch is missing
    cuda_version: str | None = None  # CUDA the build was compiled against
    hip_version: str | None = None  # ROCm
    cuda_available: bool = False
    device_count: int = 0
    arch_list: list[str] = field(default_factory=list)  # "sm_80", "compute_90", ...
    cudnn_version: str | None = None
    bf16_supported: bool | None = None  # on the first CUDA device
    tf32_supported: bool | None = None
    fp8_supported: bool | None = None
    mps_built: bool | None = None
    mps_available: bool | None = None
    devices: list[TorchDevice] = field(default_factory=list)
    imported: bool = False  # False: the build was read from torch/version.py without importing torch
    error: str | None = None  # why torch could not be imported
    cuda_error: str | None = None  # what torch said when CUDA did not initialise

    @property
    def is_cuda_build(self) -> bool:
        return self.cuda_version is not None

    @property
    def is_rocm_build(self) -> bool:
        return self.hip_version is not None


def _import_torch() -> Any:
    return importlib.import_module("torch")


def cudnn_version_text(value: int | None) -> str | None:
    """cuDNN's version number as text: 90100 -> "9.1.0", 8906 -> "8.9.6"."""
    if not value:
        return None
    if value >= 90000:
        return f"{value // 10000}.{(value % 10000) // 100}.{value % 100}"
    return f"{value // 1000}.{(value % 1000) // 100}.{value % 100}"


def _parse_arch(entry: str) -> tuple[str, int, int, bool] | None:
    """"sm_90a" -> ("sm", 9, 0, True); None for what is not an arch name."""
    kind, _, digits = entry.partition("_")
    specific = digits.endswith(("a", "f"))
    digits = digits.rstrip("af")
    if kind not in ("sm", "compute") or not digits.isdigit() or len(digits) < 2:
        return None
    return kind, int(digits[:-1]), int(digits[-1]), specific


def arch_covers(arch_list: list[str], capability: tuple[int, int]) -> bool | None:
    """Whether a build with `arch_list` runs on a GPU of `capability`; None if the list is empty.

    Machine code (`sm_XY`) runs on GPUs of the same major version and an equal
    or newer minor one; PTX (`compute_XY`) is compiled by the driver for any
    newer GPU. Arch-specific code (`sm_90a`) runs only on that exact GPU.
    """
    parsed = [p for p in (_parse_arch(e) for e in arch_list) if p]
    if not parsed:
        return None
    major, minor = capability
    for kind, a_major, a_minor, specific in parsed:
        if kind == "sm":
            if specific and (a_major, a_minor) == (major, minor):
                return True
            if not specific and a_major == major and a_minor <= minor:
                return True
        elif (a_major, a_minor) <= (major, minor) and not specific:
            return True
    return False


def _version_file() -> dict[str, Any] | None:
    """The constants of torch/version.py, read without importing torch; None if not found."""
    try:
        spec = importlib.util.find_spec("torch")
        if spec is None or not spec.origin:
            return None
        from pathlib import Path

        tree = ast.parse((Path(spec.origin).parent / "version.py").read_text())
    except Exception:
        return None
    found: dict[str, Any] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else (
            node.target if isinstance(node, ast.AnnAssign) else None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and isinstance(value, ast.Constant):
            found[target.id] = value.value
    return found if isinstance(found.get("__version__"), str) else None


def probe_torch(import_torch: Callable[[], Any] | None = None, *, full: bool = False) -> TorchInfo:
    """Everything dlpath reports about torch. Never raises.

    `import_torch` replaces the import (tests); `full` imports torch even for
    a CPU-only build, to prove that it loads.
    """
    info = TorchInfo()
    if import_torch is None and not full and sys.platform != "darwin":
        facts = _version_file()
        if facts is not None and not facts.get("cuda") and not facts.get("hip"):
            info.installed = True
            info.version = facts["__version__"]
            info.build = "cpu"
            return info
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Failed to initialize NumPy" on import
            torch = (import_torch or _import_torch)()
    except ModuleNotFoundError as exc:
        if exc.name == "torch":
            return info
        info.installed = True
        info.error = f"importing torch failed: {exc}"
        return info
    except BaseException as exc:  # a broken install can raise anything, even SystemExit
        if isinstance(exc, KeyboardInterrupt):
            raise
        info.installed = True
        info.error = f"importing torch failed: {type(exc).__name__}: {exc}"
        return info
    info.installed = True
    info.imported = True
    _fill(info, torch)
    return info


def _safe(call: Callable[[], Any], default: Any = None) -> Any:
    try:
        return call()
    except Exception:
        return default


def _fill(info: TorchInfo, torch: Any) -> None:
    info.version = str(_safe(lambda: torch.__version__, "unknown"))
    version = getattr(torch, "version", None)
    info.cuda_version = _safe(lambda: version.cuda)
    info.hip_version = _safe(lambda: version.hip)
    if info.hip_version:
        info.build = f"rocm {info.hip_version}"
    elif info.cuda_version:
        info.build = f"cuda {info.cuda_version}"
    else:
        info.build = "cpu"
    cuda = getattr(torch, "cuda", None)
    if cuda is not None and (info.cuda_version or info.hip_version):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            info.cuda_available = bool(_safe(cuda.is_available, False))
        said = [str(w.message) for w in caught if "cuda" in str(w.message).lower()]
        if said:
            info.cuda_error = said[0].strip()
        info.arch_list = list(_safe(cuda.get_arch_list, []) or [])
    if info.cuda_available:
        info.device_count = int(_safe(cuda.device_count, 0) or 0)
        for index in range(info.device_count):
            info.devices.append(_device(cuda, index))
        first = info.devices[0].compute_capability if info.devices else None
        if first:
            major, minor = (int(x) for x in first.split("."))
            info.bf16_supported = bool(_safe(cuda.is_bf16_supported, major >= 8))
            info.tf32_supported = major >= 8 and not info.hip_version
            info.fp8_supported = (major, minor) >= (8, 9) and hasattr(torch, "float8_e4m3fn")
    backends = getattr(torch, "backends", None)
    cudnn = getattr(backends, "cudnn", None)
    if info.cuda_available and cudnn is not None:
        info.cudnn_version = cudnn_version_text(_safe(cudnn.version))
    mps = getattr(backends, "mps", None)
    if mps is not None and sys.platform == "darwin":
        info.mps_built = bool(_safe(mps.is_built, False))
        info.mps_available = bool(_safe(mps.is_available, False))


def _device(cuda: Any, index: int) -> TorchDevice:
    props = _safe(lambda: cuda.get_device_properties(index))
    capability = _safe(lambda: cuda.get_device_capability(index))
    total = getattr(props, "total_memory", None)
    return TorchDevice(
        index=index,
        name=getattr(props, "name", None),
        compute_capability=f"{capability[0]}.{capability[1]}" if capability else None,
        memory_total_mib=int(total) // (1024 * 1024) if total else None,
    )
