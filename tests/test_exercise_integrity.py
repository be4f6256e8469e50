"""Exercises done with what they forbid, and ex-calculus's function read from the inside (red team round 3).

Each attack of `tests/fixtures/exercise_attacks/` passed every case before (in-process, seed 11: 1.0 on every
function it attacks). Now:

- a starter that says "do not call torch.softmax" declares it in project.yaml (`forbid:`); the judge reads the
  learner's files as the parent read them before they ran and refuses every spelling of the name
  (`forbidden-call`, the line, what to write instead), and the learner's process notes the forbidden names
  torch dispatched while the function ran (a name built at run time);
- the function ex-calculus hands to `numerical_gradient` is evaluated in the judge: the learner's side sends x
  and gets a number, so there is no parameter to read in its process, and the judge answers at most the
  evaluations a finite-difference scheme needs (`exercise-too-many-evaluations`).
"""

from __future__ import annotations

import ast
import shutil
import types
from pathlib import Path

import pytest
import torch  # noqa: F401 - imported once, at collection, as test_exercises.py does

from dlpath.grading.inprocess import run_in_process
from dlpath.grading.project import load_project
from dlpath.grading.tasks._forbidden import find_uses
from tests.conftest import FIXTURES

ATTACKS = FIXTURES / "exercise_attacks"
SEED = 11


class _Graded:
    """An in-process grade (the task's own answer and judge code) and the diagnoses its rule makes."""

    def __init__(self, project, outcome) -> None:
        from dlpath.grading.tasks.exercise import ExerciseTask

        self.metrics = outcome.metrics
        self.extra = outcome.facts["extra"]
        run = types.SimpleNamespace(project=project, facts=types.SimpleNamespace(extra=self.extra))
        self.diagnoses = [d for rule in ExerciseTask.rules for d in rule(run)]


def _graded(project_id: str, attack: str, tmp_path: Path) -> _Graded:
    project = load_project(project_id)
    folder = tmp_path / project_id
    folder.mkdir()
    shutil.copy(ATTACKS / f"{attack}.py", folder / "exercises.py")
    return _Graded(project, run_in_process(project, folder, test_seed=SEED))


def _line_of(attack: str, text: str) -> int:
    lines = (ATTACKS / f"{attack}.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line and not line.lstrip().startswith(("#", '"')))


# ------------------------------------------------------------------ forbidden built-ins

BUILTINS = {  # attack -> (project, {exercise: (the declared name, what the line says)}, exercises left alone)
    "builtin_activation_functions": ("ex-activation-functions", {
        "softmax": ("torch.softmax", "torch.softmax("), "log_sum_exp": ("torch.logsumexp", "torch.logsumexp(")}, ()),
    "builtin_loss_functions": ("ex-loss-functions", {"cross_entropy": ("torch.nn.functional.cross_entropy",
                                                                       "F.cross_entropy(")}, ("kl_divergence",)),
    "builtin_attention_transformers": ("ex-attention-transformers", {
        "attention": ("torch.nn.functional.scaled_dot_product_attention", "F.scaled_dot_product_attention(")},
        ("causal_mask",)),
    "builtin_linear_algebra": ("ex-linear-algebra", {"linear_layer": ("torch.nn.functional.linear", "F.linear(X"),
                                                     "collapse": ("torch.nn.functional.linear", "F.linear(m")}, ()),
}


@pytest.mark.parametrize("attack", sorted(BUILTINS))
def test_the_built_in_a_starter_forbids_scores_zero_with_its_line_and_what_to_write(attack: str,
                                                                                     tmp_path: Path) -> None:
    project_id, refused, untouched = BUILTINS[attack]
    report = _graded(project_id, attack, tmp_path)
    values = report.metrics
    for name, (declared, text) in refused.items():
        assert values[name] == 0.0, (name, values)
    for name in untouched:  # allowed there: the attack's other functions are right
        assert values[name] == 1.0, (name, values)
    (diagnosis,) = [d for d in report.diagnoses if d.code == "forbidden-call"]
    instead = {e.name: e.instead for e in load_project(project_id).exercises}
    for name, (declared, text) in refused.items():
        assert f"must not use {declared}" in diagnosis.message
        assert f"exercises.py, line {_line_of(attack, text)} uses it" in diagnosis.message
        assert instead[name] and instead[name] in diagnosis.message


def test_a_name_built_at_run_time_is_caught_while_the_function_runs(tmp_path: Path) -> None:
    """getattr(torch, "soft" + "max"): no reading of the source resolves it; the learner process's record of what
    torch dispatched does (that record can be switched off there: it only ever adds a refusal)."""
    extra = _graded("ex-activation-functions", "builtin_softmax_built_at_run_time", tmp_path).extra
    for name, declared in (("softmax", "torch.softmax"), ("log_sum_exp", "torch.logsumexp")):
        assert extra[name]["code"] == "forbidden-call" and extra[name]["how"] == "ran", extra[name]
        assert extra[name]["forbidden"] == declared and extra[name]["right"] == 0


SPELLINGS = {
    "an alias of the module": "import torch.nn.functional as F\ny = F.softmax(x, -1)\n",
    "a renamed import": "from torch import softmax as s\ny = s(x, -1)\n",
    "a star import": "from torch.nn.functional import *\n",
    "a method": "y = x.softmax(-1)\n",
    "torch.special": "y = torch.special.logsumexp(x, -1)\n",
    "a private twin": "y = torch._softmax(x, -1, False)\n",
    "getattr with a text": "y = getattr(x, 'softmax')(-1)\n",
    "a module named in a text": "import importlib\nm = importlib.import_module('torch.nn.functional.softmax')\n",
    "a layer": "y = torch.nn.Softmax(dim=-1)(x)\n",
    "kept for later": "slope = torch.logsumexp\n",
}


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_every_spelling_of_a_forbidden_name_is_found(spelling: str) -> None:
    forbid = load_project("ex-activation-functions").exercises[0].forbid
    source = "import torch\n\n\ndef helper(x):\n" + "".join(f"    {line}\n" for line in
                                                                  SPELLINGS[spelling].splitlines())
    uses = find_uses({"exercises.py": ast.parse(source)}, {}, forbid, "exercises.py", "softmax",
                     ["softmax", "log_sum_exp"])
    assert uses and all(u.line >= 5 and u.function == "helper" for u in uses), uses


def test_names_the_learner_defines_and_other_exercises_code_are_not_forbidden_uses() -> None:
    source = ("import torch\n\n\ndef softmax(x):\n    return torch.exp(x) / torch.exp(x).sum(-1, keepdim=True)\n\n\n"
              "def log_sum_exp(x):\n    return torch.log(softmax(x))\n\n\n"
              "def kl_divergence(p, q):\n    return torch.nn.functional.kl_div(q.log(), p)\n")
    trees = {"exercises.py": ast.parse(source)}
    names = ["softmax", "log_sum_exp", "kl_divergence"]
    assert find_uses(trees, {}, ["torch.softmax", "torch.logsumexp"], "exercises.py", "log_sum_exp", names) == []
    # F.kl_div inside kl_divergence does not count against another exercise that forbids it
    assert find_uses(trees, {}, ["torch.nn.functional.kl_div"], "exercises.py", "softmax", names) == []
    (use,) = find_uses(trees, {}, ["torch.nn.functional.kl_div"], "exercises.py", "kl_divergence", names)
    assert use.line == 13 and use.written == "torch.nn.functional.kl_div"
    # a file the grader could not read or parse is one it cannot vouch for
    (unread,) = find_uses({}, {"notes.py": "it does not parse: SyntaxError"}, ["torch.softmax"], "exercises.py",
                          "softmax", names)
    assert unread.file == "notes.py" and unread.line == 0


def test_every_shipped_forbid_has_its_rule_in_the_starter_and_what_to_write_instead() -> None:
    """The declarations follow the starters' docstrings: each exercise that forbids something says so in its
    starter, and no shipped solution or starter uses what it forbids (the solutions' passing grades prove it for
    the run-time check)."""
    from dlpath.grading.sources import read_sources
    from dlpath.grading.tasks._forbidden import parse_sources
    from dlpath.paths import projects_dir

    declared = 0
    for yaml_path in sorted(projects_dir().glob("ex-*/project.yaml")):
        project = load_project(yaml_path.parent.name)
        names = [e.name for e in project.exercises]
        for variant in ("solution", "starter"):
            trees, unread = parse_sources(read_sources(yaml_path.parent / variant))
            for exercise in project.exercises:
                assert find_uses(trees, unread, exercise.forbid, "exercises.py", exercise.name, names) == [], (
                    project.id, variant, exercise.name)
        starter = (yaml_path.parent / "starter" / "exercises.py").read_text(encoding="utf-8")
        for exercise in project.exercises:
            if exercise.forbid:
                declared += 1
                assert exercise.instead and ("Do not" in starter or "do not" in starter or "without" in starter)
    assert declared >= 10


# ------------------------------------------------------------------ ex-calculus: the function lives in the judge


def test_nothing_of_the_function_can_be_read_in_the_learners_process(tmp_path: Path) -> None:
    """Every array reachable from f's closure and attributes was f's parameters: the exact gradient, written out
    in NumPy without autograd, passed. Now f holds a key and a way to ask the judge: the attack finds nothing."""
    extra = _graded("ex-calculus", "calculus_closure_formula", tmp_path).extra
    assert extra["numerical_gradient"]["right"] == 0 and extra["numerical_gradient"]["code"] == "exercise-wrong"
    assert extra["relative_error"]["right"] == extra["relative_error"]["cases"]


def test_the_red_teams_closure_attack_is_refused_for_its_autograd(tmp_path: Path) -> None:
    extra = _graded("ex-calculus", "calculus_closure_autograd", tmp_path).extra["numerical_gradient"]
    assert extra["code"] == "forbidden-call" and extra["forbidden"] == "torch.autograd" and extra["right"] == 0


def test_probing_f_beyond_what_a_finite_difference_needs_is_refused(tmp_path: Path) -> None:
    report = _graded("ex-calculus", "calculus_probing", tmp_path)
    assert report.metrics == {"numerical_gradient": 0.0, "relative_error": 1.0}
    (diagnosis,) = [d for d in report.diagnoses if d.code == "exercise-too-many-evaluations"]
    # the first case: x has 3 numbers, the grader answers 4 * 3 + 4 = 16 values, the 17th is refused
    assert "evaluated f 17 times" in diagnosis.message and "at most 16" in diagnosis.message


@pytest.mark.slow
def test_through_the_real_engine_the_function_is_evaluated_in_the_judge_and_builtins_are_refused(
        tmp_path: Path) -> None:
    """The learner process, the parent and the judge: f's values cross the channel (the solution passes), and
    a forbidden name is refused from the sources the parent read before the learner's code ran."""
    from dlpath.grading.grade import grade
    from dlpath.grading.workspace import MARKER

    project = load_project("ex-calculus")
    folder = tmp_path / "ex-calculus"
    folder.mkdir()
    shutil.copy(project.path / "solution" / "exercises.py", folder / "exercises.py")
    (folder / MARKER).write_text("project: ex-calculus\n", encoding="utf-8")
    honest = grade(project, folder, device="cpu", seed=SEED)
    assert honest.passed, [d.message for d in honest.diagnoses]
    shutil.copy(ATTACKS / "calculus_probing.py", folder / "exercises.py")
    probing = grade(project, folder, device="cpu", seed=SEED)
    assert {t.metric: t.value for t in probing.thresholds}["numerical_gradient"] == 0.0
    assert "exercise-too-many-evaluations" in {d.code for d in probing.diagnoses}

    project = load_project("ex-linear-algebra")
    folder = tmp_path / "ex-linear-algebra"
    folder.mkdir()
    shutil.copy(ATTACKS / "builtin_linear_algebra.py", folder / "exercises.py")
    (folder / MARKER).write_text("project: ex-linear-algebra\n", encoding="utf-8")
    attacked = grade(project, folder, device="cpu", seed=SEED)
    assert not attacked.passed and {d.code for d in attacked.diagnoses} == {"forbidden-call"}


def test_a_function_the_learner_wrote_in_a_module_of_its_own_is_not_torchs() -> None:
    trees = {"exercises.py": ast.parse("from helpers import softmax\nfrom .tools import logsumexp\n\n\n"
                                       "def log_sum_exp(x):\n    return softmax(x) + logsumexp(x)\n"),
             "helpers.py": ast.parse("import torch\n\n\ndef softmax(x):\n    return torch.exp(x)\n")}
    assert find_uses(trees, {}, ["torch.softmax", "torch.logsumexp"], "exercises.py", "log_sum_exp",
                     ["softmax", "log_sum_exp"]) == []
    trees["helpers.py"] = ast.parse("import torch\n\n\ndef softmax(x):\n    return torch.softmax(x, -1)\n")
    (use,) = find_uses(trees, {}, ["torch.softmax"], "exercises.py", "log_sum_exp", ["softmax", "log_sum_exp"])
    assert (use.file, use.line, use.written) == ("helpers.py", 5, "torch.softmax")  # the helper's own body counts
    trees["torch.py"] = ast.parse("")  # a file named like torch does not make torch the learner's own
    trees["exercises.py"] = ast.parse("from torch import softmax\n")
    assert any(u.file == "exercises.py" for u in find_uses(trees, {}, ["torch.softmax"], "exercises.py",
                                                            "softmax", ["softmax"]))


@pytest.mark.parametrize("lines, expected", [
    ("    forbid: [torch.mul]\n", "project.yaml:8: exercise 1: 'forbid' needs 'instead': what the learner writes in "
                                 "its place"),
    ("    forbid: [torch.mul, 'x * 2']\n    instead: Multiply with *.\n",
     "project.yaml:10: exercise 1: 'forbid' lists Python names such as torch.softmax or torch.nn.functional.linear, "
     "not 'x * 2'"),
    ("    instead: Multiply with *.\n", "project.yaml:10: exercise 1: 'instead' without 'forbid' says nothing"),
])
def test_a_broken_forbid_is_reported_with_its_line(tmp_path: Path, lines: str, expected: str) -> None:
    from dlpath.grading.project import validate_project

    folder = tmp_path / "ex-maths"
    shutil.copytree(FIXTURES / "exercises" / "ex-maths", folder)
    text = (folder / "project.yaml").read_text(encoding="utf-8")
    anchor = "    title: Multiply a tensor by a number\n"
    (folder / "project.yaml").write_text(text.replace(anchor, anchor + lines), encoding="utf-8")
    problems = [str(p).replace(str(folder) + "/", "") for p in validate_project(folder)]
    assert expected in problems, problems


def test_a_valid_forbid_is_read() -> None:
    exercise = load_project("ex-linear-algebra").exercises[0]
    assert exercise.forbid == ("torch.nn.functional.linear", "torch.nn.Linear") and exercise.instead.startswith("Use @")
