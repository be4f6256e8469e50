"""`dlpath gpu` on simulated machines: the right diagnoses, JSON, exit 0, and never a traceback."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from dlpath.cli import app
from dlpath.course.loading import load_curriculum
from dlpath.hardware import framework, gpu_report, nvml, system
from tests.fakes import machines
from tests.fakes.fake_pynvml import (
    NVML_DEVICE_MIG_ENABLE,
    NVML_ERROR_DRIVER_NOT_LOADED,
    NVML_ERROR_GPU_IS_LOST,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH,
    NVML_ERROR_LIBRARY_NOT_FOUND,
    OPTIONAL_FUNCTIONS,
    FakeGpu,
    FakeMig,
    FakePynvml,
)

COURSE = Path(__file__).parent / "fixtures" / "hardware" / "curriculum"


def h100(**kw: Any) -> FakeGpu:
    return FakeGpu("NVIDIA H100 80GB HBM3", memory_total_mib=81559, compute_capability=(9, 0), **kw)


@dataclass
class Scenario:
    """One simulated machine and the diagnoses it must produce (code -> severity)."""

    nv: Callable[[], FakePynvml]
    torch: Any
    expect: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    cpu: Any = field(default_factory=machines.cpu)
    deprecated: str | None = None


SCENARIOS = {
    "library-missing": Scenario(
        lambda: FakePynvml(init_error=NVML_ERROR_LIBRARY_NOT_FOUND), machines.torch_cpu(),
        {"nvml-library-missing": "info", "no-gpu": "info"},
    ),
    "library-missing-with-nvidia-card": Scenario(
        lambda: FakePynvml(init_error=NVML_ERROR_LIBRARY_NOT_FOUND), machines.torch_cpu(),
        {"nvml-library-missing": "error"}, cpu=machines.cpu(nvidia_pci=1),
    ),
    "driver-not-loaded": Scenario(
        lambda: FakePynvml(init_error=NVML_ERROR_DRIVER_NOT_LOADED), machines.torch_cuda(available=False),
        {"driver-not-loaded": "error"},
    ),
    "driver-library-mismatch": Scenario(
        lambda: FakePynvml(init_error=NVML_ERROR_LIB_RM_VERSION_MISMATCH), machines.torch_cuda(available=False),
        {"driver-library-mismatch": "error"},
    ),
    "h100-with-cpu-torch": Scenario(
        lambda: FakePynvml([h100()]), machines.torch_cpu(),
        {"torch-cpu-build-with-nvidia-gpu": "error"},
    ),
    "two-gpus-one-lost": Scenario(
        lambda: FakePynvml([h100(), h100(fail_with=NVML_ERROR_GPU_IS_LOST)]), machines.torch_cuda(),
        {"gpu-query-failed": "warning"},
    ),
    "only-gpu-lost-at-handle": Scenario(
        lambda: FakePynvml([h100(handle_error=NVML_ERROR_GPU_IS_LOST)]), machines.torch_cuda(available=False),
        {"gpu-query-failed": "error"},
    ),
    "mig-enabled": Scenario(
        lambda: FakePynvml([h100(mig_mode=NVML_DEVICE_MIG_ENABLE,
                                 mig=[FakeMig("MIG-aaaa", 9856), FakeMig("MIG-bbbb", 19968)])]),
        machines.torch_cuda(memory_mib=19968),
        {"mig-enabled": "info"},
    ),
    "mig-enabled-no-instances": Scenario(
        lambda: FakePynvml([h100(mig_mode=NVML_DEVICE_MIG_ENABLE)]), machines.torch_cuda(available=False),
        {"mig-enabled": "warning"},
    ),
    "not-supported-everywhere": Scenario(
        lambda: FakePynvml([FakeGpu("NVIDIA GeForce RTX 3060", 12288, unsupported=set(OPTIONAL_FUNCTIONS))]),
        machines.torch_cuda(capability="8.6", name="NVIDIA GeForce RTX 3060", memory_mib=12288),
        {},
    ),
    "driver-cuda-older-major": Scenario(
        lambda: FakePynvml([h100()], cuda_driver_version=11080, driver_version="520.61.05"),
        machines.torch_cuda("12.4", available=False,
                            cuda_error="CUDA initialization: The NVIDIA driver on your system is too old"),
        {"driver-too-old-for-torch-cuda": "error"},
    ),
    "driver-cuda-older-minor": Scenario(
        lambda: FakePynvml([h100()], cuda_driver_version=12020), machines.torch_cuda("12.4"),
        {"driver-too-old-for-torch-cuda": "warning"},
    ),
    "cuda-visible-devices-empty": Scenario(
        lambda: FakePynvml([h100()]), machines.torch_cuda(available=False),
        {"cuda-visible-devices-hides-gpus": "error"}, env={"CUDA_VISIBLE_DEVICES": ""},
    ),
    "cuda-visible-devices-missing-index": Scenario(
        lambda: FakePynvml([h100()]), machines.torch_cuda(available=False),
        {"cuda-visible-devices-hides-gpus": "error"}, env={"CUDA_VISIBLE_DEVICES": "3"},
    ),
    "cuda-visible-devices-one-of-two": Scenario(
        lambda: FakePynvml([h100(), h100()]), machines.torch_cuda(),
        {"cuda-visible-devices-hides-gpus": "info"}, env={"CUDA_VISIBLE_DEVICES": "1"},
    ),
    "deprecated-pynvml": Scenario(
        lambda: FakePynvml([h100()]), machines.torch_cuda(),
        {"deprecated-pynvml-package": "warning"}, deprecated="11.5.0",
    ),
    "blackwell-on-old-build": Scenario(
        lambda: FakePynvml([FakeGpu("NVIDIA GeForce RTX 5090", 32607, compute_capability=(12, 0))],
                           cuda_driver_version=12080),
        machines.torch_cuda("12.4", available=False, cuda_error=None),
        {"gpu-arch-not-in-torch-build": "error"},
    ),
    "kepler-on-new-build": Scenario(
        lambda: FakePynvml([FakeGpu("Tesla K80", 11441, compute_capability=(3, 7))], cuda_driver_version=11040),
        machines.torch_cuda("11.8", available=False),
        {"gpu-arch-not-in-torch-build": "error", "driver-too-old-for-torch-cuda": "warning"},
    ),
    "torch-missing": Scenario(
        lambda: FakePynvml([h100()]), machines.torch_missing(), {"torch-missing": "error"},
    ),
    "torch-broken": Scenario(
        lambda: FakePynvml([h100()]), machines.torch_broken(), {"torch-import-failed": "error"},
    ),
    "rocm-with-nvidia-gpu": Scenario(
        lambda: FakePynvml([h100()]), machines.torch_rocm(), {"rocm-build": "error"},
    ),
    "rocm-on-amd": Scenario(
        lambda: FakePynvml(init_error=NVML_ERROR_LIBRARY_NOT_FOUND), machines.torch_rocm(available=True),
        {"rocm-build": "info", "nvml-library-missing": "info"},
    ),
    "small-laptop-gpu": Scenario(
        lambda: FakePynvml([FakeGpu("NVIDIA GeForce GTX 1650", 4096, compute_capability=(7, 5))]),
        machines.torch_cuda(capability="7.5", name="NVIDIA GeForce GTX 1650", memory_mib=4096),
        {"low-vram": "warning"},
    ),
    "cuda-init-failed": Scenario(
        lambda: FakePynvml([h100()]), machines.torch_cuda(available=False, cuda_error="CUDA unknown error"),
        {"cuda-init-failed": "error"},
    ),
    "healthy-h100": Scenario(lambda: FakePynvml([h100()]), machines.torch_cuda(), {}),
}


def _codes(diagnoses: list[dict[str, Any]]) -> dict[str, str]:
    return {d["code"]: d["severity"] for d in diagnoses}


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> Callable[[Scenario], None]:
    """Make the CLI see a scenario's machine."""

    def use(s: Scenario) -> None:
        nv = s.nv()
        monkeypatch.setattr(nvml, "load_bindings", lambda: nv)
        monkeypatch.setattr(framework, "probe_torch", lambda *a, **k: s.torch)
        monkeypatch.setattr(system, "read_system", lambda: s.cpu)
        versions = {"nvidia-ml-py": "12.560.30", "pynvml": s.deprecated}
        monkeypatch.setattr(nvml, "installed_version", lambda name: versions.get(name))
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
        monkeypatch.delenv("DLPATH_FAKE_GPU", raising=False)
        for key, value in s.env.items():
            monkeypatch.setenv(key, value)

    return use


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_json(name: str, runner: Any, machine: Callable[[Scenario], None]) -> None:
    scenario = SCENARIOS[name]
    machine(scenario)
    result = runner.invoke(app, ["--curriculum", str(COURSE), "gpu", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"nvml", "gpus", "torch", "cpu", "diagnoses", "recommendations", "kernels"}
    codes = _codes(data["diagnoses"])
    for code, severity in scenario.expect.items():
        assert codes.get(code) == severity, (code, codes)
    if not any(s == "error" for s in scenario.expect.values()):
        assert "error" not in codes.values(), codes
    for d in data["diagnoses"]:
        assert d["message"] and d["fix"]
    severities = [d["severity"] for d in data["diagnoses"]]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_rendered(name: str, runner: Any, machine: Callable[[Scenario], None]) -> None:
    scenario = SCENARIOS[name]
    machine(scenario)
    result = runner.invoke(app, ["--curriculum", str(COURSE), "gpu"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for code in scenario.expect:
        assert f"[{code}]" in result.output.replace("\n", " ") or code in result.output
    if any(s == "error" for s in scenario.expect.values()):
        assert result.output.lstrip().splitlines()[0].find("Problems to fix") >= 0


# -- details of particular scenarios, through the core ------------------------------


def _report(name: str, curriculum: Any = None, **over: Any) -> Any:
    s = SCENARIOS[name]
    return gpu_report(
        curriculum,
        nvml=s.nv(),
        torch_info=over.get("torch", s.torch),
        cpu=over.get("cpu", s.cpu),
        environ=over.get("env", s.env),
        deprecated_pynvml=s.deprecated,
    )


def _diag(report: Any, code: str) -> Any:
    return next(d for d in report.diagnoses if d.code == code)


def test_library_missing_reports_nvml_unavailable_and_cpu_advice() -> None:
    report = _report("library-missing")
    assert report.nvml.available is False
    assert report.nvml.error_kind == "library-missing"
    assert report.gpus == []
    assert report.recommendations.device == "cpu"
    assert report.recommendations.precision == "fp32"
    assert "Colab" in _diag(report, "no-gpu").fix


def test_cpu_torch_on_h100_points_at_the_wheel_for_the_drivers_cuda() -> None:
    report = _report("h100-with-cpu-torch", load_curriculum(COURSE))
    fix = _diag(report, "torch-cpu-build-with-nvidia-gpu").fix
    assert "--index-url https://download.pytorch.org/whl/cu124" in fix
    assert report.recommendations.device == "cpu"
    lessons = {lesson.id: lesson for lesson in report.recommendations.lessons}
    assert lessons["cuda-basics"].open and lessons["big-models"].open
    assert "fix the errors above" in (report.recommendations.lessons_note or "")


def test_a_lost_gpu_is_marked_and_the_other_still_shows() -> None:
    report = _report("two-gpus-one-lost")
    good, lost = report.gpus
    assert good.ok and good.memory_total_mib == 81559 and good.compute_capability == "9.0"
    assert not lost.ok and lost.error == "GPU is lost"
    assert lost.memory_total_mib is None
    assert "GPU 1" in _diag(report, "gpu-query-failed").message


def test_mig_uses_the_largest_instance_for_memory() -> None:
    report = _report("mig-enabled")
    gpu = report.gpus[0]
    assert gpu.mig_enabled is True
    assert [m.memory_total_mib for m in gpu.mig_devices] == [9856, 19968]
    rec = report.recommendations
    assert rec.free_memory_mib == 19968
    assert "MIG instance 1 of GPU 0" in rec.memory_basis


def test_mig_without_instances_hides_the_gpu_from_lessons() -> None:
    report = _report("mig-enabled-no-instances", load_curriculum(COURSE))
    assert all(not lesson.open for lesson in report.recommendations.lessons)


def test_not_supported_fields_are_null_not_errors() -> None:
    report = _report("not-supported-everywhere")
    gpu = report.gpus[0]
    assert gpu.ok and gpu.query_errors == {}
    assert gpu.name == "NVIDIA GeForce RTX 3060" and gpu.memory_total_mib == 12288
    for attr in ("uuid", "compute_capability", "utilization_gpu_pct", "temperature_c", "power_draw_w",
                 "power_limit_w", "mig_enabled", "process_count"):
        assert getattr(gpu, attr) is None, attr
    assert set(gpu.unsupported) >= {"uuid", "temperature", "power_draw", "mig_mode", "processes"}
    # the precision falls back on what torch says about the device
    assert report.recommendations.precision == "bf16"


def test_driver_too_old_names_both_versions() -> None:
    message = _diag(_report("driver-cuda-older-major"), "driver-too-old-for-torch-cuda").message
    assert "CUDA 12.4" in message and "11.8" in message and "520.61.05" in message


def test_cuda_visible_devices_missing_index_is_named() -> None:
    message = _diag(_report("cuda-visible-devices-missing-index"), "cuda-visible-devices-hides-gpus").message
    assert "'3' names no GPU here" in message
    report = _report("cuda-visible-devices-missing-index")
    assert report.gpus[0].visible_to_cuda is False


def test_cuda_visible_devices_by_uuid_prefix() -> None:
    report = _report("cuda-visible-devices-one-of-two", env={"CUDA_VISIBLE_DEVICES": "GPU-00000001"})
    assert [g.visible_to_cuda for g in report.gpus] == [False, True]


def test_arch_diagnoses_say_newer_or_older() -> None:
    assert "newer than every architecture" in _diag(_report("blackwell-on-old-build"),
                                                     "gpu-arch-not-in-torch-build").message
    assert "older than the oldest" in _diag(_report("kepler-on-new-build"), "gpu-arch-not-in-torch-build").message


def test_torch_missing_still_reports_the_driver() -> None:
    report = _report("torch-missing")
    assert report.nvml.available and report.gpus[0].name == "NVIDIA H100 80GB HBM3"
    assert report.torch.installed is False


def test_healthy_h100_recommendations_state_the_arithmetic() -> None:
    report = _report("healthy-h100", load_curriculum(COURSE))
    rec = report.recommendations
    assert rec.device == "cuda" and rec.precision == "bf16"
    assert rec.bytes_per_parameter == 18 and rec.headroom == 0.2
    assert rec.max_trainable_parameters == int(81559 * 1024 * 1024 * 0.8 / 18)
    assert "81,559 MiB" in rec.parameter_arithmetic and "/ 18 bytes" in rec.parameter_arithmetic
    assert "3.8 billion" in rec.parameter_arithmetic
    assert rec.dataloader_workers == 7
    assert report.gpus[0].arch_in_torch_build is True
    assert {lesson.id: lesson.open for lesson in rec.lessons} == {"cuda-basics": True, "big-models": True}
    assert rec.lessons_note is None


@pytest.mark.parametrize(
    ("capability", "precision"),
    [((9, 0), "bf16"), ((8, 0), "bf16"), ((7, 5), "fp16-mixed"), ((7, 0), "fp16-mixed"), ((6, 1), "fp32")],
)
def test_precision_follows_compute_capability(capability: tuple[int, int], precision: str) -> None:
    cc = f"{capability[0]}.{capability[1]}"
    report = gpu_report(
        nvml=FakePynvml([FakeGpu("G", 16384, compute_capability=capability)]),
        torch_info=machines.torch_cuda(capability=cc, arches=["sm_60", "sm_70", "sm_80", "sm_90"]),
        cpu=machines.cpu(), environ={}, deprecated_pynvml=None,
    )
    assert report.recommendations.precision == precision


def test_small_gpu_closes_the_big_lesson() -> None:
    lessons = {x.id: x for x in _report("small-laptop-gpu", load_curriculum(COURSE)).recommendations.lessons}
    assert lessons["cuda-basics"].open
    assert not lessons["big-models"].open
    assert lessons["big-models"].reason == "needs 40 GB of GPU memory; the largest GPU here has 4 GB"


def test_no_gpu_closes_every_gpu_lesson() -> None:
    lessons = _report("library-missing", load_curriculum(COURSE)).recommendations.lessons
    assert [(x.id, x.open) for x in lessons] == [("cuda-basics", False), ("big-models", False)]


def test_fake_gpu_drives_the_lesson_list_and_says_so() -> None:
    report = _report("library-missing", load_curriculum(COURSE),
                     env={"DLPATH_FAKE_GPU": "NVIDIA H100 80GB HBM3:81559"})
    assert all(x.open for x in report.recommendations.lessons)
    assert _diag(report, "fake-gpu").severity == "info"
    assert report.nvml.available is False  # the rest is the real (here: simulated) machine


def test_mps_on_a_mac() -> None:
    torch = machines.torch_cpu("2.5.1")
    torch.mps_built = torch.mps_available = True
    report = _report("library-missing", torch=torch)
    codes = {d.code for d in report.diagnoses}
    assert "mps-available" in codes and "no-gpu" not in codes
    assert report.recommendations.device == "mps"


def test_a_broken_curriculum_does_not_stop_the_report(
    runner: Any, machine: Callable[[Scenario], None], tmp_path: Path
) -> None:
    machine(SCENARIOS["healthy-h100"])
    broken = tmp_path / "course"
    broken.mkdir()
    (broken / "curriculum.yaml").write_text("format_version: 1\nstages: [\n")
    result = runner.invoke(app, ["--curriculum", str(broken), "gpu", "--json"])
    assert result.exit_code == 0, result.output
    note = json.loads(result.output)["recommendations"]["lessons_note"]
    assert note.startswith("GPU-only lessons are not listed: ") and "dlpath validate" in note
