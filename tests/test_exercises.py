"""Exercise folders: the format, the engine, the road, and every shipped exercise proven.

Every shipped exercise folder is checked here in process (`dlpath.grading.inprocess`:
the task's own `train`, `answer` and `judge`, with the channel replaced by copies), as
`dlpath dev check --in-process` does: the reference passes on three hidden seeds, the
starter fails with its expected codes, and each wrong answer fails with its own
diagnosis, on the exercises it rewrites only. One grade goes through the real engine
(the learner process, the judge, the sandbox) and must agree with the in-process one.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import torch

from dlpath.grading.devcheck import GRADE_SEEDS, copy_variant, grade_variant
from dlpath.grading.exercises import Case, Function, declared, differs, load_grading, show
from dlpath.grading.inprocess import run_in_process
from dlpath.grading.tasks.exercise import decode, encode
from dlpath.paths import projects_dir
from dlpath.grading.project import load_project, validate_project
from tests.conftest import FIXTURES

EXERCISE_FIXTURE = FIXTURES / "exercises" / "ex-maths"
SHIPPED = sorted(p.parent.name for p in projects_dir().glob("*/project.yaml")
                 if "\nexercises:" in p.read_text(encoding="utf-8"))


def _codes(report) -> set[str]:
    return {d.code for d in report.diagnoses}


def _facts(project, variant: str, tmp_path: Path, seed: int = GRADE_SEEDS[0]) -> dict:
    folder = tmp_path / variant.replace("/", "-")
    copy_variant(project, variant, folder)
    return run_in_process(project, folder, test_seed=seed).facts["extra"]


# ------------------------------------------------------------------ every shipped exercise


def test_there_are_shipped_exercise_folders() -> None:
    assert len(SHIPPED) >= 8


@pytest.mark.parametrize("folder_id", SHIPPED)
def test_the_reference_passes_and_every_variant_gets_its_diagnosis(folder_id: str, tmp_path: Path) -> None:
    project = load_project(folder_id)
    assert project.hands_on == "exercise" and project.entry == "exercises.py"
    for seed in GRADE_SEEDS[:3]:
        report = grade_variant(project, "solution", seed, in_process=True)
        assert report.passed, (seed, report.verdict, [d.message for d in report.diagnoses])
        assert not [d for d in report.diagnoses if d.severity == "error"]
    for variant in project.variants[1:]:
        report = grade_variant(project, variant, GRADE_SEEDS[0], in_process=True)
        assert not report.passed, f"{variant} passed"
        assert report.failure is None, (variant, report.verdict)
        assert set(project.expected(variant)) <= _codes(report), (variant, _codes(report), report.verdict)
        if variant.startswith("wrong/"):  # a wrong answer fails the functions it rewrites, and only those
            tree = ast.parse((project.path / f"{variant}.py").read_text(encoding="utf-8"))
            rewritten = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
            failed = {t.metric for t in report.thresholds if not t.passed}
            assert failed and failed <= rewritten, (variant, failed, rewritten)


@pytest.mark.parametrize("folder_id", SHIPPED)
def test_every_mistake_is_proven_and_says_its_piece_in_300_characters(folder_id: str, tmp_path: Path) -> None:
    project = load_project(folder_id)
    names, codes = declared(project.path)
    assert set(names) == {e.name for e in project.exercises}
    expected = {c for v in project.variants[1:] for c in project.expected(v)}
    assert set(codes) <= expected, f"mistakes no wrong answer proves: {sorted(set(codes) - expected)}"
    for variant in project.variants[1:]:
        for name, finding in _facts(project, variant, tmp_path).items():
            assert "broken_mistake" not in finding, finding["broken_mistake"]
            assert len(finding.get("message", "")) < 300, (name, finding["message"])


@pytest.mark.parametrize("folder_id", SHIPPED)
def test_the_starter_and_solution_state_every_function_and_the_command(folder_id: str) -> None:
    project = load_project(folder_id)
    for variant in ("starter", "solution"):
        text = (project.path / variant / project.entry).read_text(encoding="utf-8")
        tree = ast.parse(text)
        assert "dlpath check" in (ast.get_docstring(tree) or ""), f"{variant}: say how to grade it"
        functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        for spec in project.exercises:
            assert spec.name in functions, f"{variant} has no {spec.signature}"
            params = [a.arg for a in functions[spec.name].args.args]
            assert params == list(spec.params), (variant, spec.signature, params)
            assert ast.get_docstring(functions[spec.name]), f"{variant}: {spec.name} needs its docstring"
        assert "import dlpath" not in text and "from dlpath" not in text
    starter = (project.path / "starter" / project.entry).read_text(encoding="utf-8")
    assert starter.count("TODO") >= len(project.exercises) and len(starter.splitlines()) <= 150
    assert len(project.hints) >= len(project.exercises)


def test_every_shipped_exercise_folder_is_listed_by_its_lesson() -> None:
    from dlpath.course.loading import load_curriculum

    course = load_curriculum(None, use_cache=False)
    for folder_id in SHIPPED:
        lesson = course.lesson(load_project(folder_id).lesson)
        assert folder_id in lesson.exercises and lesson.project != folder_id
        assert ("exercise", folder_id) in lesson.hands_on


# ------------------------------------------------------------------ the engine


def test_the_real_engine_and_the_in_process_one_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLPATH_PROJECTS", str(EXERCISE_FIXTURE.parent))
    project = load_project("ex-maths")
    real = grade_variant(project, "wrong/adds", GRADE_SEEDS[1])
    here = grade_variant(project, "wrong/adds", GRADE_SEEDS[1], in_process=True)
    assert here.sandbox.level == "none" and "inside dlpath's own process" in here.sandbox.why
    assert [(t.metric, t.value) for t in real.thresholds] == [(t.metric, t.value) for t in here.thresholds]
    assert [(d.code, d.message) for d in real.diagnoses] == [(d.code, d.message) for d in here.diagnoses]
    assert _codes(real) == {"scale-adds"} and real.score == 2 and real.max_score == 3


def test_the_fixture_folder_gets_each_generic_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLPATH_PROJECTS", str(EXERCISE_FIXTURE.parent))
    project = load_project("ex-maths")
    starter = grade_variant(project, "starter", 11, in_process=True)
    [not_done] = starter.diagnoses
    assert not_done.code == "exercise-not-done"
    assert "scale(x, factor=2.0) is not written yet" in not_done.message
    assert "count_positive(x) is not written yet" in not_done.message
    changed = grade_variant(project, "wrong/in-place", 11, in_process=True)
    assert [d.code for d in changed.diagnoses] == ["exercise-changed-input"]
    assert "changed its input x in place on a few numbers" in changed.diagnoses[0].message
    wrong = grade_variant(project, "wrong/counts-zero", 11, in_process=True)
    [finding] = wrong.diagnoses
    assert finding.message == "count_positive gave a wrong answer on zeros are not above zero: 3 where 1 was expected."
    assert "input x = tensor([0, 0, 1])" in finding.evidence


def test_a_crash_a_missing_function_and_an_unreadable_answer_are_named(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DLPATH_PROJECTS", str(EXERCISE_FIXTURE.parent))
    project = load_project("ex-maths")
    folder = tmp_path / "ex-maths"
    folder.mkdir()
    (folder / "exercises.py").write_text(
        "def scale(x, factor=2.0):\n    return {'x': object()}\n\n"
        "def count_pos(x):\n    return 0\n", encoding="utf-8")
    extra = run_in_process(project, folder, test_seed=5).facts["extra"]
    assert extra["scale"]["code"] == "exercise-unreadable" and "returned a object" in extra["scale"]["error"]
    assert extra["count_positive"]["code"] == "exercise-missing" and extra["count_positive"]["right"] == 0
    (folder / "exercises.py").write_text(
        "def scale(x, factor=2.0):\n    return x * factor\n\n"
        "def count_positive(x):\n    return 1 // int(x.min() > 0)\n", encoding="utf-8")
    extra = run_in_process(project, folder, test_seed=5).facts["extra"]
    assert extra["scale"] == {"code": "", "right": 2, "cases": 2}
    crash = extra["count_positive"]
    assert crash["code"] == "exercise-crashed" and crash["line"] == 5 and "ZeroDivisionError" in crash["error"]


def test_the_grading_file_is_read_without_running_it(tmp_path: Path) -> None:
    (tmp_path / "grading.py").write_text(
        "raise SystemExit('never run')\n"
        "from dlpath.grading.exercises import Exercise, mistake\n"
        "@mistake('two-codes')\ndef m(case, got, want): pass\n"
        "EXERCISES = [Exercise('f', None, reference=abs)]\n", encoding="utf-8")
    assert declared(tmp_path) == ({"f": 5}, {"two-codes": 3})
    assert declared(tmp_path / "nowhere") is None


def test_a_mistake_without_its_code_is_refused(tmp_path: Path) -> None:
    (tmp_path / "grading.py").write_text(
        "from dlpath.grading.exercises import Exercise\n"
        "def guess(case, got, want): return 'x'\n"
        "EXERCISES = [Exercise('f', lambda rng: [], reference=abs, mistakes=[guess])]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not marked with @mistake"):
        load_grading(tmp_path)


def test_values_cross_the_wire_and_come_back_the_same() -> None:
    import numpy as np

    value = (torch.arange(3), [1.5, None, "a", True], {"k": torch.ones(2, 2)}, Function("wiggle", {"a": torch.ones(3)}))
    tensors: dict = {}
    functions: dict = {}
    wire = json.loads(json.dumps(encode(value, tensors, functions)))
    assert wire["$tuple"][3] == {"$function": "f0"} and functions["f0"] is value[3]  # the parameters stay here
    assert len(tensors) == 2  # the function's parameter `a` is not among what travels
    back = decode(wire, tensors, functions=lambda key: ("the learner's callable for", key))
    assert torch.equal(back[0], value[0]) and back[1] == value[1] and torch.equal(back[2]["k"], value[2]["k"])
    assert back[3] == ("the learner's callable for", "f0") and isinstance(back, tuple)
    with pytest.raises(ValueError, match="a function where a value was expected"):
        decode(wire, tensors)  # the judge reading an answer: a function never comes back
    with pytest.raises(TypeError):
        encode(value, {})  # without a table for them, functions cannot travel (an answer holding one)
    x = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    assert value[3].value(x) == pytest.approx(float((torch.sin(x) * x * x).sum()), rel=1e-12)
    assert decode(encode(np.float64(2.5), {}), {}) == 2.5
    with pytest.raises(TypeError):
        encode(object(), {})


def test_a_dataframe_crosses_and_pandas_and_matplotlib_answers_come_back_plain() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from dlpath.grading.exercises import plain

    df = pd.DataFrame({"area": [50.0, np.nan, 70.0], "rooms": [2, 3, 1], "city": ["Lyon", None, "Lille"]})
    tensors: dict = {}
    back = decode(json.loads(json.dumps(encode([df], tensors))), tensors)[0]
    assert back.equals(df) and list(back["rooms"]) == [2, 3, 1] and back["city"].isna().tolist() == [False, True, False]
    assert show(df) == "DataFrame({'area': [50.0, nan, 70.0], 'rooms': [2, 3, 1], 'city': ['Lyon', nan, 'Lille']})"
    assert plain(df.groupby("city")["area"].agg(["size", "count"])) == {"size": {"Lille": 1, "Lyon": 1},
                                                                         "count": {"Lille": 1, "Lyon": 1}}
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3.0, 1.0], label="train")
    ax.plot([2.0], [1.0])
    ax.hist([1.0, 2.0, 2.0], bins=2)
    ax.set_xlabel("epoch")
    ax.legend()
    figure = plain((ax,))[0]
    assert not plt.get_fignums()  # read, then closed
    assert figure["xlabel"] == "epoch" and figure["legend"] == ["train"] and figure["yscale"] == "linear"
    assert [line["label"] for line in figure["lines"]] == ["train", None]
    assert torch.equal(figure["lines"][0]["x"], torch.tensor([1.0, 2.0], dtype=torch.float64))
    assert torch.allclose(figure["bars"], torch.tensor([[1.0, 0.5, 1.0], [1.5, 0.5, 2.0]], dtype=torch.float64))
    assert show(figure) == ("a figure: x label 'epoch', legend ['train'], 'train' at x = tensor([1, 2]), an unlabelled "
                            "line at x = tensor([2]), 2 bars")


def test_differs_is_lenient_about_containers_and_strict_about_values() -> None:
    assert differs([1.0, 2.0], torch.tensor([1.0, 2.0])) is None
    assert differs(torch.tensor(3), 3.0) is None
    assert differs(torch.ones(2, 1), torch.ones(2)) == "shape (2, 1) where (2,) was expected"
    assert differs(torch.tensor([float("nan"), 1.0]), torch.tensor([0.5, 1.0])) == (
        "nan at [0] where 0.5 was expected (1 of 2 values are wrong)")
    assert differs(torch.tensor([float("-inf")]), torch.tensor([float("-inf")])) is None
    assert differs((1, 2), (1, 3)) == "value 2 of 2: 2 where 3 was expected"
    assert differs(2, (1, 2)) == "a int where a tuple of 2 values was expected"
    assert show(torch.tensor([[1000.0, 4.5e-5]])) == "tensor([[1000, 4.5e-05]])"
    assert show(torch.zeros(20, 3)) == "a (20, 3) float32 tensor, values from 0 to 0"
    assert Case("c", torch.ones(2), h=0.5).shown(["x"]) == "x = tensor([1, 1]), h = 0.5"


# ------------------------------------------------------------------ project.yaml


def _broken_copy(tmp_path: Path, edit) -> Path:
    folder = tmp_path / "ex-maths"
    shutil.copytree(EXERCISE_FIXTURE, folder)
    path = folder / "project.yaml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def test_the_fixture_folder_is_valid() -> None:
    assert validate_project(EXERCISE_FIXTURE) == []
    project = load_project(EXERCISE_FIXTURE)
    assert [(t.metric, t.min, t.weight) for t in project.thresholds] == [("scale", 1.0, 1.0),
                                                                          ("count_positive", 1.0, 2.0)]
    assert project.dataset is None and project.exercises[0].params == ("x", "factor")


@pytest.mark.parametrize("edit, expected", [
    (lambda t: t.replace("function: scale(x, factor=2.0)", "function: scale x"),
     "project.yaml:8: exercise 1: 'function' must be a Python signature such as softmax(x) or "
     "numerical_gradient(f, x, h=1e-5), not 'scale x'"),
    (lambda t: t.replace("count_positive(x)", "count_negative(x)"),
     "project.yaml:2: grading.py defines no Exercise(\"count_negative\", ...) for the exercise count_negative(x)"),
    (lambda t: t.replace("adds: [scale-adds]", "adds: [scale-ads]"),
     "project.yaml:20: expect: wrong: adds: unknown diagnosis code 'scale-ads' (did you mean 'scale-adds'?)"),
    (lambda t: t.replace("    counts-zero: [exercise-wrong]\n", ""),
     "project.yaml:18: expect: wrong: the wrong answer wrong/counts-zero.py has no expected codes (say which "
     "diagnosis it must get)"),
    (lambda t: t.replace("memory_mb: 1024", "memory_mb: 1024\nthresholds: []"),
     "project.yaml:15: project.yaml has an unknown key 'thresholds'"),
    (lambda t: t.replace("    adds: [scale-adds]", "    adds: [scale-adds]\n    gone: [exercise-wrong]"),
     "project.yaml:21: expect: wrong: there is no wrong/gone.py"),
])
def test_every_problem_of_an_exercise_folder_has_its_line(tmp_path: Path, edit, expected: str) -> None:
    folder = _broken_copy(tmp_path, edit)
    problems = [str(p).replace(str(folder) + "/", "") for p in validate_project(folder)]
    assert expected in problems, problems


# ------------------------------------------------------------------ on the road


@pytest.fixture
def exercise_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture course, with ex-maths and a copy of it (ex-maths-2) for its lesson `maths`."""
    course = tmp_path / "course"
    shutil.copytree(FIXTURES / "course", course)
    shutil.copytree(EXERCISE_FIXTURE, course / "projects" / "ex-maths")
    second = course / "projects" / "ex-maths-2"
    shutil.copytree(EXERCISE_FIXTURE, second)
    (second / "project.yaml").write_text((second / "project.yaml").read_text().replace("id: ex-maths",
                                                                                       "id: ex-maths-2"))
    monkeypatch.setenv("DLPATH_CURRICULUM", str(course / "curriculum"))
    return course / "curriculum"


def test_a_lesson_lists_its_exercises_and_next_says_so(runner, exercise_course: Path) -> None:
    from dlpath.cli import app

    shown = json.loads(runner.invoke(app, ["show", "maths", "--json"]).output)
    assert shown["hands_on"] == [{"kind": "exercise", "id": "ex-maths", "start": "dlpath start ex-maths"},
                                 {"kind": "exercise", "id": "ex-maths-2", "start": "dlpath start ex-maths-2"}]
    perceptron = json.loads(runner.invoke(app, ["show", "perceptron", "--json"]).output)
    assert perceptron["hands_on"] == [{"kind": "project", "id": "tiny-project", "start": "dlpath start tiny-project"}]
    text = " ".join(runner.invoke(app, ["next"]).output.split())
    assert "Exercises: dlpath start ex-maths then `dlpath check` in its folder" in text
    assert "dlpath done maths" not in text
    assert runner.invoke(app, ["validate"]).exit_code == 0


def test_the_lesson_is_done_when_all_its_exercise_folders_pass(exercise_course: Path) -> None:
    from dlpath.learner.attempts import record
    from dlpath.learner.store import open_store

    def checked(project, variant):  # as `dlpath check` grades: a fixed seed would be a weakening option
        return dataclasses.replace(grade_variant(project, variant, 11, in_process=True), weakened_by=())

    first, second = load_project("ex-maths"), load_project("ex-maths-2")
    failed = record(checked(first, "starter"), first)
    assert failed.recorded and not failed.lesson_completed
    one = record(checked(first, "solution"), first)
    assert one.recorded and not one.lesson_completed  # ex-maths-2 has not passed yet
    assert one.work_left == ["ex-maths-2"] and not one.lesson_already_completed
    both = record(checked(second, "solution"), second)
    assert both.lesson_completed
    with open_store() as store:
        assert store.completions()["maths"].how == "passed"


def test_start_and_check_work_on_an_exercise_folder(runner, tmp_path: Path, monkeypatch) -> None:
    from dlpath.cli import app

    monkeypatch.setenv("DLPATH_PROJECTS", str(EXERCISE_FIXTURE.parent))
    folder = tmp_path / "mine"
    started = runner.invoke(app, ["start", "ex-maths", str(folder)])
    assert started.exit_code == 0, started.output
    assert (folder / "exercises.py").is_file() and "Open exercises.py" in " ".join(started.output.split())
    (folder / "exercises.py").unlink()
    result = runner.invoke(app, ["check", str(folder), "--json"])
    assert result.exit_code == 2
    assert "exercises.py does not exist: the grader runs your exercises.py." in " ".join(result.output.split())


def test_run_on_an_exercise_folder_loads_it_and_trains_nothing(runner, tmp_path: Path, monkeypatch) -> None:
    """`dlpath run` in an exercise folder says what it did (loaded exercises.py), never "trained"; a file that
    cannot be imported still stops it with the learner's line."""
    from dlpath.cli import app

    monkeypatch.setenv("DLPATH_PROJECTS", str(EXERCISE_FIXTURE.parent))
    folder = tmp_path / "mine"
    assert runner.invoke(app, ["start", "ex-maths", str(folder)]).exit_code == 0
    ran = runner.invoke(app, ["run", str(folder)])
    text = " ".join(ran.output.split())
    assert ran.exit_code == 0, ran.output
    assert "LOADED" in text and "nothing is trained in an exercise folder" in text
    assert "TRAINED" not in text and "Trained on" not in text
    assert json.loads(runner.invoke(app, ["run", str(folder), "--json"]).output)["hands_on"] == "exercise"
    (folder / "exercises.py").write_text("def broken(:\n")
    broken = runner.invoke(app, ["run", str(folder)])
    assert broken.exit_code == 1 and "STOPPED" in broken.output and "LOADED" not in broken.output


def test_progress_counts_projects_and_exercise_folders_passed(runner, exercise_course: Path) -> None:
    from dlpath.cli import app
    from dlpath.learner.store import open_store

    with open_store() as store:
        store.record_attempt(project="ex-maths", lesson="maths", passed=True, verdict="every threshold met",
                             metrics={}, duration_s=1.0, device="cpu", seed=1, report={})
        store.record_attempt(project="ex-maths-2", lesson="maths", passed=False, verdict="not yet",
                             metrics={}, duration_s=1.0, device="cpu", seed=1, report={})
    data = json.loads(runner.invoke(app, ["progress", "--json"]).output)
    counts = {c["kind"]: (c["passed"], c["total"]) for c in data["hands_on"]}
    assert counts == {"project": (0, 1), "exercise": (1, 2)}
    text = " ".join(runner.invoke(app, ["progress"]).output.split())
    assert "Graded work passed: 0 of 1 projects, 1 of 2 exercise folders" in text


def test_dev_check_in_process_proves_the_fixture_folder(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    from dlpath.cli import app

    monkeypatch.setenv("DLPATH_PROJECTS", str(EXERCISE_FIXTURE.parent))
    result = runner.invoke(app, ["dev", "check", "ex-maths", "--in-process", "--seeds", "2", "--json"])
    assert result.exit_code == 0, result.output
    [folder] = json.loads(result.output)["projects"]
    rows = {row["variant"]: row for row in folder["rows"]}
    assert list(rows) == ["solution", "starter", "wrong/adds", "wrong/in-place", "wrong/counts-zero"]
    assert rows["solution"]["outcome"] == "passed 2/2" and rows["wrong/adds"]["diagnoses"] == ["scale-adds"]
    assert rows["wrong/counts-zero"]["measured"] == "cases right: scale 1, count_positive 0.5"
    text = " ".join(runner.invoke(app, ["dev", "check", "ex-maths", "--in-process", "--seeds", "1"]).output.split())
    assert "wrong/adds failed as expected" in text and "diagnoses: scale-adds" in text


def test_the_verdict_of_an_exercise_speaks_of_hidden_cases() -> None:
    from dlpath.grading.report import verdict
    from dlpath.grading.tasks import TASKS
    from dlpath.grading.thresholds import ThresholdResult

    missed = ThresholdResult(metric="softmax", target=">= 1", value=5 / 7, passed=False, min=1.0, max=None,
                             weight=1.0, points=0.0)
    assert verdict(False, [missed], None, TASKS["exercise"]) == (
        "softmax is right on 71% of the hidden cases (it must be right on all)")
    assert "misses its target" in verdict(False, [missed], None, TASKS["classification"])


def test_a_folder_whose_packages_are_missing_says_what_to_install(runner, tmp_path: Path, monkeypatch) -> None:
    """ex-python-for-dl's code needs pandas and matplotlib (`requires: packages:`): without them start, run and
    check stop with the command that installs them, never a grade full of ModuleNotFoundError."""
    import importlib.util

    from dlpath.cli import app

    folder = tmp_path / "py"
    assert runner.invoke(app, ["start", "ex-python-for-dl", str(folder)]).exit_code == 0
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    for command in (["check", str(folder)], ["run", str(folder)], ["start", "ex-python-for-dl", str(tmp_path / "b")]):
        result = runner.invoke(app, command)
        text = " ".join(result.output.split())
        assert result.exit_code == 2, result.output
        assert "needs matplotlib, which is not installed here" in text and "pip install matplotlib" in text
    assert load_project("ex-python-for-dl").requires.packages == ("pandas", "matplotlib")


def test_requires_packages_names_importable_packages(tmp_path: Path) -> None:
    from dlpath.grading.project import validate_path

    folder = tmp_path / "ex-odd"
    shutil.copytree(EXERCISE_FIXTURE, folder)
    text = (folder / "project.yaml").read_text().replace("id: ex-maths", "id: ex-odd")
    (folder / "project.yaml").write_text(text + "requires:\n  packages: [scikit-learn]\n")
    problems = " ".join(str(p) for p in validate_path(folder).problems)
    assert "'packages' names Python packages as they are imported" in problems and "'scikit-learn'" in problems


AUTOGRAD_ROUTES = {
    "backward": "    x = x.detach().clone().requires_grad_(True)\n    f(x).backward()\n    return x.grad\n",
    "torch.func": "    return torch.func.grad(f)(x)\n",
    "jacobian": "    return torch.autograd.functional.jacobian(f, x)\n",
    "forward mode": ("    import torch.autograd.forward_ad as fw\n    out = torch.zeros_like(x)\n"
                     "    for i in range(len(x)):\n        with fw.dual_level():\n"
                     "            t = torch.zeros_like(x)\n            t[i] = 1.0\n"
                     "            out[i] = fw.unpack_dual(f(fw.make_dual(x, t))).tangent\n    return out\n"),
}


@pytest.mark.parametrize("route", sorted(AUTOGRAD_ROUTES))
def test_a_numerical_gradient_taken_from_autograd_is_never_right(route: str, tmp_path: Path) -> None:
    """The function the learner's numerical_gradient gets is measured from the outside (its values come from the
    judge): the lesson's rule "no autograd here" holds because there is nothing to differentiate, not only
    because the source is read (a red-team answer returned autograd's gradient, the judge's own reference, and
    passed). The project's `forbid:` is taken off here, so that neither its reading of the source nor its
    record of what ran refuses the answer first."""
    project = load_project("ex-calculus")
    project = dataclasses.replace(project, exercises=tuple(dataclasses.replace(e, forbid=(), instead="")
                                                           for e in project.exercises))
    folder = tmp_path / "ex-calculus"
    copy_variant(project, "solution", folder)
    source = (folder / "exercises.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "numerical_gradient")
    lines = source.splitlines(keepends=True)
    head = "".join(lines[:node.lineno])  # through the def line
    rest = "".join(lines[node.end_lineno:])
    (folder / "exercises.py").write_text("import torch\n" + head + AUTOGRAD_ROUTES[route] + rest, encoding="utf-8")
    extra = run_in_process(project, folder, test_seed=GRADE_SEEDS[0]).facts["extra"]
    assert extra["numerical_gradient"]["right"] == 0, extra["numerical_gradient"]
    assert extra["relative_error"]["right"] == extra["relative_error"]["cases"]  # the rest of the file is the solution's
