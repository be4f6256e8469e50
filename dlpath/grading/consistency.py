"""Diagnoses that compare training with grading.

- What the model trained on against what the grader sends it. The harness hands the learner raw training
  inputs; the watch records them before the learner's code runs and compares them with what the model itself
  received on sampled training steps. Inputs scaled or shifted on their way in (standardized in `train`, say)
  were preprocessed outside the model, and the grader's raw inputs never get that treatment
  (`preprocessing-outside-model`), unless the model returned wraps the trained one in the same preparation:
  the watch gives the returned model a few raw rows and checks what reaches the trained one. Without the
  watch's view, the judge's score on the raw training inputs far below the validation accuracy the learner
  logged says the same.
- The figure the learner logged against the judge's own on the same rows. The judge measures the primary
  metric on the public validation rows itself; a logged validation figure far above or below it was computed
  on other rows, in another mode, or with another denominator (`suspicious-validation`), and a validation
  score far above the held-out one means the validation rows took part in training.
"""

from __future__ import annotations

import math
from typing import Any

from dlpath.grading.diagnosis import fmt as _fmt, make, pct as _pct

__all__ = ["inputs_transformed", "preprocessing_outside", "logged_validation", "suspicious_validation"]

_SCALE = math.log(2.0)  # the spreads differ by more than 2x (median over the features)
_SHIFT = 1.0  # the means moved by more than one raw standard deviation (median over the features)
_GAP = 0.1  # a logged fraction this far from the judge's on the same rows


def inputs_transformed(obs: Any) -> bool:
    """The model trained on inputs scaled or shifted away from the raw training data it was handed, and the
    model returned does not prepare raw inputs the same way (when the watch could replay raw rows through it)."""
    transform = obs.input_transform or {}
    scale, shift = transform.get("scale"), transform.get("shift")
    if not isinstance(scale, (int, float)) or not isinstance(shift, (int, float)):
        return False
    if not (scale > _SCALE or shift > _SHIFT):
        return False
    again_scale, again_shift = transform.get("graded_scale"), transform.get("graded_shift")
    if isinstance(again_scale, (int, float)) and isinstance(again_shift, (int, float)):
        return again_scale > _SCALE or again_shift > _SHIFT  # the returned model prepares them as training did
    return True


def preprocessing_outside(run: Any) -> list[Any]:
    obs = run.observation
    if not inputs_transformed(obs):
        return _scored_outside(run)
    transform = obs.input_transform
    factor = math.exp(transform["scale"])
    return [make("preprocessing-outside-model", f"""The inputs your model trained on are not the training data
        dlpath handed over: on the way in they were changed (their spread differs by about {_fmt(factor)}x and
        their means moved by about {_fmt(transform['shift'])} standard deviations, typically for the
        {transform.get('features', 'several')} features). That preprocessing happens in your training code, outside
        the model: the grader sends raw inputs straight to the model you return, so it sees data unlike anything
        it learned from. Move the preprocessing inside the model: a first module that standardizes with the
        training data's mean and standard deviation kept in buffers (register_buffer), so that every input, the
        grader's included, gets the same treatment.""",
                 evidence=[f"spread of the model's inputs / raw data: about {_fmt(factor)}x",
                           f"mean shift: about {_fmt(transform['shift'])} raw standard deviations"],
                 causes=("inputs standardized or rescaled in train(), not in the model",
                         "data.x_train changed in place"),
                 severity="error" if run.failed() else "warning")]


def _scored_outside(run: Any) -> list[Any]:
    """Without the watch's view of the inputs: the judge's score on the very training inputs handed to train() is
    far below the validation accuracy the learner logged, so the model learned on inputs changed after they were
    handed over."""
    if "scale" in (run.observation.input_transform or {}):  # the watch compared them and saw no change
        return []
    train = run.facts.train_score
    logged = run.curves.points("val_accuracy")
    if train is None or not logged or not run.higher_is_better or not run.primary_is_fraction or not run.failed():
        return []
    losses = [v for _, v in run.loss()]
    if run.facts.outputs_finite is False or not all(math.isfinite(v) for v in losses):
        return []  # a model broken by a blow-up scores low on every input, prepared or not
    last = logged[-1][1]
    if not (last <= 1.0 + 1e-6 and last - train > 0.3):
        return []
    return [make("preprocessing-outside-model", f"""The grader measured your model on the very training inputs
        your train() received, as they were handed over, and it scored {_pct(train)}; yet the validation accuracy
        you logged was {_pct(last)}. Your model learned from inputs you changed after they were handed over
        (scaled, standardized, shifted), and the grader sends raw inputs. Put that step inside the model: in
        forward(), with its statistics stored in the model (buffers set from the training data), so that every
        input gets the same treatment.""",
                 evidence=[f"the grader's {run.primary.removeprefix('test_')} on your training inputs {_pct(train)}",
                           f"logged val_accuracy {_pct(last)}"],
                 causes=("inputs scaled in train() but not in the model", "a transform applied to the training "
                         "tensors only"))]


def logged_validation(run: Any) -> tuple[str, float, float] | None:
    """(series, logged, judged): the learner's last logged validation figure of the primary metric and the
    judge's own on the same public validation rows, when both exist and they are fractions."""
    metric = run.task.metric(run.primary) if run.task is not None else None
    judged = run.facts.val_score
    if metric is None or metric.unit not in ("fraction", "area") or metric.direction != "max" or judged is None:
        return None
    base = run.primary[5:] if run.primary.startswith("test_") else run.primary
    for name in dict.fromkeys((f"val_{base}", f"val_{base.split('_')[-1]}")):
        points = [v for _, v in run.curves.points(name) if math.isfinite(v)]
        if points:
            return name, points[-1], float(judged)
    return None


def suspicious_validation(run: Any) -> list[Any]:
    test = run.metrics.get(run.primary)
    if test is None or not run.higher_is_better or not run.primary_is_fraction or run.facts.outputs_finite is False:
        return []
    val = run.facts.val_score
    if val is not None and val - test > _GAP:
        return [make("suspicious-validation", f"""Your model does much better on the validation set ({_pct(val)})
            than on fresh data ({_pct(test)}). Validation data should be as new to the model as test data, so this
            usually means it was trained on: check that data.x_val and data.y_val are used only to measure, never
            in the training loop or to pick the training batches.""",
                     evidence=[f"validation {run.primary} {_pct(val)}", f"test {run.primary} {_pct(test)}"])]
    found = logged_validation(run)
    if found is not None:
        name, logged, judged = found
        train = run.facts.train_score
        # the same model on the same rows gives the same figure: one that matches the training rows instead
        # was computed on them
        on_train = train is not None and abs(logged - train) <= 0.01 and abs(logged - judged) > 0.03
        if logged > 1.0 + 1e-6 or abs(logged - judged) > _GAP or on_train:
            shown = _pct(logged) if logged <= 1.0 + 1e-6 else f"{_fmt(logged)} (above 1)"
            if on_train:
                why = (f"it is exactly the score on the training rows ({_pct(train)}), so it was computed on them "
                       "(the training data passed where the validation data was meant)")
            elif logged > judged:
                why = ("it was computed on other rows (the training rows?), with the model in training mode, or "
                       "on inputs prepared differently from the raw ones the grader sends")
            else:
                why = ("it was computed with the wrong denominator (batches dropped, or a sum divided by the "
                       "number of batches or by the size of another set), or with dropout still on")
            return [make("suspicious-validation", f"""The {name} you logged at the end ({shown}) is far from what
                the grader measured with your returned model on the same validation rows ({_pct(judged)}): {why}.
                Compute it as the mean of (predictions == labels) over every validation example, in eval mode
                and under torch.no_grad(), so that the figure you steer by is the one that counts.""",
                         evidence=[f"logged {name} {shown}", f"the grader's on the same rows {_pct(judged)}"])]
        return []
    logged_points = run.curves.points("val_accuracy")
    if logged_points:
        last = logged_points[-1][1]
        if last > 1.0 + 1e-6 or last - test > 0.15:
            shown = _pct(last) if last <= 1.0 + 1e-6 else f"{_fmt(last)} (an accuracy above 1)"
            return [make("suspicious-validation", f"""The validation accuracy you logged at the end ({shown}) is
                far above what the grader measured on fresh data ({_pct(test)}). Check how you compute it: on the
                validation data (not the training data), in eval mode, as the mean of (predictions == labels) over
                all validation examples.""", evidence=[f"logged val_accuracy {shown}", f"test {_pct(test)}"])]
    return []
