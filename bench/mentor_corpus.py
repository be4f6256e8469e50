"""The mentor on its corpus of real mistakes (tests/mentor_corpus): the table of docs/mentor-corpus.md.

    .venv/bin/python bench/mentor_corpus.py [--json OUT] [--before EARLIER.json] [CASE ...]

Grades every case (or the named ones) in this process, one after another, and
prints one row per case: the expected code, the mentor's first diagnosis,
whether it named the cause (controls: whether they stayed clean), and any other
error it gave; then the summary line. `--before` adds the columns of an earlier
run's `--json` (the baseline of docs/mentor-corpus.md was measured that way with
the mentor of commit 60a4026). Figures, not assertions (the test is
tests/test_mentor_corpus.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="case folder names (default: all)")
    parser.add_argument("--json", type=Path, help="also write the verdicts as JSON here")
    parser.add_argument("--before", type=Path, help="an earlier run's --json: print both columns")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import torch

    from tests.corpus import as_dict, compared, grade, load_cases, table

    torch.set_num_threads(1)
    cases = [c for c in load_cases() if not args.cases or c.name in args.cases]
    verdicts = []
    for case in cases:
        start = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):  # the learners' own prints stay out of the table
            verdict = grade(case)
        verdicts.append(verdict)
        print(f"{time.perf_counter() - start:6.1f} s  {case.name}: {verdict.codes} {verdict.failure or ''}",
              file=sys.stderr, flush=True)
    print(compared(json.loads(args.before.read_text(encoding="utf-8")), verdicts) if args.before else table(verdicts))
    if args.json:
        args.json.write_text(json.dumps([as_dict(v) for v in verdicts], indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
