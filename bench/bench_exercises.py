"""What checking exercise folders costs: one learner's grade, and `dev check` of every folder, two ways.

    .venv/bin/python bench/bench_exercises.py [--folder ex-activation-functions] [--repeat 3] [--real-all]

Prints, for `--folder`:

- real: the reference solution graded as a learner's `dlpath check` grades it
  (the learner process and the judge, two fresh interpreters importing torch,
  the sandbox), through `dlpath.grading.devcheck.grade_variant`;
- in-process: the same grade inside this process (`dev check --in-process`,
  `dlpath.grading.inprocess`), torch already imported;

each as the median wall time and the CPU time of this process and its
children over `--repeat` runs, then every variant of every shipped exercise
folder (solution on one seed, starter, each wrong answer) in process, which is
what `tests/test_exercises.py` and `dev check --in-process` pay, and the real
engine's projection for the same number of grades. With `--real-all`, that
projection is measured instead. The load average is printed beside: other
programs on the machine slow everything down. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(fn, repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), _cpu()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default="ex-activation-functions")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--real-all", action="store_true", help="grade every variant through the real engine too")
    args = parser.parse_args()
    os.environ.setdefault("DLPATH_HOME", str(Path(os.environ.get("TMPDIR", "/tmp")) / "dlpath-bench-exercises"))

    import torch  # noqa: F401 - paid once here, as a test worker pays it once

    from dlpath.grading.devcheck import GRADE_SEEDS, grade_variant
    from dlpath.paths import projects_dir
    from dlpath.grading.project import load_project

    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    project = load_project(args.folder)
    real = _timed(lambda: grade_variant(project, "solution", GRADE_SEEDS[0]), args.repeat)
    here = _timed(lambda: grade_variant(project, "solution", GRADE_SEEDS[0], in_process=True), args.repeat)
    print(f"{args.folder}, one grade of the solution ({len(project.exercises)} functions):")
    print(f"  real engine   {real[0]:6.2f} s wall  {real[1]:6.2f} s CPU")
    print(f"  in process    {here[0]:6.3f} s wall  {here[1]:6.3f} s CPU  ({real[1] / max(here[1], 1e-9):.0f}x less CPU)")

    folders = sorted(p.parent.name for p in projects_dir().glob("*/project.yaml")
                     if "\nexercises:" in p.read_text(encoding="utf-8"))
    plan = [(load_project(f), v) for f in folders for v in load_project(f).variants]
    every = _timed(lambda: [grade_variant(p, v, GRADE_SEEDS[0], in_process=True) for p, v in plan], 1)
    print(f"every variant of the {len(folders)} exercise folders ({len(plan)} grades), in process: "
          f"{every[0]:.1f} s wall, {every[1]:.1f} s CPU ({every[1] / len(plan):.3f} s CPU per grade)")
    if args.real_all:
        measured = _timed(lambda: [grade_variant(p, v, GRADE_SEEDS[0]) for p, v in plan], 1)
        print(f"  the same through the real engine: {measured[0]:.0f} s wall, {measured[1]:.0f} s CPU")
    else:
        print(f"  the same through the real engine, projected: about {real[1] * len(plan):.0f} s CPU")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
