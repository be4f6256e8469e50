"""``classification``: a model that names the class of an input (points, images, sequences)."""

from __future__ import annotations

import math
from typing import Any

from dlpath.grading.tasks import Evaluation, JudgeContext, Metric, ModelTask
from dlpath.grading.tasks._learned import SKILL_CODES, learned_metric, skill_not_learned

LEARNED = learned_metric("test accuracy", "an answer written in forward(), in weights or buffers set by hand, or in "
                         "a model that was good before it trained")



class ClassificationTask(ModelTask):
    kind = "classification"
    summary = "Classify inputs (2-D points, images, sequences): build_model(info) + train(model, data, device, log)."
    contract = """\
build_model(info) -> torch.nn.Module
    info["input_shape"] is one sample's shape and info["num_classes"] the number of classes.
    The model maps a batch of inputs to raw scores (logits) of shape (N, num_classes).
train(model, data, device, log) -> None (or the trained model)
    data.x_train, data.y_train (int64 labels 0..num_classes-1), data.x_val, data.y_val, data.info.
    device is "cpu" or "cuda". log(epoch=..., train_loss=..., val_loss=..., val_accuracy=...)
    records your learning curves. Leave the model in eval mode.
The grader then runs the model on fresh inputs it never saw and measures the accuracy."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, data, device, log)")
    dataset_kinds = ("classification",)
    metrics = (
        Metric("test_accuracy", "max", "fraction",
               "share of fresh test inputs whose highest score is the right class"),
        Metric("parameters", "min", "numbers",
               "numbers in every tensor the model computes with (weights, biases, buffers, captured tensors), "
               "counted by the judge on a trace of the model it also grades"),
        LEARNED,
    )
    primary = "test_accuracy"
    codes = dict(SKILL_CODES)
    rules = (skill_not_learned,)

    def outputs(self, ctx: JudgeContext, x: Any) -> Any:
        """The model's outputs on ``x`` as the judge believes them (``ModelOutputs``); a subclass may ask otherwise."""
        from dlpath.grading.tasks._model import model_outputs

        return model_outputs(ctx, x)

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import ask_model, label_entropy, majority_share, shape_text

        test, public = ctx.test, ctx.public
        classes = int(test.info["num_classes"])
        train_x, train_y = public.x_train[:2000], public.y_train[:2000]
        asked = ask_model(ctx, [test.x, train_x, public.x_val], {"test_accuracy": 0.0}, self.outputs)
        mixed, (at_test, at_train, at_val), got, metrics = asked.mixed, asked.at, asked.got, asked.metrics
        facts = asked.facts(self, shape_text((len(test), classes)), chance_score=majority_share(test.y, classes),
                            label_entropy=label_entropy(public.y_train, classes))
        out = got.outputs
        if out is None:
            return Evaluation(metrics, Facts(**facts))
        dtype = str(out.dtype).replace("torch.", "")
        facts["got_output"] = shape_text((len(test), *out.shape[1:]), dtype) if out.dim() else shape_text((), dtype)
        if out.dim() != 2 or out.shape[0] != mixed.shape[0] or out.shape[1] != classes or not out.is_floating_point():
            facts["got_output"] = shape_text(out.shape, dtype) if out.shape[0] != mixed.shape[0] else facts["got_output"]
            facts["output_problem"] = (
                f"your model's output has shape {facts['got_output']}; the grader expected {facts['expected_output']}: "
                "one row of raw class scores per input")
            return Evaluation(metrics, Facts(**facts))
        out = out.float()
        finite = bool(torch.isfinite(out).all())
        facts["outputs_finite"] = finite
        facts["outputs_look_like_probabilities"] = bool(
            finite and (out >= 0).all() and torch.allclose(out.sum(dim=1), torch.ones(len(out)), atol=1e-3))

        def accuracy(rows: torch.Tensor, y: torch.Tensor) -> float:
            if len(rows) == 0:
                return math.nan
            return float((out[rows].argmax(dim=1) == y).float().mean()) if finite else 0.0

        metrics["test_accuracy"] = accuracy(at_test, test.y) if finite else 0.0
        facts["train_score"] = accuracy(at_train, train_y)
        facts["val_score"] = accuracy(at_val, public.y_val) if len(at_val) else None
        if finite:
            from dlpath.grading.tasks._model import add_learned_skill

            facts["extra"] = dict(facts.get("extra") or {})
            add_learned_skill(ctx, test.x, lambda got: float((got.float().argmax(dim=1) == test.y[:len(got)]).float()
                                                             .mean()), metrics, facts["extra"])
        return Evaluation(metrics, Facts(**facts))
