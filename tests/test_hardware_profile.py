"""The fast profile (`next` gating): NVML only, DLPATH_FAKE_GPU, CUDA_VISIBLE_DEVICES, MIG, never raises."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from dlpath.course.model import Requirements
from dlpath.hardware import GpuBrief, HardwareProfile, fast_profile, unmet_requirements
from dlpath.hardware.visibility import cuda_visibility
from tests.fakes.fake_pynvml import (
    NVML_DEVICE_MIG_ENABLE,
    NVML_ERROR_DRIVER_NOT_LOADED,
    NVML_ERROR_GPU_IS_LOST,
    NVML_ERROR_LIBRARY_NOT_FOUND,
    FakeGpu,
    FakeMig,
    FakePynvml,
)


def test_one_gpu() -> None:
    nv = FakePynvml([FakeGpu("NVIDIA H100 80GB HBM3", 81559)])
    profile = fast_profile(nv, environ={})
    assert profile == HardwareProfile(
        nvml_available=True,
        gpus=(GpuBrief(0, "NVIDIA H100 80GB HBM3", 81559, 81559, True),),
        cuda_gpu=True,
        max_vram_gb=79.6,
        error=None,
    )
    assert nv.initialised == 0  # shut down again


def test_reads_only_what_gating_needs() -> None:
    nv = FakePynvml([FakeGpu("G", 8192)])
    fast_profile(nv, environ={})
    assert set(nv.calls) <= {"nvmlInit", "nvmlShutdown", "nvmlDeviceGetName", "nvmlDeviceGetUUID",
                             "nvmlDeviceGetMemoryInfo", "nvmlDeviceGetMigMode"}


@pytest.mark.parametrize("code", [NVML_ERROR_LIBRARY_NOT_FOUND, NVML_ERROR_DRIVER_NOT_LOADED])
def test_no_driver(code: int) -> None:
    profile = fast_profile(FakePynvml(init_error=code), environ={})
    assert not profile.nvml_available and not profile.cuda_gpu and profile.gpus == ()
    assert profile.max_vram_gb is None and profile.error


def test_a_lost_gpu_is_left_out() -> None:
    nv = FakePynvml([FakeGpu("A", 8192, fail_with=NVML_ERROR_GPU_IS_LOST), FakeGpu("B", 16384)])
    profile = fast_profile(nv, environ={})
    assert [g.name for g in profile.gpus] == ["B"] and profile.max_vram_gb == 16.0


def test_mig_counts_the_largest_instance() -> None:
    gpu = FakeGpu("A100", 81920, mig_mode=NVML_DEVICE_MIG_ENABLE,
                  mig=[FakeMig("MIG-1", 9728), FakeMig("MIG-2", 19968)])
    profile = fast_profile(FakePynvml([gpu]), environ={})
    assert profile.cuda_gpu and profile.max_vram_gb == 19.5


def test_mig_without_instances_is_no_cuda_gpu() -> None:
    profile = fast_profile(FakePynvml([FakeGpu("A100", 81920, mig_mode=NVML_DEVICE_MIG_ENABLE)]), environ={})
    assert not profile.cuda_gpu and profile.max_vram_gb is None


@pytest.mark.parametrize(
    ("value", "visible"),
    [("", []), ("-1", []), ("3", []), ("0", [0]), ("1", [1]), ("1,0", [0, 1]), ("0,7,1", [0]),
     ("GPU-00000001", [1]), ("GPU-0000", []), ("MIG-x", []), ("banana", []), (" 1 ", [1])],
)
def test_cuda_visible_devices(value: str, visible: list[int]) -> None:
    nv = FakePynvml([FakeGpu("A", 8192), FakeGpu("B", 24576)])
    profile = fast_profile(nv, environ={"CUDA_VISIBLE_DEVICES": value})
    assert [g.index for g in profile.gpus if g.visible] == visible
    assert profile.cuda_gpu is bool(visible)
    if visible:
        assert profile.max_vram_gb == max({0: 8.0, 1: 24.0}[i] for i in visible)


def test_visibility_records_where_cuda_stopped() -> None:
    v = cuda_visibility([(0, "GPU-a", [])], {"CUDA_VISIBLE_DEVICES": "0,5"})
    assert v.visible == frozenset({0}) and v.stopped_at == "5"


@pytest.mark.parametrize(
    ("value", "names", "vram"),
    [
        ("NVIDIA H100 80GB HBM3:81559", ["NVIDIA H100 80GB HBM3"], 79.6),
        ("NVIDIA T4:15360, NVIDIA T4:15360", ["NVIDIA T4", "NVIDIA T4"], 15.0),
        ("Odd:name:with:colons:2048", ["Odd:name:with:colons"], 2.0),
    ],
)
def test_fake_gpu(value: str, names: list[str], vram: float) -> None:
    nv = FakePynvml(init_error=NVML_ERROR_LIBRARY_NOT_FOUND)
    profile = fast_profile(nv, environ={"DLPATH_FAKE_GPU": value, "CUDA_VISIBLE_DEVICES": ""})
    assert [g.name for g in profile.gpus] == names
    assert profile.cuda_gpu and profile.max_vram_gb == vram and profile.source == "fake"
    assert nv.calls == []  # the real driver is not asked


@pytest.mark.parametrize("value", ["none", "", "NONE"])
def test_fake_no_gpu(value: str) -> None:
    nv = FakePynvml([FakeGpu("A", 8192)])
    profile = fast_profile(nv, environ={"DLPATH_FAKE_GPU": value})
    assert not profile.cuda_gpu and profile.gpus == () and profile.error is None and profile.source == "fake"


@pytest.mark.parametrize("value", ["H100", "H100:lots", ":1024"])
def test_fake_gpu_not_understood_says_how_to_write_it(value: str) -> None:
    profile = fast_profile(FakePynvml(), environ={"DLPATH_FAKE_GPU": value})
    assert not profile.cuda_gpu
    assert profile.error == (
        f"DLPATH_FAKE_GPU={value!r} is not understood: write NAME:MiB (e.g. 'NVIDIA T4:15360'), "
        "several separated by commas, or 'none'"
    )


def test_fake_gpu_from_the_real_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLPATH_FAKE_GPU", "NVIDIA T4:15360")
    assert fast_profile().gpus[0].name == "NVIDIA T4"


@pytest.mark.parametrize("broken", [object(), SimpleNamespace(nvmlInit=lambda: None), None])
def test_never_raises_whatever_the_module(broken: object, monkeypatch: pytest.MonkeyPatch) -> None:
    if broken is None:
        def fail() -> None:
            raise ImportError("no module named pynvml")

        monkeypatch.setattr("dlpath.hardware.nvml.load_bindings", fail)
    profile = fast_profile(broken, environ={})
    assert isinstance(profile, HardwareProfile) and not profile.cuda_gpu and profile.error


def test_unmet_requirements() -> None:
    big = HardwareProfile(True, (GpuBrief(0, "H100", 81559, 81559, True),), True, 79.6, None)
    small = HardwareProfile(True, (GpuBrief(0, "T4", 15360, 15360, True),), True, 15.0, None)
    none = HardwareProfile(False, (), False, None, "NVML Shared Library Not Found")
    assert unmet_requirements(Requirements(), none) == ()
    assert unmet_requirements(Requirements(cuda=True), small) == ()
    assert unmet_requirements(Requirements(cuda=True, min_vram_gb=40), big) == ()
    assert unmet_requirements(Requirements(cuda=True, min_vram_gb=40), small) == (
        "needs 40 GB of GPU memory; the largest GPU here has 15 GB",
    )
    assert unmet_requirements(Requirements(cuda=True), none) == (
        "needs an NVIDIA GPU that CUDA can use; none was found",
    )
    assert unmet_requirements({"cuda": True}, big) == ()  # a plain mapping works too


def test_the_profile_and_the_cli_never_import_torch() -> None:
    code = (
        "import sys; from dlpath.hardware import fast_profile; import dlpath.cli; p = fast_profile(); "
        "print(sorted(m for m in ('torch', 'rich.markdown', 'dlpath.hardware.report', 'dlpath.hardware.framework')"
        " if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
