"""The grading platforms' formats (`dlpath check --format gradescope|prairielearn|junit`) against the field
lists the platforms publish (tests/schemas/, each naming its source), and the same points in every format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console

from dlpath.cli import app
from dlpath.grading.diagnose import Diagnosis
from dlpath.grading.protocol import Curves, Failure, FailureKind, SandboxReport
from dlpath.grading.report import CheckOutcome, GradeReport, report_from_json
from dlpath.grading.thresholds import ThresholdResult
from dlpath.grading.report import report_json
from dlpath.render.formats import FORMATS
from tests.conftest import check_junit

SCHEMAS = Path(__file__).parent / "schemas"
SEED = 987654321


def make_report(kind: str) -> GradeReport:
    """A grade that passed, one that missed a weighted threshold, or one whose code crashed."""
    acc_value, acc_ok = {"passed": (0.97, True), "partial": (0.61, False), "crashed": (None, False)}[kind]
    params_ok = kind != "crashed"
    thresholds = [
        ThresholdResult("test_accuracy", ">= 0.9", acc_value, acc_ok, 0.9, None, 3.0, 3.0 if acc_ok else 0.0),
        ThresholdResult("parameters", "<= 5000", None if kind == "crashed" else 162.0, params_ok, None, 5000.0, 1.0,
                        1.0 if params_ok else 0.0),
    ]
    failure = Failure(FailureKind.RAISED, "expected 3 features, got 2", exc_type="ValueError", file="train.py",
                      line=20) if kind == "crashed" else None
    diagnoses = [] if kind == "passed" else [Diagnosis(
        "crashed" if kind == "crashed" else "underfitting", "error", "A <b>mentor's</b> advice & a \x1b[31mfix\x1b[0m.",
        evidence=("train loss 0.69 flat",), causes=("too small a model", "too few epochs"), lesson="regularization")]
    score = sum(t.points for t in thresholds)
    return GradeReport(
        project="rings", lesson="fixture-lesson", task="classification", passed=kind == "passed",
        verdict="every threshold met" if kind == "passed" else (
            "your code raised ValueError at train.py:20: expected 3 features, got 2" if kind == "crashed"
            else "test_accuracy is 0.61, which misses its target >= 0.9"),
        score=score, max_score=4.0, thresholds=thresholds, diagnoses=diagnoses,
        curves=Curves.from_points([{"epoch": 1, "train_loss": 0.7}, {"epoch": 2, "train_loss": 0.5}]), seed=SEED,
        device="cpu", budget_s=20.0, memory_mb=1024, duration_s=7.25, training_s=3.0, peak_memory_mb=300.0,
        sandbox=SandboxReport("full", "all of it", True, True, True), failure=failure,
        output_tail="Traceback (most recent call last):\nValueError: expected 3 features, got 2\n" if failure else "",
    )


def render(name: str, report: GradeReport) -> str:
    buffer = io.StringIO()
    FORMATS[name].render(CheckOutcome(report=report), Console(file=buffer, width=80))
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["passed", "partial", "crashed"])
def test_each_format_matches_the_platforms_field_list(kind: str) -> None:
    report = make_report(kind)
    gradescope = json.loads(render("gradescope", report))
    jsonschema.validate(gradescope, json.loads((SCHEMAS / "gradescope-results.schema.json").read_text()))
    prairielearn = json.loads(render("prairielearn", report))
    jsonschema.validate(prairielearn, json.loads((SCHEMAS / "prairielearn-results.schema.json").read_text()))
    check_junit(render("junit", report))


@pytest.mark.parametrize("kind", ["passed", "partial", "crashed"])
def test_the_points_are_the_same_in_every_format(kind: str) -> None:
    report = make_report(kind)
    expected = [(t.points, t.weight) for t in report.thresholds]
    gradescope = json.loads(render("gradescope", report))
    assert gradescope["score"] == report.score == sum(t["score"] for t in gradescope["tests"])
    assert [(t["score"], t["max_score"]) for t in gradescope["tests"]] == expected
    assert [t["status"] for t in gradescope["tests"]] == ["passed" if t.passed else "failed" for t in report.thresholds]
    prairielearn = json.loads(render("prairielearn", report))
    assert [(t["points"], t["max_points"]) for t in prairielearn["tests"]] == expected
    assert prairielearn["score"] == pytest.approx(report.score / report.max_score)
    assert json.loads(render("json", report))["score"] == report.score
    suite = check_junit(render("junit", report)).find("testsuite")
    cases = suite.findall("testcase")
    assert [c.find("failure") is None and c.find("error") is None for c in cases] == [t.passed for t in
                                                                                        report.thresholds]
    assert int(suite.get("failures")) + int(suite.get("errors")) == sum(not t.passed for t in report.thresholds)
    assert sum(float(c.get("time")) for c in cases) == pytest.approx(report.duration_s, abs=0.01)


def test_a_weighted_partial_grade_gives_partial_credit() -> None:
    gradescope = json.loads(render("gradescope", make_report("partial")))
    assert gradescope["score"] == 1.0 and sum(t["max_score"] for t in gradescope["tests"]) == 4.0
    assert json.loads(render("prairielearn", make_report("partial")))["score"] == 0.25


def test_students_see_the_advice_but_never_the_hidden_seed_nor_raw_markup() -> None:
    for kind in ("passed", "partial", "crashed"):
        for name in ("gradescope", "prairielearn", "junit"):
            text = render(name, make_report(kind))
            assert str(SEED) not in text, (name, kind)
            assert "\x1b" not in text
    crashed = json.loads(render("gradescope", make_report("crashed")))
    assert crashed["output_format"] == "text" and crashed["stdout_visibility"] == "hidden"
    assert "expected 3 features, got 2" in crashed["output"] and "Revisit: dlpath show regularization" in \
        crashed["output"]
    assert "The end of your code's output" in crashed["output"]
    junit = check_junit(render("junit", make_report("crashed")))
    error = junit.find("testsuite/testcase/error")
    assert error is not None and error.get("type") == "not-measured" and "mentor's" in error.text
    failure = check_junit(render("junit", make_report("partial"))).find("testsuite/testcase/failure")
    assert failure is not None and failure.get("type") == "below-target"


def test_a_report_survives_its_json(tmp_path: Path) -> None:
    for kind in ("passed", "partial", "crashed"):
        report = make_report(kind)
        again = report_from_json(json.loads(json.dumps(report_json(report))))
        assert again == report
    with pytest.raises(ValueError):
        report_from_json({"project": "rings"})


def test_check_lists_the_platform_formats(runner) -> None:
    result = runner.invoke(app, ["check", "--format", "help"])
    assert result.exit_code == 0
    for name in ("gradescope", "prairielearn", "junit", "json", "text"):
        assert name in result.output
