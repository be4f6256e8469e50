"""docs/task-kinds.md stays true: every task kind, data set generator and diagnosis code is documented there."""

from __future__ import annotations

import re
from pathlib import Path

from dlpath.datasets import GENERATORS, _discover
from dlpath.grading.diagnose import CODES
from dlpath.grading.tasks import TASKS

REFERENCE = (Path(__file__).resolve().parents[1] / "docs" / "task-kinds.md").read_text()


def _rows(text: str) -> set[str]:
    return set(re.findall(r"(?m)^\| `([^`]+)` \|", text))


def test_every_task_kind_has_its_section_and_its_contract():
    missing = [name for name in TASKS if f"### `{name}`" not in REFERENCE]
    assert not missing, f"docs/task-kinds.md has no section for {missing}"
    for name, task in TASKS.items():
        section = REFERENCE.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
        for metric in task.metrics:
            assert f"`{metric.name}`" in section, f"{name}: metric {metric.name} is not documented"


def test_every_generator_has_its_row():
    _discover()
    missing = sorted(set(GENERATORS) - _rows(REFERENCE))
    assert not missing, f"docs/task-kinds.md has no data set row for {missing}"


def test_every_diagnosis_code_has_its_row():
    codes = set(CODES) | {code for task in TASKS.values() for code in task.codes}
    missing = sorted(codes - _rows(REFERENCE))
    assert not missing, f"docs/task-kinds.md has no row for the codes {missing}"
