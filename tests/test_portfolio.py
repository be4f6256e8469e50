"""`dlpath portfolio`: Markdown of the passed projects and the road so far; nothing private."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlpath.cli import app
from dlpath.learner.portfolio import MARK
from dlpath.learner.store import open_store

SEED = 987654321

REPORT = {
    "project": "mlp-spirals",
    "passed": True,
    "verdict": "passed: every threshold holds",
    "duration_s": 2.84,
    "device": "cpu",
    "seed": SEED,  # never written
    "folder": "/home/someone/secret/mlp-spirals",  # never written
    "thresholds": [
        {"metric": "test_accuracy", "target": ">= 0.85", "value": 0.9312, "passed": True},
        {"metric": "parameters", "target": "<= 20000", "value": 4547, "passed": True},
    ],
    "curves": {
        "x": "epoch",
        "series": [
            {"name": "train_loss", "kind": "loss", "points": [[1, 1.1], [2, 0.7], [3, 0.4], [4, 0.3], [5, 0.25]]},
            {"name": "val_accuracy", "kind": "metric", "points": [[1, 0.4], [2, 0.7], [3, 0.85], [4, 0.9],
                                                                  [5, float("nan")]]},
        ],
    },
}


def run(runner, *args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def passed(report: dict | None = REPORT, metrics: dict | None = None) -> None:
    with open_store() as store:
        store.record_attempt(project="mlp-spirals", lesson="multilayer-perceptron", passed=False,
                             verdict="below threshold", metrics={"test_accuracy": 0.5}, seed=1)
        store.record_attempt(project="mlp-spirals", lesson="multilayer-perceptron", passed=True, verdict="passed",
                             metrics=metrics or {"test_accuracy": 0.9312, "parameters": 4547}, duration_s=2.84,
                             device="cpu", seed=SEED, report=report)
        store.complete("multilayer-perceptron", "passed")
        store.complete("python-for-dl", "done")
        store.complete("linear-algebra", "skipped")


@pytest.fixture(autouse=True)
def text_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Charts as text plots, whether or not matplotlib is installed here (one test asks for SVG)."""
    import dlpath.learner.portfolio

    monkeypatch.setattr(dlpath.learner.portfolio, "matplotlib_available", lambda: False)


def test_nothing_passed_yet(runner, tmp_path: Path) -> None:
    result = run(runner, "portfolio", "--out", str(tmp_path / "p"), code=1)
    assert result.output == (
        "Error: no project has passed yet: a portfolio shows the projects you built and passed.\n"
        "`dlpath next` leads to the first one; `dlpath check` in its folder grades it.\n"
    )
    assert not (tmp_path / "p").exists()


def test_exercise_folders_are_counted_not_shown_as_projects(runner, tmp_path: Path) -> None:
    with open_store() as store:
        store.record_attempt(project="ex-activation-functions", lesson="activation-functions", passed=True,
                             verdict="every threshold met", metrics={}, duration_s=1.0, device="cpu", seed=1)
    alone = run(runner, "portfolio", "--out", str(tmp_path / "p"), code=1)
    assert "the 1 exercise folder(s) you passed are drills, not projects" in " ".join(alone.output.split())
    passed()
    data = json.loads(run(runner, "portfolio", "--out", str(tmp_path / "p"), "--json").output)
    assert [p["id"] for p in data["projects"]] == ["mlp-spirals"] and data["exercises_passed"] == 1
    assert "1 exercise folders passed" in (tmp_path / "p" / "README.md").read_text()


def test_the_portfolio_of_a_passed_project(runner, tmp_path: Path, dlpath_home: Path) -> None:
    from dlpath.grading.project import load_project

    passed()
    out = tmp_path / "portfolio"
    result = run(runner, "portfolio", "--out", str(out))
    assert f"Portfolio written: 1 project and the road so far, in {out}" in " ".join(result.output.split())
    readme = (out / "README.md").read_text()
    project = load_project("mlp-spirals")
    assert readme.startswith(MARK + "\n\n# My deep-learning portfolio\n")
    assert f"## {project.title}\n" in readme
    assert "passed on " in readme and "trained in 2.8 s on cpu" in readme
    assert "attempt" not in readme  # how many tries it took is nobody else's business (it stays in --json)
    assert " ".join(project.summary.split()) in readme
    assert "| test_accuracy | >= 0.85 | 0.9312 | ✓ |" in readme
    assert "| parameters | <= 20000 | 4547 | ✓ |" in readme
    assert "**Learning curve**\n\n```text\n" in readme and "train_loss" in readme and "val_accuracy" in readme
    assert "**Skills shown**\n\n" + "".join(f"- {skill}\n" for skill in project.skills) in readme
    from dlpath.course.loading import load_curriculum

    for objective in load_curriculum(None).lesson("multilayer-perceptron").objectives:
        assert objective not in readme  # the lesson's objectives are no list of skills
    import re

    for target in re.findall(r"\]\(([^)]+)\)", readme):  # every link leads to a page that exists
        assert (out / target).is_file(), target
    assert "```mermaid\nflowchart LR\n" in readme
    assert '["✓ Build and train a multilayer perceptron in PyTorch"]:::done' in readme
    assert ":::skipped" in readme and "calculus" not in readme  # only the road walked
    # nothing private
    for secret in (str(SEED), "secret", str(dlpath_home), str(tmp_path), "below threshold"):
        assert secret not in readme
    assert "\x1b" not in readme


def test_json_shape(runner, tmp_path: Path) -> None:
    passed()
    data = json.loads(run(runner, "portfolio", "--out", str(tmp_path / "p"), "--json").output)
    assert set(data) == {"folder", "files", "charts", "projects", "lessons_done", "lessons_skipped", "hours_done",
                         "updated", "exercises_passed"}
    assert data["files"] == ["README.md"] and data["charts"] == "text" and data["lessons_done"] == 2
    (project,) = data["projects"]
    assert set(project) == {"id", "title", "summary", "lesson", "lesson_title", "stage", "stage_title", "passed_at",
                            "attempts",
                            "device", "duration_s", "thresholds", "skills", "curve", "curve_text"}
    assert project["attempts"] == 2 and project["curve"] == "text" and project["device"] == "cpu"
    assert str(SEED) not in json.dumps(data)


def test_an_older_attempt_without_a_report_uses_its_metrics(runner, tmp_path: Path) -> None:
    from dlpath.grading.project import load_project

    passed(report=None)
    run(runner, "portfolio", "--out", str(tmp_path / "p"))
    readme = (tmp_path / "p" / "README.md").read_text()
    for t in load_project("mlp-spirals").thresholds:
        assert f"| {t.metric} | " in readme
    assert "| test_accuracy | >= 0.85 | 0.9312 | ✓ |" in readme
    assert "**Learning curve**" not in readme  # no curve was recorded


def test_it_rewrites_its_own_readme_but_no_other(runner, tmp_path: Path) -> None:
    passed()
    out = tmp_path / "p"
    run(runner, "portfolio", "--out", str(out))
    run(runner, "portfolio", "--out", str(out))  # its own: updated
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "README.md").write_text("# My own notes\n")
    result = run(runner, "portfolio", "--out", str(mine), code=2)
    assert result.output == (
        f"Error: {mine / 'README.md'} exists and was not written by `dlpath portfolio`: it is left as it is.\n"
        "Choose another folder with --out DIR, or move that README.md aside.\n"
    )
    assert (mine / "README.md").read_text() == "# My own notes\n"


def test_out_must_be_a_folder(runner, tmp_path: Path) -> None:
    passed()
    a_file = tmp_path / "file.md"
    a_file.write_text("x")
    result = run(runner, "portfolio", "--out", str(a_file), code=2)
    assert result.output == (
        f"Error: {a_file} is a file: --out needs a folder for the portfolio.\n"
        "Give another folder with --out DIR (it is created if it does not exist).\n"
    )


def test_svg_curves_with_matplotlib(runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    import dlpath.learner.portfolio

    monkeypatch.setattr(dlpath.learner.portfolio, "matplotlib_available", lambda: True)
    passed()
    data = json.loads(run(runner, "portfolio", "--out", str(tmp_path / "p"), "--json").output)
    assert data["files"] == ["README.md", "curves/mlp-spirals.svg"] and data["charts"] == "svg"
    svg = (tmp_path / "p" / "curves" / "mlp-spirals.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and str(SEED) not in svg
    assert "![Learning curve of" in (tmp_path / "p" / "README.md").read_text()


def test_every_shipped_project_names_its_own_skills() -> None:
    from dlpath.course.loading import load_curriculum
    from dlpath.grading.project import list_projects

    course = load_curriculum(None)
    for project in list_projects():
        if project.hands_on == "exercise":  # drills: the portfolio counts them, never lists their skills
            continue
        assert 1 <= len(project.skills) <= 4, project.id
        objectives = {o.lower() for o in course.lesson(project.lesson).objectives}
        assert not objectives & {s.lower() for s in project.skills}, project.id
