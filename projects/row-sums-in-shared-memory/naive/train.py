"""Sum every row of a matrix on the GPU with one thread per row (a plausible first try).

Grade it from this folder with:

    dlpath check

The contract (the grader launches your kernel on hidden matrices of awkward sizes):

    @cuda.jit kernel(inputs..., out)
        Here row_sums(a, out): a is a float32 matrix (rows, cols), out is the float32
        vector (rows,) to fill with the sum of each row.
    launch(shape) -> (blocks, threads)
        shape is (rows,): the grid for one thread per row.

Each thread walks along its own row: the sums are right, but at every step the 32
threads of a warp read 32 addresses a whole row apart.
"""

import math

from numba import cuda

THREADS = 64  # threads per block


@cuda.jit
def row_sums(a, out):
    row = cuda.grid(1)  # one thread per row
    if row < a.shape[0]:
        total = 0.0
        for j in range(a.shape[1]):
            total += a[row, j]
        out[row] = total


def launch(shape):
    return math.ceil(shape[0] / THREADS), THREADS
