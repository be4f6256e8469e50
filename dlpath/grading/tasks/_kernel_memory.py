"""What a simulated CUDA launch records, and the arrays that record it (the simulator is ``_kernel_sim``).

The records (``Launch``, ``Access``, ``Race``, ``Traffic``) are what the judge
and the mentor read; ``DeviceArray`` is a kernel's view of one array, which
tells the running launch of every access it makes.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

WARP = 32  # threads per warp
SEGMENT_BYTES = 128  # bytes a memory transaction moves
MAX_THREADS = 1 << 17  # threads in one simulated launch
MAX_SHARED_BYTES = 48 * 1024  # static shared memory per block (numba's limit too)
MAX_LOCAL_VALUES = 1 << 16  # values in one thread's local array
DETAILS = 8  # faults of each kind kept with their details
GLOBAL_BASE = 1 << 20  # arrays start at multiples of this address (aligned, as cudaMalloc's are)


class LaunchError(Exception):
    """The grid cannot be launched (its message says why, in the learner's terms)."""


class KernelTimeout(Exception):
    """The simulated launch ran past its time limit."""


class Dim3:
    __slots__ = ("x", "y", "z")

    def __init__(self, x: int, y: int, z: int) -> None:
        self.x, self.y, self.z = x, y, z

    def __iter__(self):  # noqa: ANN204
        return iter((self.x, self.y, self.z))

    def __repr__(self) -> str:
        return f"({self.x}, {self.y}, {self.z})"


@dataclass(frozen=True)
class Access:
    """One out-of-bounds access or unwritten read, as the mentor quotes it."""

    kind: str  #: "read" or "write"
    array: str  #: the kernel's name for the array
    index: tuple[int, ...]
    shape: tuple[int, ...]
    thread: tuple[int, int, int]
    block: tuple[int, int, int]
    line: int


@dataclass(frozen=True)
class Race:
    """Two threads touching one element between the same two barriers, at least one writing."""

    array: str
    index: tuple[int, ...]
    space: str  #: "shared" or "global"
    first: tuple[str, tuple[int, int, int], tuple[int, int, int], int]  #: (read|write, thread, block, line)
    second: tuple[str, tuple[int, int, int], tuple[int, int, int], int]


@dataclass
class Traffic:
    """Global-memory traffic of one launch."""

    loads: int = 0
    stores: int = 0
    requests: int = 0  #: warp-wide memory instructions
    segments: int = 0  #: 128-byte segments they touched, summed over requests
    useful_bytes: int = 0  #: distinct bytes the threads of each request touched, summed over requests
    by_line: dict[int, list[int]] = field(default_factory=dict)  #: line -> [requests, segments]


@dataclass
class Launch:
    """What one simulated launch did."""

    grid: tuple[int, int, int]
    block: tuple[int, int, int]
    traffic: Traffic = field(default_factory=Traffic)
    out_of_bounds: int = 0  #: accesses outside their array
    farthest: int = 0  #: how far past its array's end the farthest of them was (1: just past the end)
    before_start: int = 0  #: of them, accesses at a negative index
    out_of_bounds_seen: list[Access] = field(default_factory=list)
    races: int = 0  #: elements two threads raced on
    races_seen: list[Race] = field(default_factory=list)
    divergent: int = 0  #: barriers part of a block skipped: rounds where its threads were not all at one barrier
    divergent_seen: list[tuple[tuple[int, int, int], list[int], int]] = field(default_factory=list)
    #: (block, [the lines the others waited at], threads that ended without reaching it) for the first ones
    uninitialized: list[Access] = field(default_factory=list)  #: shared-memory reads before any write
    crash: str | None = None  #: "ExcType: message" when the kernel raised
    crash_line: int | None = None
    crash_thread: tuple[int, int, int] | None = None
    crash_block: tuple[int, int, int] | None = None
    timed_out: bool = False
    seconds: float = 0.0
    work: int = 0  #: array elements read or written (global, shared and local memory, atomics), summed over threads
    span: int = 0  #: of them, the most one thread made (the busiest thread: the launch's critical path)
    busiest: tuple[tuple[int, int, int], tuple[int, int, int]] | None = None  #: (thread, block) of the busiest


# ------------------------------------------------------------------ arrays


class SimThread:
    __slots__ = ("idx", "linear", "warp", "counts", "key", "ops")

    def __init__(self, idx: Dim3, linear: int, block_linear: int) -> None:
        self.idx = idx
        self.linear = linear
        self.warp = (block_linear << 6) | (linear // WARP)
        self.counts: dict[tuple[Any, int], int] = {}
        self.key = (block_linear, linear)
        self.ops = 0  #: array elements this thread read or wrote, in any memory


class DeviceArray:
    """An array as a kernel sees it: indexing checks bounds, and (for global memory) counts and places
    every access. Kernel code can only index it and read shape, size and ndim (the checker sees to that)."""

    __slots__ = ("_flat", "_run", "_space", "_name", "_base", "_dims", "_steps", "_itemsize", "_written", "_fill",
                 "shape", "size", "ndim")

    def __init__(self, data: np.ndarray, run: Any, space: str, name: str, base: int) -> None:  # run: _kernel_sim._Run
        self._flat = data.reshape(-1)
        self._run = run
        self._space = space
        self._name = name
        self._base = base
        self._dims = tuple(int(d) for d in data.shape)
        steps, step = [], 1
        for d in reversed(self._dims):
            steps.append(step)
            step *= d
        self._steps = tuple(reversed(steps))
        self._itemsize = data.itemsize
        self._written = np.zeros(data.size, dtype=bool) if space == "shared" else None
        self._fill = math.nan if data.dtype.kind == "f" else 0
        self.shape = self._dims
        self.size = int(data.size)
        self.ndim = len(self._dims)

    def __len__(self) -> int:
        return self._dims[0] if self._dims else 0

    def _locate(self, index: Any, kind: str, frame: Any) -> int:
        """The flat position of ``index``, or -1 when it is outside the array (recorded). Counts the access
        as the running thread's work."""
        self._run.thread.ops += 1
        if type(index) is int:
            parts: tuple[Any, ...] = (index,)
        elif type(index) is tuple:
            parts = index
        else:
            parts = (index,)
        dims = self._dims
        if len(parts) != len(dims):
            raise IndexError(f"{self._name} has {len(dims)} dimension(s) but was indexed with {len(parts)}")
        flat = 0
        outside = False
        for part, dim, step in zip(parts, dims, self._steps):
            if type(part) is not int:
                if isinstance(part, (float, np.floating)):
                    raise TypeError(f"{self._name}[{show_index(parts)}]: an index must be a whole number, not "
                                    f"{part!r} (x / y is a float: use x // y)")
                try:
                    part = int(part.__index__())
                except (AttributeError, TypeError):
                    raise TypeError(f"{self._name}: an index must be a whole number, not "
                                    f"{type(part).__name__}") from None
            if part < 0 or part >= dim:
                outside = True
            flat += part * step
        if outside:
            self._run.outside(self, kind, tuple(int(p) for p in parts), frame)
            return -1
        return flat

    def __getitem__(self, index: Any) -> Any:
        frame = sys._getframe(1)
        flat = self._locate(index, "read", frame)
        run = self._run
        if flat < 0:
            return self._fill
        if self._space == "global":
            run.global_access(self, flat, frame, False)
        elif self._space == "shared":
            run.shared_access(self, flat, frame, False)
            if not self._written[flat]:
                run.unwritten(self, flat, frame)
        return self._flat.item(flat)

    def __setitem__(self, index: Any, value: Any) -> None:
        frame = sys._getframe(1)
        flat = self._locate(index, "write", frame)
        if flat < 0:
            return
        run = self._run
        if self._space == "global":
            run.global_access(self, flat, frame, True)
        elif self._space == "shared":
            run.shared_access(self, flat, frame, True)
            self._written[flat] = True
        self._flat[flat] = value

    def index_of(self, flat: int) -> tuple[int, ...]:
        out = []
        for step in self._steps:
            out.append(flat // step)
            flat %= step
        return tuple(out)


def show_index(parts: tuple[Any, ...]) -> str:
    return ", ".join(str(p) for p in parts)
