"""How fast `dlpath gpu` is, beside the tool students are usually told to run, and what the fast profile costs.

    .venv/bin/python bench/bench_gpu.py [--runs 5]

Prints:
1. the median wall time of `dlpath gpu` (and with `--check-import`, which imports
   torch as every CUDA build does) and of `python -m torch.utils.collect_env`
   (each a fresh process, output discarded) and their ratio; target 0.75x or less,
   while `dlpath gpu` also explains what it found;
2. what the NVML-only profile adds to `dlpath next`: importing `dlpath.hardware`
   and calling `fast_profile()` in a fresh interpreter (median), target under 50 ms,
   with the import of `pynvml` and the call shown apart.
Figures only; nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROBE = r"""
import json, sys, time
import dlpath.cli  # `dlpath next` has loaded the CLI (typer, rich) before it asks for the profile
t0 = time.perf_counter()
import dlpath.hardware
t1 = time.perf_counter()
p = dlpath.hardware.fast_profile()
t2 = time.perf_counter()
print(json.dumps({"import_hardware": t1 - t0, "fast_profile": t2 - t1, "total": t2 - t0,
                  "torch_imported": "torch" in sys.modules, "pynvml_imported": "pynvml" in sys.modules,
                  "cuda_gpu": p.cuda_gpu, "error": p.error}))
"""
PYNVML = r"""
import time
t0 = time.perf_counter()
import pynvml
print(time.perf_counter() - t0)
"""


def _wall(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        times.append(time.perf_counter() - start)
    return times


def _dlpath() -> list[str]:
    script = Path(sys.executable).with_name("dlpath")
    if script.exists():
        return [str(script)]
    found = shutil.which("dlpath")
    return [found] if found else [sys.executable, "-m", "dlpath"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = max(1, args.runs)
    env = dict(os.environ)
    env.pop("DLPATH_FAKE_GPU", None)

    print(f"python {sys.version.split()[0]} on {os.cpu_count()} core(s); {runs} runs each, median shown\n")

    # warm the file cache once so the first timed run is not a cold start of torch
    _wall(_dlpath() + ["gpu"], 1, env)
    gpu = statistics.median(_wall(_dlpath() + ["gpu"], runs, env))
    gpu_json = statistics.median(_wall(_dlpath() + ["gpu", "--json"], runs, env))
    checked = statistics.median(_wall(_dlpath() + ["gpu", "--check-import"], runs, env))
    collect = statistics.median(_wall([sys.executable, "-m", "torch.utils.collect_env"], runs, env))
    print(f"dlpath gpu                          {gpu * 1000:8.0f} ms")
    print(f"dlpath gpu --json                   {gpu_json * 1000:8.0f} ms")
    print(f"dlpath gpu --check-import           {checked * 1000:8.0f} ms   (imports torch, as on a GPU build)")
    print(f"python -m torch.utils.collect_env   {collect * 1000:8.0f} ms")
    print(f"ratio dlpath gpu / collect_env      {gpu / collect:8.2f}x   (target <= 0.75x)")
    print(f"ratio --check-import / collect_env  {checked / collect:8.2f}x\n")

    samples = []
    for _ in range(max(runs, 7)):
        done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
        samples.append(json.loads(done.stdout))
    med = {k: statistics.median(s[k] for s in samples) for k in ("import_hardware", "fast_profile", "total")}
    pynvml_import = statistics.median(
        float(subprocess.run([sys.executable, "-c", PYNVML], capture_output=True, text=True, env=env,
                             check=True).stdout)
        for _ in range(max(runs, 7))
    )
    last = samples[-1]
    print("fast_profile() in a fresh interpreter, after `import dlpath.cli` (what `dlpath next` adds):")
    print(f"  import dlpath.hardware            {med['import_hardware'] * 1000:8.1f} ms")
    print(f"  fast_profile() (imports pynvml)   {med['fast_profile'] * 1000:8.1f} ms")
    print(f"  total                             {med['total'] * 1000:8.1f} ms   (target < 50 ms)")
    print(f"  torch imported: {last['torch_imported']}; pynvml imported: {last['pynvml_imported']}; "
          f"cuda_gpu: {last['cuda_gpu']}; error: {last['error']}")
    print(f"  for reference, `import pynvml` alone: {pynvml_import * 1000:.1f} ms "
          "(skipped when the NVML library is absent on Linux)")


if __name__ == "__main__":
    main()
