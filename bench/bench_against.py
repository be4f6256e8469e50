"""Wall time of `dlpath check` with this checkout and with another one (a base commit), in turn, on one machine.

    git archive BASE_COMMIT | tar -x -C /tmp/base
    .venv/bin/python bench/bench_against.py /tmp/base [--repeat 3] [PROJECT ...]

Each round grades each project's reference solution once with each tree
(`dlpath check FOLDER --json --device cpu --seed 1 --no-record`, from fresh
copies of the same files), alternately, so that the machine's load falls on
both alike. The other tree runs with the same interpreter, its folder first on
PYTHONPATH (the grader's child processes boot from the package that started
them). It prints, per project, the median wall time of the whole command and
of the training, and the ratios this tree / base. Figures, not assertions.
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


def _check(tree: Path, project: str, home: Path) -> tuple[float, float, str]:
    """(wall seconds, training seconds, verdict) of one `dlpath check` of the solution, with `tree`'s dlpath."""
    with tempfile.TemporaryDirectory(prefix="dlpath-against-") as tmp:
        folder = Path(tmp) / project
        shutil.copytree(tree / "projects" / project / "solution", folder)
        (folder / ".dlpath-project").write_text(f"project: {project}\n", encoding="utf-8")
        env = dict(os.environ, DLPATH_HOME=str(home), PYTHONPATH=str(tree))
        env.pop("DLPATH_PROJECTS", None)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "dlpath", "check", str(folder), "--json", "--device", "cpu",
                               "--seed", "1", "--no-record"], env=env, cwd=tmp, capture_output=True, text=True)
        wall = time.perf_counter() - start
    report = json.loads(done.stdout)
    return wall, float(report["training_s"]), report["verdict"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="the other checkout's folder (holding dlpath/ and projects/)")
    parser.add_argument("projects", nargs="*", default=["mlp-spirals"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    trees = {"here": ROOT, "base": args.base.resolve()}
    with tempfile.TemporaryDirectory(prefix="dlpath-against-home-") as home:
        for project in args.projects:
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
            for _ in range(args.repeat):
                for name, tree in trees.items():
                    wall, training, verdict = _check(tree, project, Path(home) / name)
                    times[name].append((wall, training))
                    print(f"  {project} {name}: {wall:.2f} s wall, {training:.2f} s training ({verdict})", flush=True)
            wall = {name: statistics.median(w for w, _ in got) for name, got in times.items()}
            train = {name: statistics.median(t for _, t in got) for name, got in times.items()}
            print(f"{project}: wall {wall['here']:.2f} s here, {wall['base']:.2f} s base, ratio "
                  f"{wall['here'] / wall['base']:.3f}; training {train['here']:.2f} s here, {train['base']:.2f} s "
                  f"base, ratio {train['here'] / train['base']:.3f} (medians of {args.repeat})")


if __name__ == "__main__":
    main()
