"""`dlpath gpu` says which route this machine has for CUDA kernels: real CUDA, the simulator, or not yet."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from dlpath.hardware.kernels import kernel_route


def versions(**installed: str) -> Any:
    return lambda name: installed.get(name.replace("-", "_"))


def test_without_numba_cuda_the_route_is_none_with_the_extra_to_install() -> None:
    route = kernel_route(False, None, versions=versions(), environ={})
    assert (route.route, route.numba_cuda, route.tested, route.install) == ("none", None, None,
                                                                            "pip install 'dlpath[kernels]'")
    assert "simulator: no GPU needed" in route.message


@pytest.mark.parametrize("driver, extra", [("12.4", "kernels-cu12"), ("13.0", "kernels-cu13"), (None, "kernels-cu12")])
def test_with_a_gpu_the_extra_matches_the_driver_s_cuda(driver: str | None, extra: str) -> None:
    assert kernel_route(True, driver, versions=versions(), environ={}).install == f"pip install 'dlpath[{extra}]'"


def test_numba_cuda_without_a_gpu_is_the_simulator_route() -> None:
    route = kernel_route(False, None, versions=versions(numba_cuda="0.30.4"), environ={})
    assert (route.route, route.tested, route.install) == ("simulator", True, None)
    assert "NUMBA_ENABLE_CUDASIM=1" in route.message


def test_a_gpu_without_the_compiler_stays_on_the_simulator_and_says_what_adds_it(tmp_path: Path) -> None:
    route = kernel_route(True, "12.8", versions=versions(numba_cuda="0.30.1"), environ={"CUDA_HOME": str(tmp_path)},
                         toolkit=str(tmp_path / "none"))
    assert route.route == "simulator" and route.install == "pip install 'dlpath[kernels-cu12]'"
    assert "NVVM" in route.message


@pytest.mark.parametrize("how", ["cu12 wheels", "cu13 wheels", "toolkit"])
def test_a_gpu_with_the_compiler_is_the_cuda_route(how: str, tmp_path: Path) -> None:
    for name in ("nvvm/lib64/libnvvm.so.4", "lib64/libnvrtc.so.13"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    wheels = {"cu12 wheels": {"nvidia_cuda_nvcc_cu12": "12.9.86", "nvidia_cuda_nvrtc_cu12": "12.9.86"},
              "cu13 wheels": {"nvidia_nvvm": "13.0.88", "nvidia_cuda_nvrtc": "13.0.88"}, "toolkit": {}}[how]
    route = kernel_route(True, "12.8", versions=versions(numba_cuda="0.30.4", **wheels),
                         environ={"CUDA_HOME": str(tmp_path)}, toolkit=str(tmp_path / "none"))
    assert route.route == "cuda" and route.install is None
    assert route.compiler == {"cu12 wheels": "nvidia-cuda-nvcc-cu12 + nvidia-cuda-nvrtc-cu12",
                              "cu13 wheels": "nvidia-nvvm + nvidia-cuda-nvrtc", "toolkit": str(tmp_path)}[how]
    assert "--device cuda" in route.message


def test_a_toolkit_without_nvrtc_is_not_a_compiler(tmp_path: Path) -> None:
    (tmp_path / "nvvm" / "lib64").mkdir(parents=True)
    (tmp_path / "nvvm" / "lib64" / "libnvvm.so").write_bytes(b"")
    route = kernel_route(True, "13.0", versions=versions(numba_cuda="0.30.4", nvidia_nvvm="13.0.88"),
                         environ={"CUDA_HOME": str(tmp_path)}, toolkit=str(tmp_path / "none"))
    assert route.route == "simulator" and route.install == "pip install 'dlpath[kernels-cu13]'"


def test_an_untested_version_is_said() -> None:
    route = kernel_route(False, None, versions=versions(numba_cuda="0.35.0"), environ={})
    assert route.tested is False and "tested with numba-cuda 0.30.x" in route.message


def test_the_report_renders_and_serialises_the_route(runner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from dlpath.cli import app
    from dlpath.hardware import gpu_report
    from dlpath.render.hardware import gpu_report as render
    from tests.fakes import machines
    from tests.fakes.fake_pynvml import FakePynvml

    report = gpu_report(nvml=FakePynvml([]), torch_info=machines.torch_cpu(), cpu=machines.cpu(), environ={},
                        versions=versions())
    out = io.StringIO()
    render(report, Console(file=out, width=100, color_system=None))
    text = out.getvalue()
    assert "CUDA kernels in Python" in text and "not yet" in text and "pip install 'dlpath[kernels]'" in text
    monkeypatch.setenv("DLPATH_FAKE_GPU", "none")
    data = json.loads(runner.invoke(app, ["gpu", "--json"]).output)
    assert set(data["kernels"]) == {"route", "numba_cuda", "tested", "compiler", "message", "install"}
    assert data["kernels"]["route"] in ("simulator", "none")
