"""Wall time of the whole test suite, as CI runs it (`pytest -q -n auto`), and its slowest tests.

    .venv/bin/python bench/bench_suite.py [--workers auto]

Prints the suite's wall time against the 10-minute target, the number of
projects it calibrates, and the 15 slowest tests (from pytest's --durations).
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="auto", help="pytest-xdist workers (default: auto)")
    args = parser.parse_args()
    projects = sorted(p.parent.name for p in (ROOT / "projects").glob("*/project.yaml"))
    command = [sys.executable, "-m", "pytest", "-q", "-n", args.workers, "--durations=15", "-p", "no:cacheprovider"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    summary = next((line for line in reversed(done.stdout.splitlines()) if " in " in line and "passed" in line), "")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {len(projects)} shipped projects")
    print(f"suite: {seconds:.0f} s wall ({seconds / 60:.1f} min; target under 10 min), exit {done.returncode}")
    print(f"pytest: {summary.strip('= ')}")
    slowest = re.findall(r"^\s*([0-9.]+)s (call|setup|teardown)\s+(\S+)", done.stdout, re.M)
    if slowest:
        print("slowest:")
        for secs, phase, name in slowest[:15]:
            print(f"  {float(secs):7.1f} s  {phase:8s} {name}")


if __name__ == "__main__":
    main()
