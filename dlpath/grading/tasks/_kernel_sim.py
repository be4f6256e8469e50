"""dlpath's CUDA simulator: runs a checked kernel file on the CPU and watches every memory access.

``simulate(module, args, grid, block)`` launches the kernel of a
``KernelModule`` (see ``_kernel_source``) over a grid of blocks, as
numba-cuda's simulator does, with the same API inside the kernel. What it adds
is a record of the launch (``Launch``):

- **Out-of-bounds accesses**: every index outside its array (negative ones
  too), with the thread, the block and the line. The access does not happen:
  a read gives NaN, a write is dropped, and the kernel goes on.
- **Races**: two threads touching the same element between the same two
  barriers, at least one of them writing (in shared memory; in global memory
  also across blocks, which never synchronise). Threads are not run at
  random: the rule is checked on every access, so a race is found even when
  this run's order happens to give the right answer.
- **Barriers reached by part of a block**: ``cuda.syncthreads()`` inside a
  branch that some threads skip, or after a ``return`` some threads took
  (CUDA: "allowed in conditional code but only if the conditional evaluates
  identically across the entire thread block"), and shared memory read
  before any thread of the block wrote it.
- **Memory traffic**: global loads and stores, and for coalescing the number
  of 128-byte segments each warp-wide request touches and the distinct bytes
  its threads used of them (a lone thread's 4 bytes use 1/32 of its
  segment). A warp is 32 consecutive threads of a block (x fastest, then y,
  then z) as on a GPU; a request is the n-th access a thread makes on one
  line of the kernel, taken across the warp's threads, as a GPU warp would
  execute that instruction together. (A line, not a bytecode position: CPython's specialising
  interpreter moves the position it reports for the same instruction.)
- **Work and span**: every array element each thread reads or writes, in
  global, shared or local memory (atomics too), summed over the launch (the
  work) and for the busiest thread (the span: a GPU cannot finish the launch
  before that thread has done its part). A kernel whose one thread loops over
  everything has a span equal to its work.
- **Crashes**: a Python error in the kernel, with its thread and line.

How it runs: the threads of a block run one after another up to a barrier
(``cuda.syncthreads()``, made a ``yield`` by the loader), then again to the
next, so a block's threads move in lock-step from barrier to barrier in one
Python thread. Blocks run one after another. There are no real warps (no
shuffles, no divergence cost), timing means nothing here, and threads never
interleave between barriers: a race can give the right answer in this order
and a wrong one on a GPU, which is why races are found by the rule above and
not by the result.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from typing import Any, Callable

import numpy as np

from dlpath.grading.tasks._kernel_memory import (DETAILS, GLOBAL_BASE, MAX_LOCAL_VALUES, MAX_SHARED_BYTES, MAX_THREADS,
                                                 SEGMENT_BYTES, WARP, Access, DeviceArray, Dim3, KernelTimeout, Launch,
                                                 LaunchError, Race, SimThread, Traffic)
from dlpath.grading.tasks._kernel_source import KernelModule

__all__ = ["Launch", "Access", "Race", "Traffic", "LaunchError", "KernelTimeout", "simulate", "bind",
           "jit", "normalize_grid", "MAX_THREADS", "SEGMENT_BYTES", "WARP"]

# ------------------------------------------------------------------ the launch


class _Run:
    """The state of one launch: the current thread and block, the trackers, the record."""

    def __init__(self, module: KernelModule, launch: Launch, deadline: float) -> None:
        self.module = module
        self.launch = launch
        self.deadline = deadline
        self.thread: SimThread | None = None
        self.block = Dim3(0, 0, 0)
        self.block_dim = Dim3(*launch.block)
        self.grid_dim = Dim3(*launch.grid)
        self.block_linear = 0
        self.epoch = 0
        self.shared: dict[tuple[Any, int], DeviceArray] = {}
        self.shared_bytes = 0
        self.requests: dict[tuple[int, tuple[Any, int], int], list[Any]] = {}
        self.writes: dict[tuple[int, int], tuple[int, int, int, int]] = {}  # (array, flat) -> block, thread, epoch, line
        self.reads: dict[tuple[int, int], list[int]] = {}  # -> first (block, thread, epoch, line), other (...)
        self.shared_seen: dict[tuple[int, int], list[int]] = {}  # -> epoch, writer, line, reader, line, reader2, line
        self.raced: set[tuple[int, int]] = set()
        self.race_lines: set[tuple[int, int]] = set()
        self.oob_lines: set[tuple[int, str]] = set()
        self.unwritten_lines: set[int] = set()
        self.arrays: dict[int, DeviceArray] = {}
        self.next_base = GLOBAL_BASE

    def here(self) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        t = self.thread.idx if self.thread is not None else Dim3(0, 0, 0)
        return (t.x, t.y, t.z), (self.block.x, self.block.y, self.block.z)

    # -- recording
    def outside(self, array: DeviceArray, kind: str, index: tuple[int, ...], frame: Any) -> None:
        launch = self.launch
        launch.out_of_bounds += 1
        if any(i < 0 for i in index):
            launch.before_start += 1
        launch.farthest = max(launch.farthest, *(i - d + 1 for i, d in zip(index, array._dims)))
        line = frame.f_lineno
        if len(self.launch.out_of_bounds_seen) < DETAILS and (line, kind) not in self.oob_lines:
            self.oob_lines.add((line, kind))
            thread, block = self.here()
            self.launch.out_of_bounds_seen.append(Access(kind, array._name, index, array._dims, thread, block, line))

    def unwritten(self, array: DeviceArray, flat: int, frame: Any) -> None:
        line = frame.f_lineno
        if line not in self.unwritten_lines and len(self.launch.uninitialized) < DETAILS:
            self.unwritten_lines.add(line)
            thread, block = self.here()
            self.launch.uninitialized.append(Access("read", array._name, array.index_of(flat), array._dims,
                                                    thread, block, line))

    def _race(self, array: DeviceArray, flat: int, space: str, mine: str, line: int,
              other: tuple[str, int, int, int]) -> None:
        key = (id(array), flat)
        if key in self.raced:
            return
        self.raced.add(key)
        self.launch.races += 1
        kind, block_linear, thread_linear, other_line = other
        if len(self.launch.races_seen) < DETAILS and (other_line, line) not in self.race_lines:
            self.race_lines.add((other_line, line))
            thread, block = self.here()
            self.launch.races_seen.append(Race(
                array._name, array.index_of(flat), space,
                (kind, self._thread_of(thread_linear), self._block_of(block_linear), other_line),
                (mine, thread, block, line)))

    def _thread_of(self, linear: int) -> tuple[int, int, int]:
        bx, by = self.block_dim.x, self.block_dim.y
        return (linear % bx, (linear // bx) % by, linear // (bx * by))

    def _block_of(self, linear: int) -> tuple[int, int, int]:
        gx, gy = self.grid_dim.x, self.grid_dim.y
        return (linear % gx, (linear // gx) % gy, linear // (gx * gy))

    def global_access(self, array: DeviceArray, flat: int, frame: Any, write: bool) -> None:
        thread = self.thread
        traffic = self.launch.traffic
        if write:
            traffic.stores += 1
        else:
            traffic.loads += 1
        line = frame.f_lineno
        pc = (frame.f_code, line)
        counts = thread.counts
        n = counts.get(pc, 0)
        counts[pc] = n + 1
        key = (thread.warp, pc, n)
        address = array._base + flat * array._itemsize
        request = self.requests.get(key)
        if request is None:
            self.requests[key] = [line, {address // SEGMENT_BYTES}, {address}, array._itemsize]
        else:
            request[1].add(address // SEGMENT_BYTES)
            request[2].add(address)
        # races: different blocks never synchronise; threads of one block do at each barrier
        me_block, me_thread = thread.key
        epoch = self.epoch
        element = (id(array), flat)
        writer = self.writes.get(element)
        if writer is not None and (writer[0], writer[1]) != (me_block, me_thread) and (
                writer[0] != me_block or writer[2] == epoch):
            self._race(array, flat, "global", "write" if write else "read", line,
                       ("write", writer[0], writer[1], writer[3]))
        if write:
            readers = self.reads.get(element)
            if readers is not None:
                for at in (0, 4):
                    if readers[at] >= 0 and (readers[at], readers[at + 1]) != (me_block, me_thread) and (
                            readers[at] != me_block or readers[at + 2] == epoch):
                        self._race(array, flat, "global", "write", line,
                                   ("read", readers[at], readers[at + 1], readers[at + 3]))
                        break
            self.writes[element] = (me_block, me_thread, epoch, line)
        else:
            readers = self.reads.get(element)
            if readers is None:
                self.reads[element] = [me_block, me_thread, epoch, line, -1, -1, -1, -1]
            elif (readers[0], readers[1]) != (me_block, me_thread):
                readers[4:8] = [me_block, me_thread, epoch, line]

    def shared_access(self, array: DeviceArray, flat: int, frame: Any, write: bool) -> None:
        me = self.thread.linear
        epoch = self.epoch
        element = (id(array), flat)
        seen = self.shared_seen.get(element)
        if seen is None or seen[0] != epoch:
            seen = [epoch, -1, 0, -1, 0, -1, 0]
            self.shared_seen[element] = seen
        line = frame.f_lineno
        block = self.block_linear
        if seen[1] >= 0 and seen[1] != me:
            self._race(array, flat, "shared", "write" if write else "read", line, ("write", block, seen[1], seen[2]))
        if write:
            for at in (3, 5):
                if seen[at] >= 0 and seen[at] != me:
                    self._race(array, flat, "shared", "write", line, ("read", block, seen[at], seen[at + 1]))
                    break
            seen[1], seen[2] = me, line
        elif seen[3] < 0:
            seen[3], seen[4] = me, line
        elif seen[3] != me:
            seen[5], seen[6] = me, line

    def atomic(self, array: Any, index: Any, value: Any, op: Callable[[Any, Any], Any]) -> Any:
        if not isinstance(array, DeviceArray):
            raise TypeError("cuda.atomic works on arrays")
        frame = sys._getframe(2)
        flat = array._locate(index, "write", frame)
        if flat < 0:
            return array._fill
        old = array._flat.item(flat)
        if array._space == "global":  # an atomic is one read-modify-write request; it never races
            thread = self.thread
            self.launch.traffic.loads += 1
            pc = (frame.f_code, frame.f_lineno)
            n = thread.counts.get(pc, 0)
            thread.counts[pc] = n + 1
            key = (thread.warp, pc, n)
            address = array._base + flat * array._itemsize
            request = self.requests.setdefault(key, [frame.f_lineno, set(), set(), array._itemsize])
            request[1].add(address // SEGMENT_BYTES)
            request[2].add(address)
        elif array._written is not None:
            array._written[flat] = True
        array._flat[flat] = op(old, value)
        return old

    def new_array(self, data: np.ndarray, space: str, name: str) -> DeviceArray:
        base = self.next_base
        self.next_base += (data.nbytes // GLOBAL_BASE + 1) * GLOBAL_BASE
        return DeviceArray(data, self, space, name, base)

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise KernelTimeout()


# ------------------------------------------------------------------ the API inside the kernel


class _Namespace:
    """An attribute bag: ``cuda.shared``, ``cuda.local``, ``cuda.atomic``."""

    def __init__(self, **items: Any) -> None:
        self.__dict__.update(items)


def _dtype(value: Any) -> np.dtype:
    if isinstance(value, str):
        return np.dtype(value)
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value)
    if isinstance(value, np.dtype):
        return value
    raise TypeError(f"{value!r} is not a number type (use float32, int32, ...)")


def _shape(value: Any) -> tuple[int, ...]:
    parts = value if isinstance(value, tuple) else (value,)
    if not parts or not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) and p > 0 for p in parts):
        raise ValueError(f"an array's shape is whole numbers above 0, not {value!r}")
    return tuple(int(p) for p in parts)


class CudaApi:
    """What ``cuda`` is inside a kernel running on this simulator."""

    warpsize = WARP

    def __init__(self) -> None:
        self._run: _Run | None = None
        self.shared = _Namespace(array=self._shared_array)
        self.local = _Namespace(array=self._local_array)
        self.atomic = _Namespace(add=lambda a, i, v: self._atomic(a, i, v, lambda old, new: old + new),
                                 sub=lambda a, i, v: self._atomic(a, i, v, lambda old, new: old - new),
                                 max=lambda a, i, v: self._atomic(a, i, v, max),
                                 min=lambda a, i, v: self._atomic(a, i, v, min),
                                 exch=lambda a, i, v: self._atomic(a, i, v, lambda old, new: new))

    @property
    def threadIdx(self) -> Dim3:  # noqa: N802 - CUDA's name
        return self._run.thread.idx

    @property
    def blockIdx(self) -> Dim3:  # noqa: N802
        return self._run.block

    @property
    def blockDim(self) -> Dim3:  # noqa: N802
        return self._run.block_dim

    @property
    def gridDim(self) -> Dim3:  # noqa: N802
        return self._run.grid_dim

    @property
    def laneid(self) -> int:
        return self._run.thread.linear % WARP

    def grid(self, ndim: int) -> Any:
        t, b, d = self._run.thread.idx, self._run.block, self._run.block_dim
        where = (b.x * d.x + t.x, b.y * d.y + t.y, b.z * d.z + t.z)
        return where[0] if ndim == 1 else where[:ndim]

    def gridsize(self, ndim: int) -> Any:
        d, g = self._run.block_dim, self._run.grid_dim
        sizes = (d.x * g.x, d.y * g.y, d.z * g.z)
        return sizes[0] if ndim == 1 else sizes[:ndim]

    def syncthreads(self) -> None:
        raise RuntimeError("cuda.syncthreads() must stand on a line of its own")

    def _shared_array(self, shape: Any, dtype: Any) -> DeviceArray:
        run = self._run
        frame = sys._getframe(1)
        key = (frame.f_code, frame.f_lineno)
        found = run.shared.get(key)
        if found is None:
            shape, kind = _shape(shape), _dtype(dtype)
            nbytes = int(np.prod(shape)) * kind.itemsize
            if run.shared_bytes + nbytes > MAX_SHARED_BYTES:
                raise MemoryError(f"shared memory of a block is at most {MAX_SHARED_BYTES // 1024} KB; this kernel "
                                  f"asks for {(run.shared_bytes + nbytes) / 1024:.1f} KB")
            run.shared_bytes += nbytes
            data = np.full(shape, np.nan, dtype=kind) if kind.kind == "f" else np.full(shape, -12345, dtype=kind)
            found = DeviceArray(data, run, "shared", _name_at(run, frame, "shared array"), 0)
            run.shared[key] = found
        return found

    def _local_array(self, shape: Any, dtype: Any) -> DeviceArray:
        shape, kind = _shape(shape), _dtype(dtype)
        if int(np.prod(shape)) > MAX_LOCAL_VALUES:
            raise MemoryError(f"a local array of {int(np.prod(shape))} values is far more than a thread's registers")
        data = np.full(shape, np.nan, dtype=kind) if kind.kind == "f" else np.zeros(shape, dtype=kind)
        return DeviceArray(data, self._run, "local", _name_at(self._run, sys._getframe(1), "local array"), 0)

    def _atomic(self, array: Any, index: Any, value: Any, op: Callable[[Any, Any], Any]) -> Any:
        return self._run.atomic(array, index, value, op)


def _name_at(run: _Run, frame: Any, fallback: str) -> str:
    """The name a line assigns to (``tile = cuda.shared.array(...)`` -> "tile"), for messages."""
    text = run.module.quote(frame.f_lineno)
    head = text.split("=")[0].strip() if "=" in text else ""
    return head if head.isidentifier() else fallback


class _Kernel:
    """A @cuda.jit kernel as the loaded file holds it: only dlpath launches it."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __getitem__(self, config: Any) -> Any:
        raise RuntimeError("launch(shape) returns (blocks, threads); dlpath launches the kernel itself")

    def __call__(self, *args: Any) -> Any:
        raise RuntimeError("a kernel is launched, never called: launch(shape) returns the grid")


def jit(kind: str) -> Callable[[Any], Any]:
    """What the loader wraps a decorated function in: a kernel object, or the device function itself."""
    return _Kernel if kind == "kernel" else (lambda function: function)


_API = CudaApi()


def bind(kind: str) -> Any:
    """The object an import of the kernel file stands for on this simulator."""
    import numpy

    if kind == "numba.cuda":
        return _API
    if kind == "numba":
        return _Namespace(cuda=_API, **{name: getattr(numpy, name) for name in
                                         ("float32", "float64", "float16", "int8", "int16", "int32", "int64",
                                          "uint8", "uint16", "uint32", "uint64")}, boolean=numpy.bool_)
    if kind == "math":
        return math
    if kind == "numpy":
        return numpy
    if kind.startswith("math."):
        return getattr(math, kind[5:])
    if kind.startswith("dtype:"):
        name = kind[6:]
        return numpy.bool_ if name == "boolean" else getattr(numpy, name)
    raise ValueError(kind)


def normalize_grid(value: Any, what: str) -> tuple[int, int, int]:
    """A grid or block size as (x, y, z), or LaunchError naming what is wrong."""
    parts = value if isinstance(value, tuple) else (value,)
    if not 1 <= len(parts) <= 3:
        raise LaunchError(f"{what} must be a number or a tuple of 1 to 3 numbers, not {value!r}")
    out = []
    for part in parts:
        if isinstance(part, bool) or not isinstance(part, (int, np.integer)):
            hint = " (x / y is a float: use x // y, or math.ceil)" if isinstance(part, float) else ""
            raise LaunchError(f"{what} must be whole numbers, not {value!r}{hint}")
        if part < 1:
            raise LaunchError(f"{what} must be at least 1 in every dimension, not {value!r}")
        out.append(int(part))
    while len(out) < 3:
        out.append(1)
    return out[0], out[1], out[2]


# ------------------------------------------------------------------ launching


def simulate(module: KernelModule, args: list[Any], names: list[str], grid: Any, block: Any,
             limit_s: float = 60.0) -> tuple[Launch, list[Any]]:
    """Launch ``module``'s kernel over ``grid`` x ``block`` with ``args`` (numpy arrays are global memory,
    numbers are passed as they are). Returns the record and the arguments as the kernel left them.
    Raises LaunchError for a grid that cannot run."""
    grid3 = normalize_grid(grid, "the number of blocks")
    block3 = normalize_grid(block, "the threads per block")
    per_block = block3[0] * block3[1] * block3[2]
    if per_block > 1024 or block3[2] > 64:
        raise LaunchError(f"a block holds at most 1024 threads (and 64 in z); {block3} asks for {per_block}")
    if grid3[1] > 65535 or grid3[2] > 65535:
        raise LaunchError(f"the grid's y and z sizes are at most 65535, not {grid3}")
    total = per_block * grid3[0] * grid3[1] * grid3[2]
    if total > MAX_THREADS:
        raise LaunchError(f"{total:,} threads ({grid3} blocks of {block3}) is more than the simulator runs "
                          f"({MAX_THREADS:,}); for these sizes a GPU would need far fewer: check that blocks is "
                          "the output size divided by the threads per block, rounded up")
    launch = Launch(grid3, block3)
    run = _Run(module, launch, time.monotonic() + limit_s)
    device_args = [run.new_array(a, "global", n) if isinstance(a, np.ndarray) else a for a, n in zip(args, names)]
    kernel = module.function(module.kernel)
    function = kernel.function if isinstance(kernel, _Kernel) else kernel
    _API._run = run
    started = time.perf_counter()
    alarm = _Alarm(limit_s)
    try:
        with alarm:
            _run_grid(run, function, device_args, module.syncs)
    except KernelTimeout:
        launch.timed_out = True
    except Exception as exc:  # noqa: BLE001 - the kernel's own error, reported with its thread and line
        launch.crash = f"{type(exc).__name__}: {exc}"
        launch.crash_line = _kernel_line(exc, module.filename)
        launch.crash_thread, launch.crash_block = run.here()
    finally:
        _API._run = None
    launch.seconds = time.perf_counter() - started
    _tally(run)
    return launch, [a._flat.reshape(a._dims) if isinstance(a, DeviceArray) else a for a in device_args]


def _kernel_line(exc: BaseException, filename: str) -> int | None:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _run_grid(run: _Run, function: Callable[..., Any], args: list[Any], syncs: bool) -> None:
    bx, by, bz = run.launch.block
    gx, gy, gz = run.launch.grid
    threads = [Dim3(x, y, z) for z in range(bz) for y in range(by) for x in range(bx)]
    for block_linear in range(gx * gy * gz):
        run.block = Dim3(block_linear % gx, (block_linear // gx) % gy, block_linear // (gx * gy))
        run.block_linear = block_linear
        run.epoch = 0
        run.shared = {}
        run.shared_bytes = 0
        run.shared_seen = {}
        run.check_time()
        if not syncs:
            for linear, idx in enumerate(threads):
                run.thread = SimThread(idx, linear, block_linear)
                function(*args)
                _count_work(run, run.thread)
            continue
        waiting = []
        block_threads = []
        for linear, idx in enumerate(threads):
            thread = SimThread(idx, linear, block_linear)
            run.thread = thread
            block_threads.append(thread)
            waiting.append((thread, function(*args)))
        while waiting:
            arrived, lines, ended = [], [], 0
            for thread, steps in waiting:
                run.thread = thread
                try:
                    lines.append(next(steps))
                    arrived.append((thread, steps))
                except StopIteration:
                    ended += 1
            # every thread of the block must reach the same barrier: one that returns (or waits at another
            # barrier) while others wait is what CUDA calls undefined (a hang or a silent half-synchronisation)
            if arrived and (ended or len(set(lines)) > 1):
                run.launch.divergent += 1
                if len(run.launch.divergent_seen) < DETAILS:
                    run.launch.divergent_seen.append(((run.block.x, run.block.y, run.block.z), sorted(set(lines)),
                                                      ended))
            run.epoch += 1
            run.check_time()
            waiting = arrived
        for thread in block_threads:
            _count_work(run, thread)


def _count_work(run: _Run, thread: SimThread) -> None:
    """Add a finished thread's array accesses to the launch's work, and keep the busiest thread."""
    launch = run.launch
    launch.work += thread.ops
    if thread.ops > launch.span:
        launch.span = thread.ops
        launch.busiest = ((thread.idx.x, thread.idx.y, thread.idx.z), (run.block.x, run.block.y, run.block.z))


class _Alarm:
    """A wall-clock limit on the launch (a signal in the main thread; elsewhere the block-by-block check)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = False
        self.previous: Any = None

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
            try:
                self.previous = signal.signal(signal.SIGALRM, _on_alarm)
                signal.setitimer(signal.ITIMER_REAL, self.seconds)
                self.armed = True
            except (ValueError, OSError):
                self.armed = False

    def __exit__(self, *exc: Any) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous or signal.SIG_DFL)


def _on_alarm(signum: int, frame: Any) -> None:
    raise KernelTimeout()


def _tally(run: _Run) -> None:
    traffic = run.launch.traffic
    for line, segments, addresses, itemsize in run.requests.values():
        traffic.requests += 1
        traffic.segments += len(segments)
        traffic.useful_bytes += len(addresses) * itemsize
        row = traffic.by_line.setdefault(line, [0, 0])
        row[0] += 1
        row[1] += len(segments)
    run.requests.clear()
