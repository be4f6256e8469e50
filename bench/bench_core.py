"""Startup and scale figures for the everyday commands (printed, never asserted).

    .venv/bin/python bench/bench_core.py [--runs N] [--real-gpu]

1. `dlpath next` on the shipped curriculum beside the floor
   `python -c "import typer, rich.console, yaml, sqlite3"` (target: at most 1.2x).
2. The same on a machine with an NVIDIA GPU, without one: NVML is faked (the
   real `pynvml` module is imported, for its real cost, and answers as one
   NVIDIA H100 80GB would) and a GPU-only lesson is open, so `next` must
   consult the hardware profile: with the profile's cache cold (NVML read on
   every call, as before the cache) and warm (target: at most 1.2x).
   `--real-gpu` measures the same on a machine that has an NVIDIA GPU and
   driver, with its real NVML instead of the fake.
3. A generated 10,000-lesson curriculum: `dlpath validate` (target < 2 s) and
   `dlpath next`, first run and cached (target < 0.5 s).
4. A store with 100,000 attempts: `dlpath progress` (target < 0.3 s).
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
    from dlpath.learner.store import open_store

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


FAKE_PYNVML = """\
# A stand-in for nvidia-ml-py's `pynvml`, written by bench/bench_core.py: one NVIDIA H100 80GB.
# The real module is executed first, so that importing this one costs what importing it does.
import importlib.util as _util
import sys as _sys

_spec = _util.spec_from_file_location("_real_pynvml", {real!r})
_real = _util.module_from_spec(_spec)
_sys.modules["_real_pynvml"] = _real  # it looks itself up there
_spec.loader.exec_module(_real)

from tests.fakes.fake_pynvml import FakeGpu, FakePynvml

_fake = FakePynvml([FakeGpu("NVIDIA H100 80GB HBM3", 81559)])
globals().update({{name: getattr(_fake, name) for name in dir(_fake) if not name.startswith("_")}})
"""


def _a_shared_library() -> Path:
    """Any shared library this process has loaded (libm, libc): ctypes loads it as libnvidia-ml."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1]
        if "/libm.so" in path or "/libc.so" in path:
            return Path(path)
    raise SystemExit("bench: no shared library found to stand for libnvidia-ml")


class NoGpuLesson(Exception):
    """The curriculum has no GPU-only lesson: `next` never consults the hardware profile."""


def gpu_lesson_open(home: Path) -> None:
    """Progress in `home` that opens the first GPU-only lesson, so that `next` consults the hardware."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dlpath.course.loading import load_curriculum
    from dlpath.learner.store import open_store

    curriculum = load_curriculum()
    gpu_lesson = next((l for l in curriculum.lessons if l.requires.any), None)
    if gpu_lesson is None:
        raise NoGpuLesson

    needed, stack = set(), list(gpu_lesson.prerequisites)
    while stack:
        lesson = curriculum.lesson(stack.pop())
        if lesson.id not in needed:
            needed.add(lesson.id)
            stack.extend(lesson.prerequisites)
    with open_store(home) as store:
        for lesson_id in needed:
            store.complete(lesson_id, "skipped")


def fake_gpu_machine(tmp: Path, env: dict[str, str]) -> dict[str, str]:
    """An environment in which `dlpath next` sees an H100 through a faked NVML and a GPU lesson is open."""
    import importlib.util
    import shutil

    repo = Path(__file__).resolve().parents[1]
    real = importlib.util.find_spec("pynvml")
    if real is None or real.origin is None:
        raise SystemExit("bench: nvidia-ml-py is not installed")
    (tmp / "fakenvml").mkdir()
    (tmp / "fakenvml" / "pynvml.py").write_text(FAKE_PYNVML.format(real=real.origin))
    (tmp / "fakelib").mkdir()
    shutil.copy(_a_shared_library(), tmp / "fakelib" / "libnvidia-ml.so.1")
    home = tmp / "gpu-home"
    gpu_lesson_open(home)
    return {
        **env,
        "DLPATH_HOME": str(home),
        "PYTHONPATH": os.pathsep.join([str(tmp / "fakenvml"), str(repo)]),
        "LD_LIBRARY_PATH": str(tmp / "fakelib"),
    }


def gpu_bench(tmp: Path, env: dict[str, str], runs: int, real_gpu: bool = False) -> None:
    if real_gpu:
        gpu_env = {**env, "DLPATH_HOME": str(tmp / "gpu-home")}
        gpu_lesson_open(tmp / "gpu-home")
        nvidia_free = None
    else:
        gpu_env = fake_gpu_machine(tmp, env)
        nvidia_free = {**gpu_env}
        nvidia_free.pop("LD_LIBRARY_PATH")  # the same progress, on this machine's real (missing) driver
    cache_file = Path(gpu_env["DLPATH_HOME"]) / "cache" / "hardware-profile.json"
    floor_cmd = [PY, "-c", "import typer, rich.console, yaml, sqlite3"]
    next_cmd = [PY, "-m", "dlpath", "next", "--json"]
    import json

    shown = json.loads(subprocess.run(next_cmd, env=gpu_env, capture_output=True, text=True, check=True).stdout)
    if shown["passed_over"]:
        raise SystemExit(f"bench: the GPU was not seen: {shown['passed_over']}")
    if real_gpu:
        print(f"  profile cache keyed on: {json.loads(cache_file.read_text())['key']}")
    variants = [("floor", floor_cmd, gpu_env), ("none", next_cmd, nvidia_free), ("cold", next_cmd, gpu_env),
                ("warm", next_cmd, gpu_env)]
    variants = [v for v in variants if v[2] is not None]
    times: dict[str, list[float]] = {name: [] for name, _, _ in variants}
    for _ in range(runs + 1):
        for name, cmd, run_env in variants:
            if name == "cold" and cache_file.exists():
                cache_file.unlink()
            start = time.perf_counter()
            subprocess.run(cmd, env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(values[1:]) for name, values in times.items()}  # the first round warms up
    print("dlpath next with a GPU-only lesson open " + ("(this machine's NVML):" if real_gpu else
                                                       "(NVML faked as one H100 80GB):"))
    print(f"  floor (import typer, rich, yaml):        median {med['floor'] * 1000:6.0f} ms")
    if "none" in med:
        print(f"  no NVIDIA driver (this machine):         median {med['none'] * 1000:6.0f} ms   "
              f"{med['none'] / med['floor']:.2f}x")
    print(f"  NVIDIA GPU, profile cache cold:          median {med['cold'] * 1000:6.0f} ms   "
          f"{med['cold'] / med['floor']:.2f}x   (every call before the cache)")
    print(f"  NVIDIA GPU, profile cache warm:          median {med['warm'] * 1000:6.0f} ms   "
          f"{med['warm'] / med['floor']:.2f}x   (target: at most 1.2x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument("--real-gpu", action="store_true",
                        help="measure next's GPU path with this machine's own NVML (an NVIDIA GPU and driver)")
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
        print(f"ratio: {nxt / floor:.2f}x   (target: at most 1.2x)")
        print()

        try:
            gpu_bench(tmp_path, env, args.runs, real_gpu=args.real_gpu)
        except NoGpuLesson:
            print("2. skipped: no lesson of the shipped curriculum needs a GPU (the kernel projects run on a "
                  "simulator), so `next` never reads the hardware profile")
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
