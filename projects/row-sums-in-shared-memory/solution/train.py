"""Sum every row of a matrix on the GPU: one block per row, shared memory, a tree of additions
(reference solution).

Grade it from this folder with:

    dlpath check

(on any CPU: dlpath runs the kernel on its CUDA simulator; on an NVIDIA GPU,
`dlpath check --device cuda` also compiles it for real and times it.)

The contract (the grader launches your kernel on hidden matrices of awkward sizes):

    @cuda.jit kernel(inputs..., out)
        Here row_sums(a, out): a is a float32 matrix (rows, cols), out is the float32
        vector (rows,) to fill with the sum of each row.
    launch(shape) -> (blocks, threads)
        shape is (rows,): one block per row, THREADS threads in each.

The grade: every sum right, no race between threads, no access outside an array,
warps that read neighbouring values, and a block of threads sharing each row's sum
(the grader counts how the work is spread over the threads). To run it yourself
without a GPU:

    NUMBA_ENABLE_CUDASIM=1 python train.py
"""

from numba import cuda, float32

THREADS = 128  # threads per block: a power of 2 (the tree halves it), 32 .. 1024


@cuda.jit
def row_sums(a, out):
    row = cuda.blockIdx.x  # this block's row
    t = cuda.threadIdx.x
    partial = cuda.shared.array(THREADS, float32)  # one slot per thread, shared by the block

    # 1. Each thread adds up every THREADS-th value of the row, starting at column t:
    #    at each step the block's threads read neighbouring columns (coalesced).
    total = 0.0
    for j in range(t, a.shape[1], THREADS):
        total += a[row, j]
    partial[t] = total
    cuda.syncthreads()  # every slot is written before anyone reads another's

    # 2. A tree: half the threads add the other half's slots to theirs, then a quarter, ...
    step = THREADS // 2
    while step > 0:
        if t < step:
            partial[t] += partial[t + step]
        cuda.syncthreads()  # this step's sums are complete before the next step reads them
        step //= 2

    if t == 0:
        out[row] = partial[0]


def launch(shape):
    return shape[0], THREADS  # one block per row


if __name__ == "__main__":  # NUMBA_ENABLE_CUDASIM=1 python train.py: numba-cuda's simulator
    import numpy as np

    a = np.ones((4, 300), dtype=np.float32)
    out = np.zeros(4, dtype=np.float32)
    blocks, threads = launch(out.shape)
    row_sums[blocks, threads](a, out)
    print(out)  # [300. 300. 300. 300.]
