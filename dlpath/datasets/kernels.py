"""Kernel data sets: the cases of a CUDA kernel project, of awkward sizes, drawn from the grading seed.

The generators here (kind ``"kernel"``) draw the cases' sizes and seeds: ``x``
holds one row per case, ``[seed, d0, d1, d2]``, and ``info["problem"]`` names
the ``KernelProblem`` (``dlpath.envs.kernel_problems``) that turns a row into
input arrays and the reference answer. Sizes are awkward on purpose: never a
multiple of 32 (a warp), one case smaller than a warp, so a grid that is not
rounded up, or a kernel without a bounds check, shows.
"""

from __future__ import annotations

from typing import Any, Callable

from dlpath.datasets import BadDataset, Dataset, check_n, generator, rng
from dlpath.envs.kernel_problems import PROBLEMS, KernelProblem, dims_of, problem

__all__ = ["KernelProblem", "PROBLEMS", "problem", "dims_of", "cases", "scale_add", "row_sums", "matmul"]


def _awkward(g: Any, low: int, high: int) -> int:
    """A size in [low, high] that is not a multiple of 32."""
    import torch

    value = int(torch.randint(low, high + 1, (1,), generator=g))
    return value + 1 if value % 32 == 0 else value


def cases(data: Dataset) -> list[Any]:
    """The rows of a kernel data set, one case each."""
    return [row.tolist() for row in data.x]


def _cases(n: int, seed: int, name: str, draw: Callable[[Any, int], tuple[int, ...]]) -> Dataset:
    import torch

    check_n(n)
    g = rng(seed)
    rows = []
    for k in range(n):
        dims = list(draw(g, k))
        case_seed = int(torch.randint(0, 2**62, (1,), generator=g))
        rows.append([case_seed] + dims + [0] * (3 - len(dims)))
    x = torch.tensor(rows, dtype=torch.int64).reshape(n, 4)
    info = {"kind": "kernel", "problem": name, "input_shape": [4], "arguments": list(PROBLEMS[name].arguments)}
    return Dataset(x, torch.zeros(n, dtype=torch.int64), info)


def _ordered(low: int, high: int, what: str) -> None:
    if not 1 <= low <= high:
        raise BadDataset(f"{what}: the sizes must satisfy 1 <= min <= max, not {low} and {high}")


@generator("kernel")
def scale_add(n: int, seed: int, *, min_size: int = 200, max_size: int = 2000) -> Dataset:
    """``n`` launches of out = a * x + y on vectors: the first shorter than a warp, the others between
    ``min_size`` and ``max_size`` values, never a multiple of 32."""
    _ordered(min_size, max_size, "scale_add")
    return _cases(n, seed, "scale_add",
                  lambda g, k: (_awkward(g, 1, 31),) if k == 0 else (_awkward(g, min_size, max_size),))


@generator("kernel")
def row_sums(n: int, seed: int, *, min_rows: int = 3, max_rows: int = 40, min_cols: int = 40,
             max_cols: int = 300) -> Dataset:
    """``n`` launches summing each row of a matrix: rows between ``min_rows`` and ``max_rows``, columns
    between ``min_cols`` and ``max_cols`` (never a multiple of 32)."""
    _ordered(min_rows, max_rows, "row_sums rows")
    _ordered(min_cols, max_cols, "row_sums columns")
    return _cases(n, seed, "row_sums", lambda g, k: (_awkward(g, min_rows, max_rows), _awkward(g, min_cols, max_cols)))


@generator("kernel")
def matmul(n: int, seed: int, *, min_size: int = 9, max_size: int = 40, min_inner: int = 20,
           max_inner: int = 60) -> Dataset:
    """``n`` launches of out = a @ b: a is (M, K), b is (K, N), M and N between ``min_size`` and
    ``max_size``, K between ``min_inner`` and ``max_inner``, none a multiple of 32."""
    _ordered(min_size, max_size, "matmul sizes")
    _ordered(min_inner, max_inner, "matmul inner size")
    return _cases(n, seed, "matmul", lambda g, k: (_awkward(g, min_size, max_size), _awkward(g, min_inner, max_inner),
                                                  _awkward(g, min_size, max_size)))
