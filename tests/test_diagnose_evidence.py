"""The rules that read the run in time, tensor layouts and training against grading, the differential, the
crash-only rule and strict rules, from synthetic evidence (test_mentor_corpus.py runs real mistakes)."""

from __future__ import annotations

import dataclasses
import math
import types

import pytest

from dlpath.grading.diagnose import Evidence, diagnose
from dlpath.grading.facts import Facts, LayerStat, Observation, Recipe, RecurrentLayer, Timeline
from dlpath.grading.protocol import Failure, FailureKind
from dlpath.grading.tasks import TASKS
from dlpath.grading.thresholds import compare
from tests.test_diagnose import ACC, CLASSIFY, GOOD_FACTS, GOOD_OBS, HEALTHY, losses, run

STEPS = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256]


def timeline(lr=None, loss=None, ratio=None, total=450) -> Timeline:
    n = len(STEPS)
    return Timeline(steps=STEPS, learning_rate=lr or [0.01] * n, loss=loss or [1.1 - 0.05 * i for i in range(n)],
                    update_ratio=ratio or [0.01] * n, total_steps=total)


def codes(**kw) -> list[str]:
    return [d.code for d in run(**kw)]


STUCK = dataclasses.replace(GOOD_FACTS, train_score=0.7, val_score=0.69)


# ------------------------------------------------------------------ in time


def test_a_schedule_that_collapses_the_learning_rate_early_is_named():
    lr = [0.01] * 6 + [1e-3, 1e-4, 1e-6, 1e-10]  # below 1% of the peak from step 128 of 450
    obs = dataclasses.replace(GOOD_OBS, timeline=timeline(lr=lr))
    found = run(obs=obs, facts=STUCK, curves=losses([1.1, 0.8, 0.7, 0.66, 0.65, 0.65, 0.65, 0.65]))
    assert found[0].code == "learning-rate-collapsed" and "step 128 of 450" in found[0].message
    assert not {"underfitting", "plateau", "below-threshold"} & {d.code for d in found}


@pytest.mark.parametrize("lr", [
    [0.01] * 10,  # constant
    [0.02, 0.02, 0.02, 0.02, 0.02, 0.019, 0.018, 0.014, 0.007, 0.0005],  # annealed: below 1% only at the end
    [1e-4, 1e-3, 1e-2, 0.02, 0.02, 0.02, 0.015, 0.01, 0.005, 0.002],  # a warm-up, then a gentle decay
])
def test_schedules_that_keep_the_rate_are_not_a_collapse(lr):
    obs = dataclasses.replace(GOOD_OBS, timeline=timeline(lr=lr))
    assert "learning-rate-collapsed" not in codes(obs=obs, facts=STUCK)


def test_a_blow_up_in_the_first_steps_then_a_flat_loss_is_a_learning_rate_too_high():
    loss = [1.09, 63.0, 485.0, 89.0, 5.5, 1.2, 1.09, 0.98, 1.0, 0.99]
    dead = LayerStat(name="1 (ReLU)", kind="ReLU", dead_fraction=0.44, dead_fraction_last=0.69, dead_from_step=8)
    obs = dataclasses.replace(GOOD_OBS, learning_rate=1.0, layers=[dead],
                              timeline=timeline(loss=loss, ratio=[11.8] + [0.5] * 9, total=120))
    facts = dataclasses.replace(GOOD_FACTS, train_score=0.34, val_score=0.33)
    found = run(obs=obs, facts=facts, curves=losses([183.0, 1.05, 0.97, 0.91, 0.88]))
    assert found[0].code == "learning-rate-too-high" and "by optimizer step 1" in found[0].message
    assert "dead from step 8" in found[0].message
    assert not {"labels-not-learnable", "no-learning", "dying-relu"} & {d.code for d in found}


def test_a_rough_start_that_recovers_is_not_a_blow_up():
    loss = [1.09, 15.0, 3.0, 1.0, 0.6, 0.4, 0.3, 0.25, 0.2, 0.2]
    obs = dataclasses.replace(GOOD_OBS, timeline=timeline(loss=loss))
    assert "learning-rate-too-high" not in codes(obs=obs)


def test_a_loss_growing_geometrically_in_a_loop_by_hand_is_a_learning_rate_too_high():
    curves = losses([3.0, 50.0, 9e4, 2e9, float("inf"), float("nan")])
    found = run(obs=Observation(), curves=curves, facts=STUCK)
    assert found[0].code == "learning-rate-too-high" and "non-finite-loss" not in [d.code for d in found]


def test_nan_before_any_update_is_not_blamed_on_the_learning_rate():
    nan = [math.nan] * len(STEPS)
    obs = dataclasses.replace(GOOD_OBS, timeline=timeline(loss=nan, ratio=[None] * len(STEPS)))
    curves = losses([math.nan, math.nan, math.nan])
    found = run(obs=obs, curves=curves, facts=dataclasses.replace(GOOD_FACTS, outputs_finite=False))
    assert found[0].code == "non-finite-loss" and "before any update" in found[0].message
    assert "Lower the learning rate" not in found[0].message and "learning-rate-too-high" not in codes(
        obs=obs, curves=curves)
    masked = dataclasses.replace(obs, fully_masked_rows=True)
    found = run(obs=masked, curves=curves)
    assert found[0].code == "fully-masked-rows" and "diagonal=1" in found[0].message
    assert [d.code for d in found if d.severity == "error"] == ["fully-masked-rows"]
    nan_inputs = dataclasses.replace(obs, inputs_finite=False)
    assert codes(obs=nan_inputs, curves=curves)[0] == "non-finite-inputs"


# ------------------------------------------------------------------ layouts


def test_a_recurrent_layer_reading_the_batch_as_time_is_named():
    obs = dataclasses.replace(GOOD_OBS, first_input_shape=[64, 50, 8], recurrent=[
        RecurrentLayer("lstm", "LSTM", batch_first=False, input_shape=[64, 50, 8], forget_bias=3.0)])
    found = run(obs=obs, facts=STUCK)
    assert found[0].code == "sequence-axes-swapped" and "batch_first=True" in found[0].message
    fine = dataclasses.replace(obs, recurrent=[RecurrentLayer("lstm", "LSTM", batch_first=False, input_shape=[50, 64, 8])])
    assert "sequence-axes-swapped" not in codes(obs=fine, facts=STUCK)


def test_an_output_indexed_on_the_batch_axis_is_read_from_the_crash():
    obs = dataclasses.replace(GOOD_OBS, first_input_shape=[64, 50, 8], recurrent=[
        RecurrentLayer("lstm", "LSTM", batch_first=True, input_shape=[64, 50, 8])])
    failure = Failure(FailureKind.RAISED, "Expected input batch_size (50) to match target batch_size (64).",
                      exc_type="ValueError", file="train.py", line=40)
    found = run(obs=obs, failure=failure)
    assert [d.code for d in found] == ["sequence-axes-swapped"] and "output[:, -1]" in found[0].message


@pytest.mark.parametrize("message", [
    "Target size (torch.Size([32, 16, 16])) must be the same as input size (torch.Size([32, 1, 16, 16]))",
    "Sizes of tensors must match except in dimension 1. Expected size 8 but got size 4 for tensor number 1",
    "Expected input batch_size (100) to match target batch_size (64).",
    "input.size(-1) must be equal to input_size. Expected 8, got 50",
])
def test_size_and_shape_errors_are_named_from_the_text_in_any_task(message):
    failure = Failure(FailureKind.RAISED, message, exc_type="ValueError", file="train.py", line=3)
    assert codes(failure=failure) == ["shape-mismatch"]


def test_a_loss_on_shapes_that_broadcast_is_named():
    obs = dataclasses.replace(GOOD_OBS, recipe=Recipe(loss="mse_loss", steps=100, zero_grad_per_step=1.0,
                                                      loss_shapes="(5000, 1) and (5000,)"))
    found = run(obs=obs, facts=STUCK)
    assert found[0].code == "target-shape-broadcast" and "(5000, 1) and (5000,)" in found[0].message


# ------------------------------------------------------------------ training against grading


def test_preprocessing_done_outside_the_model_is_named():
    obs = dataclasses.replace(GOOD_OBS, input_transform={"scale": 1.46, "shift": 1.44, "features": 10})
    found = run(obs=obs, facts=dataclasses.replace(GOOD_FACTS, train_score=0.5, val_score=0.5))
    assert found[0].code == "preprocessing-outside-model" and "register_buffer" in found[0].message
    assert "underfitting" not in [d.code for d in found]
    light = dataclasses.replace(GOOD_OBS, input_transform={"scale": 0.2, "shift": 0.3, "features": 10})
    assert "preprocessing-outside-model" not in codes(obs=light)


@pytest.mark.parametrize(("logged", "judged", "words"), [(0.71, 0.93, "denominator"), (0.999, 0.86, "other rows")])
def test_a_logged_validation_figure_far_from_the_graders_on_the_same_rows(logged, judged, words):
    facts = dataclasses.replace(GOOD_FACTS, train_score=0.94, val_score=judged)
    curves = losses([1.1, 0.5, 0.3], val_accuracy=[0.5, 0.6, logged])
    found = run(facts=facts, curves=curves, metrics={"test_accuracy": 0.93})
    assert [d.code for d in found] == ["suspicious-validation"] and words in found[0].message
    assert found[0].severity == "warning"


def test_a_logged_validation_figure_that_is_the_training_score_was_computed_on_the_training_rows():
    facts = dataclasses.replace(GOOD_FACTS, train_score=1.0, val_score=0.933)
    found = run(facts=facts, curves=losses([1.1, 0.5, 0.3], val_accuracy=[0.9, 1.0, 1.0]),
                metrics={"test_accuracy": 0.94})
    assert [d.code for d in found] == ["suspicious-validation"] and "training rows" in found[0].message


def test_a_logged_validation_figure_that_agrees_is_fine():
    facts = dataclasses.replace(GOOD_FACTS, train_score=0.94, val_score=0.93)
    assert codes(facts=facts, curves=losses([1.1, 0.5, 0.3], val_accuracy=[0.5, 0.8, 0.92]),
                 metrics={"test_accuracy": 0.93}) == []


# ------------------------------------------------------------------ the recipe


@pytest.mark.parametrize(("per_step", "fires"), [(0.0, True), (1 / 450, True), (1 / 3, True), (1.0, False)])
def test_zero_grad_not_at_every_step(per_step, fires):
    obs = dataclasses.replace(GOOD_OBS, recipe=Recipe(loss="cross_entropy", steps=450, zero_grad_per_step=per_step,
                                                      backward_calls=450, grad_growth=40.0))
    assert ("gradients-accumulate" in codes(obs=obs, facts=STUCK)) is fires


def test_a_sigmoid_before_a_loss_that_applies_its_own():
    obs = dataclasses.replace(GOOD_OBS, output_activation="Sigmoid", recipe=Recipe(
        loss="binary_cross_entropy_with_logits", steps=100, zero_grad_per_step=1.0, loss_input_in_unit_interval=True))
    found = run(obs=obs, facts=STUCK)
    assert found[0].code == "activation-on-logits" and "BCEWithLogitsLoss" in found[0].message
    plain = dataclasses.replace(obs, output_activation=None)  # logits that happen to lie in 0..1 at the start
    assert "activation-on-logits" not in codes(obs=plain, facts=STUCK)


def test_probabilities_given_to_nll_loss():
    obs = dataclasses.replace(GOOD_OBS, output_activation="Softmax", recipe=Recipe(
        loss="nll_loss", steps=100, zero_grad_per_step=1.0, loss_input_probabilities=True))
    found = run(obs=obs, facts=STUCK)
    assert found[0].code == "softmax-before-cross-entropy" and "log_softmax" in found[0].message
    log_probs = dataclasses.replace(obs, output_activation="LogSoftmax", recipe=dataclasses.replace(
        obs.recipe, loss_input_probabilities=False, loss_input_log_probabilities=True))
    assert "softmax-before-cross-entropy" not in codes(obs=log_probs, facts=STUCK)


def test_inputs_scaled_far_too_small_are_not_normalized():
    obs = dataclasses.replace(GOOD_OBS, inputs_normalized=False, input_scale="small",
                              first_layer_input={"mean": 0.0005, "std": 0.0016, "abs_max": 0.008})
    found = run(obs=obs, facts=dataclasses.replace(GOOD_FACTS, train_score=0.3, val_score=0.3))
    assert found[0].code == "inputs-not-normalized" and "tiny scale" in found[0].message
    assert "labels-not-learnable" not in [d.code for d in found]


# ------------------------------------------------------------------ the differential, crashes, strict rules


def test_the_differential_says_what_was_observed_ruled_out_and_what_to_try_as_a_warning():
    obs = dataclasses.replace(GOOD_OBS, layers=[LayerStat(name="0", kind="Linear", grad_norm=0.5),
                                                LayerStat(name="2", kind="Linear", grad_norm=0.3)],
                              recipe=dataclasses.replace(GOOD_OBS.recipe, backward_per_step=1.0))
    facts = dataclasses.replace(GOOD_FACTS, train_score=0.9, val_score=0.89)
    found = run(obs=obs, facts=facts, metrics={"test_accuracy": 0.84})
    assert [(d.code, d.severity) for d in found] == [("below-threshold", "warning")]
    message = found[0].message
    assert "rules out the loop" in message and "(1)" in message and "gradient" in message
    assert not [d for d in found if d.severity == "error"]


def test_after_a_crash_only_the_crash():
    obs = dataclasses.replace(GOOD_OBS, optimizer=None, recipe=Recipe(steps=0, backward_calls=1), learning_rate=20.0,
                              layers=[LayerStat(name="0", kind="Linear", update_ratio=1e-9, size=100)])
    failure = Failure(FailureKind.RAISED, "Trying to backward through the graph a second time",
                      exc_type="RuntimeError", file="train.py", line=9)
    assert codes(obs=obs, failure=failure) == ["backward-twice"]


def test_a_rule_that_raises_is_noted_and_fails_under_strict_rules(monkeypatch):
    broken = type("Broken", (TASKS["classification"],), {"rules": (lambda run: 1 / 0,)})
    evidence = Evidence(task=broken, project=CLASSIFY, curves=HEALTHY, metrics={"test_accuracy": 0.6},
                        facts=GOOD_FACTS, observation=GOOD_OBS, thresholds=compare(ACC, {"test_accuracy": 0.6}))
    monkeypatch.setenv("DLPATH_STRICT_RULES", "1")
    with pytest.raises(ZeroDivisionError):
        diagnose(evidence)
    monkeypatch.setenv("DLPATH_STRICT_RULES", "0")
    evidence.problems.clear()
    diagnose(evidence)
    assert len(evidence.problems) == 1 and "ZeroDivisionError" in evidence.problems[0]


def test_short_memory_does_not_advise_a_forget_gate_bias_that_is_already_there():
    facts = Facts(primary="test_accuracy", train_score=0.3, val_score=0.3, chance_score=0.25,
                  extra={"follows_signal": 0.2, "follows_end": 0.9, "signal_steps": [0, 1], "length": 50})
    lstm = [LayerStat(name="lstm", kind="LSTM"), LayerStat(name="head", kind="Linear")]
    seq = types.SimpleNamespace(**{**vars(CLASSIFY), "task": "sequence_classification"})
    with_bias = dataclasses.replace(GOOD_OBS, layers=lstm, recurrent=[
        RecurrentLayer("lstm", "LSTM", batch_first=True, input_shape=[64, 50, 8], forget_bias=3.0)])
    found = run(project=seq, obs=with_bias, facts=facts, metrics={"test_accuracy": 0.3})
    assert found[0].code == "short-memory" and "already starts open" in found[0].message
    assert "set the forget gate's bias" not in found[0].message
    default = dataclasses.replace(with_bias, recurrent=[dataclasses.replace(with_bias.recurrent[0], forget_bias=0.05)])
    assert "set the forget gate's bias" in run(project=seq, obs=default, facts=facts,
                                               metrics={"test_accuracy": 0.3})[0].message


def test_a_skipped_rule_is_said_in_the_report_and_detailed_under_debug(monkeypatch):
    import io

    from rich.console import Console

    from dlpath.grading.protocol import Curves, SandboxReport
    from dlpath.grading.report import RunReport
    from dlpath.render.grading import render_run

    def shown(errors: list[str]) -> str:
        out = io.StringIO()
        report = RunReport(project="p", finished=True, verdict="training finished", curves=Curves(None, ()),
                           diagnoses=[], device="cpu", budget_s=10.0, duration_s=1.0, training_s=1.0,
                           peak_memory_mb=1.0, sandbox=SandboxReport(), failure=None, output_tail="",
                           rule_errors=errors)
        render_run(report, Console(file=out, width=200))
        return out.getvalue()

    monkeypatch.delenv("DLPATH_DEBUG", raising=False)
    assert "skipped" not in shown([])
    quiet = shown(["_broken: ZeroDivisionError: division by zero"])
    assert "skipped 1 of its checks" in quiet and "ZeroDivisionError" not in quiet
    monkeypatch.setenv("DLPATH_DEBUG", "1")
    assert "_broken: ZeroDivisionError: division by zero" in shown(["_broken: ZeroDivisionError: division by zero"])
