"""``regression``: a model that predicts a number for each input, graded by its error on fresh inputs."""

from __future__ import annotations

import math

from dlpath.grading.tasks import Evaluation, JudgeContext, Metric, ModelTask


class RegressionTask(ModelTask):
    kind = "regression"
    summary = "Predict a number per input: build_model(info) + train(model, data, device, log); graded on test MSE."
    contract = """\
build_model(info) -> torch.nn.Module
    info["input_shape"] is one sample's shape. The model maps a batch of inputs (N, ...)
    to one prediction per input: shape (N,) or (N, 1).
train(model, data, device, log) -> None (or the trained model)
    data.x_train, data.y_train (float32 targets of shape (N,)), data.x_val, data.y_val, data.info.
    log(epoch=..., train_loss=..., val_loss=...) records your learning curves.
The grader then runs the model on fresh inputs and measures the mean squared error."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, data, device, log)")
    dataset_kinds = ("regression",)
    metrics = (
        Metric("test_mse", "min", "mean squared error", "mean squared error of the predictions on fresh test inputs"),
        Metric("test_r2", "max", "fraction",
               "1 - test MSE / variance of the test targets: 0 is predicting the mean, 1 is perfect"),
        Metric("parameters", "min", "numbers",
               "numbers in every tensor the model computes with, counted by the judge on a trace of the model"),
    )
    primary = "test_mse"

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import ask_model, shape_text

        test, public = ctx.test, ctx.public
        asked = ask_model(ctx, [test.x, public.x_train, public.x_val], {"test_mse": 1.0e12, "test_r2": -1.0e12})
        mixed, (at_test, at_train, at_val), got, metrics = asked.mixed, asked.at, asked.got, asked.metrics
        variance = float(test.y.var(unbiased=False)) or 1.0
        facts = asked.facts(self, shape_text((len(test),)), chance_score=variance)
        out = got.outputs
        if out is None:
            return Evaluation(metrics, Facts(**facts))
        if out.dim() == 2 and out.shape[1] == 1:
            out = out[:, 0]
        facts["got_output"] = shape_text(out.shape, str(out.dtype).replace("torch.", ""))
        if out.dim() != 1 or out.shape[0] != mixed.shape[0] or not out.is_floating_point():
            facts["output_problem"] = (f"your model's output has shape {facts['got_output']}; the grader expected "
                                       f"{facts['expected_output']}: one number per input")
            return Evaluation(metrics, Facts(**facts))
        out = out.float()
        facts["outputs_finite"] = bool(torch.isfinite(out).all())

        def mse(rows: torch.Tensor, y: torch.Tensor) -> float:
            value = float(((out[rows] - y) ** 2).mean()) if len(rows) else math.nan
            return value if math.isfinite(value) else 1.0e12

        metrics["test_mse"] = min(mse(at_test, test.y), 1.0e12)
        metrics["test_r2"] = max(1.0 - metrics["test_mse"] / variance, -1.0e12)
        facts["train_score"] = mse(at_train, public.y_train)
        facts["val_score"] = mse(at_val, public.y_val) if len(at_val) else None
        return Evaluation(metrics, Facts(**facts))
