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

from dlpath.grading.grade import world_seed_for
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


def test_int8_weights_packed_into_float32_words_are_counted_by_the_byte() -> None:
    """Before: three int8 weights packed into each float32 word and unpacked with floor and remainder counted one
    number a word (18,562 numbers for 51,747 weights, under mlp-spirals' 20,000; red team, 2026-12-07). A
    floating-point tensor that the graph takes apart now counts one number per byte, as an integer tensor does."""
    got = attack("float_mantissa_packing", spec("mlp-spirals", train=800, val=200, test=1000))
    assert got["results"]["test_accuracy"].passed, got["metrics"]  # a good model: only the budget can stop it
    assert got["metrics"]["parameters"] >= 51_747, got["metrics"]
    assert refused_by(got, "parameters"), got["metrics"]


@pytest.mark.parametrize(("unpack", "numbers"), [
    ("fraction_and_floor", 1200),  # 300 words of 24 bits below 1, unpacked with floor: 4 bytes each
    ("whole_numbers_and_clamps", 900),  # 300 whole numbers below 2**24, bits cut out by clamps: 3 bytes each
    ("honest", 900 + 30 + 900),  # a float weight counts one per element, and a 0/1 mask compared with 0 too
])
def test_floats_that_carry_several_numbers_each_count_them(unpack: str, numbers: int) -> None:
    import torch

    from dlpath.grading.artifact import replay, tensor_numbers, trace

    class Packed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            q = torch.randint(1, 256, (300, 3), generator=torch.Generator().manual_seed(0)).double()
            words = q[:, 0] + q[:, 1] * 256 + q[:, 2] * 65536
            self.register_buffer("p", (words / 2**24 if unpack == "fraction_and_floor" else words).float())
            self.fc = torch.nn.Linear(30, 30)
            self.register_buffer("mask", torch.tril(torch.ones(30, 30)))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if unpack == "honest":
                return self.fc(x).masked_fill(self.mask == 0, -1e9)
            p, digits = self.p, []
            for k in range(23, -1, -1) if unpack == "whole_numbers_and_clamps" else range(3):
                if unpack == "whole_numbers_and_clamps":  # bit k: a step from 0 to 1 at 2**k - 1/2
                    digit = torch.clamp((p - 2**k + 0.5) * 2, 0, 1)
                    p = p - digit * 2**k
                else:  # the next byte below the point
                    digit = torch.floor(p * 256)
                    p = p * 256 - digit
                digits.append(digit)
            return x @ torch.stack(digits, 1).reshape(-1)[:900].reshape(30, 30)

    model, x = Packed().eval(), torch.randn(30, 30)
    graph, tensors = trace(model, x)
    assert torch.allclose(replay(graph, tensors, [x]), model(x))
    assert tensor_numbers(graph, tensors) == numbers


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


def test_a_memory_of_the_clean_answers_does_not_hide_a_tag_it_follows() -> None:
    """Before: the tagged copies were asked after the clean images, and a memory keyed on the image outside the tag's
    corner answered each copy as its clean image (tag_reliance 0.0, every threshold met; red team, 2026-12-07). Now
    the tagged copies come first: the memory carries the tag's answers onto the clean images, graded for accuracy."""
    project = spec("find-the-shortcut", train=1000, test=1000)
    found, got = mentor((ATTACKS / "memo_tag_test.py").read_text(), project)
    results = {r.metric: r for r in compare(project["thresholds"], got["metrics"])}
    assert results["saliency_on_object"].passed and results["saliency_on_tag"].passed, got["metrics"]
    assert got["facts"].extra["tagged_accuracy"] < 0.6, got["metrics"]  # the tag sets the answers it is pasted on
    assert got["metrics"]["test_accuracy"] < 0.6 and not results["test_accuracy"].passed, got["metrics"]
    assert "shortcut-learned" in {d.code for d in found}, [d.code for d in found]


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


def test_16_bit_work_that_changes_no_prediction_is_not_counted() -> None:
    """Our red team's round 3: heavy bf16 branches that the logits do depend on (noise in them moves the logits
    by more than 1%) but that change no prediction. For a classifier, 16-bit work counts when replacing it by
    noise changes at least one prediction in ten."""
    project = spec("mixed-precision", train=800, val=200, test=1000)
    found, got = mentor((ATTACKS / "precision_decides_nothing.py").read_text(), project)
    assert got["failure"] is None, got["failure"]
    results = {r.metric: r for r in compare(project["thresholds"], got["metrics"])}
    assert results["test_accuracy"].passed, got["metrics"]  # a good model: only the precision can stop it
    extra = got["facts"].extra
    assert extra["dead_nodes"] >= 2 and extra["dead_work"] > 0, extra
    assert not results["reduced_precision"].passed, got["metrics"]
    assert [d.code for d in found][:1] == ["full-precision"]


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
    # right gradients: autograd's own (float32 on the timed problems of gradient-descent-by-hand: about 2e-6)
    assert got["metrics"]["gradient_error"] <= 1e-5, got["metrics"]
    # (forward mode one weight at a time also costs one pass per weight: gradient_scaling refuses it as well)
    assert all(r.passed for m, r in got["results"].items() if m not in ("autograd_uses", "gradient_scaling")), \
        got["metrics"]
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
    assert got["metrics"]["learned_skill"] == 0.0  # training undone, the same answers: nothing was learned
    assert refused_by(got, "learned_skill")
    found, _ = mentor((ATTACKS / f"{name}.py").read_text(), spec(project, train=500, test=1000))
    told = next(d for d in found if d.code == "skill-not-learned")
    if extra["skill_trained"] == 0:
        assert "changed by a gradient" in told.message and told.evidence[1] == "weights trained by gradients: none"
    else:
        assert "put" in told.message and "back" in told.message and told.evidence[1].endswith(" 1")


#: answers written, not trained, that passed before the learned-weights ablation undid training itself (round 2 of
#: our red team, 2026-12-07): each keeps its accuracy with training undone, since nothing of it was trained
WRITTEN = [
    ("written_spiral_formula", "mlp-spirals", {}),
    ("written_matched_filters", "cnn-shapes", dict(train=600, test=600)),
    ("written_field_guide", "penguins-in-their-own-units", {}),
    ("written_rotations", "make-a-deep-network-train", {}),
    ("written_nearest_means", "regularize-a-tiny-data-set", {}),
    ("written_sine_projection", "anomalies-by-reconstruction", {}),
    ("written_filter", "segment-the-shapes", dict(train=300, test=300)),
    ("written_shortcut_filters", "find-the-shortcut", dict(train=300, test=600)),
]


@pytest.mark.parametrize(("name", "project", "sizes"), WRITTEN)
def test_an_answer_written_rather_than_trained_is_refused_by_the_learned_weights_ablation(
        name: str, project: str, sizes: dict) -> None:
    from dlpath.grading.grade import world_seed_for

    got = attack(name, spec(project, **sizes), world_seed=world_seed_for(11))
    extra = got["facts"].extra
    primary = {"anomalies-by-reconstruction": "roc_auc", "segment-the-shapes": "test_iou"}.get(project, "test_accuracy")
    assert got["results"][primary].passed, got["metrics"]  # a good answer: only the ablation can stop it
    assert extra["skill_problem"] is None and extra["skill_trained"] == 0, extra  # no weight trained by gradients
    assert got["metrics"]["learned_skill"] == 0.0 and refused_by(got, "learned_skill")


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


def test_a_generator_that_replays_the_training_points_is_refused_by_the_learned_weights_ablation() -> None:
    """The red team's gan_replay: noise -> a row of data.x_train kept in a buffer, plus a little jitter. It passed
    its grade (modes_covered 8, quality 0.9895, coverage 0.99775, 2026-12-07); nothing of it was trained."""
    project = spec("gan-modes", train=2000, test=2000)
    got = attack("replayed_training_points", project)
    assert all(got["results"][m].passed for m in ("modes_covered", "quality", "coverage")), got["metrics"]
    extra = got["facts"].extra
    assert extra["skill_problem"] is None and extra["skill_trained"] == 0, extra  # no weight trained by gradients
    assert got["metrics"]["learned_skill"] == 0.0 and refused_by(got, "learned_skill")
    found, _ = mentor((ATTACKS / "replayed_training_points.py").read_text(), project)
    assert "skill-not-learned" in [d.code for d in found]


def test_training_points_learned_into_a_table_are_refused_by_copying() -> None:
    """The same replay with its table a parameter fitted to data.x_train by gradients: the learned-weights
    ablation sees a skill (the table back at random covers nothing), the samples are still the training points."""
    project = spec("gan-modes", train=2000, test=2000)
    found, got = mentor((ATTACKS / "memorized_table.py").read_text(), project)  # one training for both
    assert got["failure"] is None, got["failure"]
    got["results"] = {r.metric: r for r in compare(project["thresholds"], got["metrics"])}
    got["passed"] = all(r.passed for r in got["results"].values())
    assert got["results"]["learned_skill"].passed and got["results"]["modes_covered"].passed, got["metrics"]
    assert got["metrics"]["copying"] > 0.95 and refused_by(got, "copying"), got["metrics"]
    extra = got["facts"].extra
    assert extra["samples_on_training"] > 0.95 > 0.2 > extra["real_on_training"], extra
    told = next(d for d in found if d.code == "replays-training-data")
    assert told.evidence[0].startswith("copying 0.9"), told.evidence


def test_copying_compares_the_samples_with_fresh_data_the_learner_never_saw() -> None:
    """The judge's statistic on small inputs: fresh points of the distribution score about 0.5, the training
    points given back 1, and points a little farther than the data score below 0.5 (a blurry generator is no copy)."""
    import torch

    from dlpath.grading.tasks.generation import _copying

    g = torch.Generator().manual_seed(0)
    train, fresh, other = (torch.randn(1500, 2, generator=g) for _ in range(3))
    scores = {}
    for name, samples in (("fresh", other), ("copies", train[torch.randperm(1500, generator=g)]),
                          ("blurry", 1.3 * other)):
        metrics, extra = {}, {}
        _copying(train, samples, fresh, 1.0, metrics, extra)
        scores[name] = metrics["copying"]
    assert 0.45 < scores["fresh"] < 0.55 and scores["copies"] > 0.95 and scores["blurry"] < 0.5, scores


@pytest.mark.slow
def test_the_gan_solution_is_learned_and_new() -> None:
    """The reference GAN passes with learned_skill and copying far from their targets (copying 0.46..0.52 and
    learned_skill 0.85..0.91 over 20 grades of the EMA solution, world 0 and five fresh worlds, 2026-12-07)."""
    project = spec("gan-modes")
    got = run_task((project["path"] / "solution" / "train.py").read_text(), project, test_seed=11)
    results = {r.metric: r for r in compare(project["thresholds"], got["metrics"])}
    assert all(r.passed for r in results.values()), got["metrics"]
    assert got["metrics"]["copying"] < 0.55 and got["metrics"]["learned_skill"] > 0.6, got["metrics"]


def test_the_generator_is_not_handed_where_the_modes_are() -> None:
    got = attack("centres_from_info", spec("gan-modes", train=2000, test=2000))
    assert refused_by(got, "modes_covered") and refused_by(got, "quality"), got["metrics"]


def test_the_learners_process_never_holds_where_the_modes_are() -> None:
    """Before: the public data carried the centres to the learner's process and only train() was spared them; a
    train() that walked up to its caller's frame found them (modes_covered 8, quality 0.989, coverage 0.915 in
    the world of grade seed 11, 2026-12-07)."""
    got = attack("centres_from_the_callers_frame", spec("gan-modes", train=2000, test=2000), test_seed=11,
                 world_seed=world_seed_for(11))
    assert got["metrics"]["quality"] < 0.1 and refused_by(got, "modes_covered"), got["metrics"]


@pytest.mark.parametrize(("name", "project", "primary"), [
    ("hand_set_reversal", "tiny-transformer", "exact_match"),
])
def test_an_answer_written_by_hand_from_the_published_task_fails_in_the_grades_world(name: str, project: str,
                                                                                   primary: str) -> None:
    """The documented task (world 0) can be answered by hand: a reversal set into the weights (it passed its grade
    before grades had worlds). A grade's world writes the answer's digits in a secret code, which only the data
    show. (gan-modes pins its world 0 for now: see its project.yaml.)"""
    published = attack(name, spec(project), test_seed=11)
    assert published["results"][primary].passed, published["metrics"]  # right where the task is as documented
    got = attack(name, spec(project), test_seed=11, world_seed=world_seed_for(11))
    assert got["metrics"][primary] == 0.0 and refused_by(got, primary), got["metrics"]


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
        assert all(key in task.test_data(project_spec, 2).info for key in hidden)  # the judge knows them
        side = LearnerSide(module=module, device="cpu", log=lambda **k: None, watch=Watch(enabled=False))
        with pytest.raises(StopIteration):
            task.train(side, data)
        assert not any(key in seen["info"] for key in hidden), (project, seen["info"])


def test_the_starting_point_counts_weights_trained_by_gradients_only() -> None:
    """What the learned-weights ablation puts back: parameters a gradient was computed for (backward() or
    torch.autograd.grad) whose values moved, matched by name in a copy train() returns; never a weight set by
    hand, a buffer, or a parameter that got a gradient and did not move."""
    import copy

    import torch
    from torch import nn

    from dlpath.grading.observe import StartingPoint

    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    start = StartingPoint()
    start.take(model)
    x = torch.randn(8, 3)
    model(x).sum().backward()  # a gradient for every parameter
    with torch.no_grad():
        model[0].weight -= 0.1 * model[0].weight.grad  # trained, by a hand-written step on a real gradient
        model[2].weight.copy_(torch.ones(2, 4))  # got a gradient, but was set by hand: moved all the same
    fresh = StartingPoint()
    fresh.take(model)
    (grad,) = torch.autograd.grad(model(x).sum(), [model[2].bias])  # torch.autograd.grad counts too
    assert fresh.graded == {"2.bias"}
    fresh.stop()
    with torch.no_grad():
        model[2].bias -= 0.1 * grad
    start.stop()
    trained = {id(p) for p, _ in start.trained(model).values()}
    names = {n for n, p in model.named_parameters() if id(p) in trained}
    # 0.bias (a zero gradient: the BatchNorm after it takes out any shift), 1.weight and 1.bias got gradients
    # and were moved by nothing
    assert names == {"0.weight", "2.weight", "2.bias"}
    best = copy.deepcopy(model)  # a copy train() may return: matched by name
    assert {n for n, p in best.named_parameters() if id(p) in {id(q) for q, _ in start.trained(best).values()}} == names
    untouched = nn.Linear(3, 2)
    hand = StartingPoint()
    hand.take(untouched)
    with torch.no_grad():
        untouched.weight.copy_(torch.ones(2, 3))  # no gradient ever: a weight written by hand
    assert hand.trained(untouched) == {}
