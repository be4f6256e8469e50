"""What the mentor says about a CUDA kernel (the ``cuda_kernel`` task's diagnosis rules and codes).

The rules read the simulator's report: the judge's facts after ``dlpath
check`` (the hidden cases), else what the learner process saw on the public
cases during ``dlpath run`` (advice). Each finding quotes the thread, the block
and the line the simulator caught, and explains the GPU behaviour behind it.
"""

from __future__ import annotations

from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo, Diagnosis, _fmt, make

__all__ = ["CODES", "RULES", "EXCLUSIVE", "LESSON_THREADS", "LESSON_MEMORY", "LESSON_SPEED"]

LESSON_THREADS = "cuda-programming"
LESSON_MEMORY = "gpu-memory-and-reductions"
LESSON_SPEED = "fast-kernels"

CODES: dict[str, CodeInfo] = {
    "not-kernel-code": CodeInfo(LESSON_THREADS),
    "bad-launch": CodeInfo(LESSON_THREADS),
    "kernel-crashed": CodeInfo(LESSON_THREADS),
    "kernel-too-slow": CodeInfo(LESSON_THREADS),
    "out-of-bounds": CodeInfo(LESSON_THREADS),
    "wrong-outputs": CodeInfo(LESSON_THREADS),
    "race-condition": CodeInfo(LESSON_MEMORY),
    "divergent-barrier": CodeInfo(LESSON_MEMORY),
    "not-parallel": CodeInfo(LESSON_THREADS),
    "uncoalesced-access": CodeInfo(LESSON_MEMORY),
    "too-many-global-reads": CodeInfo(LESSON_SPEED),
    "simulator-limits": CodeInfo(LESSON_THREADS, "info"),
    "gpu-timing": CodeInfo(LESSON_SPEED, "info"),
    "gpu-results-differ": CodeInfo(LESSON_MEMORY, "warning"),
    "gpu-unavailable": CodeInfo(LESSON_SPEED, "warning"),
}

SIMULATOR_LIMITS = (
    "dlpath's simulator runs the threads of a block one after another, from barrier to barrier, on the CPU: there "
    "are no real warps (a warp here is 32 consecutive threads, used only to count memory segments), no warp "
    "shuffles or other warp instructions, and nothing is timed. A race may give the right answer in this order and "
    "a wrong one on a GPU, so races are found by the rule (two threads, one element, no barrier between, one of "
    "them writing), not by the result.")


def report(run: Any) -> tuple[Mapping[str, Any], str]:
    """The simulator's report and where it comes from: ("hidden", the judge's facts) after a check, else
    ("public", what the learner process saw on the public cases), else ({}, "")."""
    facts = run.facts.extra or {}
    if facts.get("problem"):
        return facts, "hidden"
    seen = run.observation.extra or {}
    if seen.get("problem"):
        return seen, "public"
    return {}, ""


def _where(origin: str) -> str:
    return " on the hidden inputs" if origin == "hidden" else " on the public example"


def _texts(found: Mapping[str, Any], key: str) -> list[str]:
    value = found.get(key)
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def _others(texts: list[str], limit: int = 3) -> list[str]:
    """The evidence beside the example a message quotes: the next ones, else that one."""
    return texts[1:1 + limit] if len(texts) > 1 else texts[:1]


def _metric(run: Any, found: Mapping[str, Any], origin: str, name: str) -> float | None:
    if origin == "hidden":
        value = run.metrics.get(name)
    else:
        value = (found.get("public_metrics") or {}).get(name)
    return float(value) if isinstance(value, (int, float)) else None


def _limit(run: Any, name: str) -> float | None:
    for threshold in getattr(run.project, "thresholds", ()) or ():
        if threshold.metric == name and threshold.max is not None:
            return float(threshold.max)
    return None


def _over(run: Any, found: Mapping[str, Any], origin: str, name: str) -> tuple[float, float] | None:
    """(value, limit) when the metric misses the project's maximum (a failed threshold after a check; on the
    public example during `dlpath run`)."""
    value, limit = _metric(run, found, origin, name), _limit(run, name)
    if value is None or limit is None:
        return None
    if origin == "hidden" and not run.failed(name):
        return None
    return (value, limit) if value > limit else None


def _under(run: Any, found: Mapping[str, Any], origin: str, name: str) -> tuple[float, float] | None:
    """(value, floor) when the metric misses the project's minimum, as ``_over`` for a maximum."""
    value = _metric(run, found, origin, name)
    floor = next((float(t.min) for t in getattr(run.project, "thresholds", ()) or ()
                  if t.metric == name and t.min is not None), None)
    if value is None or floor is None:
        return None
    if origin == "hidden" and not run.failed(name):
        return None
    return (value, floor) if value < floor else None


# ------------------------------------------------------------------ the rules


def _not_kernel_code(run: Any) -> list[Diagnosis]:
    found, origin = report(run)
    problems = _texts(found, "source")
    if not problems:
        return []
    return [make("not-kernel-code", f"""The grader reads train.py before it runs it and found code outside the
        kernel language: {problems[0]}. A kernel file holds imports (numba, math, numpy), constants, the @cuda.jit
        kernel, device functions and launch(shape); inside them, arithmetic, loops over range, if, array indexing
        and the cuda API. Move anything else under if __name__ == "__main__":, which the grader never runs.""",
                 evidence=problems[:3], codes=CODES)]


def _bad_launch(run: Any) -> list[Diagnosis]:
    found, origin = report(run)
    errors = _texts(found, "launch_error")
    if not errors:
        return []
    return [make("bad-launch", f"""The kernel could not be launched{_where(origin)}: {errors[0]}. launch(shape)
        gets the output's shape as a tuple of sizes and returns (blocks, threads): whole numbers (or tuples of up to 3
        of them), at most 1024 threads per block. For n outputs and T threads per block, blocks = (n + T - 1) // T
        rounds up so that every output has a thread.""", evidence=_others(errors), codes=CODES)]


def _crashed(run: Any) -> list[Diagnosis]:
    found, origin = report(run)
    crashes = _texts(found, "crash")
    if not crashes:
        return []
    return [make("kernel-crashed", f"""The kernel raised an error{_where(origin)}: {crashes[0]}. On a GPU a kernel
        cannot raise: numba would refuse to compile it, or the launch fails. The usual causes: an index computed with
        / (a float: use //), an array indexed with the wrong number of indices, a name misspelt.""",
                 evidence=_others(crashes), codes=CODES)]


def _too_slow(run: Any) -> list[Diagnosis]:
    found, origin = report(run)
    slow = _texts(found, "timed_out")
    if not slow:
        return []
    return [make("kernel-too-slow", f"""The simulated launch did not finish{_where(origin)}: {slow[0]}. Look for a
        loop that never ends (a while whose condition never changes, a stride of 0) or far more threads than
        outputs.""", evidence=_others(slow), codes=CODES)]


def _out_of_bounds(run: Any) -> list[Diagnosis]:
    found, origin = report(run)
    seen = _texts(found, "oob")
    count = _metric(run, found, origin, "out_of_bounds")
    if not seen and not count:
        return []
    example = seen[0] if seen else "an access outside an array"
    causes = ["no bounds check before the access", "a check against the wrong size (the block's, not the array's)",
              "an index computed from the wrong dimension"]
    off_by_one = ""
    if found.get("just_past_the_end"):
        off_by_one = (" Every one of them is exactly one past the end: a check that lets i == n through (i <= n "
                      "where it should be i < n) does that.")
        causes.insert(0, "i <= n where it should be i < n")
    return [make("out-of-bounds", f"""{_fmt(count) if count else 'Some'} memory accesses fell outside their
        arrays{_where(origin)}; the first: {example}.{off_by_one} A grid is made of whole blocks, so when the size is not a
        multiple of the block size the last block has threads with no element of their own (a 2-D grid has them
        along two edges). Every thread must check its index against the array's size before it reads or writes:
        if i < out.size: ... (or if row < out.shape[0] and col < out.shape[1]). On a GPU such an access reads
        garbage or crashes the kernel; numba also wraps a negative index around to the end of the array, which is
        never the element you meant.""", evidence=_others(seen),
                 causes=causes, codes=CODES)]


def _race(run: Any) -> list[Diagnosis]:
    found, origin = report(run)
    seen = _texts(found, "race")
    if not seen:
        return []
    shared = "(shared memory)" in seen[0]
    if shared:
        advice = """Threads of a block run in any order until they meet at cuda.syncthreads(): a value one thread
            writes is safe for another thread to read only after a barrier both have passed, and a value others
            still read must not be overwritten before the next barrier. Put cuda.syncthreads() between the step that
            writes and the step that reads: after filling a tile, after each step of a tree reduction (outside the
            if, where every thread of the block reaches it), and before a loop writes the next tile."""
        causes = ("a missing cuda.syncthreads() between writing and reading shared memory",
                  "cuda.syncthreads() inside an if that not every thread takes")
    else:
        advice = """Blocks never wait for each other, and threads of a block only at cuda.syncthreads(). Give each
            output element exactly one writer (one thread, or thread 0 of its block after a shared-memory
            reduction), or use cuda.atomic.add(out, i, value) where many threads must add into one place."""
        causes = ("several threads writing the same output element", "out[...] += ... from many threads")
    return [make("race-condition", f"""Two threads raced on one element{_where(origin)}: {seen[0]}. {advice} The
        simulator runs threads in a fixed order, so the answer may even come out right here; on a GPU it changes
        from run to run.""", evidence=_others(seen), causes=causes, codes=CODES)]


def _divergent(run: Any) -> list[Diagnosis]:
    found, origin = report(run)
    seen = _texts(found, "divergent")
    if not seen:
        return []
    return [make("divergent-barrier", f"""Part of a block skipped a barrier the rest waited at{_where(origin)}:
        {seen[0]}. cuda.syncthreads() must be reached by every thread of the block, at the same line: CUDA allows
        it in conditional code only if the condition is the same for the whole block, otherwise the block may hang
        or run on half-synchronised. Move the barrier out of the if (a tree reduction puts it after the if, inside
        the loop), and let threads with nothing to do stay in the kernel until the last barrier instead of
        returning early (guard their loads and stores instead).""", evidence=_others(seen),
                 causes=("cuda.syncthreads() inside an if that not every thread takes",
                         "a return before a barrier the other threads reach"), codes=CODES)]


def _wrong(run: Any) -> list[Diagnosis]:
    found, origin = report(run)
    wrong = _texts(found, "wrong")
    if not wrong or (origin == "hidden" and not run.failed("correct_outputs")):
        return []
    text = " ".join(wrong)
    uninitialized = _texts(found, "uninitialized")
    if "never written" in text:
        advice = """Outputs that are still NaN were never written: no thread reached them (blocks rounded down
            instead of up, a grid or a loop that stops short, a thread that returns too early) or a thread computed
            them from shared memory nothing had written."""
    else:
        advice = """Every output was written, but some values are wrong: check the formula and the indices
            (row and column swapped, a stride of the wrong dimension, an accumulator that is not reset)."""
    extra = f" Shared memory was read before it was written: {uninitialized[0]}." if uninitialized else ""
    return [make("wrong-outputs", f"""The kernel's outputs differ from the exact answer{_where(origin)}: {wrong[0]}.
        {advice}{extra} `dlpath run` runs the public example and reports the same.""",
                 evidence=_others(wrong) + uninitialized[:1], codes=CODES)]


def _not_parallel(run: Any) -> list[Diagnosis]:
    found, origin = report(run)
    under = _under(run, found, origin, "threads_per_output")
    if under is None:
        return []
    value, floor = under
    least = _texts(found, "least_parallel")
    busiest = [text for text in _texts(found, "busiest") if text not in least]
    seen = f" The clearest case: {least[0]}." if least and least[0] else ""
    return [make("not-parallel", f"""The kernel's work is not spread over threads{_where(origin)}: the accesses one
        thread computing every output alone would need, divided by the array elements the busiest thread read or
        wrote (how many threads' worth of the work run side by side), come to {_fmt(value)} per output, and the
        grade asks for at least {_fmt(floor)}.{seen} A GPU is fast
        because thousands of threads run at once, each one much slower than a CPU core, and a launch lasts as long
        as its busiest thread: one thread looping over every element is a CPU program run on a single GPU core,
        slower than the CPU itself, however coalesced or race-free it looks. The kernel is what ONE thread does;
        the grid replaces the loop. Give each thread its own piece, found from its indices (i =
        cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x), and let launch(shape) return enough blocks to
        cover the output: for an element-wise operation one thread per output (blocks = ceil(n / threads)); for a
        reduction such as a row sum one block per output, whose threads read the row side by side and combine
        their partial sums in shared memory; for a matrix product a 2-D grid of tiles, one thread per output
        element.""", evidence=[f"threads per output {_fmt(value)} (at least {_fmt(floor)})"] + busiest[:2],
                 causes=("launch() returns a single block of a single thread", "one thread loops over every output "
                         "while the others do nothing", "each thread computes a whole chunk of outputs"),
                 codes=CODES)]


def _uncoalesced(run: Any) -> list[Diagnosis]:
    found, origin = report(run)
    over = _over(run, found, origin, "segments_per_request")
    under = _under(run, found, origin, "segment_efficiency")
    if over is None and under is None:
        return []
    lines = _texts(found, "lines")
    worst = f" The worst: {lines[0]}." if lines else ""
    evidence: list[str] = []
    said = []
    if over is not None:
        said.append(f"each warp-wide load or store touched {_fmt(over[0])} 128-byte segments on average, and the "
                    f"grade allows {_fmt(over[1])}")
        evidence.append(f"segments per request {_fmt(over[0])} (limit {_fmt(over[1])})")
    if under is not None:
        said.append(f"the warps used {_fmt(100 * under[0])}% of the bytes those segments moved, and the grade "
                    f"asks for {_fmt(100 * under[1])}%")
        evidence.append(f"segment efficiency {_fmt(under[0])} (at least {_fmt(under[1])})")
    how = "are scattered" if over is not None else "waste most of the bytes they move"
    return [make("uncoalesced-access", f"""The kernel gives the right answer, but its memory accesses {how}
        {_where(origin).strip()}: {' and '.join(said)}.{worst} A GPU serves the 32 threads of a warp together:
        when they touch 32 neighbouring float32 values (128 bytes) that is one memory transaction (two when the run
        straddles a boundary); when each thread reads from its own distant place, the same 32 values cost up to 32
        transactions, most of each one wasted, and a warp in which a single thread works moves a whole 128-byte
        segment for its 4 bytes. Make consecutive threads (threadIdx.x, threadIdx.x + 1, ...) touch consecutive
        addresses: in a row-major array the last index should follow threadIdx.x (a[row, j] with j moving with the
        thread), and a thread that handles several elements should step by the number of threads (a grid-stride
        loop), not walk a chunk of its own.""",
                 evidence=evidence + lines[:2],
                 causes=("each thread walks its own row or chunk", "threadIdx.x mapped to the row instead of the column",
                         "one thread of the warp does the work while the others idle"),
                 codes=CODES)]


def _too_many_reads(run: Any) -> list[Diagnosis]:
    found, origin = report(run)
    over = _over(run, found, origin, "global_reads_per_output")
    if over is None:
        return []
    value, limit = over
    ideal = (found.get("traffic") or {}).get("ideal_reads")
    ideal_text = f" Reading every input value once would cost {_fmt(ideal)} per output." if ideal else ""
    return [make("too-many-global-reads", f"""Each output cost {_fmt(value)} reads from global memory{_where(origin)}
        and the grade allows {_fmt(limit)}.{ideal_text} Values that many threads need (a row of a, a column of b) are
        read from global memory again by every one of them. Let each block load a tile of the inputs into shared
        memory once (each thread one value), cuda.syncthreads(), compute from the tile (each value now read from fast
        shared memory by many threads), cuda.syncthreads() again, and move to the next tile: a T x T tile divides the
        global reads by T.""", evidence=[f"global reads per output {_fmt(value)} (limit {_fmt(limit)})"],
                 causes=("every thread reads its whole row and column from global memory",
                         "tiles too small to reuse values"), codes=CODES)]


def _gpu(run: Any) -> list[Diagnosis]:
    found, origin = report(run)
    out: list[Diagnosis] = []
    problem = _texts(found, "gpu_problem")
    if problem:
        out.append(make("gpu-unavailable", f"""The kernel could not run on this GPU: {problem[0]}. numba-cuda
            compiles kernels with NVIDIA's NVVM, which comes with the CUDA toolkit: `pip install 'numba-cuda[cu12]'`
            (or [cu13] with a driver for CUDA 13) adds it. The grade comes from the simulator either way.""",
                        evidence=problem[:1], codes=CODES))
    gpu = found.get("gpu")
    if not isinstance(gpu, Mapping):
        return out
    correct = gpu.get("correct_outputs")
    if isinstance(correct, (int, float)) and correct < 1:
        out.append(make("gpu-results-differ", f"""On the GPU, {_fmt(100 * correct)}% of the hidden outputs were
            right, although the simulator's run is what the grade counts. A race the simulator's fixed order hid, or
            float64 arithmetic on the simulator against float32 on the GPU, are the usual causes.""",
                        evidence=[f"correct on the GPU: {_fmt(100 * correct)}%"], codes=CODES))
    if isinstance(gpu.get("kernel_ms"), (int, float)):
        out.append(_timing(gpu))
    return out


def _rate(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 10 else f"{_fmt(value)} {unit}"


def _timing(gpu: Mapping[str, Any]) -> Diagnosis:
    kernel_ms = float(gpu["kernel_ms"])
    parts = [f"On {gpu.get('name', 'the GPU')} your kernel took {_fmt(kernel_ms)} ms for {gpu.get('dims', '?')} (the "
             f"median of {gpu.get('repeats', '?')} launches after {gpu.get('warmup', '?')} warm-ups)"]
    evidence = [f"kernel {_fmt(kernel_ms)} ms"]
    for key, peak_key, unit, verb in (("bandwidth_gbs", "peak_bandwidth_gbs", "GB/s", "moved data at"),
                                      ("gflops", "peak_gflops", "GFLOP/s", "computed")):
        value, peak = gpu.get(key), gpu.get(peak_key)
        if not isinstance(value, (int, float)):
            continue
        share = (f", {_fmt(100 * value / peak)}% of the device's {_rate(peak, unit)} peak"
                 if isinstance(peak, (int, float)) and peak else "")
        parts.append(f"it {verb} {_rate(value, unit)}{share}")
        evidence.append(_rate(value, unit))
    if isinstance(gpu.get("torch_ms"), (int, float)):
        parts.append(f"torch's own {gpu.get('torch_op', 'operation')} took {_fmt(gpu['torch_ms'])} ms, so your "
                     f"kernel runs at {_fmt(gpu.get('speed_vs_torch', 0))} times torch's speed")
        evidence.append(f"torch {_fmt(gpu['torch_ms'])} ms")
    return make("gpu-timing", "; ".join(parts) + ". Timing is reported, not graded.", evidence=evidence,
                codes=CODES)


def _simulator(run: Any) -> list[Diagnosis]:
    found, origin = report(run)
    if not found or _texts(found, "source"):
        return []
    seconds = found.get("simulated_s")
    done = "Graded" if origin == "hidden" else "Run"
    return [make("simulator-limits", f"""{done} on the CPU. {SIMULATOR_LIMITS} `dlpath check --device cuda` on a
        machine with an NVIDIA GPU also runs and times the kernel for real.""",
                 evidence=[f"{len(_texts(found, 'cases'))} case(s) simulated in {_fmt(seconds)} s"]
                 if isinstance(seconds, (int, float)) else [], codes=CODES)]


RULES = (_not_kernel_code, _bad_launch, _crashed, _too_slow, _out_of_bounds, _race, _divergent, _wrong,
         _not_parallel, _uncoalesced, _too_many_reads, _gpu, _simulator)

EXCLUSIVE: dict[str, set[str]] = {
    "not-kernel-code": {"simulator-limits"},
    "bad-launch": {"wrong-outputs"},
    "kernel-crashed": {"wrong-outputs"},
    "kernel-too-slow": {"wrong-outputs"},
    "out-of-bounds": {"wrong-outputs"},
    "race-condition": {"wrong-outputs"},
    "divergent-barrier": {"wrong-outputs"},
}
