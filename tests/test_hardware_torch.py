"""The torch side, with stand-in torch modules: missing, broken, CPU, CUDA with an arch list, ROCm."""

from __future__ import annotations

import warnings
from types import SimpleNamespace
from typing import Any

import pytest

from dlpath.hardware.framework import arch_covers, cudnn_version_text, probe_torch


def fake_torch(
    *,
    cuda: str | None = None,
    hip: str | None = None,
    available: bool = False,
    arches: list[str] | None = None,
    capability: tuple[int, int] = (9, 0),
    warn: str | None = None,
) -> Any:
    def is_available() -> bool:
        if warn:
            warnings.warn(warn, UserWarning)
        return available

    props = SimpleNamespace(name="NVIDIA H100 80GB HBM3", total_memory=81559 * 1024 * 1024)
    return SimpleNamespace(
        __version__="2.5.1",
        version=SimpleNamespace(cuda=cuda, hip=hip),
        cuda=SimpleNamespace(
            is_available=is_available,
            get_arch_list=lambda: list(arches or []),
            device_count=lambda: 1 if available else 0,
            get_device_properties=lambda i: props,
            get_device_capability=lambda i: capability,
            is_bf16_supported=lambda: capability >= (8, 0),
        ),
        backends=SimpleNamespace(cudnn=SimpleNamespace(version=lambda: 90100)),
        float8_e4m3fn=object(),
    )


def _raise(exc: BaseException) -> Any:
    def go() -> Any:
        raise exc

    return go


def test_torch_missing() -> None:
    err = ModuleNotFoundError("No module named 'torch'", name="torch")
    info = probe_torch(_raise(err))
    assert not info.installed and info.build == "none" and info.error is None


@pytest.mark.parametrize(
    "exc",
    [OSError("libcudnn.so.9: cannot open shared object file"),
     ModuleNotFoundError("No module named 'typing_extensions'", name="typing_extensions"),
     SystemExit(1)],
)
def test_torch_import_fails(exc: BaseException) -> None:
    info = probe_torch(_raise(exc))
    assert info.installed and info.error and info.error.startswith("importing torch failed")


def test_cpu_build() -> None:
    info = probe_torch(lambda: fake_torch())
    assert info.installed and info.build == "cpu" and not info.cuda_available and info.arch_list == []
    assert info.cudnn_version is None and info.devices == []


def test_cuda_build_with_a_gpu() -> None:
    info = probe_torch(lambda: fake_torch(cuda="12.4", available=True, arches=["sm_80", "sm_90"]))
    assert info.build == "cuda 12.4" and info.cuda_available and info.device_count == 1
    assert info.arch_list == ["sm_80", "sm_90"] and info.cudnn_version == "9.1.0"
    assert (info.bf16_supported, info.tf32_supported, info.fp8_supported) == (True, True, True)
    assert info.devices[0].compute_capability == "9.0" and info.devices[0].memory_total_mib == 81559


def test_cuda_build_keeps_what_cuda_said_when_it_failed() -> None:
    said = "CUDA initialization: The NVIDIA driver on your system is too old (found version 11040)."
    info = probe_torch(lambda: fake_torch(cuda="12.4", warn=said))
    assert not info.cuda_available and info.cuda_error == said


def test_rocm_build() -> None:
    info = probe_torch(lambda: fake_torch(hip="6.2", available=True, capability=(9, 4)))
    assert info.build == "rocm 6.2" and info.is_rocm_build and info.cuda_available
    assert info.tf32_supported is False


def test_the_real_torch_here() -> None:
    info = probe_torch()
    assert info.installed and info.version
    if info.cuda_version is None and info.hip_version is None:
        assert info.build == "cpu" and not info.cuda_available


@pytest.mark.parametrize(
    ("arches", "capability", "covered"),
    [
        (["sm_80", "sm_90"], (9, 0), True),
        (["sm_80", "sm_90"], (8, 6), True),  # same major, newer minor: sm_80 code runs
        (["sm_80", "sm_86"], (8, 0), True),
        (["sm_86"], (8, 0), False),  # older minor than any build
        (["sm_50", "sm_90"], (12, 0), False),  # Blackwell on a Hopper-era build
        (["sm_50", "sm_90", "compute_90"], (12, 0), True),  # PTX is compiled by the driver
        (["sm_90a"], (9, 0), True),
        (["sm_90a"], (10, 0), False),
        (["sm_50", "sm_60"], (3, 7), False),
        ([], (9, 0), None),
    ],
)
def test_arch_covers(arches: list[str], capability: tuple[int, int], covered: bool | None) -> None:
    assert arch_covers(arches, capability) is covered


@pytest.mark.parametrize(("value", "text"), [(90100, "9.1.0"), (8906, "8.9.6"), (None, None), (0, None)])
def test_cudnn_version_text(value: int | None, text: str | None) -> None:
    assert cudnn_version_text(value) == text
