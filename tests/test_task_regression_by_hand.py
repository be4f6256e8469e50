"""``regression_by_hand``: the cost of the learner's gradients(w, b, x, y) against the number of features
(``gradient_scaling``), which tells a derived gradient from one measured weight by weight."""

from __future__ import annotations

import time
import types
from pathlib import Path
from typing import Any

import pytest

from dlpath.grading.project import load_project
from dlpath.grading.tasks import regression_by_hand as task
from dlpath.grading.tasks.regression_by_hand import SCALING_CAP, SCALING_FEATURES, _gradient_not_derived
from tests.taskrun import learner, mentor

ROOT = Path(__file__).resolve().parents[1]
ATTACKS = ROOT / "tests" / "fixtures" / "measure_attacks"
SOLUTION = ROOT / "projects" / "gradient-descent-by-hand" / "solution" / "train.py"


def spec() -> dict[str, Any]:
    project = load_project("gradient-descent-by-hand")
    return dict(id=project.id, task=project.task, lesson=project.lesson, calibration=None, path=project.path,
                thresholds=project.thresholds, dataset=project.dataset)


def bar() -> float:
    return next(float(t.max) for t in load_project("gradient-descent-by-hand").thresholds
                if t.metric == "gradient_scaling")


def scaling(source: str, monkeypatch: pytest.MonkeyPatch, delay: dict[int, float] | None = None,
            **constants: Any) -> tuple[float, float, dict[str, Any]]:
    """The judge's timing of `source`'s gradients (``gradient_scaling``, the worst error, the facts), asked in this
    process through the task's own learner side; `delay` adds seconds to each answer by the number of features."""
    from dlpath.grading.observe import Watch
    from dlpath.grading.tasks import LearnerSide

    for name, value in constants.items():
        monkeypatch.setattr(task, name, value)
    module = learner(source)
    side = LearnerSide(module=module, device="cpu", log=lambda **k: None, watch=Watch(module))
    the_task = task.RegressionByHandTask()

    def ask(name: str, values: dict[str, Any] | None = None,
            tensors: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        if name == "timed gradients":
            time.sleep((delay or {}).get(len(tensors["w"]), 0.0))
        return the_task.answer(name, values or {}, tensors or {}, side)

    extra: dict[str, Any] = {}
    ctx = types.SimpleNamespace(test_seed=5, project=types.SimpleNamespace(thresholds=()), ask=ask)
    ratio, error = task.RegressionByHandTask._scaling_check(ctx, extra)
    return ratio, error, extra


def test_the_derived_gradient_costs_about_the_same_on_both_problems(monkeypatch: pytest.MonkeyPatch):
    ratio, error, extra = scaling(SOLUTION.read_text(), monkeypatch)
    # about 1 to 3 on a quiet machine; what matters is that it passes, in however many rounds a busy one takes
    assert error < 1e-5 and ratio < bar(), extra


def test_a_narrow_problem_slowed_on_purpose_counts_at_most_its_cap(monkeypatch: pytest.MonkeyPatch):
    """A sleep on the narrow problem cannot hide a slow wide one: the narrow time counts for at most
    SCALING_CAP times the judge's own gradient."""
    ratio, _, extra = scaling(SOLUTION.read_text(), monkeypatch, delay={SCALING_FEATURES[0]: 0.3,
                                                                         SCALING_FEATURES[1]: 0.6},
                              SCALING_ROUNDS=1)
    narrow, wide = extra["scaling_ms"]
    assert narrow > 300 and wide > 600 and extra["scaling_capped"] is True
    assert ratio == pytest.approx(wide / (SCALING_CAP * extra["scaling_reference_ms"]), rel=1e-3)
    assert ratio > wide / narrow


def test_a_wrong_answer_on_the_timed_problems_counts_as_a_gradient_error(monkeypatch: pytest.MonkeyPatch):
    source = SOLUTION.read_text().replace("grad_w = 2 * x.T @ error / len(y)",
                                          "grad_w = (2 if len(y) < 1000 else 1) * x.T @ error / len(y)")
    _, error, _ = scaling(source, monkeypatch, SCALING_ROUNDS=1)
    assert error == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize("extra, words", [
    ({"scaling_ms": [12.0, 3400.0], "scaling_reference_ms": 6.0, "scaling_capped": False},
     "times as long as on the same number of numbers"),
    ({"scaling_ms": [900.0, 3400.0], "scaling_reference_ms": 6.0, "scaling_capped": True},
     "a narrow problem made slow cannot hide a wide one"),
    ({"scaling_problem": "gradients(w, b, x, y) failed: MemoryError"}, "MemoryError"),
])
def test_the_cost_diagnosis_says_what_was_timed(extra: dict[str, Any], words: str):
    ratio = 1e6 if "scaling_problem" in extra else 3400.0 / min(extra["scaling_ms"][0], SCALING_CAP * 6.0)
    run = types.SimpleNamespace(metrics={"gradient_scaling": ratio}, facts=types.SimpleNamespace(extra=extra),
                                failed=lambda metric: metric == "gradient_scaling")
    [found] = _gradient_not_derived(run)
    assert found.code == "gradient-not-derived" and words in found.message, found.message
    run.failed = lambda metric: False
    assert _gradient_not_derived(run) == []


@pytest.mark.slow
def test_finite_differences_pass_the_check_but_fail_for_their_cost(tmp_path: Path):
    """The attack graded as a learner grades it (`dlpath check`, the judge in its own process): central differences
    over every weight of the learner's own loss, in float64, exact for a quadratic loss, so the gradient check
    passes; refused by gradient_scaling alone, and told why. Timed in one process, the grader's own gradient (the
    cap on the narrow problem) is slowed by the learner's work beside it, so the check is graded as it runs."""
    import json
    import os
    import subprocess
    import sys

    folder = tmp_path / "gradient-descent-by-hand"
    folder.mkdir()
    (folder / "train.py").write_text((ATTACKS / "gd_finite_difference.py").read_text())
    (folder / ".dlpath-project").write_text("project: gradient-descent-by-hand\n")
    env = dict(os.environ, DLPATH_HOME=str(tmp_path / "home"))
    env.pop("DLPATH_PROJECTS", None)
    proc = subprocess.run([sys.executable, "-m", "dlpath", "check", str(folder), "--json", "--device", "cpu",
                           "--no-record", "--seed", "11"], env=env, capture_output=True, text=True, timeout=600)
    report = json.loads(proc.stdout)
    values = {t["metric"]: t for t in report["thresholds"]}
    assert report["failure"] is None, report["verdict"]
    assert [m for m, t in values.items() if not t["passed"]] == ["gradient_scaling"], values
    assert values["gradient_scaling"]["value"] > bar(), values
    assert [d["code"] for d in report["diagnoses"]][:1] == ["gradient-not-derived"], report["diagnoses"]
    assert "finite difference" in report["diagnoses"][0]["message"]


def test_the_solution_passes_with_no_diagnosis():
    found, got = mentor(SOLUTION.read_text(), spec())
    assert got["failure"] is None, got["failure"]
    assert got["metrics"]["gradient_scaling"] < bar(), got["facts"].extra
    assert [d.code for d in found] == []
