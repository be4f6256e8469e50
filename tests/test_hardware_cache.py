"""The fast profile's NVML reading, cached in the data home, keyed on boot, driver and GPUs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dlpath.hardware.cache as cache
import dlpath.hardware.profile as profile
from dlpath.hardware import fast_profile
from dlpath.hardware.nvml import read_nvml
from tests.fakes.fake_pynvml import NVML_DEVICE_MIG_ENABLE, FakeGpu, FakeMig, FakePynvml


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A Linux machine's boot id, driver version and GPU list, as files the test can change."""
    boot = tmp_path / "boot_id"
    boot.write_text("1111-boot\n")
    driver = tmp_path / "version"
    driver.write_text("NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06\n")
    gpus = tmp_path / "gpus"
    (gpus / "0000:01:00.0").mkdir(parents=True)
    monkeypatch.setattr(cache, "_BOOT_ID", boot)
    monkeypatch.setattr(cache, "_DRIVER", driver)
    monkeypatch.setattr(cache, "_GPUS", gpus)
    monkeypatch.delenv("DLPATH_FAKE_GPU", raising=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return {"boot": boot, "driver": driver, "gpus": gpus}


@pytest.fixture
def nvml(monkeypatch: pytest.MonkeyPatch) -> list[FakePynvml]:
    """Every real NVML read goes to a fake H100; the list holds one entry per read."""
    reads: list[FakePynvml] = []

    def fake_read(nv=None, *, brief=False):
        if nv is not None:  # a stand-in handed in by the caller: not a real read
            return read_nvml(nv, brief=brief)
        fake = FakePynvml([FakeGpu("NVIDIA H100 80GB HBM3", 81559)])
        reads.append(fake)
        return read_nvml(fake, brief=brief)

    monkeypatch.setattr(profile, "read_nvml", fake_read)
    return reads


def test_the_second_call_reads_the_cache(machine, nvml) -> None:
    first = fast_profile()
    second = fast_profile()
    assert len(nvml) == 1
    assert first == second and second.cuda_gpu and second.max_vram_gb == 79.6
    data = json.loads(cache.cache_path().read_text())
    assert data["key"]["boot"] == "1111-boot" and data["key"]["gpus"] == ["0000:01:00.0"]


@pytest.mark.parametrize("change", ["boot", "driver", "gpus", "driver-gone"])
def test_a_new_boot_driver_or_gpu_reads_again(machine, nvml, change: str) -> None:
    fast_profile()
    if change == "boot":
        machine["boot"].write_text("2222-boot\n")
    elif change == "driver":
        machine["driver"].write_text("NVRM version: NVIDIA UNIX x86_64 Kernel Module  590.10\n")
    elif change == "gpus":
        (machine["gpus"] / "0000:02:00.0").mkdir()
    else:
        machine["driver"].unlink()
    fast_profile()
    fast_profile()
    assert len(nvml) == 2


def test_an_old_or_damaged_cache_reads_again(machine, nvml) -> None:
    fast_profile()
    data = json.loads(cache.cache_path().read_text())
    data["at"] -= cache.MAX_AGE_S + 1
    cache.cache_path().write_text(json.dumps(data))
    fast_profile()
    assert len(nvml) == 2
    cache.cache_path().write_text("{not json")
    fast_profile()
    assert len(nvml) == 3


def test_cuda_visible_devices_applies_to_a_cached_reading(machine, nvml, monkeypatch: pytest.MonkeyPatch) -> None:
    assert fast_profile().cuda_gpu
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    hidden = fast_profile()
    assert len(nvml) == 1 and not hidden.cuda_gpu and hidden.max_vram_gb is None


def test_mig_survives_the_round_trip(machine, monkeypatch: pytest.MonkeyPatch) -> None:
    gpu = FakeGpu("A100", 81920, mig_mode=NVML_DEVICE_MIG_ENABLE, mig=[FakeMig("MIG-1", 9728), FakeMig("MIG-2", 19968)])
    monkeypatch.setattr(profile, "read_nvml", lambda nv=None, *, brief=False: read_nvml(FakePynvml([gpu]), brief=brief))
    fresh = fast_profile()
    monkeypatch.setattr(profile, "read_nvml", lambda *a, **k: pytest.fail("the cache was not used"))
    assert fast_profile() == fresh and fresh.max_vram_gb == 19.5


def test_no_boot_id_no_cache(machine, nvml) -> None:
    machine["boot"].unlink()
    fast_profile()
    fast_profile()
    assert len(nvml) == 2 and not cache.cache_path().exists()


def test_a_stand_in_or_a_fake_gpu_never_touches_the_cache(machine, nvml, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_profile(FakePynvml([FakeGpu("T4", 15360)]), environ={})
    monkeypatch.setenv("DLPATH_FAKE_GPU", "none")
    fast_profile()
    assert nvml == [] and not cache.cache_path().exists()


def test_an_unwritable_home_only_costs_speed(machine, nvml, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = tmp_path / "a-file"
    home.write_text("")
    monkeypatch.setenv("DLPATH_HOME", str(home))
    assert fast_profile().cuda_gpu and fast_profile().cuda_gpu
    assert len(nvml) == 2


def test_dlpath_gpu_reads_afresh_and_refreshes_the_cache(machine, nvml, monkeypatch: pytest.MonkeyPatch) -> None:
    import dlpath.hardware.report as report
    from tests.fakes.machines import cpu, torch_cpu

    fast_profile()
    seen = []

    def full_read(nv=None, *, brief=False):
        seen.append(brief)
        return read_nvml(FakePynvml([FakeGpu("NVIDIA L4", 23034)]), brief=brief)

    monkeypatch.setattr(report.nvml_side, "read_nvml", full_read)
    result = report.gpu_report(None, torch_info=torch_cpu(), cpu=cpu(), environ={})
    assert seen == [False] and result.gpus[0].name == "NVIDIA L4"
    assert fast_profile().gpus[0].name == "NVIDIA L4"  # the next command starts from what `gpu` saw
    assert len(nvml) == 1
