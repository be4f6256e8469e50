"""A project's variants across many secret worlds, in one process: does the solution pass and the baseline fail
in every world a grade may draw?

    .venv/bin/python bench/bench_worlds.py PROJECT [--variants solution,naive,starter] [--worlds 10] [--skip 0]

For each grade seed (`dlpath dev check`'s, then more), the world a grade with
that seed draws (`world_seed_for`), the variant's train.py trained and judged
by the task's own code in this process (`tests.taskrun.run_task`: the data
cross a PublicData frame as in a grade; no sandbox, no time limit), and the
thresholds compared. It prints one line per world and variant, then, per
variant, how many worlds it passed and each metric's range. Far quicker than
`dlpath dev check` over as many seeds, so that a threshold can be checked
against many worlds before the calibration is run for real. Figures, not
assertions.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEEDS = (11, 22, 33, 44, 55, 66, 77, 88, 99, 110, 121, 132, 143, 154, 165, 176, 187, 198, 209, 220)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project")
    parser.add_argument("--variants", default="solution,naive,starter")
    parser.add_argument("--worlds", type=int, default=10)
    parser.add_argument("--skip", type=int, default=0, help="grade seeds to skip first (worlds already seen)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch

    from dlpath.grading.grade import world_seed_for
    from dlpath.grading.project import load_project
    from dlpath.grading.thresholds import compare
    from tests.taskrun import run_task

    torch.set_num_threads(args.threads)
    project = load_project(args.project)
    spec = {"id": project.id, "task": project.task, "thresholds": project.thresholds, "dataset": project.dataset,
            "path": project.path, "public_seed": project.public_seed, "requires": project.requires}
    summary: dict[str, list[tuple[bool, dict]]] = {}
    for seed in SEEDS[args.skip: args.skip + args.worlds]:
        world = world_seed_for(seed)
        for variant in args.variants.split(","):
            source = (project.path / variant / "train.py").read_text(encoding="utf-8")
            start = time.perf_counter()
            torch.manual_seed(project.public_seed)  # as the learner's process does before importing train.py
            got = run_task(source, spec, test_seed=seed, folder=None, world_seed=world)
            metrics = got["metrics"] if got["failure"] is None else None
            results = compare(project.thresholds, metrics)
            passed = metrics is not None and all(r.passed for r in results)
            shown = ", ".join(f"{r.metric} {r.value:.4g}" for r in results if r.value is not None)
            print(f"seed {seed:>3} {variant:>8}: {'PASS' if passed else 'fail'}  {shown or got['failure']}"
                  f"  ({time.perf_counter() - start:.1f} s)", flush=True)
            summary.setdefault(variant, []).append((passed, {r.metric: r.value for r in results}))
    for variant, rows in summary.items():
        names = rows[0][1].keys()
        spans = []
        for name in names:
            values = [m[name] for _, m in rows if m.get(name) is not None]
            if values:
                spans.append(f"{name} {min(values):.4g}..{max(values):.4g}")
        print(f"{variant}: passed {sum(p for p, _ in rows)}/{len(rows)} worlds; {'; '.join(spans)}")


if __name__ == "__main__":
    main()
