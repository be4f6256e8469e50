"""`dlpath grade` on k cores against the same grades one after another, and what a class of 300 would take.

    .venv/bin/python bench/bench_batch.py [--project rings] [--students 8] [--repeat 1] [--jobs 1,2]

A class of `--students` submissions is made from the project's reference
solution (each with its own comment line, so that none is a duplicate the
batch would grade once). Then, for each k of `--jobs` (default: 1, 2, 4, ...
up to the usable cores), with every process pinned to k cores (CPU affinity,
so "on k cores" holds on a bigger machine too), `--repeat` times:

- single: each submission graded alone, one after another, by a fresh
  `dlpath check FOLDER --json --no-record --device cpu` (what one batch child
  runs); their wall times are summed;
- batch: `dlpath grade CLASS --project P --jobs k --device cpu` into a fresh
  output folder (no cache).

It prints the medians, the speed-up of the batch over the sum of the single
grades on the same k cores (target: at least 0.9 k), the load average around
the runs (other programs on the machine slow everything down), and two
projections for 300 students: one 16-core machine (the time per grade
measured here on one core, at the efficiency measured on the most cores
here), and Gradescope's model (one container per submission, all in parallel
on their cluster). Figures, not assertions: timings never go in tests.

`--project` is a project id; `rings` (the tests' fixture) is found in
tests/fixtures/projects, any other in the projects dlpath ships.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLASS_SIZE = 300
BIG_MACHINE_CORES = 16


def _run(command: list[str], env: dict[str, str], cwd: Path, cpus: set[int]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                          preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    return time.perf_counter() - start, done


def _load() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="rings")
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", default=None, help="comma-separated k values (default: 1, 2, 4, ... up to the "
                                                     "usable cores)")
    args = parser.parse_args()

    usable = sorted(os.sched_getaffinity(0))
    cores = len(usable)
    ks = [int(k) for k in args.jobs.split(",")] if args.jobs else sorted({min(2 ** i, cores) for i in range(6)
                                                                          if 2 ** i <= 2 * cores})
    if max(ks) > cores:
        raise SystemExit(f"only {cores} usable cores here; --jobs {max(ks)} cannot run on its own cores")
    work = Path(tempfile.mkdtemp(prefix="dlpath-bench-batch-"))
    env = dict(os.environ, DLPATH_HOME=str(work / "home"), NO_COLOR="1")
    env["DLPATH_PROJECTS"] = os.pathsep.join([str(ROOT / "tests" / "fixtures" / "projects")]
                                             + [p for p in env.get("DLPATH_PROJECTS", "").split(os.pathsep) if p])
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(name, None)  # the batch shares the cores out itself
    dlpath = [sys.executable, "-m", "dlpath"]
    try:
        sys.path.insert(0, str(ROOT))
        os.environ["DLPATH_PROJECTS"] = env["DLPATH_PROJECTS"]
        from dlpath.grading.project import load_project

        project = load_project(args.project)
        solution = (project.solution_dir / "train.py").read_text(encoding="utf-8")
        klass = work / "class"
        for i in range(args.students):
            folder = klass / f"student{i:03d}"
            folder.mkdir(parents=True)
            (folder / "train.py").write_text(solution + f"\n# student {i}\n", encoding="utf-8")

        print(f"dlpath grade on '{project.id}': {args.students} submissions, {cores} usable cores, k = {ks}, "
              f"{args.repeat} repeat(s), {os.cpu_count()} logical CPUs.")
        print(f"load average before: {_load()} (1/5/15 min)")
        rows = []
        per_grade_1: list[float] = []
        for k in ks:
            cpus = set(usable[:k])
            singles: list[float] = []
            batches: list[float] = []
            for r in range(args.repeat):
                total = 0.0
                for folder in sorted(klass.iterdir()):
                    single = work / "single" / folder.name
                    shutil.rmtree(single, ignore_errors=True)
                    shutil.copytree(folder, single)
                    (single / ".dlpath-project").write_text(f"project: {project.id}\n")
                    seconds, done = _run(dlpath + ["check", str(single), "--json", "--no-record", "--device", "cpu"],
                                         env, work, cpus)
                    if done.returncode != 0:
                        raise SystemExit(f"the reference solution did not pass alone: {done.stdout[-500:]}"
                                         f"{done.stderr[-500:]}")
                    total += seconds
                    if k == 1:
                        per_grade_1.append(seconds)
                singles.append(total)
                out = work / f"out-{k}-{r}"
                seconds, done = _run(dlpath + ["grade", str(klass), "--project", project.id, "--out", str(out),
                                               "--jobs", str(k), "--device", "cpu", "--json"], env, work, cpus)
                summary = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
                if done.returncode != 0 or summary.get("counts", {}).get("passed") != args.students:
                    raise SystemExit(f"the batch with --jobs {k} did not pass every submission: "
                                     f"{done.stdout[-800:]}{done.stderr[-800:]}")
                batches.append(seconds)
                print(f"  k={k}, repeat {r + 1}: single grades one after another {total:.1f} s, dlpath grade "
                      f"--jobs {k} {seconds:.1f} s (load {_load()})", flush=True)
            rows.append((k, statistics.median(singles), statistics.median(batches)))

        print()
        efficiency = 1.0
        for k, serial, wall in rows:
            speedup = serial / wall
            efficiency = speedup / k
            verdict = "meets" if speedup >= 0.9 * k else "misses"
            print(f"on {k:2d} core(s): single grades {serial:6.1f} s in all ({serial / args.students:.2f} s each), "
                  f"dlpath grade --jobs {k}: {wall:6.1f} s, speed-up {speedup:5.2f}x ({verdict} 0.9 k = "
                  f"{0.9 * k:.1f}x; efficiency {efficiency:.0%})")
        print(f"load average after: {_load()} (1/5/15 min)")
        print()
        grade_s = statistics.median(per_grade_1) if per_grade_1 else rows[0][1] / args.students
        one_machine = CLASS_SIZE * grade_s / (BIG_MACHINE_CORES * min(1.0, efficiency))
        print(f"{CLASS_SIZE} students on one {BIG_MACHINE_CORES}-core machine with these cores: about "
              f"{_minutes(one_machine)} ({CLASS_SIZE} x {grade_s:.1f} s per grade on one core / ({BIG_MACHINE_CORES} "
              f"x {min(1.0, efficiency):.0%} efficiency)), if its memory holds {BIG_MACHINE_CORES} grades at once "
              f"({project.memory_mb} MB cap + ~400 MB each). A project that trains for T s adds about "
              f"{CLASS_SIZE} x T / {BIG_MACHINE_CORES} s.")
        print(f"{CLASS_SIZE} students on Gradescope (one container per submission, run in parallel): each waits "
              f"about {grade_s:.0f} s of grading plus the container's start; the class uses "
              f"{_minutes(CLASS_SIZE * grade_s)} of container time in all, and its wall time is Gradescope's queue.")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
