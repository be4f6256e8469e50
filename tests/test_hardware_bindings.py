"""Everything dlpath uses of `pynvml` exists in the installed nvidia-ml-py, and the stand-in matches it."""

from __future__ import annotations

import ast
import ctypes
import inspect
from pathlib import Path

import pytest

import dlpath.hardware
from tests.fakes import fake_pynvml
from tests.fakes.fake_pynvml import FakeGpu, FakeMig, FakePynvml

pynvml = pytest.importorskip("pynvml")

HARDWARE = Path(dlpath.hardware.__file__).parent


def _names_used_by_dlpath() -> set[str]:
    """Every attribute named nvml*/NVML* that the hardware package reads, found in its source."""
    used: set[str] = set()
    for path in HARDWARE.glob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.lower().startswith("nvml"):
                used.add(node.attr)
            # error classes are looked up by name: _error_class(nv, "NVMLError_NotSupported")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("NVMLError"):
                used.add(node.value)
    return used


def test_the_scan_finds_what_dlpath_uses() -> None:
    used = _names_used_by_dlpath()
    for name in ("nvmlInit", "nvmlDeviceGetMemoryInfo", "NVMLError", "NVMLError_NotSupported",
                 "NVMLError_LibraryNotFound", "NVMLError_DriverNotLoaded", "NVMLError_LibRmVersionMismatch",
                 "NVML_DEVICE_MIG_ENABLE", "NVML_TEMPERATURE_GPU"):
        assert name in used


def test_every_name_dlpath_uses_exists_in_nvidia_ml_py() -> None:
    missing = sorted(name for name in _names_used_by_dlpath() if not hasattr(pynvml, name))
    assert missing == []


def test_error_classes_are_nvml_errors_in_the_real_module() -> None:
    for name in _names_used_by_dlpath():
        if name.startswith("NVMLError"):
            cls = getattr(pynvml, name)
            assert issubclass(cls, pynvml.NVMLError), name


def test_the_stand_in_has_every_name_dlpath_uses() -> None:
    fake = FakePynvml()
    missing = sorted(name for name in _names_used_by_dlpath() if not hasattr(fake, name))
    assert missing == []


def test_the_stand_in_mirrors_real_names_signatures_and_codes() -> None:
    for name in fake_pynvml.FUNCTIONS:
        assert callable(getattr(pynvml, name, None)), name
        real = [p for p in inspect.signature(getattr(pynvml, name)).parameters]
        fake = [p for p in inspect.signature(getattr(FakePynvml, name)).parameters][1:]  # less self
        assert fake == real, name
    for name in fake_pynvml.ERROR_CLASSES:
        assert issubclass(getattr(pynvml, name), pynvml.NVMLError)
    for name in dir(fake_pynvml):
        if name.startswith("NVML_"):
            assert getattr(fake_pynvml, name) == getattr(pynvml, name), name


def test_the_stand_ins_errors_map_codes_to_subclasses_like_the_real_ones() -> None:
    for code, name in ((3, "NVMLError_NotSupported"), (12, "NVMLError_LibraryNotFound"), (15, "NVMLError_GpuIsLost")):
        assert type(pynvml.NVMLError(code)).__name__ == name
        assert type(fake_pynvml.NVMLError(code)).__name__ == name
        assert fake_pynvml.NVMLError(code).value == code


def test_the_stand_ins_structs_have_the_real_fields() -> None:
    nv = FakePynvml([FakeGpu("G", mig_mode=1, mig=[FakeMig("MIG-1", 10240)])])
    nv.nvmlInit()
    handle = nv.nvmlDeviceGetHandleByIndex(0)
    memory = nv.nvmlDeviceGetMemoryInfo(handle)
    assert set(vars(memory)) == {f for f, _ in pynvml.c_nvmlMemory_t._fields_}
    rates = nv.nvmlDeviceGetUtilizationRates(handle)
    assert set(vars(rates)) == {f for f, _ in pynvml.c_nvmlUtilization_t._fields_}
    assert isinstance(nv.nvmlSystemGetDriverVersion(), str)
    assert isinstance(nv.nvmlSystemGetCudaDriverVersion(), int)
    assert isinstance(nv.nvmlDeviceGetCudaComputeCapability(handle), tuple)
    assert isinstance(nv.nvmlDeviceGetMigMode(handle), list)
    # the real processes are objects with pid and usedGpuMemory
    assert hasattr(pynvml.c_nvmlProcessInfo_t, "_fields_")
    assert {"pid", "usedGpuMemory"} <= {f for f, _ in pynvml.c_nvmlProcessInfo_t._fields_}
    nv.nvmlShutdown()


def test_the_real_module_without_a_driver_raises_library_not_found_or_works() -> None:
    # On this machine (no NVIDIA driver) nvmlInit raises the class dlpath expects; on a GPU machine it works.
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        assert isinstance(exc, (pynvml.NVMLError_LibraryNotFound, pynvml.NVMLError_DriverNotLoaded,
                                pynvml.NVMLError_LibRmVersionMismatch, pynvml.NVMLError_NoPermission)), exc
    else:
        pynvml.nvmlShutdown()
    assert ctypes  # the real module is ctypes-based; the stand-in only mimics its results
