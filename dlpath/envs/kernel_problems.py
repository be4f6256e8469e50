"""Kernel problems: what a CUDA kernel project computes, the inputs of one case, and the right answer.

A kernel project's data set (``dlpath.datasets.kernels``) is a list of
*cases*, one launch each: a row ``[seed, d0, d1, d2]``. ``info["problem"]``
names the ``KernelProblem`` here that turns a row into input arrays
(``inputs``) and the reference answer (``reference``, in float64). It lives
outside ``dlpath.datasets`` because the learner's process needs it (to run
the learner's kernel on its cases) and never imports the data generators.

Each problem also says what the ideal kernel moves (``ideal_reads``: global
reads per output when every input is read once), its work for timing on a GPU
(``bytes_moved``, ``flops``, ``timing_dims``) and torch's own operation for the
same result (``torch_op``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from dlpath.errors import UsageError

__all__ = ["KernelProblem", "PROBLEMS", "TOLERANCE", "problem", "dims_of"]

TOLERANCE = 1e-4  # relative to the sum of the magnitudes of what went into each output (float32 sums)


@dataclass(frozen=True)
class KernelProblem:
    """One kind of kernel: its arguments, the shapes of its inputs, and the right answer."""

    name: str
    arguments: tuple[str, ...]  #: the kernel's parameters in order; the last is the output
    computes: str  #: what the kernel computes, in one line
    shapes: Callable[[tuple[int, ...]], list[tuple[int, ...] | None]]  #: each input's shape (None: a number)
    output_shape: Callable[[tuple[int, ...]], tuple[int, ...]]
    compute: Callable[[list[Any]], Any]  #: the answer from the inputs (numpy arrays, in float64 here)
    bytes_moved: Callable[[tuple[int, ...]], float]  #: bytes a kernel must read and write at least
    flops: Callable[[tuple[int, ...]], float]
    timing_dims: tuple[int, ...]  #: sizes timed on a GPU
    torch_op: Callable[[list[Any]], Any]  #: torch's own operation for the same result (one kernel where torch has one)
    torch_text: str  #: that operation as written in the report
    describe: Callable[[tuple[int, ...]], str]  #: a case's sizes in words ("n = 1037")

    def inputs(self, case: Any) -> list[Any]:
        """The inputs of ``case`` (a row ``[seed, d0, d1, d2]``): standard normal float32 arrays, and numbers
        between -3 and 3 (float32 values)."""
        import numpy as np

        g = np.random.default_rng(int(case[0]))
        return [float(np.float32(g.uniform(-3, 3))) if shape is None else g.standard_normal(shape).astype(np.float32)
                for shape in self.shapes(dims_of(case))]

    def reference(self, inputs: list[Any]) -> Any:
        """The exact answer, in float64."""
        import numpy as np

        return np.asarray(self.compute([v.astype(np.float64) if isinstance(v, np.ndarray) else v for v in inputs]),
                          dtype=np.float64)

    def tolerance(self, inputs: list[Any]) -> Any:
        """How far each output may be from the reference: relative to the magnitudes summed into it."""
        import numpy as np

        magnitudes = self.reference([np.abs(v) if isinstance(v, np.ndarray) else abs(v) for v in inputs])
        return TOLERANCE * magnitudes + 1e-6

    def ideal_reads(self, dims: tuple[int, ...]) -> float:
        """Global reads per output of a kernel that reads every input value exactly once."""
        import math

        values = sum(math.prod(s) for s in self.shapes(dims) if s is not None)
        return values / math.prod(self.output_shape(dims))


def dims_of(case: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in list(case)[1:] if int(d) > 0)


PROBLEMS: dict[str, KernelProblem] = {
    "scale_add": KernelProblem(
        "scale_add", ("a", "x", "y", "out"), "out[i] = a * x[i] + y[i] for every i",
        shapes=lambda d: [None, (d[0],), (d[0],)], output_shape=lambda d: (d[0],),
        compute=lambda v: v[0] * v[1] + v[2],
        bytes_moved=lambda d: 12.0 * d[0], flops=lambda d: 2.0 * d[0], timing_dims=(1 << 24,),
        torch_op=lambda v: v[2].add(v[1], alpha=v[0]), torch_text="torch.add(y, x, alpha=a)",
        describe=lambda d: f"n = {d[0]}"),
    "row_sums": KernelProblem(
        "row_sums", ("a", "out"), "out[r] = a[r, 0] + a[r, 1] + ... for every row r",
        shapes=lambda d: [(d[0], d[1])], output_shape=lambda d: (d[0],),
        compute=lambda v: v[0].sum(1),
        bytes_moved=lambda d: 4.0 * d[0] * d[1] + 4.0 * d[0], flops=lambda d: float(d[0] * d[1]),
        timing_dims=(8192, 4096), torch_op=lambda v: v[0].sum(1), torch_text="a.sum(dim=1)",
        describe=lambda d: f"a of shape ({d[0]}, {d[1]})"),
    "matmul": KernelProblem(
        "matmul", ("a", "b", "out"), "out[i, j] = a[i, 0] * b[0, j] + a[i, 1] * b[1, j] + ... (out = a @ b)",
        shapes=lambda d: [(d[0], d[1]), (d[1], d[2])], output_shape=lambda d: (d[0], d[2]),
        compute=lambda v: v[0] @ v[1],
        bytes_moved=lambda d: 4.0 * (d[0] * d[1] + d[1] * d[2] + d[0] * d[2]),
        flops=lambda d: 2.0 * d[0] * d[1] * d[2], timing_dims=(2048, 2048, 2048),
        torch_op=lambda v: v[0] @ v[1], torch_text="a @ b (float32, TF32 off: torch's default)",
        describe=lambda d: f"a ({d[0]}, {d[1]}) @ b ({d[1]}, {d[2]})"),
}


def problem(name: str) -> KernelProblem:
    try:
        return PROBLEMS[name]
    except KeyError:
        raise UsageError(f"unknown kernel problem {name!r}; dlpath has: {', '.join(sorted(PROBLEMS))}") from None
