"""Wall time of `dlpath check` on each reference solution, beside the same training in plain Python.

    .venv/bin/python bench/bench_check.py [--repeat 3] [--device cpu] [PROJECT ...]

For each project, three commands run as fresh processes, alternately, `--repeat`
times each:

- check: `dlpath check FOLDER --json --device DEVICE --seed 1`, in a folder
  started from the project with its reference solution as train.py: the
  learner process in its sandbox, the judge, the mentor's watch, the store;
- unwatched: the same grade with the mentor's watch switched off
  (`grade(..., observe=False)`), to price the watch: the ratio of the two
  training times (target: 1.05x or less);
- plain: one Python process that imports torch, builds the same training
  data (in the same world), imports the same train.py, trains it and measures it on the same
  test seed through the same task code, with no grader around it (no child
  process, no judge, no sandbox, no watch, no limits, no store).

It prints the median wall time of each and the ratio check / plain (target:
1.10x or less). Figures, not assertions: timings never go in tests.
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

PLAIN = r"""
import sys, importlib.util
from pathlib import Path
import torch
from dlpath.grading.observe import Watch
from dlpath.grading.tasks import JudgeContext, LearnerSide, get_task
from dlpath.grading.grade import world_seed_for
from dlpath.grading.project import load_project
project = load_project(Path(sys.argv[1]))
task = get_task(project.task)
world = world_seed_for(1)  # the world `dlpath check --seed 1` draws from
data = task.public_data(project, project.public_seed, world)
torch.manual_seed(project.public_seed)
spec = importlib.util.spec_from_file_location("train", sys.argv[2])
module = importlib.util.module_from_spec(spec)
sys.modules["train"] = module
spec.loader.exec_module(module)
side = LearnerSide(module=module, device=sys.argv[3], log=lambda **values: None, watch=Watch(enabled=False))
side.state = task.train(side, data)
ask = lambda name, values=None, tensors=None: task.answer(name, dict(values or {}), dict(tensors or {}), side)
ctx = JudgeContext(project=project, public=data, test=task.test_data(project, 1, world), ask=ask,
                   folder=Path(sys.argv[2]).parent, test_seed=1, world_seed=world)
print(task.judge(ctx).metrics)
"""

UNWATCHED = r"""
import json, sys
from pathlib import Path
from dlpath.grading.grade import grade
from dlpath.grading.project import load_project
report = grade(load_project(Path(sys.argv[1])), Path(sys.argv[2]), device=sys.argv[3], seed=1, observe=False)
print(json.dumps({"verdict": report.verdict, "training_s": report.training_s}))
"""

def _timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str, int]:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="*", help="project ids (default: every shipped project)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from dlpath.grading.project import list_projects, load_project

    projects = [load_project(p) for p in args.projects] if args.projects else list_projects()
    work = Path(tempfile.mkdtemp(prefix="dlpath-bench-"))
    env = dict(os.environ, DLPATH_HOME=str(work / "home"), PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1",
               OMP_WAIT_POLICY="PASSIVE")  # as the grader sets for its child: the same for both runs
    device = args.device
    if device == "auto":
        device = "cuda" if subprocess.run([sys.executable, "-c", "import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)"]).returncode == 0 else "cpu"
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, device {device}, {args.repeat} runs each (median)")
    print(f"{'project':26s} {'check s':>8s} {'plain s':>8s} {'ratio':>6s} {'train s':>8s} {'unwatched':>9s} "
          f"{'watch':>6s}  result")
    try:
        for project in projects:
            folder = work / project.id
            subprocess.run([sys.executable, "-m", "dlpath", "start", project.id, str(folder)], env=env,
                           check=True, capture_output=True)
            shutil.copy(project.solution_dir / "train.py", folder / "train.py")
            check_cmd = [sys.executable, "-m", "dlpath", "check", str(folder), "--json", "--device", device,
                         "--seed", "1"]
            plain_cmd = [sys.executable, "-c", PLAIN, str(project.path), str(folder / "train.py"), device]
            unwatched_cmd = [sys.executable, "-c", UNWATCHED, str(project.path), str(folder), device]
            checks, plains, trains, unwatched, verdict = [], [], [], [], ""
            for _ in range(args.repeat):
                seconds, out, code = _timed(check_cmd, env, folder)
                checks.append(seconds)
                try:
                    report = json.loads(out)
                    verdict = report["verdict"]
                    trains.append(report["training_s"])
                except (ValueError, KeyError):
                    verdict = f"exit {code}"
                _, out, code = _timed(unwatched_cmd, env, folder)
                try:
                    unwatched.append(json.loads(out.strip().splitlines()[-1])["training_s"])
                except (ValueError, IndexError, KeyError):
                    verdict += f"; unwatched run exited {code}"
                seconds, out, code = _timed(plain_cmd, env, folder)
                plains.append(seconds)
                if code != 0:
                    verdict += f"; plain run exited {code}"
            check_s, plain_s = statistics.median(checks), statistics.median(plains)
            train_s = statistics.median(trains) if trains else float("nan")
            bare_s = statistics.median(unwatched) if unwatched else float("nan")
            print(f"{project.id:26s} {check_s:8.2f} {plain_s:8.2f} {check_s / plain_s:5.2f}x {train_s:8.2f} "
                  f"{bare_s:9.2f} {train_s / bare_s:5.2f}x  {verdict}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
