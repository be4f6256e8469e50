"""A first CUDA kernel, out = a * x + y, with each thread doing a chunk (a plausible first try).

Grade it from this folder with:

    dlpath check

(on any CPU: dlpath runs the kernel on its CUDA simulator; on an NVIDIA GPU,
`dlpath check --device cuda` also compiles it for real and times it.)

The contract (the grader launches your kernel on hidden vectors of awkward lengths):

    @cuda.jit kernel(inputs..., out)
        Here scale_add(a, x, y, out): a is a number, x and y are float32 vectors of
        length n, out is the float32 vector of length n to fill with a * x[i] + y[i].
    launch(shape) -> (blocks, threads)
        shape is (n,): return how many blocks to launch, and how many threads in each.

The grade: every output right, no read or write outside an array, and warps that
read neighbouring values (coalesced), with about one thread per output (the grader
counts how the work is spread over the threads). To run it yourself without a GPU:

    NUMBA_ENABLE_CUDASIM=1 python train.py
"""

import math

from numba import cuda

THREADS_PER_BLOCK = 128  # threads in a block: a multiple of 32 (a warp), at most 1024
PER_THREAD = 8  # elements each thread handles, one after another


@cuda.jit
def scale_add(a, x, y, out):
    t = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    # Fewer threads, each doing a chunk of PER_THREAD neighbouring elements: correct, but at
    # each step the 32 threads of a warp read addresses PER_THREAD * 4 bytes apart.
    for k in range(PER_THREAD):
        i = t * PER_THREAD + k
        if i < out.size:
            out[i] = a * x[i] + y[i]


def launch(shape):
    chunks = math.ceil(shape[0] / PER_THREAD)  # one thread per chunk of PER_THREAD elements
    blocks = math.ceil(chunks / THREADS_PER_BLOCK)
    return blocks, THREADS_PER_BLOCK


if __name__ == "__main__":  # NUMBA_ENABLE_CUDASIM=1 python train.py: numba-cuda's simulator
    import numpy as np

    n = 1000
    x = np.arange(n, dtype=np.float32)
    y = np.ones(n, dtype=np.float32)
    out = np.zeros(n, dtype=np.float32)
    blocks, threads = launch((n,))
    scale_add[blocks, threads](2.0, x, y, out)
    print(out[:4], "...", out[-1])  # [1. 3. 5. 7.] ... 1999.0
