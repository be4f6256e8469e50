"""The kernel projects: dlpath's simulator against numba-cuda's, and every kernel compiled for a real GPU.

    .venv/bin/python bench/bench_kernels.py [--cc 9.0] [--size 1037] [--ptx-python PYTHON]

For each shipped `cuda_kernel` project and each of its variants (starter,
solution, naive) it prints:

- the simulated time of one case on dlpath's simulator (the grader's) and on
  numba-cuda's own simulator (`NUMBA_ENABLE_CUDASIM=1`, a Python thread per
  CUDA thread), both on the CPU, for the same inputs, and whether their
  outputs agree;
- whether numba-cuda's real compiler turns the kernel into PTX for compute
  capability `--cc`, and its size and barriers. That needs NVIDIA's NVVM and
  NVRTC (`pip install 'dlpath[kernels-cu13]'`, or a CUDA toolkit), not a GPU;
  without them the column says why.

Figures, not assertions: each variant runs in a fresh interpreter, since numba
reads NUMBA_ENABLE_CUDASIM once.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import importlib.util, json, os, sys, time
import numpy as np
mode, path, problem_name, size, cc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
sys.path.insert(0, sys.argv[6])
from dlpath.datasets.kernels import problem
p = problem(problem_name)
dims = {"scale_add": (size,), "row_sums": (size // 40 + 1, 97), "matmul": (33, 45, 29)}[problem_name]
inputs = p.inputs([7, *dims])
out_shape = p.output_shape(dims)
spec = importlib.util.spec_from_file_location("k", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
kernel = next(v for v in vars(module).values() if hasattr(v, "py_func") and not getattr(v, "_device", False)
              and v.__module__ == "k")
if mode == "numba":
    out = np.full(out_shape, np.nan, dtype=np.float32)
    blocks, threads = module.launch(out_shape)
    started = time.perf_counter()
    try:
        kernel[blocks, threads](*inputs, out)
        ok = bool(np.allclose(out, p.reference(inputs), rtol=1e-4, atol=1e-3))
    except Exception as exc:  # numba's simulator stops at the first access outside an array
        ok = False
    print(json.dumps({"seconds": time.perf_counter() - started, "ok": ok}))
else:
    from numba import cuda
    sigs = {"scale_add": "void(float32, float32[:], float32[:], float32[:])",
            "row_sums": "void(float32[:, :], float32[:])",
            "matmul": "void(float32[:, :], float32[:, :], float32[:, :])"}
    try:
        ptx, _ = cuda.compile_ptx(kernel.py_func, sigs[problem_name], cc=tuple(int(v) for v in cc.split(".")))
        print(json.dumps({"ptx": len(ptx), "barriers": ptx.count("bar.sync")}))
    except Exception as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"}))
"""


def _child(mode: str, path: Path, problem: str, size: int, cc: str, python: str) -> dict:
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1" if mode == "numba" else "0"}
    done = subprocess.run([python, "-c", CHILD, mode, str(path), problem, str(size), cc, str(ROOT)],
                          capture_output=True, text=True, env=env, timeout=900)
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {"error": (done.stderr.strip().splitlines() or ["?"])[-1][:120]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cc", default="9.0", help="compute capability to compile for (default 9.0, an H100)")
    parser.add_argument("--size", type=int, default=1037, help="elements of the scale_add case (others scale)")
    parser.add_argument("--ptx-python", default=sys.executable,
                        help="the Python whose numba-cuda compiles to PTX (one with numba-cuda[cu13], say)")
    args = parser.parse_args()

    import numpy as np

    from dlpath.datasets.kernels import problem
    from dlpath.grading.tasks._kernel_source import load
    from dlpath.grading.tasks._kernel_sim import bind, jit
    from dlpath.grading.tasks.cuda_kernel import run_case
    from dlpath.grading.project import list_projects

    print(f"load average {os.getloadavg()[0]:.1f}; PTX for compute capability {args.cc}")
    print(f"{'project/variant':45s} {'dlpath sim':>10s} {'numba sim':>10s} {'agree':>6s}  real compiler")
    for project in list_projects():
        if project.task != "cuda_kernel":
            continue
        name = project.dataset.name
        p = problem(name)
        dims = {"scale_add": (args.size,), "row_sums": (args.size // 40 + 1, 97), "matmul": (33, 45, 29)}[name]
        inputs = p.inputs([7, *dims])
        for variant in ("starter", "solution", "naive"):
            path = project.path / variant / "train.py"
            module = load(path.read_text(), str(path), bind, jit)
            started = time.perf_counter()
            summary, out = run_case(module, p, inputs, dims)
            ours = time.perf_counter() - started
            numba = _child("numba", path, name, args.size, args.cc, sys.executable)
            real = _child("ptx", path, name, args.size, args.cc, args.ptx_python)
            ok = out is not None and bool(np.allclose(out, p.reference(inputs), rtol=1e-4, atol=1e-3, equal_nan=False))
            agree = "yes" if ok == numba.get("ok") else "no"
            real_text = real.get("error") or f"PTX {real['ptx']:,} chars, {real['barriers']} bar.sync"
            numba_text = f"{numba['seconds']:.2f} s" if "seconds" in numba else "error"
            print(f"{project.id + '/' + variant:45s} {ours:9.2f}s {numba_text:>10s} {agree:>6s}  {real_text}")


if __name__ == "__main__":
    main()
