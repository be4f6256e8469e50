"""The learner's kernel compiled by numba-cuda for a real GPU: run on the judge's inputs, and timed.

Used by the ``cuda_kernel`` task in the learner process when it trains on a
CUDA device (``dlpath check --device cuda``). Everything takes the ``cuda``
module (numba's) and ``torch`` as arguments, so the tests drive it with
stand-ins on a machine without a GPU.

Timing follows the usual recipe: inputs made on the GPU by torch (handed to
the numba kernel through ``__cuda_array_interface__``, no copy), a few warm-up
launches (the first one compiles), then ``REPEATS`` launches each between two
CUDA events, and the median. torch's own operation for the same result is
timed the same way. The achieved bandwidth (bytes a kernel must move / time)
and FLOP rate are compared with the device's peaks, read from the device's
attributes: memory clock x bus width x 2 (double data rate), and SMs x float32
lanes per SM x 2 (a fused multiply-add) x clock.
"""

from __future__ import annotations

import statistics
from typing import Any, Callable

__all__ = ["device_peaks", "run_on_gpu", "time_on_gpu", "WARMUP", "REPEATS", "FP32_LANES"]

WARMUP = 3  # launches before timing (the first compiles the kernel)
REPEATS = 20  # timed launches; the median is reported
#: float32 lanes per streaming multiprocessor, by compute capability (NVIDIA's tables); 128 from 8.6 on
FP32_LANES = {(5, 0): 128, (5, 2): 128, (5, 3): 128, (6, 0): 64, (6, 1): 128, (6, 2): 128, (7, 0): 64, (7, 2): 64,
              (7, 5): 64, (8, 0): 64}


def _attribute(device: Any, name: str) -> int | None:
    try:
        value = getattr(device, name)
        return int(value) if value else None
    except Exception:  # noqa: BLE001 - an attribute this driver or CUDA version no longer reports
        return None


def device_peaks(cuda: Any) -> dict[str, Any]:
    """The current device's name, compute capability and peak memory bandwidth (GB/s) and float32 rate
    (GFLOP/s); a peak the driver does not report is None."""
    device = cuda.get_current_device()
    name = device.name.decode() if isinstance(device.name, bytes) else str(device.name)
    capability = tuple(int(v) for v in device.compute_capability)
    sms = _attribute(device, "MULTIPROCESSOR_COUNT")
    clock_khz = _attribute(device, "CLOCK_RATE")
    memory_khz = _attribute(device, "MEMORY_CLOCK_RATE")
    bus_bits = _attribute(device, "GLOBAL_MEMORY_BUS_WIDTH")
    lanes = FP32_LANES.get(capability, 128)
    bandwidth = 2 * memory_khz * 1e3 * bus_bits / 8 / 1e9 if memory_khz and bus_bits else None
    gflops = sms * lanes * 2 * clock_khz * 1e3 / 1e9 if sms and clock_khz else None
    return {"name": name, "capability": f"{capability[0]}.{capability[1]}", "sms": sms,
            "peak_bandwidth_gbs": bandwidth, "peak_gflops": gflops}


def run_on_gpu(cuda: Any, kernel: Any, launch: Callable[[tuple[int, ...]], Any], inputs: list[Any],
               out_shape: tuple[int, ...]) -> Any:
    """The kernel compiled for the GPU, run once on ``inputs`` (numpy arrays and numbers): the output array."""
    import numpy as np

    args = [cuda.to_device(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) else v for v in inputs]
    out = cuda.to_device(np.full(out_shape, np.nan, dtype=np.float32))
    blocks, threads = launch(tuple(out_shape))
    kernel[blocks, threads](*args, out)
    cuda.synchronize()
    return out.copy_to_host()


def _median_ms(torch: Any, call: Callable[[], Any], warmup: int, repeats: int) -> float:
    for _ in range(warmup):
        call()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        call()
        end.record()
        end.synchronize()
        times.append(float(start.elapsed_time(end)))
    return statistics.median(times)


def time_on_gpu(cuda: Any, torch: Any, kernel: Any, launch: Callable[[tuple[int, ...]], Any], problem: Any,
                dims: tuple[int, ...], *, warmup: int = WARMUP, repeats: int = REPEATS) -> dict[str, Any]:
    """Median times (ms) of the kernel and of torch's own operation on inputs of ``dims`` made on the GPU
    (standard normal float32; the number a is 1.5), how far the kernel's result is from torch's (the largest
    difference over torch's largest value), and the device's peaks."""
    g = torch.Generator(device="cuda").manual_seed(1234)
    made = [1.5 if shape is None else torch.randn(shape, generator=g, device="cuda", dtype=torch.float32)
            for shape in problem.shapes(dims)]
    out_shape = tuple(problem.output_shape(dims))
    out = torch.empty(out_shape, device="cuda", dtype=torch.float32)
    blocks, threads = launch(out_shape)
    # numba views of torch's tensors, made once: a launch on torch tensors themselves would synchronise on
    # their stream every time (CUDA array interface), and that wait would be timed with the kernel
    views = [v if isinstance(v, float) else cuda.as_cuda_array(v) for v in [*made, out]]

    def mine() -> None:
        kernel[blocks, threads](*views)

    def theirs() -> Any:
        return problem.torch_op(made)

    kernel_ms = _median_ms(torch, mine, warmup, repeats)
    torch_ms = _median_ms(torch, theirs, warmup, repeats)
    expected = theirs()
    torch.cuda.synchronize()
    scale = float(expected.abs().max()) or 1.0
    difference = float((out - expected).abs().max()) / scale
    return {"dims": list(dims), "kernel_ms": kernel_ms, "torch_ms": torch_ms, "difference": difference,
            "repeats": repeats, "warmup": warmup, **device_peaks(cuda)}
