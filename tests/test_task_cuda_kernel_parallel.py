"""The kernel projects ask for a parallel kernel: one thread looping over everything fails, for that reason.

Each attack in tests/fixtures/kernel_attacks/one_thread/ passed its project before the judge measured
`threads_per_output` (what one thread computing every output alone needs, over the array accesses the
simulator counted for the busiest thread, per output) and `segment_efficiency` (the bytes a warp's request
used of the segments it moved). Each runs here in one
process (tests/taskrun.py) on its project's own specification; so does the project's solution, which must
still pass every threshold. The real processes run in test_projects_calibration.py and `dlpath dev check`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from dlpath.grading.project import load_project
from dlpath.grading.thresholds import compare
from tests.conftest import FIXTURES
from tests.taskrun import mentor

ONE_THREAD = FIXTURES / "kernel_attacks" / "one_thread"
PROJECTS = ["scale-and-add-kernel", "row-sums-in-shared-memory", "tiled-matrix-multiply"]


def spec(project_id: str) -> dict[str, Any]:
    project = load_project(project_id)
    return dict(id=project.id, task=project.task, lesson=project.lesson, calibration=None, path=project.path,
                thresholds=project.thresholds, dataset=project.dataset)


def grade(source: str, project: dict[str, Any], tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any], dict]:
    """(the threshold results by metric, the diagnoses by code, the run) of `source` graded on `project`."""
    (tmp_path / "train.py").write_text(source, encoding="utf-8")
    diagnoses, got = mentor(source, project, folder=tmp_path)
    assert got["failure"] is None, got["failure"]
    results = {r.metric: r for r in compare(project["thresholds"], got["metrics"])}
    return results, {d.code: d for d in diagnoses}, got


@pytest.mark.parametrize("project_id", PROJECTS)
def test_one_thread_looping_over_everything_fails_for_its_lack_of_parallelism(project_id: str,
                                                                               tmp_path: Path) -> None:
    project = spec(project_id)
    results, found, got = grade((ONE_THREAD / f"{project_id}.py").read_text(), project, tmp_path)
    metrics = got["metrics"]
    # everything it passed on before still passes: right, race-free, in bounds, a "perfect" segment count
    for metric in ("correct_outputs", "races", "out_of_bounds", "segments_per_request", "global_reads_per_output"):
        if metric in results:
            assert results[metric].passed, (metric, metrics)
    # one thread does all the work: the work over the busiest thread's is 1 per case, far below one per output
    assert not results["threads_per_output"].passed, metrics
    assert metrics["threads_per_output"] < 0.1, metrics
    if "segment_efficiency" in results:  # a lone thread uses 4 bytes of each 128-byte segment
        assert metrics["segment_efficiency"] == pytest.approx(1 / 32), metrics
        assert not results["segment_efficiency"].passed and "uncoalesced-access" in found
    diagnosis = found["not-parallel"]
    assert diagnosis.severity == "error" and diagnosis.lesson == "cuda-programming"
    assert "on the hidden inputs" in diagnosis.message
    assert "launch returned (1, 1, 1) blocks of (1, 1, 1) threads (1 thread)" in diagnosis.message
    assert "the busiest thread, thread 0 of block 0, made" in diagnosis.message
    assert "one thread looping over every element is a CPU program" in diagnosis.message
    assert "let launch(shape) return enough blocks to cover the output" in diagnosis.message


@pytest.mark.parametrize("project_id", PROJECTS)
def test_the_solution_still_passes_every_threshold(project_id: str, tmp_path: Path) -> None:
    project = spec(project_id)
    results, found, got = grade((project["path"] / "solution" / "train.py").read_text(), project, tmp_path)
    assert all(r.passed for r in results.values()), got["metrics"]
    assert not [code for code, d in found.items() if d.severity == "error"], list(found)


def test_work_gathered_into_one_thread_through_shared_memory_is_still_one_thread(tmp_path: Path) -> None:
    """Every thread loads its own x[i] and y[i] and writes its own out[i], so the loads and the stores are spread
    over the block; but thread 0 computes every value in shared memory between two barriers. Its shared-memory
    accesses are its work too: the busiest thread still does nearly all of it."""
    gathered = '''
from numba import cuda, float32

THREADS = 1024


@cuda.jit
def scale_add(a, x, y, out):
    xs = cuda.shared.array(THREADS, float32)
    ys = cuda.shared.array(THREADS, float32)
    t = cuda.threadIdx.x
    n = out.size
    if t < n:
        xs[t] = x[t]
        ys[t] = y[t]
    cuda.syncthreads()
    if t == 0:
        for i in range(n):
            xs[i] = a * xs[i] + ys[i]
    cuda.syncthreads()
    if t < n:
        out[t] = xs[t]


def launch(shape):
    return 1, THREADS
'''
    project = spec("scale-and-add-kernel")
    project["dataset"] = dataclasses.replace(project["dataset"], params={"min_size": 200, "max_size": 1000})
    results, found, got = grade(gathered, project, tmp_path)
    assert results["correct_outputs"].passed and results["segments_per_request"].passed, got["metrics"]
    assert not results["threads_per_output"].passed and got["metrics"]["threads_per_output"] < 0.05, got["metrics"]
    assert "not-parallel" in found


def test_the_simulator_counts_each_thread_s_accesses_and_the_bytes_a_warp_uses() -> None:
    """Work, span and useful bytes on a launch small enough to count by hand: 100 elements, 3 accesses each."""
    import numpy as np

    from tests.test_kernel_simulator import SCALE_ADD, kernel, run, vectors

    x, y, out = vectors(100)
    parallel, _ = run(kernel(SCALE_ADD), [2.0, x, y, out], 4, 32)
    assert (parallel.work, parallel.span) == (300, 3)  # 28 threads past the end touch nothing
    assert parallel.traffic.useful_bytes == 1200  # every byte of every segment moved was used, bar the last warp's
    assert parallel.traffic.segments * 128 == 1536  # 3 arrays x 4 warps, one aligned segment each
    serial = kernel("""
@cuda.jit
def scale_add(a, x, y, out):
    if cuda.threadIdx.x == 0:
        for i in range(out.size):
            out[i] = a * x[i] + y[i]
""")
    x, y, out = vectors(100)
    alone, after = run(serial, [2.0, x, y, out], 1, 32)
    assert np.array_equal(after[-1], 2 * x + y)
    assert (alone.work, alone.span, alone.busiest) == (300, 300, ((0, 0, 0), (0, 0, 0)))
    assert alone.traffic.segments == alone.traffic.requests == 300  # one segment per request: "perfect" ...
    assert alone.traffic.useful_bytes * 32 == alone.traffic.segments * 128  # ... but 4 of its 128 bytes used


def test_idle_threads_kept_busy_with_pointless_work_do_not_make_one_thread_parallel(tmp_path: Path) -> None:
    """Thread 0 still computes every output; every other thread loops as long, on a local array of its own. The
    launch's accesses now look like one thread per output's, but the work counted is the problem's own (what one
    thread alone needs), and the busiest thread still does all of it."""
    padded = '''
import math
from numba import cuda, float32

THREADS = 128


@cuda.jit
def scale_add(a, x, y, out):
    i = cuda.grid(1)
    if i == 0:
        for j in range(out.size):
            out[j] = a * x[j] + y[j]
    elif i < out.size:
        pad = cuda.local.array(1, float32)
        pad[0] = 0.0
        for k in range((3 * out.size) // 2):
            pad[0] = pad[0] + 1.0


def launch(shape):
    return math.ceil(shape[0] / THREADS), THREADS
'''
    from dlpath.grading.tasks._kernel_sim import bind, jit, simulate
    from dlpath.grading.tasks._kernel_source import load
    from tests.test_kernel_simulator import vectors

    x, y, out = vectors(250)
    launch, _ = simulate(load(padded, "train.py", bind, jit), [2.0, x, y, out], ["a", "x", "y", "out"], 2, 128)
    assert launch.work > 240 * launch.span  # the padding ran: 249 threads each as busy as thread 0
    project = spec("scale-and-add-kernel")
    project["dataset"] = dataclasses.replace(project["dataset"], params={"min_size": 200, "max_size": 300})
    results, found, got = grade(padded, project, tmp_path)
    assert results["correct_outputs"].passed and results["segments_per_request"].passed, got["metrics"]
    assert not results["threads_per_output"].passed and got["metrics"]["threads_per_output"] < 0.05, got["metrics"]
    assert "not-parallel" in found
