"""Diagnoses: every code fires on a synthetic run that shows its symptom, and stays quiet otherwise."""

from __future__ import annotations

import dataclasses
import math

import pytest

from dlpath.grading.diagnose import CODES, Diagnosis, diagnose

CLASSIFY = {"id": "mlp-spirals", "task": "classification", "lesson": "multilayer-perceptron"}
CNN = {"id": "cnn-shapes", "task": "classification", "lesson": "convolutional-networks"}
BY_HAND = {"id": "gradient-descent-by-hand", "task": "regression_by_hand", "lesson": "gradient-descent"}

ACC_MISSED = [{"metric": "test_accuracy", "min": 0.85, "value": 0.6, "passed": False}]
ACC_PASSED = [{"metric": "test_accuracy", "min": 0.85, "value": 0.93, "passed": True}]

SEEN: set[str] = set()


def codes(project=CLASSIFY, curves=(), evaluation=None, failure=None, thresholds=()) -> list[str]:
    found = diagnose(project, list(curves), evaluation, failure, list(thresholds))
    for item in found:
        assert isinstance(item, Diagnosis)
        assert item.code in CODES
        assert item.message.strip() and "  " not in item.message
        assert item.lesson is None or item.lesson in set(CODES.values()) | {project["lesson"]}
    SEEN.update(item.code for item in found)
    return [item.code for item in found]


def losses(values, key="train_loss", **others):
    return [{"epoch": i, key: v, **{k: vs[i] for k, vs in others.items()}} for i, v in enumerate(values)]


def evaluation(metrics=None, **facts):
    return {"metrics": metrics or {"test_accuracy": 0.6, "parameters": 1000.0}, "facts": facts}


def failure(kind, message="", exc_type=None, file="train.py", line=42, budget_s=60.0):
    return {"kind": kind, "message": message, "budget_s": budget_s, "exc_type": exc_type, "file": file, "line": line}


HEALTHY = losses([1.1, 0.7, 0.5, 0.4, 0.35, 0.3, 0.28, 0.27], val_loss=[1.1, 0.75, 0.55, 0.45, 0.4, 0.36, 0.34, 0.33])
GOOD_FACTS = dict(parameters_changed=True, learning_rate=0.01,
                  optimizers=[{"type": "Adam", "lr": 0.01}], inputs_normalized=True, dropout_rates=[],
                  mode_dependent_layers=0, left_in_training_mode=False, wrong_output=False, outputs_finite=True,
                  outputs_look_like_probabilities=False)


def test_diagnosis_is_a_frozen_dataclass():
    item = Diagnosis("plateau", "text", "optimizers-schedules")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.code = "x"  # type: ignore[misc]


def test_a_healthy_passing_run_has_no_diagnosis():
    facts = {**GOOD_FACTS, "train_accuracy": 0.95, "val_accuracy": 0.93}
    assert codes(curves=HEALTHY, evaluation=evaluation({"test_accuracy": 0.93}, **facts),
                 thresholds=ACC_PASSED) == []


def test_budget_exhausted_names_the_budget_and_what_to_try():
    found = diagnose(CLASSIFY, HEALTHY[:3], None, failure("timeout", budget_s=60.0), ACC_MISSED)
    assert [d.code for d in found] == ["budget-exhausted"]
    assert "60 s" in found[0].message and "--device cuda" in found[0].message
    assert "epoch you logged was 2" in found[0].message
    SEEN.add("budget-exhausted")


def test_memory_failure():
    assert codes(failure=failure("memory", "MemoryError")) == ["out-of-memory"]


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
        ("Trying to backward through the graph a second time", "RuntimeError", "backward-twice"),
        ("CUDA out of memory. Tried to allocate 2.00 GiB", "OutOfMemoryError", "out-of-memory"),
        ("name 'modle' is not defined", "NameError", "crashed"),
    ],
)
def test_crashes_get_a_specific_hint(message, exc_type, code):
    found = diagnose(CLASSIFY, [], None, failure("exception", message, exc_type), [])
    assert [d.code for d in found] == [code]
    assert "train.py:42" in found[0].message
    SEEN.add(code)


def test_shape_mismatch_points_a_cnn_project_to_the_cnn_lesson():
    found = diagnose(CNN, [], None, failure("exception", "size mismatch", "RuntimeError"), [])
    assert found[0].code == "shape-mismatch" and found[0].lesson == "convolutional-networks"


@pytest.mark.parametrize(
    ("kind", "code"),
    [("contract", "contract-broken"), ("exit", "exited-early"), ("signal", "killed-by-signal"),
     ("no-result", "no-result")],
)
def test_other_failures(kind, code):
    assert codes(failure=failure(kind, "something happened")) == [code]


def test_nan_loss_names_the_epoch():
    curves = losses([1.0, 0.8, math.nan, math.nan])
    found = diagnose(CLASSIFY, curves, evaluation(**GOOD_FACTS), None, ACC_MISSED)
    assert found[0].code == "non-finite-loss" and "epoch 2" in found[0].message
    assert "divergence" not in [d.code for d in found]
    SEEN.add("non-finite-loss")


def test_non_finite_outputs_alone():
    facts = {**GOOD_FACTS, "outputs_finite": False}
    assert "non-finite-loss" in codes(curves=HEALTHY, evaluation=evaluation(**facts), thresholds=ACC_MISSED)


def test_divergence():
    got = codes(curves=losses([0.9, 1.2, 2.5, 6.0, 14.0]), evaluation=evaluation(**GOOD_FACTS),
                thresholds=ACC_MISSED)
    assert got[0] == "divergence" and "plateau" not in got


def test_no_learning_from_unchanged_weights():
    facts = {**GOOD_FACTS, "parameters_changed": False}
    got = codes(curves=losses([1.1] * 10), evaluation=evaluation(**facts), thresholds=ACC_MISSED)
    assert got == ["no-learning"]


def test_no_learning_from_a_flat_curve_when_the_grade_fails():
    facts = {k: v for k, v in GOOD_FACTS.items() if k != "parameters_changed"}
    assert codes(curves=losses([1.1, 1.1, 1.1001, 1.1]), evaluation=evaluation(**facts),
                 thresholds=ACC_MISSED) == ["no-learning"]


def test_no_learning_by_hand_speaks_of_the_update():
    found = diagnose(BY_HAND, losses([10.6] * 5), None, None, [{"metric": "test_mse", "max": 0.3, "value": 11.0}])
    assert found[0].code == "no-learning" and "LEARNING_RATE" in found[0].message
    assert found[0].lesson == "gradient-descent"


def test_plateau():
    curve = losses([2.0, 1.2, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8])
    facts = {**GOOD_FACTS, "train_accuracy": 0.9, "val_accuracy": 0.83}
    assert codes(curves=curve, evaluation=evaluation({"test_accuracy": 0.82}, **facts),
                 thresholds=ACC_MISSED) == ["plateau"]


def test_no_plateau_when_the_grade_passes():
    curve = losses([2.0, 1.2, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8])
    assert codes(curves=curve, evaluation=evaluation({"test_accuracy": 0.93}, **GOOD_FACTS),
                 thresholds=ACC_PASSED) == []


def test_overfitting_from_the_accuracy_gap():
    facts = {**GOOD_FACTS, "train_accuracy": 0.99, "val_accuracy": 0.56}
    found = diagnose(CLASSIFY, HEALTHY, evaluation({"test_accuracy": 0.55}, **facts), None, ACC_MISSED)
    assert [d.code for d in found] == ["overfitting"] and "99%" in found[0].message
    SEEN.add("overfitting")


def test_overfitting_from_rising_validation_loss():
    curve = losses([1.0, 0.6, 0.4, 0.3, 0.2, 0.1, 0.05], val_loss=[1.0, 0.6, 0.5, 0.55, 0.7, 0.9, 1.2])
    found = diagnose(CLASSIFY, curve, evaluation({"test_accuracy": 0.9}, **GOOD_FACTS), None, ACC_PASSED)
    assert [d.code for d in found] == ["overfitting"] and "epoch 2" in found[0].message


def test_underfitting():
    facts = {**GOOD_FACTS, "train_accuracy": 0.35, "val_accuracy": 0.34}
    got = codes(curves=HEALTHY, evaluation=evaluation({"test_accuracy": 0.34}, **facts), thresholds=ACC_MISSED)
    assert got == ["underfitting"]


def test_underfitting_by_hand():
    found = diagnose(BY_HAND, losses([10.0, 6.0, 4.0, 3.2]),
                     {"metrics": {"test_mse": 3.3, "gradient_error": 0.0, "autograd_uses": 0.0},
                      "facts": {"train_mse": 3.2}}, None,
                     [{"metric": "test_mse", "max": 0.32, "value": 3.3, "passed": False}])
    assert [d.code for d in found] == ["underfitting"] and found[0].lesson == "gradient-descent"


@pytest.mark.parametrize(("kind", "lr"), [("Adam", 3.0), ("Adam", 1e-7), ("SGD", 50.0), ("SGD", 1e-6)])
def test_learning_rate_extreme(kind, lr):
    facts = {**GOOD_FACTS, "learning_rate": lr, "optimizers": [{"type": kind, "lr": lr}]}
    assert "learning-rate-extreme" in codes(curves=HEALTHY, evaluation=evaluation(**facts), thresholds=ACC_MISSED)


@pytest.mark.parametrize(("kind", "lr"), [("Adam", 0.001), ("SGD", 0.1), ("AdamW", 0.03)])
def test_usual_learning_rates_are_fine(kind, lr):
    facts = {**GOOD_FACTS, "learning_rate": lr, "optimizers": [{"type": kind, "lr": lr}]}
    assert "learning-rate-extreme" not in codes(curves=HEALTHY, evaluation=evaluation(**facts))


def test_softmax_before_cross_entropy():
    facts = {**GOOD_FACTS, "outputs_look_like_probabilities": True}
    found = diagnose(CLASSIFY, HEALTHY, evaluation(**facts), None, ACC_MISSED)
    assert found[0].code == "softmax-before-cross-entropy" and "CrossEntropyLoss" in found[0].message
    SEEN.add(found[0].code)


def test_inputs_not_normalized_quotes_what_the_first_layer_saw():
    facts = {**GOOD_FACTS, "inputs_normalized": False, "first_layer_input": {"mean": 120.0, "std": 60.0}}
    found = diagnose(CLASSIFY, HEALTHY, evaluation(**facts), None, ACC_MISSED)
    assert found[0].code == "inputs-not-normalized" and "120" in found[0].message
    SEEN.add(found[0].code)


def test_suspicious_validation_when_the_model_saw_the_validation_set():
    facts = {**GOOD_FACTS, "train_accuracy": 1.0, "val_accuracy": 1.0}
    got = codes(curves=HEALTHY, evaluation=evaluation({"test_accuracy": 0.7}, **facts), thresholds=ACC_MISSED)
    assert got[0] == "suspicious-validation" and "overfitting" not in got


def test_suspicious_validation_from_the_logged_number():
    curve = losses([1.0, 0.5, 0.3], val_accuracy=[0.9, 1.0, 1.0])
    facts = {k: v for k, v in GOOD_FACTS.items() if k not in ("train_accuracy", "val_accuracy")}
    got = codes(curves=curve, evaluation=evaluation({"test_accuracy": 0.6}, **facts), thresholds=ACC_MISSED)
    assert "suspicious-validation" in got


def test_dropout_too_high():
    facts = {**GOOD_FACTS, "dropout_rates": [0.2, 0.8], "mode_dependent_layers": 2}
    found = diagnose(CLASSIFY, HEALTHY, evaluation({"test_accuracy": 0.93}, **facts), None, ACC_PASSED)
    assert [d.code for d in found] == ["dropout-too-high"] and "80%" in found[0].message
    SEEN.add("dropout-too-high")


def test_wrong_output_says_expected_and_got():
    facts = {**GOOD_FACTS, "wrong_output": True, "expected_output": {"shape": [3000, 3], "dtype": "float"},
             "got_output": {"shape": [3000], "dtype": "int64"}}
    found = diagnose(CLASSIFY, HEALTHY, evaluation({"test_accuracy": 0.0}, **facts), None, ACC_MISSED)
    assert found[0].code == "wrong-output"
    assert "(3000,)" in found[0].message and "(3000, 3)" in found[0].message and "int64" in found[0].message
    assert "underfitting" not in [d.code for d in found]
    SEEN.add("wrong-output")


def test_wrong_output_by_hand():
    evaluation_ = {"metrics": {"test_mse": 9.0, "gradient_error": 0.0, "autograd_uses": 0.0},
                   "facts": {"wrong_output": True, "output_problem": "w must have 3 values and b one value"}}
    assert codes(BY_HAND, [], evaluation_, None, [{"metric": "test_mse", "max": 0.3}]) == ["wrong-output"]


def test_evaluation_crashed():
    facts = {**GOOD_FACTS, "forward_error": "RuntimeError: boom"}
    assert codes(curves=HEALTHY, evaluation=evaluation(**facts), thresholds=ACC_MISSED)[0] == "evaluation-crashed"


def test_left_in_training_mode_only_matters_with_dropout_or_batchnorm():
    facts = {**GOOD_FACTS, "left_in_training_mode": True, "mode_dependent_layers": 1, "dropout_rates": [0.3]}
    assert codes(curves=HEALTHY, evaluation=evaluation({"test_accuracy": 0.93}, **facts),
                 thresholds=ACC_PASSED) == ["left-in-training-mode"]
    facts = {**GOOD_FACTS, "left_in_training_mode": True, "mode_dependent_layers": 0}
    assert codes(curves=HEALTHY, evaluation=evaluation({"test_accuracy": 0.93}, **facts),
                 thresholds=ACC_PASSED) == []


@pytest.mark.parametrize(("error", "words"), [(1.0, "zero"), (0.5, "factor of 2"), (0.2, "20%")])
def test_gradient_mismatch(error, words):
    evaluation_ = {"metrics": {"test_mse": 0.26, "gradient_error": error, "autograd_uses": 0.0}, "facts": {}}
    thresholds = [{"metric": "gradient_error", "max": 1e-4, "value": error, "passed": False}]
    found = diagnose(BY_HAND, losses([10.0, 3.0, 1.0, 0.3]), evaluation_, None, thresholds)
    assert found[0].code == "gradient-mismatch" and words in found[0].message
    SEEN.add("gradient-mismatch")


def test_autograd_used():
    evaluation_ = {"metrics": {"test_mse": 0.26, "gradient_error": 0.0, "autograd_uses": 3.0}, "facts": {}}
    thresholds = [{"metric": "autograd_uses", "max": 0, "value": 3.0, "passed": False}]
    assert codes(BY_HAND, losses([10.0, 3.0, 1.0, 0.3]), evaluation_, None, thresholds) == ["autograd-used"]


def test_too_many_parameters():
    thresholds = [{"metric": "test_accuracy", "min": 0.85, "value": 0.95, "passed": True},
                  {"metric": "parameters", "max": 6000, "value": 120000.0, "passed": False}]
    found = diagnose(CNN, HEALTHY, evaluation({"test_accuracy": 0.95, "parameters": 120000.0}, **GOOD_FACTS),
                     None, thresholds)
    assert [d.code for d in found] == ["too-many-parameters"] and "120,000" in found[0].message
    SEEN.add("too-many-parameters")


def test_below_threshold_is_the_fallback():
    facts = {**GOOD_FACTS, "train_accuracy": 0.9, "val_accuracy": 0.84}
    found = diagnose(CLASSIFY, HEALTHY, evaluation({"test_accuracy": 0.84}, **facts), None,
                     [{"metric": "test_accuracy", "min": 0.85}])  # value and passed filled in from metrics
    assert [d.code for d in found] == ["below-threshold"] and "0.84" in found[0].message
    SEEN.add("below-threshold")


def test_threshold_objects_work_too():
    from types import SimpleNamespace

    thresholds = [SimpleNamespace(metric="test_accuracy", min=0.85, max=None)]
    facts = {**GOOD_FACTS, "train_accuracy": 0.9, "val_accuracy": 0.84}
    assert codes(curves=HEALTHY, evaluation=evaluation({"test_accuracy": 0.84}, **facts),
                 thresholds=thresholds) == ["below-threshold"]


def test_garbage_curves_do_not_crash():
    curves = [{"epoch": "x", "train_loss": "nan?"}, {"train_loss": None}, "not a dict", {"epoch": 2}]
    assert isinstance(diagnose(CLASSIFY, curves, None, None, []), list)  # type: ignore[list-item]


def test_every_code_was_exercised():
    """Runs after the tests above (file order): every code in CODES fired in one of them."""
    if len(SEEN) < len(CODES) // 2:
        pytest.skip("only meaningful when the whole file runs")
    assert set(CODES) - SEEN == set()


def test_every_lesson_exists_in_the_shipped_curriculum():
    from dlpath.curriculum import load_curriculum

    ids = {lesson.id for lesson in load_curriculum().lessons}
    assert {lesson for lesson in CODES.values() if lesson} <= ids
