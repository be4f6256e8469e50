"""Startup and scale figures for the everyday commands (printed, never asserted).

    .venv/bin/python bench/bench_core.py [--runs N]

1. `dlpath next` on the shipped curriculum beside the floor
   `python -c "import typer, rich.console, yaml, sqlite3"` (target: at most 1.3x).
2. A generated 10,000-lesson curriculum: `dlpath validate` (target < 2 s) and
   `dlpath next`, first run and cached (target < 0.5 s).
3. A store with 100,000 attempts: `dlpath progress` (target < 0.3 s).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable


def timed(cmd: list[str], env: dict[str, str], runs: int) -> float:
    """Median wall time of `cmd` over `runs` runs (after one warm-up run)."""
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-500:]}")
    return statistics.median(times)


def paired(a: list[str], b: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median wall times of `a` and `b`, run alternately so that drift hits both alike."""
    for cmd in (a, b):
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for cmd, out in ((a, times[0]), (b, times[1])):
            start = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            out.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def once(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def make_curriculum(root: Path, n: int) -> None:
    """n lessons over four stages, each needing up to three earlier lessons."""
    rng = random.Random(0)
    stages = ["foundations", "basics", "advanced", "specialization"]
    (root / "lessons").mkdir(parents=True)
    (root / "curriculum.yaml").write_text(
        "format_version: 1\ntitle: Generated\nstages:\n"
        + "".join(f"  - id: {s}\n    title: {s.title()}\n" for s in stages)
        + "tracks:\n  - id: t\n    title: T\n"
        + "lesson_files: [" + ", ".join(f"{s}.yaml" for s in stages) + "]\n"
    )
    per = n // len(stages)
    ids: list[str] = []
    for si, stage in enumerate(stages):
        lines = ["lessons:\n"]
        for i in range(per):
            lid = f"{stage}-{i:05d}"
            prereqs = rng.sample(ids, min(len(ids), rng.randint(0, 3))) if ids else []
            lines.append(
                f"  - id: {lid}\n    stage: {stage}\n    title: Lesson {lid}\n"
                f"    summary: What lesson {i} of {stage} teaches.\n    objectives: [Learn {i}]\n"
                f"    prerequisites: [{', '.join(prereqs)}]\n    hours: 2\n"
                + ("    tracks: [t]\n" if i % 7 == 0 else "")
                + "    resources:\n      - title: A book\n        kind: book\n        where: a library\n"
            )
            (root / "lessons" / f"{lid}.md").write_text(f"# {lid}\n\nBody text about tensors and gradients.\n")
            ids.append(lid)
        (root / f"{stage}.yaml").write_text("".join(lines))


def fill_store(home: Path, n: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dlpath.progress import open_store

    with open_store(home) as store:
        store.complete("python-for-dl")
        db = store._db
        assert db is not None
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO attempts (uid, project, lesson, at, passed, verdict, metrics, duration_s, device, seed) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(f"u{i}", "mlp-spirals", "multilayer-perceptron", f"2026-01-01T00:00:{i % 60:02d}.{i:06d}+00:00",
              i % 3 == 0, "below threshold", '{"test_accuracy": 0.8}', 12.5, "cpu", i) for i in range(n)],
        )
        db.execute("COMMIT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        env = {**os.environ, "DLPATH_HOME": str(tmp_path / "home"), "NO_COLOR": "1"}
        env.pop("DLPATH_CURRICULUM", None)
        # As on a learner's machine: modules are compiled once and their bytecode kept
        # (pip does it at install time); without this, every run compiles dlpath anew.
        env.pop("PYTHONDONTWRITEBYTECODE", None)

        floor, nxt = paired([PY, "-c", "import typer, rich.console, yaml, sqlite3"],
                            [PY, "-m", "dlpath", "next"], env, args.runs)
        print(f"dlpath next (shipped curriculum):   median {nxt * 1000:6.0f} ms")
        print(f"floor (import typer, rich, yaml):   median {floor * 1000:6.0f} ms")
        print(f"ratio: {nxt / floor:.2f}x   (target: at most 1.3x)")
        print()

        course = tmp_path / "big"
        make_curriculum(course, 10_000)
        big = {**env, "DLPATH_CURRICULUM": str(course)}
        validate = timed([PY, "-m", "dlpath", "validate", str(course)], big, 3)
        first = once([PY, "-m", "dlpath", "next"], {**big, "DLPATH_HOME": str(tmp_path / "cold")})
        cached = timed([PY, "-m", "dlpath", "next"], big, 5)
        print("10,000-lesson curriculum:")
        print(f"  dlpath validate:             median {validate:.2f} s   (target < 2 s)")
        print(f"  dlpath next, first run:      {first:.2f} s")
        print(f"  dlpath next, cached:         median {cached:.2f} s   (target < 0.5 s)")
        print()

        home = tmp_path / "attempts"
        fill_store(home, 100_000)
        progress = timed([PY, "-m", "dlpath", "progress"], {**env, "DLPATH_HOME": str(home)}, 5)
        print(f"store with 100,000 attempts: dlpath progress median {progress:.2f} s   (target < 0.3 s)")


if __name__ == "__main__":
    main()
