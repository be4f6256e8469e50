"""Attacks on what the judge measures (issue 21, classes 2, 4 and 5), each on a shipped project.

Every attack in tests/fixtures/measure_attacks/ is a train.py written as a clever student or a hostile class
submission would: it asserts inside itself that it performed its trick, and it passed its project before the
judge measured these things itself. Each test runs it through the task on the project's own specification (in
one process, as tests/taskrun.py does; smaller data sets where the project's own would only make the test
slower) and checks that a metric the judge measured itself refuses it, for the reason the design gives:

- class 2, a measurement read from what the learner controls: the judge now counts every number of the graph
  it replays, counts only weight layers that change the outputs, counts all arithmetic by precision, and
  reads the sources before the learner's code runs;
- class 4, a degenerate answer: a proper scoring rule beside the calibration error, what a model does with the
  tag measured by the judge on its outputs (whatever the learner's saliency maps say), generated samples that
  must cover the data, not sit on its centres;
- class 5, a task solvable without learning: the skill must live in learned weights (the judge randomizes them
  on its own replay and the skill must go), `train` no longer receives what locates the answer, a grade's
  reviews speak their own invented language, which no word list shipped in the package knows, and the step that
  carries long-memory's class is no longer the same in every sequence.
"""

from __future__ import annotations

import dataclasses
import shutil
import tokenize
from pathlib import Path
from typing import Any

import pytest

from dlpath.grading.project import load_project
from dlpath.grading.thresholds import compare
from tests.conftest import FIXTURES
from tests.taskrun import mentor, run_task

ATTACKS = FIXTURES / "measure_attacks"


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """The attacks train small models: fastest on one thread."""


def spec(project_id: str, **dataset: Any) -> dict[str, Any]:
    """A shipped project's specification for `run_task`, its data set's sizes changed by `dataset`."""
    project = load_project(project_id)
    return dict(id=project.id, task=project.task, lesson=project.lesson, calibration=None, path=project.path,
                thresholds=project.thresholds, dataset=dataclasses.replace(project.dataset, **dataset))


def attack(name: str, project: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """Run the attack `name` on `project`; the run, with `passed` (every threshold held) and `results`."""
    got = run_task((ATTACKS / f"{name}.py").read_text(), project, **kw)
    assert got["failure"] is None, got["failure"]  # the attack ran to the end: it did its trick
    got["results"] = {r.metric: r for r in compare(project["thresholds"], got["metrics"])}
    got["passed"] = all(r.passed for r in got["results"].values())
    return got


def attack_in_folder(name: str, project: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Run the attack folder `name` (a train.py and its own files) from a copy in `tmp_path`, importable as the
    learner process imports it (its folder first on sys.path, train.py decoded as Python decodes it)."""
    folder = tmp_path / name
    shutil.copytree(ATTACKS / name, folder)
    monkeypatch.syspath_prepend(str(folder))
    with tokenize.open(folder / "train.py") as file:  # honours the file's encoding declaration, as import does
        source = file.read()
    got = run_task(source, project, folder=folder)
    assert got["failure"] is None, got["failure"]
    got["results"] = {r.metric: r for r in compare(project["thresholds"], got["metrics"])}
    got["passed"] = all(r.passed for r in got["results"].values())
    return got


def refused_by(got: dict[str, Any], metric: str) -> bool:
    """The grade fails, and `metric` (measured by the judge) is a reason."""
    return not got["passed"] and not got["results"][metric].passed


# ------------------------------------------------------------------ class 2: parameter budgets


@pytest.mark.parametrize(("name", "project", "sizes", "true_size"), [
    ("scalar_weights_mlp", "mlp-spirals", {"train": 800}, 20187),
    ("scalar_weights_cnn", "cnn-shapes", {}, 6580),
])
def test_weights_written_as_numbers_in_forward_are_counted(name: str, project: str, sizes: dict, true_size: int) -> None:
    got = attack(name, spec(project, val=200, test=1000, **sizes))
    assert got["results"]["test_accuracy"].passed, got["metrics"]  # a good model: only the budget can stop it
    assert got["metrics"]["parameters"] >= true_size, got["metrics"]
    assert refused_by(got, "parameters"), got["metrics"]


# ------------------------------------------------------------------ class 2: depth


@pytest.mark.parametrize("name", ["identity_layers", "dead_branches"])
def test_layers_that_change_nothing_do_not_count_as_depth(name: str) -> None:
    got = attack(name, spec("make-a-deep-network-train", train=800, val=200, test=1000))
    assert got["results"]["test_accuracy"].passed, got["metrics"]  # a good model: only the depth can stop it
    assert got["facts"].extra["traced_depth"] >= 20  # the layers are on the traced graph
    assert got["metrics"]["depth"] == 3, got["metrics"]  # the three trained ones change the outputs
    assert refused_by(got, "depth")


# ------------------------------------------------------------------ class 4: degenerate answers


@pytest.mark.parametrize(("project", "sizes"), [
    ("probabilities-you-can-trust", {"train": 3000, "test": 5000}),
    ("medical-screening", {"test": 3000}),
])
def test_probabilities_squashed_to_the_base_rate_are_refused_by_a_proper_score(project: str, sizes: dict) -> None:
    got = attack("squashed_probabilities", spec(project, **sizes))
    ranking = [r for m, r in got["results"].items() if m not in ("test_ece", "brier_skill")]
    assert all(r.passed for r in ranking), got["metrics"]  # the ranking is the network's own
    assert got["results"]["test_ece"].passed, got["metrics"]  # and the calibration error is tiny
    assert got["metrics"]["brier_skill"] <= 0.01, got["metrics"]  # no better than the base rate
    assert refused_by(got, "brier_skill")


def test_samples_piled_on_the_modes_centres_are_refused_by_coverage() -> None:
    got = attack("point_masses", spec("gan-modes", train=2000, test=2000))
    assert got["results"]["modes_covered"].passed and got["results"]["quality"].passed, got["metrics"]
    assert got["metrics"]["coverage"] < 0.5, got["metrics"]  # about 1 - exp(-1/2) = 0.39 of the real points
    assert refused_by(got, "coverage")


def test_saliency_maps_drawn_without_the_model_do_not_hide_a_tag_it_follows() -> None:
    """The maps put their mass on the shape and none on the tag; the judge's own tag test shows the model follows it."""
    project = spec("find-the-shortcut", train=1000, test=1000)
    found, got = mentor((ATTACKS / "fake_saliency.py").read_text(), project)
    results = {r.metric: r for r in compare(project["thresholds"], got["metrics"])}
    assert all(results[m].passed for m in ("test_accuracy", "saliency_on_object", "saliency_on_tag")), got["metrics"]
    assert got["metrics"]["tag_reliance"] > 0.3, got["metrics"]  # the tag flips the circles it is pasted on
    assert not results["tag_reliance"].passed
    assert {"shortcut-learned", "saliency-unfaithful"} <= {d.code for d in found}, [d.code for d in found]


# ------------------------------------------------------------------ class 2: precision


@pytest.mark.parametrize("name", ["precision_outside_matmul", "public_schedule"])
def test_float32_work_the_counter_did_not_see_is_refused(name: str) -> None:
    got = attack(name, spec("mixed-precision", train=800, val=200, test=1000))
    assert got["results"]["test_accuracy"].passed, got["metrics"]  # a good model: only the precision can stop it
    assert got["results"]["float32_weights"].passed, got["metrics"]
    assert refused_by(got, "reduced_precision"), got["metrics"]


def test_16_bit_work_the_outputs_do_not_use_is_not_counted() -> None:
    project = spec("mixed-precision", train=800, val=200, test=1000)
    found, got = mentor((ATTACKS / "precision_dead_work.py").read_text(), project)
    assert got["failure"] is None, got["failure"]
    results = {r.metric: r for r in compare(project["thresholds"], got["metrics"])}
    assert results["test_accuracy"].passed, got["metrics"]  # a good model: only the precision can stop it
    extra = got["facts"].extra
    assert extra["training_share"] > 0.5  # counted while it trained, the dead work looks like mixed precision
    assert extra["dead_nodes"] >= 2 and extra["dead_work"] > 0
    assert not results["reduced_precision"].passed, got["metrics"]
    assert [d.code for d in found][:1] == ["full-precision"]
    assert "thrown away" in found[0].message


# ------------------------------------------------------------------ class 2: "no autograd"


@pytest.mark.parametrize(("name", "project"), [
    ("autograd_self_rewriting", "gradient-descent-by-hand"),
    ("autograd_subfolder", "gradient-descent-by-hand"),
    ("autograd_forward_mode", "gradient-descent-by-hand"),
    ("autograd_engine_entry", "backprop-by-hand"),
    ("autograd_encoding_cookie", "backprop-by-hand"),
])
def test_autograd_hidden_from_the_counts_is_counted(name: str, project: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    got = attack_in_folder(name, spec(project), tmp_path, monkeypatch)
    assert got["metrics"]["gradient_error"] <= 1e-6, got["metrics"]  # right gradients: autograd's own
    assert all(r.passed for m, r in got["results"].items() if m != "autograd_uses"), got["metrics"]
    assert refused_by(got, "autograd_uses"), got["metrics"]


def test_the_sources_read_are_those_before_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The self-rewriting attack again, its runtime count aside: what the judge read is the file as it was."""
    from dlpath.grading.tasks.regression_by_hand import count_autograd_in_source, learner_trees
    from dlpath.grading.tasks import JudgeContext

    got = attack_in_folder("autograd_self_rewriting", spec("gradient-descent-by-hand"), tmp_path, monkeypatch)
    assert got["facts"].extra["autograd_in_source"] >= 1
    now = JudgeContext(project=None, public=None, test=None, ask=None, folder=tmp_path / "autograd_self_rewriting")
    assert count_autograd_in_source(learner_trees(now)[0]) == 0  # what a reader after training would find


# ------------------------------------------------------------------ class 5: tasks solvable without learning


@pytest.mark.parametrize(("name", "project", "primary"), [
    ("code_reads_the_signal", "long-memory", "test_accuracy"),
    ("algorithm_in_forward", "tiny-transformer", "exact_match"),
])
def test_an_answer_written_in_forward_is_refused_by_the_learned_weights_ablation(name: str, project: str,
                                                                                  primary: str) -> None:
    got = attack(name, spec(project, train=500, test=1000))
    assert got["metrics"][primary] == 1.0  # every answer right
    extra = got["facts"].extra
    assert extra["skill_problem"] is None and extra["skill_score"] == extra["skill_ablated"] == 1.0
    assert got["metrics"]["learned_skill"] == 0.0  # random weights, the same answers: nothing was learned
    assert refused_by(got, "learned_skill")
    found, _ = mentor((ATTACKS / f"{name}.py").read_text(), spec(project, train=500, test=1000))
    told = next(d for d in found if d.code == "skill-not-learned")
    assert "random numbers" in told.message and "score with random weights 1" in told.evidence[1]


def test_a_word_list_written_into_encode_knows_no_word_of_a_grades_language() -> None:
    """The grammar's English adjectives ship in the package; a grade's adjectives are words of its secret world."""
    from dlpath.grading.grade import world_seed_for

    project = spec("negation-changes-everything", test=1000)
    published = attack("word_lists_in_encode", project)  # world 0, the English reviews the documentation shows
    assert published["metrics"] == {"test_accuracy": 1.0, "negation_accuracy": 1.0}  # the rule works there
    got = attack("word_lists_in_encode", project, world_seed=world_seed_for(11))
    assert got["metrics"]["test_accuracy"] <= 0.55, got["metrics"]  # no adjective known: one answer for all
    assert refused_by(got, "test_accuracy") and refused_by(got, "negation_accuracy")


@pytest.mark.slow
def test_the_solution_learns_a_grades_invented_adjectives() -> None:
    from dlpath.grading.grade import world_seed_for

    project = spec("negation-changes-everything", test=1000)
    got = run_task((project["path"] / "solution" / "train.py").read_text(), project, world_seed=world_seed_for(11))
    assert all(r.passed for r in compare(project["thresholds"], got["metrics"])), got["metrics"]


def test_a_linear_layer_on_the_first_step_is_refused_by_the_accuracy() -> None:
    """The red team's lm_step0: learned weights, no memory. The pulse sits at step 0 in a tenth of the sequences."""
    got = attack("first_step_linear", spec("long-memory", train=1000, test=1000))
    assert 0.2 < got["metrics"]["test_accuracy"] < 0.45, got["metrics"]  # 0.1 + 0.9 * 0.25 expected
    assert refused_by(got, "test_accuracy"), got["metrics"]
    published = spec("long-memory", train=1000, test=1000)
    params = {k: v for k, v in published["dataset"].params.items() if k != "window"}  # the pulse always at step 0
    before = attack("first_step_linear", dict(published, dataset=dataclasses.replace(published["dataset"],
                                                                                       params=params)))
    assert before["metrics"]["test_accuracy"] == 1.0  # what it scored when the pulse never moved


@pytest.mark.slow
def test_the_solution_remembers_a_pulse_that_moves() -> None:
    """The correct variant stays silent: the reference LSTM passes on the project's own data, and no error."""
    project = spec("long-memory")
    found, got = mentor((project["path"] / "solution" / "train.py").read_text(), project, test_seed=11)
    assert all(r.passed for r in compare(project["thresholds"], got["metrics"])), got["metrics"]
    assert not [d.code for d in found if d.severity == "error"]


def test_the_generator_is_not_handed_where_the_modes_are() -> None:
    got = attack("centres_from_info", spec("gan-modes", train=2000, test=2000))
    assert refused_by(got, "modes_covered") and refused_by(got, "quality"), got["metrics"]


def test_train_gets_no_data_that_locates_the_answer() -> None:
    """What each task hands to the learner's functions: no mode centres, no mode labels, no signal steps."""
    import types

    from dlpath.grading.tasks import LearnerSide, get_task
    from dlpath.grading.observe import Watch

    seen: dict[str, Any] = {}

    def build_model(info):
        seen["info"] = dict(info)
        raise StopIteration  # enough: the data has been handed over

    def train(model, data, device, log):
        pass

    module = types.SimpleNamespace(build_model=build_model, train=train)
    for project, hidden in (("gan-modes", ("centers", "std")), ("long-memory", ("signal_steps",))):
        project_spec = types.SimpleNamespace(**spec(project, train=50, val=10, test=10))
        task = get_task(project_spec.task)
        data = task.public_data(project_spec, 1)
        assert all(key in data.info for key in hidden)  # the judge knows them
        side = LearnerSide(module=module, device="cpu", log=lambda **k: None, watch=Watch(enabled=False))
        with pytest.raises(StopIteration):
            task.train(side, data)
        assert not any(key in seen["info"] for key in hidden), (project, seen["info"])
