"""`dlpath run` (training without a grade) still says what the curve shows: a loss that never moved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlpath.cli import app
from dlpath.grading.diagnose import Evidence, diagnose
from dlpath.grading.protocol import Curves
from dlpath.grading.tasks import TASKS
from dlpath.grading.workspace import start_project

ROOT = Path(__file__).resolve().parent.parent


def _curves(values: list[float]) -> Curves:
    return Curves.from_points([{"epoch": i, "train_loss": v} for i, v in enumerate(values)])


def _run_codes(task: str, values: list[float]) -> list[tuple[str, str]]:
    found = diagnose(Evidence(task=TASKS[task], curves=_curves(values), trained=False))
    return [(d.code, d.severity) for d in found]


def test_a_loss_that_never_moves_is_told_without_a_grade():
    assert ("no-learning", "warning") in _run_codes("regression_by_hand", [11.1] * 21)
    assert ("no-learning", "warning") in _run_codes("classification", [0.693] * 10)


def test_a_loss_that_moves_or_has_settled_is_not():
    assert "no-learning" not in [c for c, _ in _run_codes("regression_by_hand", [11.1, 4.0, 1.2, 0.4, 0.26, 0.25])]
    # settled after the first logged epoch, still moving a little: learning happened before the first point
    settled = [0.0312, 0.0309, 0.0311, 0.0308, 0.0310, 0.0309]
    assert "no-learning" not in [c for c, _ in _run_codes("classification", settled)]


@pytest.mark.parametrize(("variant", "told"), [("starter", True), ("solution", False)])
def test_dlpath_run_on_the_gradient_descent_starter(runner, tmp_path: Path, variant: str, told: bool) -> None:
    folder = start_project("gradient-descent-by-hand", tmp_path / variant).folder
    source = ROOT / "projects" / "gradient-descent-by-hand" / variant / "train.py"
    (folder / "train.py").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(app, ["run", str(folder), "--device", "cpu", "--json"])
    assert result.exit_code == 0, result.output
    codes = [d["code"] for d in json.loads(result.stdout)["diagnoses"]]
    assert ("no-learning" in codes) is told, codes
