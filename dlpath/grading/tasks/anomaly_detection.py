"""``anomaly_detection``: an autoencoder trained on healthy signals, graded on how its errors rank anomalies.

The learner's model reconstructs signals. It trains on healthy signals only. The
judge sends fresh healthy and anomalous signals (inputs only, mixed with training
signals and with random noise the model never saw), gets the reconstructions back,
computes every reconstruction error itself, and measures the ROC-AUC of that error
as an anomaly score against labels that never leave the judge. Nothing the learner
process says about its own errors is used.
"""

from __future__ import annotations

from typing import Any

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, Metric, ModelTask, SplitData
from dlpath.grading.tasks._learned import SKILL_CODES, learned_metric, skill_not_learned

_TRAIN_ROWS = 1000  # training signals mixed among the test ones
_NOISE_ROWS = 500  # random noise the judge asks the model to reconstruct (a model that copies its input copies it too)
_COPIES = 0.2  # noise reconstructed with an error below this share of its power: the model copies its input
_NOT_RECONSTRUCTING = 0.5  # healthy signals reconstructed with an error above this share of their power


def roc_auc(scores: Any, labels: Any) -> float:
    """Area under the ROC curve of ``scores`` (higher: more anomalous) for binary ``labels``; ties count half."""
    import torch

    scores = torch.nan_to_num(scores.double(), nan=1e300, posinf=1e300, neginf=-1e300)
    positive = labels.bool()
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    values, inverse, counts = torch.unique(scores, return_inverse=True, return_counts=True)
    ends = counts.cumsum(0).double()
    average_rank = ends - (counts.double() - 1) / 2  # 1-based rank, averaged over ties
    ranks = average_rank[inverse]
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _copies(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    extra = run.facts.extra or {}
    noise, healthy = extra.get("noise_error"), extra.get("healthy_error")
    if noise is None or noise >= _COPIES or not run.failed(run.primary):
        return []
    return [make("copies-input", f"""Your model reconstructs everything, anomalies included: even random noise,
        which it never saw in training, comes back with an error of only {_pct(noise)} of its power (healthy signals:
        {_pct(healthy or 0.0)}). A model that can copy any input has learned nothing about what healthy signals look
        like, so its error cannot single out the anomalies. Squeeze the signal through a bottleneck: an encoder down
        to a code much smaller than the input (a few numbers for 64 samples), then a decoder back up, so that only
        the shapes seen in training can pass.""",
                 evidence=[f"error on random noise {_pct(noise)} of its power",
                           f"error on healthy signals {_pct(healthy or 0.0)} of their power"],
                 causes=("no bottleneck: a code as large as the input", "a skip connection around the code"),
                 codes=AnomalyDetectionTask.codes)]


def _not_reconstructing(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    extra = run.facts.extra or {}
    healthy = extra.get("healthy_error")
    if healthy is None or healthy < _NOT_RECONSTRUCTING or not run.failed(run.primary):
        return []
    return [make("not-reconstructing", f"""Your model does not reconstruct even healthy signals: its error on them
        is {_pct(healthy)} of their power, so its error mostly measures how loud a signal is, and anomalies are
        not louder. Train it to give back its input: loss = F.mse_loss(model(x), x) on data.x_train, until the
        training loss is a small fraction of the signals' power (the noise alone is about
        {_pct(extra.get('noise_floor') or 0.0)} of it).""", evidence=[f"error on healthy signals {_pct(healthy)} of "
                                                                      "their power"],
                 causes=("the model is not trained to reconstruct", "a bottleneck too small", "too few epochs"),
                 codes=AnomalyDetectionTask.codes)]



class AnomalyDetectionTask(ModelTask):
    kind = "anomaly_detection"
    summary = ("Reconstruct healthy signals (build_model(info) + train(model, data, device, log)); graded on the "
               "ROC-AUC of the reconstruction error as an anomaly score.")
    contract = """\
build_model(info) -> torch.nn.Module
    info["input_shape"] is [L]. The model maps signals (N, L) to their reconstructions (N, L).
train(model, data, device, log) -> None (or the trained model)
    data.x_train (N, L) float32: healthy signals only. data.x_val, data.y_val: healthy and
    anomalous signals, y = 1 for an anomaly: to check your detector, never to train on.
    log(epoch=..., train_loss=..., val_loss=..., val_auc=...) records your learning curves.
    Leave the model in eval mode.
The grader sends fresh signals, computes each reconstruction error itself (the mean squared
difference), and measures how well the error ranks anomalies above healthy signals (ROC-AUC)."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, data, device, log)")
    dataset_kinds = ("anomaly",)
    metrics = (
        Metric("roc_auc", "max", "fraction",
               "ROC-AUC of the reconstruction error (computed by the judge) as a score of fresh anomalies against "
               "fresh healthy signals: 0.5 is guessing, 1 ranks every anomaly above every healthy signal"),
        Metric("parameters", "min", "numbers",
               "numbers in every tensor the model computes with, counted by the judge on a trace of the model"),
        learned_metric("ROC AUC", "a reconstruction written by hand"),
    )
    primary = "roc_auc"
    codes = {"copies-input": CodeInfo("autoencoders-vae"), "not-reconstructing": CodeInfo("autoencoders-vae"),
             **SKILL_CODES}
    rules = (_copies, _not_reconstructing, skill_not_learned)
    exclusive = {"copies-input": {"underfitting", "overfitting", "plateau"},
                 "not-reconstructing": {"underfitting", "plateau"}}

    def public_data(self, project: Any, seed: int, world: int | None = None) -> SplitData:
        """Training signals are healthy only (the anomalies drawn among them are left out); validation keeps both."""
        data = super().public_data(project, seed, world)
        healthy = data.y_train == 0
        return SplitData(data.x_train[healthy], data.y_train[healthy], data.x_val, data.y_val, data.info)

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import add_learned_skill, ask_model, shape_text

        test, public = ctx.test, ctx.public
        g = torch.Generator().manual_seed(int(ctx.test_seed) % (2**62) + 53)
        spread = float(public.x_train.std()) if len(public.x_train) > 1 else 1.0
        noise = spread * torch.randn(_NOISE_ROWS, *test.x.shape[1:], generator=g)
        train_x = public.x_train[:_TRAIN_ROWS]
        asked = ask_model(ctx, [test.x, train_x, public.x_val, noise], {"roc_auc": 0.0})
        mixed, (at_test, at_train, at_val, at_noise), got, metrics = asked.mixed, asked.at, asked.got, asked.metrics
        extra: dict[str, Any] = {}
        facts = asked.facts(self, shape_text((len(test), *test.x.shape[1:])), chance_score=0.5, extra=extra)
        out = got.outputs
        if out is None:
            return Evaluation(metrics, Facts(**facts))
        dtype = str(out.dtype).replace("torch.", "")
        if tuple(out.shape) != tuple(mixed.shape) or not out.is_floating_point():
            facts["got_output"] = shape_text(out.shape, dtype)
            facts["output_problem"] = (f"your model's output has shape {facts['got_output']}; the grader expected "
                                       f"{shape_text(mixed.shape)}: one reconstruction per signal, shaped like it")
            return Evaluation(metrics, Facts(**facts))
        out = out.float()
        facts["got_output"] = shape_text((len(test), *out.shape[1:]), dtype)
        facts["outputs_finite"] = bool(torch.isfinite(out).all())
        error = ((out - mixed) ** 2).flatten(1).mean(dim=1)  # (N,) the judge's own reconstruction errors
        power = (mixed ** 2).flatten(1).mean(dim=1).clamp_min(1e-12)
        metrics["roc_auc"] = roc_auc(error[at_test], test.y)

        def replayed_auc(rebuilt: Any) -> float:
            rows = test.x[:len(rebuilt)]
            return roc_auc(((rebuilt.float() - rows) ** 2).flatten(1).mean(dim=1), test.y[:len(rebuilt)])

        add_learned_skill(ctx, test.x, replayed_auc, metrics, extra)
        if len(at_val):
            facts["val_score"] = roc_auc(error[at_val], public.y_val)
        healthy = at_test[test.y == 0]
        extra["healthy_error"] = float(error[healthy].mean() / power[healthy].mean()) if len(healthy) else None
        extra["noise_error"] = float(error[at_noise].mean() / power[at_noise].mean())
        extra["training_error"] = float(error[at_train].mean() / power[at_train].mean()) if len(at_train) else None
        extra["noise_floor"] = float(test.info.get("noise", 0.0)) ** 2 / float(power[healthy].mean()) if len(
            healthy) else None
        kinds = test.extra.get("anomaly") if isinstance(test.extra, dict) else None
        names = test.info.get("anomalies") or []
        if kinds is not None and len(healthy):
            per_kind = {}
            for index, name in enumerate(names):
                rows = at_test[kinds == index]
                if len(rows):
                    scores = torch.cat([error[healthy], error[rows]])
                    labels = torch.cat([torch.zeros(len(healthy)), torch.ones(len(rows))])
                    per_kind[name] = round(roc_auc(scores, labels), 4)
            extra["auc_by_anomaly"] = per_kind
        return Evaluation(metrics, Facts(**facts))
