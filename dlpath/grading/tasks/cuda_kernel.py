"""``cuda_kernel``: a CUDA kernel written with numba-cuda, graded on dlpath's simulator, timed on a real GPU.

The learner's ``train.py`` is a kernel file: one ``@cuda.jit`` kernel and a
``launch(shape)`` that chooses the grid (see ``_kernel_source`` for what a
kernel file may hold). No training: the project's data set is a list of
*cases* of awkward sizes (``dlpath.datasets.kernels``), one launch each.

Who does what:

- the **judge** reads ``train.py`` itself (it never imports it), checks that
  it is kernel code, builds the hidden cases and their answers, and sends the
  source and each case's inputs (never the answers) to the *loader*;
- the **loader**, a fresh sandboxed process in which the learner's own file
  was never imported, runs that source, exactly as the judge read it, on
  dlpath's simulator (``_kernel_sim``), and answers with the outputs and what
  the simulator saw: memory traffic, out-of-bounds accesses, races, the
  array accesses of the launch and of its busiest thread. The source it runs
  can index arrays and do arithmetic, nothing else, so it cannot reach the
  simulator's counters;
- the judge computes every metric: the share of correct outputs, the
  out-of-bounds accesses, the races, the global reads per output, the
  128-byte segments per warp-wide memory request and the share of their bytes
  the warps used, and the threads per output (what one thread alone would
  do, from the problem's formula, over what the busiest thread did, from the
  simulator's count of every thread's accesses);
- the **learner process** imports ``train.py`` (numba-cuda's simulator when
  it runs on a CPU, the real compiler on a GPU), runs the kernel on the public
  cases for ``dlpath run`` (advice only), and with ``--device cuda`` runs the
  judge's inputs on the GPU (the judge checks the outputs) and times the
  kernel against torch's own operation. Those times come from the learner's
  process: they are reported, never a threshold.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from dlpath.grading.tasks import (ContractError, Evaluation, JudgeContext, LearnerError, LearnerSide, Metric,
                                  SplitData, Task)
from dlpath.grading.tasks._kernel_report import TEXTS, Tally, run_case
from dlpath.grading.tasks._kernel_rules import CODES, EXCLUSIVE, RULES

__all__ = ["CudaKernelTask", "Tally", "run_case", "pack_inputs", "unpack_inputs", "INSTALL"]

FILE = "train.py"
MAX_SOURCE = 256 * 1024  # a larger kernel file is not read
INSTALL = "pip install 'dlpath[kernels]'"  # numba-cuda, in the range dlpath is tested with (pyproject.toml)


# ------------------------------------------------------------------ the learner's side


@dataclass
class _Learned:
    """What the learner side keeps between `train` and the judge's requests."""

    problem: Any
    module: Any = None  #: the kernel file, loaded for the simulator
    gpu_kernel: Any = None  #: the learner's kernel, compiled by numba-cuda, on a CUDA device
    gpu_launch: Any = None
    gpu_problem: str | None = None  #: why the kernel could not run on the GPU
    loaded: dict[str, Any] = field(default_factory=dict)  #: the loader: kernel files by their hash


def _kernel_file(source: str, filename: str) -> Any:
    from dlpath.grading.tasks._kernel_sim import bind, jit
    from dlpath.grading.tasks._kernel_source import load

    return load(source, filename, bind, jit)


def _source_problems(problems: list[Any]) -> list[str]:
    return [f"{FILE} line {p.line}: {p.message}" if p.line else f"{FILE}: {p.message}" for p in problems]


class CudaKernelTask(Task):
    kind = "cuda_kernel"
    summary = ("A CUDA kernel written with numba-cuda: graded on dlpath's simulator on any CPU (outputs, "
               "out-of-bounds accesses, races, memory traffic), timed for real with --device cuda.")
    contract = """\
@cuda.jit kernel(inputs..., out)
    The one function decorated with @cuda.jit: what ONE GPU thread does. Its parameters are
    the project's inputs, in order, then the output array to fill (float32).
launch(shape) -> (blocks, threads)
    The grid for an output of this shape (a tuple of sizes): the number of blocks and the
    threads per block, each a number or a tuple of up to 3 numbers. dlpath launches the kernel.
The file holds imports (numba, math, numpy), constants, these two functions and any device
functions (@cuda.jit(device=True)); the grader reads it, checks it is kernel code, and runs
it on hidden inputs of awkward sizes on its simulator (or on your GPU with --device cuda)."""
    contract_lines = ("@cuda.jit kernel(inputs..., out)", "launch(shape) -> (blocks, threads)")
    dataset_kinds = ("kernel",)
    metrics = (
        Metric("correct_outputs", "max", "fraction",
               "share of the outputs, over every hidden case, within 1e-4 of the exact answer (relative to the "
               "magnitudes summed into each); an output never written counts as wrong"),
        Metric("out_of_bounds", "min", "count",
               "reads and writes outside their array (negative indices included), counted by the simulator"),
        Metric("races", "min", "count",
               "array elements two threads touched between the same two barriers, one of them writing (in global "
               "memory also across blocks), plus barriers that part of a block skipped"),
        Metric("global_reads_per_output", "min", "reads",
               "global-memory reads (atomics included) divided by the number of outputs"),
        Metric("segments_per_request", "min", "segments",
               "128-byte segments each warp-wide global memory instruction touched, on average (1 to 2 when a "
               "warp's 32 threads read 32 neighbouring float32 values; up to 32 when they are scattered)"),
        Metric("segment_efficiency", "max", "fraction",
               "the distinct bytes the threads of each warp-wide global memory instruction used, over the bytes of "
               "the 128-byte segments it touched, summed over instructions (1 when 32 threads read 32 neighbouring "
               "float32 values in one segment; 1/32 when a lone thread reads 4 bytes)"),
        Metric("threads_per_output", "max", "threads",
               "the accesses one thread computing every output alone needs (a value read per operation of the "
               "formula, a write per output) over the array elements the launch's busiest thread read or wrote "
               "(global, shared or local memory), summed over the cases and divided by their outputs: how many "
               "threads' worth of the work run side by side, per output (1 for one thread per output; 1 / n when "
               "one thread does everything)"),
    )
    primary = "correct_outputs"
    uses_loader = True
    packages = ("numba-cuda",)
    hand_written_updates = True  # nothing is trained: no optimizer to expect
    codes = CODES
    rules = RULES
    exclusive = EXCLUSIVE

    # -- before anything runs
    @classmethod
    def unavailable(cls) -> tuple[str, str] | None:
        if super().unavailable() is not None:
            return ("this project runs CUDA kernels written with numba-cuda, which is not installed here",
                    f"Install it with `{INSTALL}` (numba, llvmlite and NVIDIA's CUDA Python bindings, about "
                    "350 MB; no GPU needed: the kernels run on a simulator), then run the command again.")
        return None

    def prepare(self, device: str, role: str) -> None:
        # numba reads this when it is first imported: the learner's file imports numba.cuda, and on a CPU its
        # decorators must come from numba-cuda's simulator (the loader runs dlpath's own simulator either way)
        os.environ["NUMBA_ENABLE_CUDASIM"] = "0" if device == "cuda" and role == "learner" else "1"

    # -- the learner process
    def train(self, side: LearnerSide, data: SplitData) -> Any:
        from dlpath.envs.kernel_problems import dims_of, problem
        from dlpath.grading.tasks._kernel_source import LoadError, check

        kernel_problem = problem(str(data.info["problem"]))
        path = Path(str(getattr(side.module, "__file__", "") or FILE))
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ContractError(f"{FILE} could not be read as text: {exc}") from None
        problems = check(source, str(path))
        if problems:
            said = _source_problems(problems)
            more = f" (and {len(said) - 3} more)" if len(said) > 3 else ""
            raise ContractError("; ".join(said[:3]) + more + ". The grader runs only kernel code: imports of numba, "
                                "math and numpy, constants, the kernel, device functions and launch(shape).")
        try:
            module = _kernel_file(source, str(path))
        except LoadError as exc:
            raise ContractError("; ".join(_source_problems(exc.problems))) from None
        _check_parameters(module, kernel_problem)
        learned = _Learned(kernel_problem, module)
        tally = Tally(kernel_problem)
        for case in data.x_train.tolist():
            inputs, dims = kernel_problem.inputs(case), dims_of(case)
            summary, output = run_case(module, kernel_problem, inputs, dims)
            tally.add(dims, summary, output, inputs)
        side.watch.extra.update(tally.extra())
        side.watch.extra["public_metrics"] = tally.metrics()
        if side.device == "cuda":
            _prepare_gpu(side, learned, module)
        return learned

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        if name == "simulate":
            return _simulate(values, tensors, side)
        learned = side.state
        if not isinstance(learned, _Learned):
            raise LearnerError(f"unknown request {name!r}")
        if name == "device":
            return {"device": side.device, "gpu_problem": learned.gpu_problem}, {}
        if name in ("gpu-run", "gpu-time"):
            return _on_gpu(name, values, tensors, learned)
        raise LearnerError(f"unknown request {name!r}")

    # -- the judge
    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.datasets.kernels import cases, dims_of, problem
        from dlpath.grading.facts import Facts
        from dlpath.grading.sources import read_learner_file
        from dlpath.grading.tasks._kernel_source import check

        kernel_problem = problem(str(ctx.test.info["problem"]))
        facts: dict[str, Any] = {"primary": self.primary,
                                 "expected_output": f"the kernel's outputs ({kernel_problem.computes})"}
        data = read_learner_file(ctx.folder, FILE, MAX_SOURCE)
        source = data.decode("utf-8", "replace") if isinstance(data, bytes) else None
        if source is None:
            facts["output_problem"] = f"the grader could not read {FILE}: {data}"
            return Evaluation({}, Facts(**facts))
        problems = check(source, FILE)
        if problems:
            facts["extra"] = {"problem": kernel_problem.name, "source": _source_problems(problems)[:TEXTS]}
            return Evaluation({}, Facts(**facts))
        tally = Tally(kernel_problem)
        gpu_inputs = []
        for case in cases(ctx.test):
            inputs, dims = kernel_problem.inputs(case), dims_of(case)
            scalars, arrays = pack_inputs(inputs)
            try:
                values, got = ctx.ask("simulate", {"source": source, "problem": kernel_problem.name,
                                                   "dims": list(dims), "scalars": scalars}, arrays, target="loader")
                summary = values.get("summary") if isinstance(values.get("summary"), Mapping) else {}
                output = got.get("out")
                output = output.numpy() if isinstance(output, torch.Tensor) else None
            except LearnerError as exc:
                summary, output = {"launch_error": f"the simulator could not run the kernel: {exc}"}, None
            tally.add(dims, summary, output, inputs)
            gpu_inputs.append((dims, inputs))
        extra = tally.extra()
        _judge_gpu(ctx, kernel_problem, gpu_inputs, extra)
        facts["extra"] = extra
        return Evaluation(tally.metrics(), Facts(**facts))


def _check_parameters(module: Any, kernel_problem: Any) -> None:
    wanted = kernel_problem.arguments
    if len(module.parameters) != len(wanted):
        raise ContractError(
            f"{FILE}: the kernel {module.kernel}({', '.join(module.parameters)}) takes {len(module.parameters)} "
            f"argument(s), but this project launches it with {len(wanted)}: {', '.join(wanted)} (the inputs, then "
            "the output array).")


def pack_inputs(inputs: list[Any]) -> tuple[dict[str, float], dict[str, Any]]:
    """A case's inputs as a request carries them: numbers in the values, arrays as tensors ("in0", "in1", ...)."""
    import torch

    scalars = {str(i): float(v) for i, v in enumerate(inputs) if not hasattr(v, "shape")}
    arrays = {f"in{i}": torch.from_numpy(v) for i, v in enumerate(inputs) if hasattr(v, "shape")}
    return scalars, arrays


def unpack_inputs(kernel_problem: Any, values: Mapping[str, Any], tensors: Mapping[str, Any]
                  ) -> tuple[tuple[int, ...], list[Any]]:
    """(dims, inputs) from a request made with ``pack_inputs``; LearnerError when an input is missing."""
    import torch

    dims = tuple(int(d) for d in values.get("dims") or ())
    scalars = values.get("scalars") or {}
    inputs: list[Any] = []
    for i, shape in enumerate(kernel_problem.shapes(dims)):
        if shape is None:
            inputs.append(float(scalars.get(str(i), 0.0)))
            continue
        value = tensors.get(f"in{i}")
        if not isinstance(value, torch.Tensor) or tuple(value.shape) != tuple(shape):
            raise LearnerError(f"input {i} is missing or has the wrong shape")
        inputs.append(value.numpy().copy())
    return dims, inputs


def _simulate(values: Mapping[str, Any], tensors: Mapping[str, Any], side: LearnerSide
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The loader's answer: the judge's source, loaded here, run on the simulator with the judge's inputs."""
    import torch

    from dlpath.envs.kernel_problems import problem
    from dlpath.grading.tasks._kernel_source import LoadError

    source = values.get("source")
    if not isinstance(source, str):
        raise LearnerError("no source came with the request")
    kernel_problem = problem(str(values.get("problem")))
    if not isinstance(side.state, _Learned):
        side.state = _Learned(kernel_problem)
    key = hashlib.sha256(source.encode()).hexdigest()
    module = side.state.loaded.get(key)
    if module is None:
        try:
            module = _kernel_file(source, FILE)
        except LoadError as exc:
            raise LearnerError("; ".join(_source_problems(exc.problems))) from None
        side.state.loaded[key] = module
    try:
        _check_parameters(module, kernel_problem)
    except ContractError as exc:
        raise LearnerError(str(exc)) from None
    dims, inputs = unpack_inputs(kernel_problem, values, tensors)
    summary, output = run_case(module, kernel_problem, inputs, dims)
    return {"summary": summary}, ({"out": torch.from_numpy(output)} if output is not None else {})


def _prepare_gpu(side: LearnerSide, learned: _Learned, module: Any) -> None:
    """The learner's kernel as numba-cuda compiled it for this GPU, tried on the first public case."""
    from dlpath.grading.tasks._model import short

    try:
        from numba import cuda

        from dlpath.grading.tasks._kernel_gpu import run_on_gpu

        learned.gpu_kernel = getattr(side.module, module.kernel)
        learned.gpu_launch = getattr(side.module, "launch")
        dims = (64,) * len(learned.problem.timing_dims)
        inputs = learned.problem.inputs([7, *dims])
        run_on_gpu(cuda, learned.gpu_kernel, learned.gpu_launch, inputs, learned.problem.output_shape(dims))
    except Exception as exc:  # noqa: BLE001 - a missing CUDA toolkit, a driver, a kernel numba cannot compile
        learned.gpu_problem = short(exc, 400)
        side.watch.extra["gpu_problem"] = learned.gpu_problem


def _on_gpu(name: str, values: Mapping[str, Any], tensors: Mapping[str, Any], learned: _Learned
            ) -> tuple[dict[str, Any], dict[str, Any]]:
    import torch

    from dlpath.grading.tasks._kernel_gpu import run_on_gpu, time_on_gpu
    from dlpath.grading.tasks._model import short

    if learned.gpu_kernel is None:
        raise LearnerError(learned.gpu_problem or "the kernel does not run on a GPU here")
    from numba import cuda

    dims = tuple(int(d) for d in values.get("dims") or ())
    try:
        if name == "gpu-run":
            dims, inputs = unpack_inputs(learned.problem, values, tensors)
            out = run_on_gpu(cuda, learned.gpu_kernel, learned.gpu_launch, inputs, learned.problem.output_shape(dims))
            return {}, {"out": torch.from_numpy(out)}
        return {"timing": time_on_gpu(cuda, torch, learned.gpu_kernel, learned.gpu_launch, learned.problem, dims)}, {}
    except Exception as exc:  # noqa: BLE001 - the GPU, the driver or the learner's kernel
        raise LearnerError(short(exc, 400)) from None


def _judge_gpu(ctx: JudgeContext, kernel_problem: Any, cases_run: list[tuple[Any, list[Any]]],
               extra: dict[str, Any]) -> None:
    """On a CUDA device: the hidden cases run on the GPU (checked here) and the kernel timed (reported)."""
    import numpy as np
    import torch

    try:
        values, _ = ctx.ask("device")
    except LearnerError:
        return
    if values.get("device") != "cuda":
        return
    if values.get("gpu_problem"):
        extra["gpu_problem"] = str(values["gpu_problem"])[:300]
        return
    correct = total = 0
    for dims, inputs in cases_run:
        scalars, arrays = pack_inputs(inputs)
        reference = kernel_problem.reference(inputs)
        total += reference.size
        try:
            _, got = ctx.ask("gpu-run", {"dims": list(dims), "scalars": scalars}, arrays)
        except LearnerError as exc:
            extra["gpu_problem"] = str(exc)[:300]
            return
        out = got.get("out")
        if isinstance(out, torch.Tensor) and out.numel() == reference.size:
            values64 = out.double().numpy().reshape(reference.shape)
            correct += int((np.isfinite(values64) & (np.abs(values64 - reference)
                                                     <= kernel_problem.tolerance(inputs))).sum())
    gpu: dict[str, Any] = {"correct_outputs": correct / total if total else 0.0}
    try:
        timing, _ = ctx.ask("gpu-time", {"dims": list(kernel_problem.timing_dims)})
        timing = timing.get("timing") if isinstance(timing.get("timing"), Mapping) else {}
    except LearnerError as exc:
        extra["gpu_problem"] = str(exc)[:300]
        timing = {}
    gpu.update(_rates(kernel_problem, timing))
    extra["gpu"] = gpu


def _rates(kernel_problem: Any, timing: Mapping[str, Any]) -> dict[str, Any]:
    """Achieved bandwidth and FLOP rate from the work the judge knows and the times the learner process reported."""
    out: dict[str, Any] = {}
    kernel_ms, torch_ms = timing.get("kernel_ms"), timing.get("torch_ms")
    if not isinstance(kernel_ms, (int, float)) or not kernel_ms > 0:
        return out
    dims = tuple(kernel_problem.timing_dims)
    seconds = float(kernel_ms) / 1e3
    out.update({"dims": kernel_problem.describe(dims), "kernel_ms": float(kernel_ms),
                "bandwidth_gbs": kernel_problem.bytes_moved(dims) / seconds / 1e9,
                "gflops": kernel_problem.flops(dims) / seconds / 1e9, "torch_op": kernel_problem.torch_text})
    if isinstance(torch_ms, (int, float)) and torch_ms > 0:
        out["torch_ms"] = float(torch_ms)
        out["speed_vs_torch"] = float(torch_ms) / float(kernel_ms)
    for key in ("name", "capability", "peak_bandwidth_gbs", "peak_gflops", "difference", "repeats", "warmup"):
        value = timing.get(key)
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            out[key] = value
    return out
