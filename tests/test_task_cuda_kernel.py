"""``cuda_kernel`` in one process: the judge reads the kernel file, an in-process loader runs it on dlpath's
simulator, and the mentor explains (correct, out of bounds, race, uncoalesced, too many reads, wrong, crash).

`tests.taskrun` wires the judge's requests to the learner side and to a loader side; the real processes run
in test_projects_calibration.py (the shipped kernel projects). Sizes are small: each case here takes well
under a second.
"""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest
import torch
from numba import cuda  # numba-cuda's simulator here (tests/conftest.py sets NUMBA_ENABLE_CUDASIM=1)

from dlpath.grading.tasks import ContractError, JudgeContext, LearnerError, LearnerSide, get_task
from dlpath.grading.tasks._kernel_rules import SIMULATOR_LIMITS
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor

ADD = dict(id="k", task="cuda_kernel", lesson="cuda-programming",
           thresholds=(Threshold("correct_outputs", 1.0), Threshold("out_of_bounds", max=0),
                       Threshold("segments_per_request", max=2)),
           dataset=DatasetSpec("scale_add", {"min_size": 200, "max_size": 400}, 1, 0, 3))
SUMS = dict(id="k", task="cuda_kernel", lesson="gpu-memory-and-reductions",
            thresholds=(Threshold("correct_outputs", 1.0), Threshold("races", max=0),
                        Threshold("segments_per_request", max=4)),
            dataset=DatasetSpec("row_sums", {"min_rows": 3, "max_rows": 6, "min_cols": 40, "max_cols": 90}, 1, 0, 2))
MATMUL = dict(id="k", task="cuda_kernel", lesson="fast-kernels",
              thresholds=(Threshold("correct_outputs", 1.0), Threshold("global_reads_per_output", max=16)),
              dataset=DatasetSpec("matmul", {"min_size": 9, "max_size": 18, "min_inner": 17, "max_inner": 30},
                                  1, 0, 1))

SCALE_ADD = """
import math
from numba import cuda

THREADS = 64


@cuda.jit
def scale_add(a, x, y, out):
    i = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    if i < out.size:
        out[i] = a * x[i] + y[i]


def launch(shape):
    return math.ceil(shape[0] / THREADS), THREADS
"""
NO_CHECK = SCALE_ADD.replace("    if i < out.size:\n        out[i] = a * x[i] + y[i]", "    out[i] = a * x[i] + y[i]")
ROUNDED_DOWN = SCALE_ADD.replace("math.ceil(shape[0] / THREADS)", "shape[0] // THREADS + (shape[0] < THREADS)")
CHUNKS = SCALE_ADD.replace("""    i = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    if i < out.size:
        out[i] = a * x[i] + y[i]""", """    t = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    for k in range(8):
        i = 8 * t + k
        if i < out.size:
            out[i] = a * x[i] + y[i]""")
FLOAT_INDEX = SCALE_ADD.replace("out[i] = a * x[i] + y[i]", "out[i] = a * x[i / 1] + y[i]")
ROW_SUMS = """
from numba import cuda, float32

THREADS = 32


@cuda.jit
def row_sums(a, out):
    partial = cuda.shared.array(THREADS, float32)
    row = cuda.blockIdx.x
    t = cuda.threadIdx.x
    total = 0.0
    for j in range(t, a.shape[1], THREADS):
        total += a[row, j]
    partial[t] = total
    cuda.syncthreads()
    step = THREADS // 2
    while step > 0:
        if t < step:
            partial[t] += partial[t + step]
        cuda.syncthreads()
        step //= 2
    if t == 0:
        out[row] = partial[0]


def launch(shape):
    return shape[0], THREADS
"""
RACY_SUMS = ROW_SUMS.replace("        cuda.syncthreads()\n        step //= 2", "        step //= 2")
NAIVE_MATMUL = """
from numba import cuda


@cuda.jit
def matmul(a, b, out):
    col, row = cuda.grid(2)
    if row < out.shape[0] and col < out.shape[1]:
        total = 0.0
        for k in range(a.shape[1]):
            total += a[row, k] * b[k, col]
        out[row, col] = total


def launch(shape):
    return ((shape[1] + 7) // 8, (shape[0] + 7) // 8), (8, 8)
"""


def grade(source: str, project: dict, tmp_path: Path) -> tuple[dict, list, dict]:
    (tmp_path / "train.py").write_text(source, encoding="utf-8")
    diagnoses, got = mentor(source, project, folder=tmp_path)
    assert got["failure"] is None, got["failure"]
    return got["metrics"], diagnoses, got


def by_code(diagnoses: list) -> dict:
    return {d.code: d for d in diagnoses}


def test_a_correct_kernel_passes_and_the_report_states_the_simulator_s_limits(tmp_path: Path) -> None:
    metrics, diagnoses, got = grade(SCALE_ADD, ADD, tmp_path)
    assert metrics["correct_outputs"] == 1.0 and metrics["out_of_bounds"] == 0 and metrics["races"] == 0
    assert metrics["global_reads_per_output"] == 2.0 and metrics["segments_per_request"] <= 1.2
    assert [d.code for d in diagnoses] == ["simulator-limits"]
    assert SIMULATOR_LIMITS in diagnoses[0].message and diagnoses[0].severity == "info"
    assert got["asked"].count("loader:simulate") == 3  # every case ran in the loader, from the judge's reading
    assert got["asked"] == ["loader:simulate"] * 3 + ["device"]


def test_an_access_outside_an_array_is_named_with_its_thread_block_and_line(tmp_path: Path) -> None:
    metrics, diagnoses, _ = grade(NO_CHECK, ADD, tmp_path)
    assert metrics["out_of_bounds"] > 0
    found = by_code(diagnoses)["out-of-bounds"]
    assert found.severity == "error" and "on the hidden inputs" in found.message
    line = NO_CHECK.splitlines().index("    out[i] = a * x[i] + y[i]") + 1
    assert f"at line {line} (out[i] = a * x[i] + y[i])" in found.message
    assert " of block " in found.message and "past the end of x" in found.message
    assert "if i < out.size" in found.message


def test_a_missing_barrier_is_a_race_between_two_named_threads(tmp_path: Path) -> None:
    metrics, diagnoses, _ = grade(RACY_SUMS, SUMS, tmp_path)
    assert metrics["races"] > 0
    found = by_code(diagnoses)["race-condition"]
    assert "with no cuda.syncthreads() between (shared memory)" in found.message
    assert "thread 0 read partial[" in found.message or "thread 0 wrote partial[" in found.message
    assert "wrong-outputs" not in by_code(diagnoses)  # the race is the cause; the wrong sums follow from it


def test_a_correct_kernel_with_scattered_reads_fails_on_coalescing(tmp_path: Path) -> None:
    metrics, diagnoses, _ = grade(CHUNKS, ADD, tmp_path)
    assert metrics["correct_outputs"] == 1.0 and metrics["out_of_bounds"] == 0
    assert metrics["segments_per_request"] > 2  # the project's limit; 1 for one element per thread
    found = by_code(diagnoses)["uncoalesced-access"]
    assert found.severity == "error" and "gives the right answer" in found.message
    assert "32 threads of a warp" in found.message and "128 bytes" in found.message
    assert found.lesson == "gpu-memory-and-reductions"


def test_one_thread_per_row_is_right_but_uncoalesced(tmp_path: Path) -> None:
    one_per_row = """
from numba import cuda


@cuda.jit
def row_sums(a, out):
    row = cuda.grid(1)
    if row < a.shape[0]:
        total = 0.0
        for j in range(a.shape[1]):
            total += a[row, j]
        out[row] = total


def launch(shape):
    return 1, 32
"""
    metrics, diagnoses, _ = grade(one_per_row, SUMS, tmp_path)
    assert metrics["correct_outputs"] == 1.0 and metrics["segments_per_request"] > 2
    assert "uncoalesced-access" in by_code(diagnoses)


def test_a_matrix_multiply_without_reuse_reads_too_much(tmp_path: Path) -> None:
    metrics, diagnoses, _ = grade(NAIVE_MATMUL, MATMUL, tmp_path)
    assert metrics["correct_outputs"] == 1.0 and metrics["global_reads_per_output"] >= 34  # 2 * K, K >= 17
    found = by_code(diagnoses)["too-many-global-reads"]
    assert "shared memory" in found.message and "divides the global reads by T" in found.message


def test_outputs_never_written_are_a_wrong_answer_that_says_where(tmp_path: Path) -> None:
    metrics, diagnoses, _ = grade(ROUNDED_DOWN, ADD, tmp_path)
    assert metrics["correct_outputs"] < 1.0 and metrics["out_of_bounds"] == 0
    found = by_code(diagnoses)["wrong-outputs"]
    assert "never written (still NaN)" in found.message and "threads were launched for" in found.message


def test_a_kernel_that_raises_is_named_with_the_error_and_the_line(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(FLOAT_INDEX)
    diagnoses, got = mentor(FLOAT_INDEX, ADD, folder=tmp_path)
    assert got["failure"] is None and got["metrics"]["correct_outputs"] == 0.0
    found = by_code(diagnoses)["kernel-crashed"]
    line = FLOAT_INDEX.splitlines().index("        out[i] = a * x[i / 1] + y[i]") + 1
    assert "raised TypeError" in found.message and f"at line {line}" in found.message and "use x // y" in found.message


def test_code_outside_the_kernel_language_breaks_the_contract_before_anything_runs(tmp_path: Path) -> None:
    source = "import os\n" + SCALE_ADD
    (tmp_path / "train.py").write_text(source)
    with pytest.raises(ContractError, match="train.py line 1: import os: a kernel file imports only numba"):
        mentor(source, ADD, folder=tmp_path)


def test_the_judge_grades_the_file_it_reads_itself_in_the_loader(tmp_path: Path) -> None:
    """Whatever the learner's process did, the judge reads train.py and the loader runs exactly that text:
    a clean kernel imported, then a racy one left on disk, is graded as the racy one."""
    from tests.taskrun import learner
    from dlpath.grading.observe import Watch

    spec = types.SimpleNamespace(**SUMS)
    task = get_task("cuda_kernel")
    (tmp_path / "train.py").write_text(ROW_SUMS)
    side = LearnerSide(module=learner(ROW_SUMS, tmp_path / "train.py"), device="cpu", log=lambda **k: None,
                       watch=Watch())
    side.state = task.train(side, task.public_data(spec, 1))
    (tmp_path / "train.py").write_text(RACY_SUMS)
    loader = LearnerSide(module=None, device="cpu", log=lambda **k: None, watch=Watch(enabled=False), role="loader")

    def ask(name, values=None, tensors=None, target="learner"):
        return task.answer(name, dict(values or {}), dict(tensors or {}), loader if target == "loader" else side)

    ctx = JudgeContext(project=spec, public=task.public_data(spec, 1), test=task.test_data(spec, 5), ask=ask,
                       folder=tmp_path, test_seed=5)
    assert task.judge(ctx).metrics["races"] > 0


def test_dlpath_run_explains_the_public_example_from_the_learner_side(tmp_path: Path) -> None:
    from dlpath.grading.diagnose import Evidence, diagnose
    from dlpath.grading.facts import Observation
    from dlpath.grading.tasks import TASKS

    (tmp_path / "train.py").write_text(NO_CHECK)
    _, got = mentor(NO_CHECK, ADD, folder=tmp_path)
    seen = Observation.from_json(got["observation"].to_json())  # as it crosses from the learner process
    assert seen.extra["problem"] == "scale_add" and seen.extra["oob"]
    run = Evidence(task=TASKS["cuda_kernel"], project=types.SimpleNamespace(**ADD), observation=seen, trained=False)
    found = by_code(diagnose(run))
    assert "on the public example" in found["out-of-bounds"].message
    assert found["simulator-limits"].message.startswith("Run on the CPU.")


# ------------------------------------------------------------------ without numba-cuda


@pytest.fixture
def no_numba_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    from dlpath.hardware import nvml

    real = nvml.installed_version
    monkeypatch.setattr(nvml, "installed_version", lambda name: None if name == "numba-cuda" else real(name))


def test_start_says_what_to_install_when_numba_cuda_is_missing(runner, no_numba_cuda, tmp_path: Path) -> None:
    from dlpath.cli import app

    result = runner.invoke(app, ["start", "scale-and-add-kernel", str(tmp_path / "k")])
    assert result.exit_code == 2, result.output
    assert "numba-cuda, which is not installed here" in result.output
    assert "pip install 'dlpath[kernels]'" in result.output
    assert not (tmp_path / "k").exists()


def test_check_says_what_to_install_when_numba_cuda_is_missing(runner, monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    from dlpath.cli import app

    assert runner.invoke(app, ["start", "scale-and-add-kernel", str(tmp_path / "k")]).exit_code == 0
    from dlpath.hardware import nvml

    monkeypatch.setattr(nvml, "installed_version", lambda name: None)
    for command in (["check", str(tmp_path / "k")], ["run", str(tmp_path / "k")]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert "pip install 'dlpath[kernels]'" in result.output and "Traceback" not in result.output


# ------------------------------------------------------------------ on a GPU (stand-ins: this suite has none)


class _Event:
    times: list[float] = []

    def __init__(self, enable_timing: bool = False) -> None:
        pass

    def record(self) -> None:
        pass

    def synchronize(self) -> None:
        pass

    def elapsed_time(self, other: "_Event") -> float:
        return _Event.times.pop(0)


class _FakeTorch:
    """torch on the CPU, answering for torch.cuda: events with set times."""

    float32 = torch.float32

    def __init__(self) -> None:
        self.cuda = types.SimpleNamespace(Event=_Event, synchronize=lambda: None)

    @staticmethod
    def Generator(device: str) -> torch.Generator:  # noqa: N802 - torch's name
        return torch.Generator()

    @staticmethod
    def randn(shape, generator=None, device=None, dtype=None):  # noqa: ANN001, ANN205
        return torch.randn(shape, generator=generator, dtype=dtype)

    @staticmethod
    def empty(shape, device=None, dtype=None):  # noqa: ANN001, ANN205
        return torch.empty(shape, dtype=dtype)


class _FakeDevice:
    name = b"NVIDIA H100 80GB HBM3"
    compute_capability = (9, 0)
    MULTIPROCESSOR_COUNT = 132
    CLOCK_RATE = 1_980_000  # kHz
    MEMORY_CLOCK_RATE = 2_619_000  # kHz
    GLOBAL_MEMORY_BUS_WIDTH = 5120  # bits


class _FakeKernel:
    """kernel[blocks, threads](*args, out): computes scale_add into out, as the compiled kernel would."""

    def __getitem__(self, config):  # noqa: ANN001, ANN204
        def launch(a, x, y, out):  # noqa: ANN001, ANN202
            out.copy_(a * x + y)
        return launch


def test_timing_takes_the_median_after_warm_up_and_compares_with_torch() -> None:
    from dlpath.datasets.kernels import problem
    from dlpath.grading.tasks._kernel_gpu import time_on_gpu

    cuda = types.SimpleNamespace(get_current_device=lambda: _FakeDevice(), as_cuda_array=lambda tensor: tensor)
    _Event.times = [9.0] + [0.5] * 18 + [0.7] + [0.25] * 20  # an outlier does not move the median
    timing = time_on_gpu(cuda, _FakeTorch(), _FakeKernel(), lambda shape: (1, 1), problem("scale_add"), (1000,),
                         warmup=2, repeats=20)
    assert timing["kernel_ms"] == 0.5 and timing["torch_ms"] == 0.25
    assert timing["difference"] < 1e-6  # the kernel's result agrees with torch.add(y, x, alpha=a)
    assert timing["name"] == "NVIDIA H100 80GB HBM3" and timing["capability"] == "9.0"
    assert round(timing["peak_bandwidth_gbs"]) == 3352 and round(timing["peak_gflops"]) == 66908


def test_the_judge_checks_gpu_outputs_and_reports_rates_never_as_metrics() -> None:
    from dlpath.datasets.kernels import problem
    from dlpath.grading.diagnose import Evidence, diagnose
    from dlpath.grading.facts import Facts
    from dlpath.grading.tasks import TASKS
    from dlpath.grading.tasks.cuda_kernel import _judge_gpu, unpack_inputs

    scale_add = problem("scale_add")
    inputs = scale_add.inputs([3, 50])
    asked = []

    def ask(name, values=None, tensors=None, target="learner"):
        asked.append(name)
        if name == "device":
            return {"device": "cuda", "gpu_problem": None}, {}
        if name == "gpu-run":
            _, got = unpack_inputs(scale_add, values, tensors)
            wrong = got[0] * got[1] + got[2]
            wrong[0] += 1.0  # one wrong output: the GPU disagrees with the simulator
            return {}, {"out": torch.from_numpy(wrong.astype(np.float32))}
        return {"timing": {"kernel_ms": 0.1, "torch_ms": 0.08, "name": "GPU", "peak_bandwidth_gbs": 3352.0}}, {}

    extra: dict = {"problem": "scale_add"}
    _judge_gpu(types.SimpleNamespace(ask=ask), scale_add, [((50,), inputs)], extra)
    assert asked == ["device", "gpu-run", "gpu-time"]
    gpu = extra["gpu"]
    assert gpu["correct_outputs"] == pytest.approx(49 / 50)
    assert gpu["bandwidth_gbs"] == pytest.approx(12 * 2**24 / 1e-4 / 1e9) and gpu["speed_vs_torch"] == pytest.approx(0.8)
    run = Evidence(task=TASKS["cuda_kernel"], facts=Facts.from_json({"extra": extra}), metrics={})
    found = by_code(diagnose(run))
    assert found["gpu-timing"].severity == "info" and "Timing is reported, not graded" in found["gpu-timing"].message
    assert "it moved data at 2,013 GB/s, 60.1% of the device's 3,352 GB/s peak" in found["gpu-timing"].message
    assert found["gpu-results-differ"].severity == "warning"


def test_a_gpu_that_cannot_compile_the_kernel_is_a_warning_with_the_fix() -> None:
    from dlpath.grading.diagnose import Evidence, diagnose
    from dlpath.grading.facts import Facts
    from dlpath.grading.tasks import TASKS
    from dlpath.grading.tasks.cuda_kernel import _judge_gpu

    def ask(name, values=None, tensors=None, target="learner"):
        return {"device": "cuda", "gpu_problem": "NvvmSupportError: libNVVM cannot be found"}, {}

    extra: dict = {"problem": "scale_add"}
    _judge_gpu(types.SimpleNamespace(ask=ask), None, [], extra)
    found = by_code(diagnose(Evidence(task=TASKS["cuda_kernel"], facts=Facts.from_json({"extra": extra}))))
    assert found["gpu-unavailable"].severity == "warning" and "numba-cuda[cu12]" in found["gpu-unavailable"].message


def test_on_a_cpu_the_learner_process_refuses_gpu_requests() -> None:
    task = get_task("cuda_kernel")
    from dlpath.datasets.kernels import problem
    from dlpath.grading.tasks.cuda_kernel import _Learned

    side = LearnerSide(module=None, device="cpu", log=lambda **k: None, watch=None,
                       state=_Learned(problem("scale_add")))
    assert task.answer("device", {}, {}, side)[0]["device"] == "cpu"
    with pytest.raises(LearnerError, match="does not run on a GPU here"):
        task.answer("gpu-time", {"dims": [10]}, {}, side)


@cuda.jit
def _twice(x, out):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = 2 * x[i]


def test_run_on_gpu_copies_in_launches_and_copies_out() -> None:
    """With numba-cuda's simulator standing in for the GPU: the same calls (to_device, launch, copy back)."""
    from dlpath.grading.tasks._kernel_gpu import run_on_gpu

    out = run_on_gpu(cuda, _twice, lambda shape: (2, 32), [np.arange(40, dtype=np.float32)], (40,))
    assert np.array_equal(out, 2 * np.arange(40, dtype=np.float32))


def test_the_gradescope_bundle_of_a_kernel_project_pins_numba_cuda(runner, tmp_path: Path) -> None:
    import zipfile
    from importlib.metadata import version

    from dlpath.cli import app

    result = runner.invoke(app, ["autograder", "gradescope", "scale-and-add-kernel", "-o", str(tmp_path / "a.zip")])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        requirements = archive.read("requirements.txt").decode().split()
    assert f"numba-cuda<={version('numba-cuda')}" in requirements


def test_a_check_with_less_or_equal_is_named_as_off_by_one(tmp_path: Path) -> None:
    source = SCALE_ADD.replace("if i < out.size:", "if i <= out.size:")
    _, diagnoses, _ = grade(source, ADD, tmp_path)
    found = by_code(diagnoses)["out-of-bounds"]
    assert "exactly one past the end" in found.message and found.causes[0] == "i <= n where it should be i < n"
    _, diagnoses, _ = grade(NO_CHECK, ADD, tmp_path)  # far past the end: not an off-by-one
    assert "exactly one past the end" not in by_code(diagnoses)["out-of-bounds"].message


def test_a_barrier_inside_the_if_is_a_divergent_barrier_though_the_sums_are_right(tmp_path: Path) -> None:
    source = ROW_SUMS.replace("            partial[t] += partial[t + step]\n        cuda.syncthreads()",
                              "            partial[t] += partial[t + step]\n            cuda.syncthreads()")
    metrics, diagnoses, _ = grade(source, SUMS, tmp_path)
    assert metrics["correct_outputs"] == 1.0 and metrics["races"] > 0
    found = by_code(diagnoses)["divergent-barrier"]
    assert "ended without reaching the cuda.syncthreads() at line" in found.message
    assert "Move the barrier out of the if" in found.message
