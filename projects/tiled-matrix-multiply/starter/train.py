"""Multiply two matrices on the GPU, out = a @ b, reusing tiles held in shared memory.

Grade it from this folder with:

    dlpath check

(on any CPU: dlpath runs the kernel on its CUDA simulator; on an NVIDIA GPU,
`dlpath check --device cuda` also compiles it for real and times it against torch.)

The contract (the grader launches your kernel on hidden matrices of awkward sizes):

    @cuda.jit kernel(inputs..., out)
        Here matmul(a, b, out): a is float32 (M, K), b is float32 (K, N), out is the
        float32 (M, N) matrix to fill with a @ b.
    launch(shape) -> (blocks, threads)
        shape is (M, N): a 2-D grid of TILE x TILE blocks covering out.

The grade: every output right, no race, no access outside an array, at most 16
global-memory reads per output (this starter needs 2 * K), and a thread per output
element (the grader counts how the work is spread over the threads). To run it
yourself without a GPU:

    NUMBA_ENABLE_CUDASIM=1 python train.py
"""

import math

from numba import cuda, float32  # noqa: F401 - float32 is the type of the shared-memory tiles

TILE = 16  # a block is TILE x TILE threads (16 x 16 = 256), each tile TILE x TILE values


@cuda.jit
def matmul(a, b, out):
    col = cuda.blockIdx.x * TILE + cuda.threadIdx.x  # x follows the columns: coalesced out and b
    row = cuda.blockIdx.y * TILE + cuda.threadIdx.y
    # TODO: each thread reads a whole row of a and a whole column of b from global memory,
    # and the TILE threads of a block row read the same row of a again and again. Instead,
    # loop over the inner dimension TILE at a time: each thread copies ONE value of a and ONE
    # of b into two cuda.shared.array((TILE, TILE), float32) tiles (0.0 where the tile hangs
    # past the edge of a or b), cuda.syncthreads(), adds up its row of the a-tile times its
    # column of the b-tile, and cuda.syncthreads() again before the next tiles are loaded.
    if row < out.shape[0] and col < out.shape[1]:
        total = 0.0
        for k in range(a.shape[1]):
            total += a[row, k] * b[k, col]
        out[row, col] = total


def launch(shape):
    rows, cols = shape
    blocks = (math.ceil(cols / TILE), math.ceil(rows / TILE))  # (x: columns, y: rows)
    return blocks, (TILE, TILE)


if __name__ == "__main__":  # NUMBA_ENABLE_CUDASIM=1 python train.py: numba-cuda's simulator
    import numpy as np

    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.ones((3, 2), dtype=np.float32)
    out = np.zeros((2, 2), dtype=np.float32)
    blocks, threads = launch(out.shape)
    matmul[blocks, threads](a, b, out)
    print(out)  # [[ 3.  3.] [12. 12.]]
