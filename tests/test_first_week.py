"""What a new learner met in a first week (issue 23): each test is one of the problems, and would have caught it."""

from __future__ import annotations

import ast
import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from dlpath.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "projects"


def console(width: int = 80, height: int = 25, terminal: bool = False) -> Console:
    return Console(file=io.StringIO(), width=width, height=height, force_terminal=terminal, color_system=None,
                   no_color=True)


# ---------------------------------------------------------------- 9: `dlpath solution > ref.py`


def test_a_solution_written_to_a_file_is_the_code_unwrapped(runner, tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "projects"
    shutil.copytree(FIXTURES / "rings", root / "rings")
    long_line = "WIDE = " + repr("x" * 150) + "  # [bold]not markup[/] :smile:\n"
    solution = root / "rings" / "solution" / "train.py"
    solution.write_text(long_line + solution.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("DLPATH_PROJECTS", str(root))
    assert runner.invoke(app, ["start", "rings", str(tmp_path / "p")]).exit_code == 0
    result = runner.invoke(app, ["solution", str(tmp_path / "p"), "--spoiler"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    ast.parse(out)  # valid Python as it is
    assert long_line in out
    assert out.splitlines()[0] == "# train.py"


# ---------------------------------------------------------------- 4, 7, 10, 35: the reports of `run` and `check`


def _report(**changes):
    from dlpath.grading.protocol import Curves, SandboxReport
    from dlpath.grading.report import GradeReport
    from dlpath.grading.thresholds import ThresholdResult

    base = dict(
        project="demo", lesson="fixture-lesson", task="classification", passed=True, verdict="every threshold met",
        score=1.0, max_score=1.0, thresholds=[ThresholdResult("test_accuracy", ">= 0.9", 0.95, True)], diagnoses=[],
        curves=Curves.from_points([{"epoch": float(e), "train_loss": 1 / (e + 1), "val_accuracy": e / 20}
                                   for e in range(20)]),
        seed=42, device="cpu", budget_s=30.0, memory_mb=1024, duration_s=4.2, training_s=3.0, peak_memory_mb=300.0,
        sandbox=SandboxReport("full", "", True, True, True), failure=None, output_tail="")
    base.update(changes)
    return GradeReport(**base)


def _run_report(**changes):
    from dlpath.grading.report import RunReport

    report = _report()
    base = dict(project="demo", finished=True, verdict="training finished in 3.0 s", curves=report.curves,
                diagnoses=[], device="cpu", budget_s=30.0, duration_s=4.0, training_s=3.0, peak_memory_mb=300.0,
                sandbox=report.sandbox, failure=None, output_tail="")
    base.update(changes)
    return RunReport(**base)


def test_what_the_code_printed_is_shown_after_a_run_and_a_passing_check() -> None:
    from dlpath.grading.report import CheckOutcome
    from dlpath.render.grading import render_check, render_run

    printed = "x shape torch.Size([1000, 64])\nlogits shape torch.Size([1000, 10])\n"
    out = console()
    render_run(_run_report(output_tail=printed), out)
    assert "What your code printed:\n  x shape torch.Size([1000, 64])\n  logits shape" in out.file.getvalue()
    out = console()
    render_check(CheckOutcome(_report(output_tail=printed), recorded=True), out)
    assert "What your code printed:\n  x shape torch.Size([1000, 64])" in out.file.getvalue()


def test_what_the_code_printed_is_bounded_and_says_so() -> None:
    from dlpath.render.grading import render_run

    printed = "".join(f"batch {i}\n" for i in range(3000))
    out = console()
    render_run(_run_report(output_tail=printed[-4000:], output_bytes=len(printed)), out)
    text = out.file.getvalue()
    assert "What your code printed (its last 10 lines; 31 KB in all):" in text
    assert "  batch 2999" in text and "  batch 2990" in text and "batch 2989" not in text


def _rendered(renderable, width: int = 100) -> str:
    out = console(width=width, height=40)
    out.print(renderable)
    return out.file.getvalue()


def test_run_draws_the_curves_live_in_a_terminal() -> None:
    from dlpath.grading import events
    from dlpath.render.grading import GradeProgress

    screen = console(width=100, height=30, terminal=True)
    with GradeProgress(screen, "demo", "Training") as progress:
        assert progress.live is not None
        progress(events.Started(device="cpu", sandbox="full"))
        assert "Losses by epoch" not in _rendered(progress._render())
        for epoch in range(3):
            progress(events.Logged({"epoch": float(epoch), "train_loss": 2.0 - epoch / 2, "val_accuracy": 0.3}))
        frame = _rendered(progress._render())
    assert "Losses by epoch" in frame and "Metrics by epoch" in frame and "train_loss" in frame
    assert max(len(line) for line in frame.splitlines()) <= 100
    assert len(frame.splitlines()) <= 16  # room for the report's start in a 30-row terminal


def test_without_a_terminal_the_progress_says_what_it_prints() -> None:
    from dlpath.grading import events
    from dlpath.render.grading import GradeProgress

    out = console()
    with GradeProgress(out, "demo", "Training") as progress:
        assert progress.live is None
        progress(events.Started(device="cpu", sandbox="full"))
        progress(events.Logged({"epoch": 0.0, "train_loss": 2.0}))
    assert out.file.getvalue().splitlines() == ["Training demo: starting Python and PyTorch...", "Training on cpu...",
                                                "  epoch 0  train_loss 2"]


@pytest.mark.parametrize("values, note", [
    ([2.3, 2.0, 5.0, 100.0, 1e10, 1e30, float("inf"), float("nan")], "(log scale; 2 non-finite values not shown)"),
    ([0.0, 1.0, 0.8, 0.7, 0.6, 0.5, 0.4, 0.45, 0.3, 1e30, 3e38], "(2 values above 2.8 drawn at the top edge)"),
    ([0.5, -1.0, -0.5, 0.0, -1e30, 0.2], "(1 value below -4.6 drawn at the bottom edge)"),
])
def test_a_diverging_curve_keeps_a_readable_axis_and_says_what_it_did(values, note) -> None:
    from dlpath.grading.charts import curve_charts
    from dlpath.grading.protocol import Curves

    (title, chart), = curve_charts(Curves.from_points([{"epoch": float(i), "loss": v} for i, v in enumerate(values)]),
                                   width=72, height=10)
    assert chart.splitlines()[-1] == note
    labels = [line.split("┤")[0].strip() for line in chart.splitlines() if "┤" in line]
    assert len(labels) >= 3 and all(len(label) <= 6 for label in labels), labels
    assert max(len(line) for line in chart.splitlines()) <= 72


def test_a_flat_curve_is_a_flat_line_not_float_noise() -> None:
    from dlpath.grading.charts import y_scale

    scale = y_scale([2.328091396 + i * 1e-9 for i in range(20)])
    assert scale.flat is not None and len(set(scale.clip(2.328091396 + i * 1e-9) for i in range(20))) == 1
    assert all(len(label) <= 4 for label in scale.labels), scale.labels


def test_in_a_100x30_terminal_the_verdict_and_thresholds_stay_in_view() -> None:
    from dlpath.grading.diagnose import Diagnosis
    from dlpath.grading.report import CheckOutcome
    from dlpath.grading.thresholds import ThresholdResult
    from dlpath.render.grading import render_check

    report = _report(passed=False, verdict="test_accuracy is 0.5, which misses its target >= 0.9",
                     thresholds=[ThresholdResult("test_accuracy", ">= 0.9", 0.5, False),
                                 ThresholdResult("parameters", "<= 5000", 1200.0, True)],
                     diagnoses=[Diagnosis("underfitting", "error", "The model is too small. " * 5, ("seen",))],
                     output_tail="x shape (1000, 64)\n")
    screen = console(width=100, height=30, terminal=True)
    render_check(CheckOutcome(report, recorded=True), screen)
    last_screen = screen.file.getvalue().splitlines()[-30:]
    assert any(line.startswith("NOT YET  demo: test_accuracy is 0.5") for line in last_screen)
    assert any(line.startswith("test_accuracy  >= 0.9") for line in last_screen)
    assert any(line.startswith("parameters") for line in last_screen)
    assert "Losses by epoch" in screen.file.getvalue()


# ---------------------------------------------------------------- 8: a SyntaxError in train.py


@pytest.mark.parametrize("source, line, message", [
    ("x = (1,\n\ndef train(model, data, device, log):\n    pass\n", 1, "'(' was never closed"),
    ("def train(model, data, device, log)\n    pass\n", 1, "expected ':'"),
    ("def train(model, data, device, log):\n    x = 1\n      y = 2\n", 3, "unexpected indent"),
])
def test_a_syntax_error_is_reported_at_the_learners_line_with_syntax_advice(tmp_path: Path, monkeypatch, source,
                                                                           line, message) -> None:
    from dlpath.grading.diagnose import Evidence, diagnose
    from dlpath.grading.harness import _failed, _import_learner
    from dlpath.grading.protocol import Curves, failure_from_json
    from dlpath.grading.tasks import TASKS

    folder = tmp_path.resolve()
    (folder / "train.py").write_text(source, encoding="utf-8")
    monkeypatch.chdir(folder)  # the learner process runs in its folder: "<frozen ...>" must not read as a file there
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    monkeypatch.delitem(__import__("sys").modules, "train", raising=False)
    with pytest.raises(SyntaxError) as raised:
        _import_learner(folder / "train.py")
    failed = _failed(raised.value, folder, "import")
    failure = failure_from_json(failed.failure)
    assert (failure.file, failure.line) == ("train.py", line)
    assert failure.message == message
    assert failure.verdict() == f"your code raised {raised.value.__class__.__name__} at train.py:{line}: {message}"
    assert "frozen" not in failed.trace and f'"{folder / "train.py"}", line {line}' in failed.trace
    assert "^" in failed.trace or isinstance(raised.value, IndentationError)
    project = type("P", (), {"id": "rings", "task": "classification", "lesson": "fixture-lesson",
                             "calibration": None})()
    found = diagnose(Evidence(task=TASKS["classification"], project=project, curves=Curves(None, ()), metrics={},
                              failure=failure, thresholds=[]))
    assert [d.code for d in found] == ["syntax-error"]
    assert f"train.py:{line}" in found[0].message and "where Python gave up" in found[0].message
    assert "shape" not in found[0].message


def test_the_output_shown_starts_with_its_first_line_not_a_blank_one() -> None:
    from dlpath.render.grading import render_run

    out = console()
    render_run(_run_report(finished=False, output_tail="\n  File \"train.py\", line 3\n    y = 2\n"), out)
    assert "The end of your code's output:\n    File \"train.py\", line 3\n      y = 2\n" in out.file.getvalue()


# ---------------------------------------------------------------- 17: what a recorded pass did to its lesson


def test_a_recorded_pass_says_which_prerequisites_hold_the_lesson_back_then_completes_it(course) -> None:
    from dlpath.grading.project import load_project
    from dlpath.grading.report import report_json
    from dlpath.learner.attempts import record
    from dlpath.learner.store import CompletionKind, open_store
    from dlpath.render.grading import render_check

    project = load_project(course.parent / "projects" / "tiny-project")
    report = _report(project="tiny-project", lesson="perceptron")

    held = record(report, project)
    assert held.recorded and not held.lesson_completed and held.unmet_prerequisites == ["maths", "python"]
    assert report_json(held)["unmet_prerequisites"] == ["maths", "python"]
    out = console(width=200)
    render_check(held, out)
    assert ("Recorded, but lesson 'perceptron' is not complete yet: it needs maths, python first (done, or skipped "
            "with `dlpath skip`). Then run `dlpath check` here again to complete it.") in out.file.getvalue()

    with open_store() as store:
        store.complete("maths", CompletionKind.DONE)
        store.complete("python", CompletionKind.SKIPPED)
    assert record(report, project).lesson_completed
    again = record(report, project)
    assert again.lesson_already_completed and not again.lesson_completed and not again.unmet_prerequisites
    out = console(width=200)
    render_check(again, out)
    assert "Recorded. Lesson 'perceptron' was already complete." in out.file.getvalue()
    assert "completed once its prerequisites are done, or was already" not in out.file.getvalue()


def test_a_pass_of_one_exercise_names_the_folders_still_to_pass() -> None:
    from dlpath.grading.report import CheckOutcome
    from dlpath.render.grading import render_check

    out = console(width=200)
    render_check(CheckOutcome(_report(lesson="maths"), recorded=True, work_left=["ex-maths-2"]), out)
    assert "Recorded. Lesson 'maths' is complete once ex-maths-2 passes too (`dlpath start ex-maths-2`)." in (
        out.file.getvalue())


# ---------------------------------------------------------------- 22: "Revisit" never sends a beginner ahead


def test_lessons_not_later_than_one_hold_what_it_needs_and_nothing_that_needs_it() -> None:
    from dlpath.course.loading import load_curriculum
    from dlpath.course.planner import not_later_than, prerequisites_closure

    course = load_curriculum(None)
    stage = {s.id: i for i, s in enumerate(course.stages)}
    for lesson in course.lessons:
        reach = not_later_than(course, lesson.id)
        assert prerequisites_closure(course, [lesson.id]) <= reach
        for other in reach - {lesson.id}:
            assert lesson.id not in prerequisites_closure(course, [other])
            assert stage[course.by_id[other].stage] <= stage[lesson.stage]
    assert not_later_than(course, "first-network") == {"first-network"}


def test_a_diagnosis_on_the_first_project_points_back_to_its_own_lesson(tmp_path: Path) -> None:
    from dlpath.grading.diagnose import Evidence
    from dlpath.grading.grade import _mentor
    from dlpath.grading.project import load_project
    from dlpath.grading.protocol import Curves, Failure, FailureKind
    from dlpath.grading.tasks import TASKS
    from dlpath.paths import projects_dir

    def revisits(project_id: str) -> list[str | None]:
        project = load_project(projects_dir() / project_id)
        failure = Failure(FailureKind.RAISED, "mat1 and mat2 shapes cannot be multiplied (64x3 and 2x64)",
                          "RuntimeError", "train.py", 30)
        evidence = Evidence(task=TASKS[project.task], project=project, curves=Curves(None, ()), metrics={},
                            failure=failure, thresholds=[])
        return [d.lesson for d in _mentor(project, evidence, None)]

    assert revisits("read-handwritten-digits") == ["first-network"]  # not multilayer-perceptron, further on
    assert revisits("mlp-spirals") == ["multilayer-perceptron"]


# ---------------------------------------------------------------- 5, 36: quizzes and grades in a notebook


def test_a_notebook_quiz_asks_in_the_cell_and_records_a_pass(course, monkeypatch, capsys) -> None:
    import dlpath
    from dlpath.learner.store import open_store

    typed = iter(["5", "2"])  # a number out of range first: asked again
    monkeypatch.setattr("builtins.input", lambda prompt="": next(typed))
    assert dlpath.quiz("maths") is None
    out = " ".join(capsys.readouterr().out.split())
    assert "Quiz: Maths you need (1 question) 1/1. What is 2 + 2?" in out
    assert "Type a number from 1 to 3. Right. All 1 right. Marked 'maths' done." in out
    with open_store() as store:
        assert store.completions()["maths"].how == "done"


def test_a_notebook_that_cannot_ask_shows_the_questions_and_how_to_answer(course, monkeypatch, capsys) -> None:
    import dlpath

    def no_input(prompt=""):
        raise NotImplementedError("raw_input was called, but this frontend does not support input requests.")

    monkeypatch.setattr("builtins.input", no_input)
    dlpath.quiz("maths")
    out = " ".join(capsys.readouterr().out.split())
    assert out.count("What is 2 + 2?") == 1 and "1. 3 2. 4 3. 5" in out
    assert out.endswith("This notebook cannot ask: answer with dlpath.quiz('maths', answers=\"1\"), one choice number "
                        "per question, in order.")
    dlpath.quiz("maths", answers="2")
    assert "All 1 right. Marked 'maths' done." in " ".join(capsys.readouterr().out.split())


def test_check_in_a_notebook_returns_the_grade_with_a_one_line_repr(tmp_path: Path, monkeypatch, capsys) -> None:
    import dlpath
    from dlpath.grading.report import CheckOutcome

    outcome = CheckOutcome(_report(), recorded=True, lesson_completed=True)
    monkeypatch.setattr("dlpath.learner.attempts.check_folder", lambda folder: outcome)
    returned = dlpath.check(tmp_path)
    assert returned is outcome and returned.report.passed
    assert repr(returned) == ("CheckOutcome(project='demo', passed=True, score=1/1, recorded=True, "
                              "lesson_completed=True)")
    assert "PASSED" in capsys.readouterr().out


# ---------------------------------------------------------------- 23, 34: the files a learner gets


def _learner_files() -> list[tuple[str, Path]]:
    from dlpath.grading.project import list_projects

    return [(f"{p.id}/{variant}", p.path / variant / p.entry) for p in list_projects()
            for variant in ("starter", "solution")]


@pytest.mark.parametrize("name, path", _learner_files(), ids=[n for n, _ in _learner_files()])
def test_running_a_learners_file_with_python_says_what_to_do(name: str, path: Path) -> None:
    """`python train.py` must not silently do nothing: a `__main__` block prints something (what to run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    blocks = [node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) in (
        "__name__ == '__main__'", '__name__ == "__main__"')]
    assert blocks, f"{path}: no `if __name__ == \"__main__\":` block"
    calls = {ast.unparse(n.func) for block in blocks for n in ast.walk(block) if isinstance(n, ast.Call)}
    assert "print" in calls, f"{path}: its __main__ block prints nothing"


@pytest.mark.parametrize("name, path", _learner_files(), ids=[n for n, _ in _learner_files()])
def test_a_learners_file_never_points_to_a_project_yaml_they_do_not_have(name: str, path: Path) -> None:
    assert "project.yaml" not in path.read_text(encoding="utf-8")


def test_start_says_what_the_grade_asks(runner, tmp_path: Path) -> None:
    from dlpath.grading.project import load_project
    from dlpath.grading.thresholds import describe_target

    result = runner.invoke(app, ["start", "mlp-spirals", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    project = load_project("mlp-spirals")
    parts = [f"{t.metric} {describe_target(t)}" for t in project.thresholds]
    asked = f"{', '.join(parts[:-1])} and {parts[-1]}" if len(parts) > 1 else parts[0]
    assert (f"The grade: {asked}, measured on data your code never sees; training gets {project.budget_s:g} s. "
            "`dlpath show mlp-spirals` says it again.") in " ".join(result.output.split())


# ---------------------------------------------------------------- 26: a project's id where a lesson's is expected


def test_show_a_project_says_whose_project_it_is_and_what_it_asks(runner) -> None:
    import json

    from dlpath.grading.project import load_project

    result = runner.invoke(app, ["show", "cnn-shapes"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert ("The project of lesson 'convolutional-networks' (Convolutional networks): `dlpath show "
            "convolutional-networks` reads the lesson.") in text
    project = load_project("cnn-shapes")
    assert f"The grade: test_accuracy >= {project.thresholds[0].min:g}" in text
    assert text.endswith("dlpath start cnn-shapes, then `dlpath check` in its folder.")
    card = json.loads(runner.invoke(app, ["show", "cnn-shapes", "--json"]).stdout)
    assert card["lesson"] == "convolutional-networks" and card["start"] == "dlpath start cnn-shapes"
    assert card["targets"][0].startswith("test_accuracy >= ") and card["status"] == "locked"
    exercise = " ".join(runner.invoke(app, ["show", "ex-calculus"]).output.split())
    assert "The exercise folder of lesson 'calculus'" in exercise and "The grade: each function (" in exercise


@pytest.mark.parametrize("args, said", [
    (["show", "CNN-shapes"], "Error: there is no lesson 'CNN-shapes'. Did you mean 'cnn-shapes'?"),
    (["show", "Convolutional-Networks"], "Error: there is no lesson 'Convolutional-Networks'. Did you mean "
                                         "'convolutional-networks', "),
    (["start", "CNN-shapes"], "Error: 'CNN-shapes' is not a project id: ids are lowercase.\nDid you mean "
                              "'cnn-shapes'?"),
])
def test_an_id_in_the_wrong_case_gets_the_right_one_suggested(runner, tmp_path: Path, monkeypatch, args,
                                                              said) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.output.startswith(said), result.output
    assert not (tmp_path / "CNN-shapes").exists()


# ---------------------------------------------------------------- 24: lesson bodies without the test harness's tags


def test_no_lesson_shows_the_harness_tags_but_their_reasons_stay(runner) -> None:
    import json

    from dlpath.course.loading import load_curriculum
    from dlpath.course.model import HARNESS_TAG

    course = load_curriculum(None)
    tagged = [lesson.id for lesson in course.lessons if HARNESS_TAG.search(course.body(lesson))]
    assert "small-data" in tagged
    for lesson_id in tagged:
        body = json.loads(runner.invoke(app, ["show", lesson_id, "--json"]).stdout)["body"]
        assert "dlpath:" not in body, lesson_id
    text = runner.invoke(app, ["show", "small-data"]).output
    assert "# Needs torchvision (pip install torchvision)" in text and "dlpath: skip" not in text


def test_a_tag_without_a_reason_goes_entirely() -> None:
    from dlpath.course.model import for_readers

    body = "```python\n# dlpath: fragment\nmodel(x)\n```\n\n```python\n    #dlpath: skip: needs a GPU\nx\n```\n"
    assert for_readers(body) == "```python\nmodel(x)\n```\n\n```python\n    # Needs a GPU\nx\n```\n"


def test_start_and_show_say_what_a_metric_no_lesson_taught_means(runner, tmp_path: Path) -> None:
    """learned_skill is in the grade of the projects that teach a model to learn; a beginner meets it at start and
    in show, with what it measures in plain words (and in --json, from the same data)."""
    import json

    from dlpath.grading.thresholds import PLAIN

    result = runner.invoke(app, ["start", "mlp-spirals", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "learned_skill: what training taught your model" in said and "written by hand." in said
    shown = runner.invoke(app, ["show", "mlp-spirals", "--json"])
    card = json.loads(shown.stdout)
    assert card["explained"] == [f"learned_skill: {PLAIN['learned_skill']}"]
    plain = runner.invoke(app, ["show", "mlp-spirals"])
    assert "learned_skill: what training taught your model" in " ".join(plain.output.split())
    other = json.loads(runner.invoke(app, ["show", "mixed-precision", "--json"]).stdout)
    assert other["explained"] == []  # its targets are taught by its lesson
