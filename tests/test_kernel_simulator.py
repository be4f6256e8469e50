"""dlpath's CUDA simulator and the kernel-file checker, without processes: every fault named with its thread and line.

Kernels are tiny (a few hundred threads), so the file runs in a few seconds.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from dlpath.grading.tasks._kernel_sim import LaunchError, bind, jit, simulate
from dlpath.grading.tasks._kernel_source import LoadError, check, load

HEAD = "from numba import cuda, float32\nimport math\n"
LAUNCH = "\ndef launch(shape):\n    return 1, 32\n"


def kernel(body: str, launch: str = LAUNCH) -> object:
    return load(HEAD + textwrap.dedent(body) + launch, "train.py", bind, jit)


def line_of(module: object, text: str) -> int:
    return next(i for i, line in enumerate(module.lines, 1) if text in line)  # type: ignore[attr-defined]


SCALE_ADD = """
@cuda.jit
def scale_add(a, x, y, out):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = a * x[i] + y[i]
"""


def run(module: object, args: list, grid: object, block: object, **kw: object) -> tuple:
    names = list(module.parameters)  # type: ignore[attr-defined]
    return simulate(module, args, names, grid, block, **kw)  # type: ignore[arg-type]


def vectors(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.arange(n, dtype=np.float32)
    return x, np.ones(n, dtype=np.float32), np.full(n, np.nan, dtype=np.float32)


def test_a_correct_kernel_gives_numpy_s_answer_and_coalesced_traffic() -> None:
    module = kernel(SCALE_ADD)
    x, y, out = vectors(100)
    launch, after = run(module, [2.0, x, y, out], 4, 32)
    assert np.array_equal(after[-1], 2 * x + y)
    assert (launch.out_of_bounds, launch.races, launch.crash) == (0, 0, None)
    assert (launch.traffic.loads, launch.traffic.stores) == (200, 100)
    assert launch.traffic.segments / launch.traffic.requests == 1.0  # 32 neighbouring floats: one segment
    assert launch.grid == (4, 1, 1) and launch.block == (32, 1, 1)


def test_an_access_past_the_end_is_counted_with_its_thread_block_and_line() -> None:
    module = kernel(SCALE_ADD.replace("    if i < out.size:\n        out[i]", "    out[i]"))
    x, y, out = vectors(70)  # 3 blocks of 32: threads 6..31 of block 2 have no element
    launch, after = run(module, [2.0, x, y, out], 3, 32)
    assert launch.out_of_bounds == 26 * 3  # x, y read and out written by each of 26 threads
    first = launch.out_of_bounds_seen[0]
    assert (first.kind, first.array, first.index, first.shape) == ("read", "x", (70,), (70,))
    assert first.thread == (6, 0, 0) and first.block == (2, 0, 0)
    assert first.line == line_of(module, "out[i] = a * x[i]")
    assert np.array_equal(after[-1], 2 * x + y)  # the stray accesses never landed


def test_a_negative_index_is_out_of_bounds_too() -> None:
    module = kernel("""
        @cuda.jit
        def left(x, out):
            i = cuda.grid(1)
            if i < out.size:
                out[i] = x[i - 1]
        """)
    x, _, out = vectors(32)
    launch, _ = run(module, [x, out], 1, 32)
    assert launch.out_of_bounds == 1 and launch.out_of_bounds_seen[0].index == (-1,)


TREE = """
@cuda.jit
def block_sum(x, out):
    partial = cuda.shared.array(32, float32)
    t = cuda.threadIdx.x
    partial[t] = x[t]
    cuda.syncthreads()
    step = 16
    while step > 0:
        if t < step:
            partial[t] += partial[t + step]
        cuda.syncthreads()
        step //= 2
    if t == 0:
        out[0] = partial[0]
"""
BARRIER = "            partial[t] += partial[t + step]\n        cuda.syncthreads()\n"


def test_a_missing_barrier_in_a_tree_reduction_is_a_race_whatever_the_answer() -> None:
    source = TREE
    x = np.ones(32, dtype=np.float32)
    good, after = run(kernel(source), [x, np.zeros(1, np.float32)], 1, 32)
    assert good.races == 0 and after[-1][0] == 32
    racy = kernel(source.replace(BARRIER, "            partial[t] += partial[t + step]\n"))
    bad, _ = run(racy, [x, np.zeros(1, np.float32)], 1, 32)
    assert bad.races > 0
    race = bad.races_seen[0]
    assert race.array == "partial" and race.space == "shared"
    assert {race.first[0], race.second[0]} == {"read", "write"}
    assert race.first[1] != race.second[1]  # two different threads
    assert race.second[3] == line_of(racy, "partial[t] += partial[t + step]")


def test_threads_adding_into_one_global_element_race_and_an_atomic_does_not() -> None:
    racy = kernel("""
        @cuda.jit
        def total(x, out):
            i = cuda.grid(1)
            out[0] += x[i]
        """)
    x = np.ones(64, dtype=np.float32)
    launch, _ = run(racy, [x, np.zeros(1, np.float32)], 2, 32)
    assert launch.races == 1 and launch.races_seen[0].space == "global"
    atomic = kernel("""
        @cuda.jit
        def total(x, out):
            i = cuda.grid(1)
            cuda.atomic.add(out, 0, x[i])
        """)
    launch, after = run(atomic, [x, np.zeros(1, np.float32)], 2, 32)
    assert launch.races == 0 and after[-1][0] == 64


def test_a_barrier_that_part_of_a_block_skips_is_reported() -> None:
    module = kernel("""
        @cuda.jit
        def split(x, out):
            t = cuda.threadIdx.x
            if t < 16:
                cuda.syncthreads()
                out[t] = x[t]
            else:
                cuda.syncthreads()
                out[t] = 2 * x[t]
        """)
    x, _, out = vectors(32)
    launch, _ = run(module, [x, out], 1, 32)
    (block, lines, ended), = launch.divergent_seen
    assert block == (0, 0, 0) and len(lines) == 2 and ended == 0 and launch.divergent == 1


def test_a_barrier_inside_an_if_that_some_threads_skip_is_reported_even_when_the_answer_is_right() -> None:
    module = kernel(TREE.replace(BARRIER, "            partial[t] += partial[t + step]\n            cuda.syncthreads()\n"))
    launch, after = run(module, [np.ones(32, np.float32), np.zeros(1, np.float32)], 1, 32)
    assert after[-1][0] == 32 and launch.races == 0  # right, and no two threads touched one element unordered
    block, lines, ended = launch.divergent_seen[0]
    assert launch.divergent == 5 and ended == 16 and lines == [line_of(module, "            cuda.syncthreads()")]


def test_scattered_reads_touch_one_segment_per_thread() -> None:
    module = kernel("""
        @cuda.jit
        def every_eighth(x, out):
            i = cuda.grid(1)
            out[i] = x[8 * i]
        """)
    x, _, _ = vectors(256)
    launch, _ = run(module, [x, np.zeros(32, np.float32)], 1, 32)
    reads = launch.traffic.by_line[line_of(module, "x[8 * i]")]
    assert reads == [2, 9]  # the load touches 8 segments, the store 1: 9 over 2 requests


def test_shared_memory_read_before_any_write_is_noted() -> None:
    module = kernel("""
        @cuda.jit
        def early(x, out):
            s = cuda.shared.array(32, float32)
            t = cuda.threadIdx.x
            out[t] = s[t]
        """)
    launch, after = run(module, [np.zeros(32, np.float32), np.zeros(32, np.float32)], 1, 32)
    assert launch.uninitialized and launch.uninitialized[0].array == "s"
    assert np.isnan(after[-1]).all()


@pytest.mark.parametrize("body, expected", [
    ("    i = cuda.grid(1)\n    out[i / 2] = x[i]\n", "TypeError"),
    ("    out[0] = missing\n", "NameError"),
    ("    out[0, 0] = x[0]\n", "IndexError"),
])
def test_a_crash_names_the_error_the_thread_and_the_line(body: str, expected: str) -> None:
    module = kernel("@cuda.jit\ndef broken(x, out):\n" + body)
    launch, _ = run(module, [np.zeros(32, np.float32), np.zeros(32, np.float32)], 1, 32)
    assert launch.crash.startswith(expected)
    assert launch.crash_line == len(HEAD.splitlines()) + 2 + body.count("\n")  # the body's last line
    assert launch.crash_thread == (0, 0, 0) and launch.crash_block == (0, 0, 0)


@pytest.mark.parametrize("grid, block, message", [
    (4.5, 32, "whole numbers"),
    (1, 2048, "at most 1024 threads"),
    (100_000, 256, "more than the simulator runs"),
    (0, 32, "at least 1"),
])
def test_a_grid_that_cannot_launch_says_why(grid: object, block: object, message: str) -> None:
    x, y, out = vectors(10)
    with pytest.raises(LaunchError, match=message):
        run(kernel(SCALE_ADD), [2.0, x, y, out], grid, block)


def test_an_endless_kernel_is_stopped() -> None:
    module = kernel("""
        @cuda.jit
        def forever(x, out):
            k = 0
            while k >= 0:
                k += 1
        """)
    launch, _ = run(module, [np.zeros(1, np.float32), np.zeros(1, np.float32)], 1, 1, limit_s=0.3)
    assert launch.timed_out


@pytest.mark.parametrize("text, found", [
    ("import os\n", "line 2: import os"),
    ("x = open('f')\n", "open(...)"),
    ("@cuda.jit\ndef k(a, out):\n    a.__class__\n", "shape, size and ndim"),
    ("@cuda.jit\ndef k(a, out):\n    out[0] = cuda.shfl_down_sync(1, a[0], 1)\n", "no warps"),
    ("@cuda.jit\ndef k(a, out):\n    out[0:2] = a[0]\n", "slices"),
    ("@cuda.jit\ndef k(a, out):\n    out[0] = [v for v in range(3)][0]\n", "comprehension"),
    ("@cuda.jit\ndef k(a, out):\n    try:\n        out[0] = 1\n    except Exception:\n        pass\n", "try"),
    ("print('loading')\n", "top level"),
])
def test_code_outside_the_kernel_language_is_refused_with_its_line(text: str, found: str) -> None:
    problems = check("from numba import cuda\n" + text)
    assert any(found in str(p) for p in problems), problems


def test_a_file_needs_one_kernel_and_launch() -> None:
    assert [p.message for p in check("from numba import cuda\n")][:2] == [
        "no kernel: decorate the function each GPU thread runs with @cuda.jit",
        "no launch(shape) function: it returns (blocks, threads), the grid for an output of that shape"]
    with pytest.raises(LoadError):
        load("from numba import cuda\n", "train.py", bind, jit)


def test_the_main_block_is_neither_checked_nor_run() -> None:
    module = kernel(SCALE_ADD + "\nif __name__ == '__main__':\n    import os\n    os.remove('x')\n")
    assert check("\n".join(module.lines)) == []  # type: ignore[attr-defined]
    assert "os" not in module.namespace  # type: ignore[attr-defined]


def test_a_kernel_reaches_nothing_but_what_it_is_handed() -> None:
    """What the loader runs has no builtins beyond arithmetic ones, and the kernel object cannot be launched."""
    module = kernel(SCALE_ADD)
    assert set(module.namespace["__builtins__"]) == {  # type: ignore[attr-defined]
        "range", "min", "max", "abs", "int", "float", "len", "bool", "round", "print"}
    with pytest.raises(RuntimeError, match="dlpath launches the kernel"):
        module.function("scale_add")[1, 32]  # type: ignore[attr-defined]
