"""Diagnoses from synthetic evidence: each rule fires on its symptom, with evidence, and stays quiet otherwise.

The training runs that produce these symptoms for real are in test_mentor.py.
"""

from __future__ import annotations

import dataclasses
import math
import types

import pytest

from dlpath.grading.diagnose import CODES, Diagnosis, Evidence, diagnose, known_codes
from dlpath.grading.facts import Facts, LayerStat, Observation, Recipe
from dlpath.grading.protocol import Curves, Failure, FailureKind
from dlpath.grading.tasks import TASKS
from dlpath.grading.thresholds import compare
from dlpath.grading.project import Calibration, Threshold

CLASSIFY = types.SimpleNamespace(id="mlp-spirals", task="classification", lesson="multilayer-perceptron",
                                 calibration=None)
CNN = types.SimpleNamespace(id="cnn-shapes", task="classification", lesson="convolutional-networks", calibration=None)
BY_HAND = types.SimpleNamespace(id="gd", task="regression_by_hand", lesson="gradient-descent", calibration=None)
ACC = (Threshold("test_accuracy", 0.85),)


def losses(values, key="train_loss", **others) -> Curves:
    return Curves.from_points([{"epoch": float(i), key: v, **{k: vs[i] for k, vs in others.items()}}
                               for i, v in enumerate(values)])


HEALTHY = losses([1.1, 0.7, 0.5, 0.4, 0.35, 0.3, 0.28, 0.27], val_loss=[1.1, 0.75, 0.55, 0.45, 0.4, 0.36, 0.34, 0.33])
GOOD_FACTS = Facts(primary="test_accuracy", outputs_finite=True, outputs_look_like_probabilities=False,
                   train_score=0.95, val_score=0.93, chance_score=0.33, label_entropy=1.0986)
GOOD_OBS = Observation(optimizer="Adam", learning_rate=0.01, parameters_changed=True, inputs_normalized=True,
                       left_in_training_mode=False, recipe=Recipe(loss="cross_entropy", steps=100,
                                                                  zero_grad_per_step=1.0, backward_calls=100))


def run(*, project=CLASSIFY, curves=HEALTHY, metrics=None, facts=GOOD_FACTS, obs=GOOD_OBS, failure=None,
        thresholds=ACC) -> list[Diagnosis]:
    metrics = ({} if failure else {"test_accuracy": 0.6}) if metrics is None else metrics
    facts = Facts() if failure and facts is GOOD_FACTS else facts  # a run that failed was not measured
    evidence = Evidence(task=TASKS[project.task], project=project, curves=curves, metrics=metrics, facts=facts,
                        observation=obs, failure=failure,
                        thresholds=compare(thresholds, metrics if failure is None else None))
    found = diagnose(evidence)
    codes = known_codes(TASKS[project.task])
    for item in found:
        assert item.code in codes and item.severity in ("error", "warning", "info")
        assert item.message.strip() and "  " not in item.message and item.message[-1] in ".)!?"
    return found


def codes(**kw) -> list[str]:
    return [d.code for d in run(**kw)]


def test_diagnosis_is_a_frozen_dataclass():
    item = Diagnosis("plateau", "warning", "text")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.code = "x"  # type: ignore[misc]


def test_a_healthy_passing_run_has_no_diagnosis():
    assert codes(metrics={"test_accuracy": 0.93}) == []


def test_budget_exhausted_names_the_budget_and_what_to_try():
    found = run(curves=losses([1.0, 0.8, 0.7]), failure=Failure(FailureKind.TIMEOUT, budget_s=60.0))
    assert [d.code for d in found] == ["budget-exhausted"]
    assert "60 s" in found[0].message and "--device cuda" in found[0].message
    assert "epoch you logged was 2" in found[0].message and found[0].evidence[0] == "budget 60 s"


def test_memory_failure_quotes_the_peak_and_the_cap():
    found = run(failure=Failure(FailureKind.MEMORY, memory_mb=600, peak_mb=640.0))
    assert [d.code for d in found] == ["out-of-memory"] and found[0].evidence == ("peak 640 MB", "cap 600 MB")


@pytest.mark.parametrize(
    ("message", "exc_type", "code"),
    [
        ("mat1 and mat2 shapes cannot be multiplied (64x2 and 3x64)", "RuntimeError", "shape-mismatch"),
        ("Expected floating point type for target with class probabilities, got Long", "RuntimeError",
         "shape-mismatch"),
        ("Expected all tensors to be on the same device, but found cuda:0 and cpu", "RuntimeError",
         "device-mismatch"),
        ("expected scalar type Long but found Float", "RuntimeError", "dtype-mismatch"),
        ("element 0 of tensors does not require grad and does not have a grad_fn", "RuntimeError", "no-graph"),
        ("'float' object has no attribute 'backward'", "AttributeError", "no-graph"),
        ("Target 2 is out of bounds.", "IndexError", "wrong-output-count"),
        ("Trying to backward through the graph a second time", "RuntimeError", "backward-twice"),
        ("name 'modle' is not defined", "NameError", "crashed"),
    ],
)
def test_crashes_read_the_exception_and_where_it_happened(message, exc_type, code):
    found = run(failure=Failure(FailureKind.RAISED, message, exc_type, "train.py", 42))
    assert [d.code for d in found] == [code]
    assert "train.py:42" in found[0].message


def test_a_detached_loss_is_not_called_a_shape_problem():
    found = run(failure=Failure(FailureKind.RAISED, "'float' object has no attribute 'backward'", "AttributeError",
                                "train.py", 7))
    assert found[0].code == "no-graph" and ".item()" in found[0].message and "shape" not in found[0].message


def test_shape_mismatch_points_a_cnn_project_to_the_cnn_lesson():
    found = run(project=CNN, failure=Failure(FailureKind.RAISED, "size mismatch", "RuntimeError"))
    assert found[0].code == "shape-mismatch" and found[0].lesson == "convolutional-networks"


@pytest.mark.parametrize(
    ("kind", "code"),
    [(FailureKind.CONTRACT, "contract-broken"), (FailureKind.EXIT, "exited-early"),
     (FailureKind.SIGNAL, "killed-by-signal"), (FailureKind.NO_RESULT, "no-result"),
     (FailureKind.EVAL_TIMEOUT, "evaluation-too-slow"), (FailureKind.PROTOCOL, "no-result")],
)
def test_each_failure_kind_has_its_diagnosis(kind, code):
    assert codes(failure=Failure(kind, "something happened")) == [code]
    assert kind.code == code or kind is FailureKind.PROTOCOL


def test_nan_loss_names_the_epoch_and_says_nan():
    found = run(curves=losses([1.0, 0.8, math.nan, math.nan]))
    assert found[0].code == "non-finite-loss" and "epoch 2" in found[0].message and "became NaN" in found[0].message
    assert "divergence" not in [d.code for d in found]


def test_divergence():
    got = codes(curves=losses([0.9, 1.2, 2.5, 6.0, 14.0]))
    assert got[0] == "divergence" and "plateau" not in got


def test_no_learning_from_unchanged_weights():
    obs = dataclasses.replace(GOOD_OBS, parameters_changed=False)
    assert "no-learning" in codes(obs=obs, curves=losses([1.1] * 5))


def test_no_learning_by_hand_speaks_of_the_update():
    metrics = {"test_mse": 3.3, "gradient_error": 0.0, "autograd_uses": 0.0}
    found = run(project=BY_HAND, curves=losses([3.3, 3.3, 3.3, 3.3]), metrics=metrics,
                obs=Observation(learning_rate=0.1), facts=Facts(primary="test_mse", train_score=3.3),
                thresholds=(Threshold("test_mse", max=0.32),))
    assert found[0].code == "no-learning" and "w = w - LEARNING_RATE * grad_w" in found[0].message


def test_plateau():
    curves = losses([1.2, 0.9, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6])
    facts = dataclasses.replace(GOOD_FACTS, train_score=0.9, val_score=0.88)
    assert "plateau" in codes(curves=curves, facts=facts)
    assert "plateau" not in codes(curves=curves, facts=facts, metrics={"test_accuracy": 0.93})


def test_overfitting_from_the_score_gap_and_never_with_underfitting():
    facts = dataclasses.replace(GOOD_FACTS, train_score=0.99, val_score=0.6)
    got = codes(facts=facts)
    assert "overfitting" in got and "underfitting" not in got


def test_the_overfitting_message_names_the_set_of_each_figure_it_quotes():
    facts = dataclasses.replace(GOOD_FACTS, train_score=0.99, val_score=0.6)
    found = next(d for d in run(facts=facts, metrics={"test_accuracy": 0.58}) if d.code == "overfitting")
    for quoted in ("99% on the training set", "60% on the validation set", "test accuracy of 58%"):
        assert quoted in found.message, found.message
    assert "test_accuracy" not in found.message
    assert set(found.evidence) == {"training accuracy 99%", "validation accuracy 60%", "test accuracy 58%"}
    fair = dataclasses.replace(GOOD_FACTS, train_score=0.93, val_score=0.9)
    assert "overfitting" not in codes(facts=fair, metrics={"test_accuracy": 0.9})


def test_the_underfitting_message_names_the_training_set_and_the_test_target():
    facts = dataclasses.replace(GOOD_FACTS, train_score=0.6, val_score=0.58)
    found = next(d for d in run(facts=facts, metrics={"test_accuracy": 0.57}) if d.code == "underfitting")
    assert "training accuracy 60%" in found.evidence and "test_accuracy" not in found.message
    assert "accuracy is only 60%" in found.message and "test accuracy of 85%" in found.message, found.message
    assert "underfitting" not in codes(facts=dataclasses.replace(GOOD_FACTS, train_score=0.95, val_score=0.9),
                                       metrics={"test_accuracy": 0.8})


def test_overfitting_from_rising_validation_loss():
    curves = losses([1.0, 0.7, 0.5, 0.35, 0.25, 0.18, 0.12], val_loss=[1.0, 0.75, 0.6, 0.62, 0.7, 0.8, 0.95])
    assert "overfitting" in codes(curves=curves, facts=dataclasses.replace(GOOD_FACTS, train_score=None))


def test_underfitting_offers_capacity_only_when_the_model_is_small():
    facts = dataclasses.replace(GOOD_FACTS, train_score=0.6, val_score=0.58)
    small = run(facts=facts, metrics={"test_accuracy": 0.6, "parameters": 1000.0})
    assert "underfitting" in [d.code for d in small] and "more capacity" in small[0].message
    project = dataclasses.replace if False else types.SimpleNamespace(
        **{**vars(CLASSIFY), "calibration": Calibration(figures={"solution": {"parameters": (4547.0, 4547.0)}})})
    big = run(project=project, facts=facts, metrics={"test_accuracy": 0.6, "parameters": 4547.0})
    message = next(d.message for d in big if d.code == "underfitting")
    assert "size is not what holds it back" in message and "more capacity" not in message


def test_gradients_accumulating_is_named_and_blocks_the_capacity_story():
    obs = dataclasses.replace(GOOD_OBS, recipe=Recipe(loss="cross_entropy", steps=400, zero_grad_per_step=0.0,
                                                      backward_calls=400, grad_growth=85.0))
    facts = dataclasses.replace(GOOD_FACTS, train_score=0.3, val_score=0.3)
    found = run(obs=obs, facts=facts, curves=losses([1.4, 1.5, 1.6, 1.5, 1.55]))
    assert found[0].code == "gradients-accumulate"
    assert "85x larger" in " ".join(found[0].evidence) and "zero_grad" in found[0].message
    assert not {"underfitting", "plateau", "below-threshold"} & {d.code for d in found}


def test_no_optimizer_step():
    obs = dataclasses.replace(GOOD_OBS, optimizer=None, recipe=Recipe(steps=0, backward_calls=60),
                              parameters_changed=False)
    got = codes(obs=obs, curves=losses([0.7] * 6))
    assert got[0] == "no-optimizer-step" and "no-learning" not in got


def test_mse_on_class_indices_is_a_loss_that_does_not_fit_the_task():
    obs = dataclasses.replace(GOOD_OBS, recipe=Recipe(loss="mse_loss", target_float_of_indices=True,
                                                      target_shape_differs=True, steps=100, zero_grad_per_step=1.0))
    found = run(obs=obs, facts=dataclasses.replace(GOOD_FACTS, train_score=0.4))
    assert found[0].code == "loss-task-mismatch" and "CrossEntropyLoss" in found[0].message


def test_labels_that_do_not_match_their_inputs():
    facts = dataclasses.replace(GOOD_FACTS, train_score=0.34, val_score=0.33, label_entropy=1.0986)
    found = run(facts=facts, curves=losses([1.2, 1.1, 1.1, 1.0986, 1.0987]))
    assert found[0].code == "labels-not-learnable" and "entropy of the labels (1.1)" in found[0].message
    linear = dataclasses.replace(GOOD_OBS, linear_model=True)
    assert "labels-not-learnable" not in codes(facts=facts, obs=linear, curves=losses([1.2, 1.1, 1.1, 1.0986, 1.0987]))


@pytest.mark.parametrize(("activation", "code"), [("ReLU", "activation-on-logits"), ("Sigmoid", "activation-on-logits")])
def test_an_activation_on_the_logits(activation, code):
    obs = dataclasses.replace(GOOD_OBS, output_activation=activation)
    assert code in codes(obs=obs, facts=dataclasses.replace(GOOD_FACTS, train_score=0.5))


def test_softmax_before_cross_entropy():
    facts = dataclasses.replace(GOOD_FACTS, outputs_look_like_probabilities=True, train_score=0.5)
    found = run(facts=facts)
    assert found[0].code == "softmax-before-cross-entropy" and found[0].lesson == "loss-functions"


def test_symmetric_initialization():
    obs = dataclasses.replace(GOOD_OBS, layers=[LayerStat("0", "Linear", size=64, weight_equal=True)])
    assert "symmetric-init" in codes(obs=obs, facts=dataclasses.replace(GOOD_FACTS, train_score=0.5))


def test_vanishing_and_exploding_gradients_from_layer_norms():
    layers = [LayerStat(str(i), "Linear", size=256, grad_norm=g) for i, g in enumerate([1e-9, 1e-7, 1e-5, 1e-3, 0.1])]
    assert "vanishing-gradients" in codes(obs=dataclasses.replace(GOOD_OBS, layers=layers),
                                          facts=dataclasses.replace(GOOD_FACTS, train_score=0.4))
    huge = [LayerStat("0", "Linear", size=256, grad_norm=3e6), LayerStat("1", "Linear", size=256, grad_norm=1e5)]
    assert "exploding-gradients" in codes(obs=dataclasses.replace(GOOD_OBS, layers=huge),
                                          facts=dataclasses.replace(GOOD_FACTS, train_score=0.4))


def test_dying_relu_and_saturated_units():
    layers = [LayerStat("1 (ReLU)", "ReLU", dead_fraction=0.8), LayerStat("3 (Sigmoid)", "Sigmoid", saturated_fraction=0.9)]
    got = codes(obs=dataclasses.replace(GOOD_OBS, layers=layers), facts=dataclasses.replace(GOOD_FACTS, train_score=0.5))
    assert "dying-relu" in got and "saturated-units" in got


def test_learning_rate_judged_from_the_update_ratios():
    tiny = [LayerStat("0", "Linear", size=128, update_ratio=3e-7)]
    found = run(obs=dataclasses.replace(GOOD_OBS, layers=tiny, learning_rate=1e-6), curves=losses([1.1] * 6),
                facts=dataclasses.replace(GOOD_FACTS, train_score=0.35))
    assert found[0].code == "learning-rate-too-low" and "3e-07" in found[0].evidence[0]
    big = [LayerStat("0", "Linear", size=128, update_ratio=0.8)]
    got = codes(obs=dataclasses.replace(GOOD_OBS, layers=big, learning_rate=5.0), curves=losses([1.1, 2.0, 1.5, 3.0]),
                facts=dataclasses.replace(GOOD_FACTS, train_score=0.35))
    assert "learning-rate-too-high" in got


@pytest.mark.parametrize(("kind", "lr"), [("Adam", 3.0), ("Adam", 1e-7), ("SGD", 50.0), ("SGD", 1e-6), ("SGD", 1e-5)])
def test_a_configured_learning_rate_far_outside_the_usual(kind, lr):
    assert "learning-rate-extreme" in codes(obs=dataclasses.replace(GOOD_OBS, optimizer=kind, learning_rate=lr))


@pytest.mark.parametrize(("kind", "lr"), [("Adam", 0.001), ("SGD", 0.1), ("AdamW", 0.03), ("SGD", 1e-4), ("Adam", 1e-5)])
def test_usual_learning_rates_are_fine_including_the_boundaries(kind, lr):
    assert "learning-rate-extreme" not in codes(obs=dataclasses.replace(GOOD_OBS, optimizer=kind, learning_rate=lr))


def test_too_much_weight_decay():
    obs = dataclasses.replace(GOOD_OBS, weight_decay=5.0)
    got = codes(obs=obs, facts=dataclasses.replace(GOOD_FACTS, train_score=0.4))
    assert got[0] == "too-much-regularization" and "underfitting" not in got


def test_inputs_not_normalized_quotes_what_the_first_layer_saw():
    obs = dataclasses.replace(GOOD_OBS, inputs_normalized=False, first_layer_input={"mean": 250.0, "std": 80.0})
    found = run(obs=obs)
    item = next(d for d in found if d.code == "inputs-not-normalized")
    assert "mean 250" in item.message


def test_raw_inputs_are_named_as_the_cause_of_exploding_gradients():
    huge = [LayerStat("0", "Linear", size=256, grad_norm=3e6), LayerStat("1", "Linear", size=256, grad_norm=1e5)]
    obs = dataclasses.replace(GOOD_OBS, layers=huge, inputs_normalized=False,
                              first_layer_input={"mean": 6730.0, "std": 18400.0})
    got = codes(obs=obs, facts=dataclasses.replace(GOOD_FACTS, train_score=0.4))
    assert "inputs-not-normalized" in got and "exploding-gradients" not in got


def test_suspicious_validation():
    facts = dataclasses.replace(GOOD_FACTS, val_score=0.95, train_score=0.97)
    assert "suspicious-validation" in codes(facts=facts, metrics={"test_accuracy": 0.6})


def test_inputs_scaled_outside_the_model_are_named_not_called_underfitting():
    logged = losses([1.0, 0.4, 0.1, 0.05], val_accuracy=[0.6, 0.9, 0.95, 0.96])
    raw = dataclasses.replace(GOOD_FACTS, train_score=0.38, val_score=0.35)
    found = run(curves=logged, facts=raw, metrics={"test_accuracy": 0.32})
    got = [d.code for d in found]
    assert got[0] == "preprocessing-outside-model" and "underfitting" not in got and "suspicious-validation" not in got
    assert "38%" in found[0].message and "96%" in found[0].message and found[0].lesson == "scaling-normalization"
    # a model that does as well on its raw training inputs as its logged validation says: not this
    fair = dataclasses.replace(GOOD_FACTS, train_score=0.97, val_score=0.95)
    assert "preprocessing-outside-model" not in codes(curves=logged, facts=fair, metrics={"test_accuracy": 0.6})
    # nor a run that passed
    assert "preprocessing-outside-model" not in codes(curves=logged, facts=raw, metrics={"test_accuracy": 0.9})


def test_dropout_too_high_and_training_mode():
    obs = dataclasses.replace(GOOD_OBS, dropout_rates=[0.8], left_in_training_mode=True, mode_dependent_layers=1)
    got = codes(obs=obs)
    assert "dropout-too-high" in got and "left-in-training-mode" in got


def test_wrong_output_says_expected_and_got():
    facts = dataclasses.replace(GOOD_FACTS, expected_output="(400, 3) float", got_output="(400,) float32",
                                output_problem="your model's output has shape (400,) float32; the grader expected "
                                               "(400, 3) float: one row of raw class scores per input")
    found = run(facts=facts, metrics={"test_accuracy": 0.0})
    assert found[0].code == "wrong-output" and found[0].evidence == ("expected (400, 3) float", "got (400,) float32")


def test_evaluation_crashed_and_a_model_the_judge_cannot_replay():
    assert codes(facts=dataclasses.replace(GOOD_FACTS, forward_error="ValueError: no"))[0] == "evaluation-crashed"
    assert "model-not-replayable" in codes(facts=dataclasses.replace(GOOD_FACTS, replay="unavailable: uses aten::empty"))


@pytest.mark.parametrize(("error", "words"), [(1.0, "zero"), (0.5, "factor of 2"), (0.2, "20%")])
def test_gradient_mismatch(error, words):
    metrics = {"test_mse": 2.0, "gradient_error": error, "autograd_uses": 0.0}
    found = run(project=BY_HAND, metrics=metrics, facts=Facts(primary="test_mse"), obs=Observation(),
                thresholds=(Threshold("gradient_error", max=1e-4), Threshold("test_mse", max=0.32)))
    assert found[0].code == "gradient-mismatch" and words in found[0].message


def test_autograd_used():
    metrics = {"test_mse": 0.26, "gradient_error": 0.0, "autograd_uses": 3.0}
    found = run(project=BY_HAND, metrics=metrics, facts=Facts(primary="test_mse", extra={"autograd_in_source": 2}),
                obs=Observation(), thresholds=(Threshold("autograd_uses", max=0),))
    assert found[0].code == "autograd-used" and found[0].evidence == ("3 use(s) of autograd or torch.optim",
                                                                     "2 written in your files")


def test_too_many_parameters():
    found = run(metrics={"test_accuracy": 0.95, "parameters": 120000.0},
                thresholds=(Threshold("test_accuracy", 0.85), Threshold("parameters", max=6000)))
    assert [d.code for d in found] == ["too-many-parameters"] and "120,000" in found[0].message


def test_below_threshold_is_the_fallback():
    facts = dataclasses.replace(GOOD_FACTS, train_score=0.9, val_score=0.84)
    found = run(facts=facts, metrics={"test_accuracy": 0.84})
    assert [d.code for d in found] == ["below-threshold"]


def test_a_lesson_missing_from_the_curriculum_in_use_loses_its_link_not_its_advice():
    evidence = Evidence(task=TASKS["classification"], project=CLASSIFY, curves=HEALTHY, metrics={"test_accuracy": 0.6},
                        facts=dataclasses.replace(GOOD_FACTS, outputs_look_like_probabilities=True, train_score=0.5),
                        observation=GOOD_OBS, thresholds=compare(ACC, {"test_accuracy": 0.6}))
    found = diagnose(evidence, lessons={"maths", "python"})
    assert found and all(d.lesson is None for d in found) and found[0].message


def test_garbage_curves_do_not_crash():
    curves = Curves.from_points([{"epoch": "x", "train_loss": "nan?"}, {}, {"train_loss": math.inf}])
    run(curves=curves)


def test_every_code_has_a_real_lesson_in_the_shipped_curriculum():
    from dlpath.course.loading import load_curriculum

    lessons = {lesson.id for lesson in load_curriculum().lessons}
    for task in TASKS.values():
        for code, info in known_codes(task).items():
            assert info.lesson is None or info.lesson in lessons, (code, info.lesson)
    assert set(CODES) >= {"vanishing-gradients", "exploding-gradients", "dying-relu", "symmetric-init",
                          "labels-not-learnable", "loss-task-mismatch", "activation-on-logits", "gradients-accumulate",
                          "no-optimizer-step", "learning-rate-too-low", "learning-rate-too-high",
                          "too-much-regularization", "non-finite-loss"}


def test_a_projects_own_advice_ends_the_finding_it_is_about():
    told = types.SimpleNamespace(**vars(CLASSIFY), advice=(("overfitting", "Here: share the weights."),))
    memorised = dataclasses.replace(GOOD_FACTS, train_score=0.99, val_score=0.6)
    found = {d.code: d.message for d in run(project=told, facts=memorised)}
    assert found["overfitting"].endswith("Here: share the weights.")
    assert not any("share the weights" in m for code, m in found.items() if code != "overfitting")
    fair = dataclasses.replace(GOOD_FACTS, train_score=0.93, val_score=0.9)
    assert not any("share the weights" in d.message for d in run(project=told, facts=fair))


def test_cnn_shapes_says_weight_sharing_and_its_budget_from_its_project_yaml():
    from dlpath.grading.project import load_project

    project = load_project("cnn-shapes")
    memorised = dataclasses.replace(GOOD_FACTS, train_score=0.99, val_score=0.55)
    message = next(d.message for d in run(project=project, facts=memorised) if d.code == "overfitting")
    assert "weight sharing" in message and "6,000" in message
    big = run(project=project, metrics={"test_accuracy": 0.9, "parameters": 20000.0},
              thresholds=project.thresholds)
    assert "c_in * c_out * 9" in next(d.message for d in big if d.code == "too-many-parameters")
