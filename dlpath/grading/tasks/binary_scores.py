"""``binary_scores``: a model that gives each input the probability that it is positive.

One task kind for every yes/no question where the positives are what matter
(a rare disease, a loan that defaults, a lesion on a scan). The learner's model
outputs one number per input, a probability in [0, 1]; the judge measures what
a project asks of it: how well it ranks (ROC-AUC, PR-AUC, recall when only
the top 2% may be flagged, sensitivity at 90% specificity), whether its
probabilities can be taken at their word (expected calibration error) and,
for projects that teach it, whether the learner can say what accuracy a screen
that never raises an alert would score. Fixed budgets and specificities are in
the metric names, so a project picks among them.

Every ranking metric counts tied outputs fairly: inputs that share a score are
flagged together, and where a budget cuts through a tie, each of them counts
with the share of the tie that fits (the expected value of breaking the tie at
random). A model that answers only 0 or 1 therefore gets the recall of its
decisions, not of a lucky order.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, ModelTask

ALERT_BUDGET = 0.02  # recall_at_2pct_alerts: the share of inputs that may be flagged
SPECIFICITY = 0.90  # sensitivity_at_90pct_specificity: the share of negatives that must stay unflagged
BINS = 10  # equal-width probability bins of the expected calibration error
TRAIN_ROWS = 5000  # public training rows the judge scores (for the train/validation facts)
PROBABILITY_METRICS = ("test_ece", "brier_skill", "test_accuracy")  # they read the outputs as probabilities
QUIZ = "majority_accuracy_error"


# ------------------------------------------------------------------ the measurements (torch tensors in, floats out)


def _groups(scores: Any, y: Any) -> tuple[Any, Any]:
    """Positives and inputs per distinct score, highest score first: (positives (G,), counts (G,))."""
    import torch

    order = torch.argsort(scores, descending=True)
    _, counts = torch.unique_consecutive(scores[order], return_counts=True)
    positives_so_far = y[order].double().cumsum(0)[counts.cumsum(0) - 1]
    return torch.diff(positives_so_far, prepend=positives_so_far.new_zeros(1)), counts.double()


def roc_auc(scores: Any, y: Any) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    positives, counts = _groups(scores, y)
    negatives = counts - positives
    total_pos, total_neg = float(positives.sum()), float(negatives.sum())
    if total_pos == 0 or total_neg == 0:
        return math.nan
    import torch

    negatives_above = torch.cat([torch.zeros(1, dtype=torch.float64), negatives.cumsum(0)[:-1]])
    # each positive beats the negatives below it: all minus those above minus half of its tie
    wins = (positives * (total_neg - negatives_above - negatives / 2)).sum()
    return float(wins) / (total_pos * total_neg)


def average_precision(scores: Any, y: Any) -> float:
    """Area under the precision-recall curve, as the sum over distinct thresholds of precision x recall gained."""
    positives, counts = _groups(scores, y)
    total = float(positives.sum())
    if total == 0:
        return math.nan
    precision = positives.cumsum(0) / counts.cumsum(0)
    return float((precision * positives).sum()) / total


def recall_at_budget(scores: Any, y: Any, budget: float) -> float:
    """Share of the positives among the ``budget`` share of inputs with the highest scores (ties shared)."""
    positives, counts = _groups(scores, y)
    total = float(positives.sum())
    if total == 0:
        return math.nan
    slots = max(1.0, round(budget * float(counts.sum())))
    return _take(positives, counts, slots) / total


def sensitivity_at_specificity(scores: Any, y: Any, specificity: float) -> float:
    """Share of positives flagged by a threshold that flags at most 1 - ``specificity`` of the negatives."""
    positives, counts = _groups(scores, y)
    negatives = counts - positives
    total = float(positives.sum())
    if total == 0 or float(negatives.sum()) == 0:
        return math.nan
    return _take(positives, negatives, (1.0 - specificity) * float(negatives.sum())) / total


def _take(gains: Any, costs: Any, allowance: float) -> float:
    """Walk the groups from the top while their cost fits ``allowance``; a partly fitting group counts pro rata."""
    spent = gained = 0.0
    for gain, cost in zip(gains.tolist(), costs.tolist()):
        if spent + cost <= allowance:
            spent += cost
            gained += gain
            continue
        if cost > 0:
            gained += gain * (allowance - spent) / cost
        break
    return gained


def reliability(p: Any, y: Any, bins: int = BINS) -> list[tuple[int, float, float, int]]:
    """Per non-empty bin of predicted probability: (bin, mean predicted, share positive, count)."""

    index = (p * bins).long().clamp(0, bins - 1)
    rows = []
    for b in range(bins):
        inside = index == b
        count = int(inside.sum())
        if count:
            rows.append((b, float(p[inside].mean()), float(y[inside].float().mean()), count))
    return rows


def expected_calibration_error(p: Any, y: Any, bins: int = BINS) -> float:
    """Sum over bins of (share of inputs in the bin) x |mean predicted probability - share positive|."""
    total = len(p)
    if total == 0:
        return math.nan
    return sum(count / total * abs(mean - rate) for _, mean, rate, count in reliability(p, y, bins))


# ------------------------------------------------------------------ the diagnoses


def brier_skill(p: Any, y: Any) -> float:
    """1 - Brier score / the Brier score of always answering the share of positives: 0 for a model that gives
    every input the base rate, 1 for a model that is always right and sure; a proper scoring rule, so unlike the
    calibration error it rewards sharp probabilities and cannot be met by squashing them towards the base rate."""
    total = len(p)
    if total == 0:
        return math.nan
    rate = float(y.double().mean())
    reference = rate * (1.0 - rate)
    if reference == 0.0:
        return math.nan
    return 1.0 - float(((p.double() - y.double()) ** 2).mean()) / reference


def _bin_text(row: Any) -> str:
    b, mean, rate, count = row
    return f"{b / BINS:.1f}-{(b + 1) / BINS:.1f}: {count} predictions, mean {mean:.2f}, truly positive {rate:.2f}"


def _quiz(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, make

    if not run.failed(QUIZ):
        return []
    extra = run.facts.extra
    problem = extra.get("quiz_problem")
    said, truth = extra.get("quiz_said"), extra.get("quiz_truth")
    if problem:
        detail = f"Asking it failed: {str(problem).rstrip('.')}."
    elif isinstance(said, (int, float)) and isinstance(truth, (int, float)):
        detail = (f"On your validation labels it returned {_fmt(said)}; the right answer is {_fmt(truth)}: a screen "
                  f"that never raises an alert is right on every negative, so it scores the share of negatives.")
    else:
        detail = "It did not return the right number."
    return [make("accuracy-paradox", f"""The grader asked your always_negative_accuracy(labels) what accuracy a
        screen that always answers "negative" would score. {detail} Compute it once on data.y_val and print it: when
        positives are this rare, a useless screen is already about 99% accurate, which is why this project grades
        recall at an alert budget and precision-recall AUC instead of accuracy.""",
                 evidence=[f"{QUIZ} {_fmt(run.metrics.get(QUIZ))}"], codes=BinaryScoresTask.codes)]


def _decisions(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, make

    distinct = run.facts.extra.get("distinct_outputs")
    graded = [t for t in run.failed() if t.metric != QUIZ]
    if not isinstance(distinct, int) or distinct > 2 or not graded:
        return []
    values = run.facts.extra.get("output_values") or []
    shown = " and ".join(_fmt(v) for v in values)
    if distinct == 1:
        seen = f"Your model gives every input the same answer ({shown}): it tells no one apart."
    else:
        seen = (f"Your model answers every input with one of two values ({shown}): a decision (a threshold applied "
                "inside the model), not a score.")
    return [make("decisions-not-scores", f"""{seen} Ranking metrics need an order: with a yes/no answer the grader
        cannot tell a near-certain case from a borderline one, so an alert budget or a specificity target fills up
        with inputs picked at random among the ties. And a 0 or a 1 is not an honest probability either. Return the
        probability itself (torch.sigmoid of the last layer's output) and leave the threshold to whoever uses
        it.""", evidence=[f"{distinct} distinct output value(s) on fresh inputs"], codes=BinaryScoresTask.codes)]


def _outside(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, make

    low, high = run.facts.extra.get("output_min"), run.facts.extra.get("output_max")
    if not run.facts.extra.get("outside_unit_interval") or not any(run.failed(m) for m in PROBABILITY_METRICS):
        return []
    return [make("not-probabilities", f"""Your model's outputs run from {_fmt(low)} to {_fmt(high)}, outside 0..1,
        so the grader cannot read them as probabilities, and the metrics that do ({', '.join(PROBABILITY_METRICS)})
        count as failed. These look like raw scores (logits): train on them with nn.BCEWithLogitsLoss if you like,
        but end the model you return with torch.sigmoid so that it answers with a probability.""",
                 evidence=[f"outputs from {_fmt(low)} to {_fmt(high)}"], codes=BinaryScoresTask.codes)]


def _majority(run: Any) -> list[Any]:
    """The model learned little more than how rare the positives are."""
    from dlpath.grading.diagnose import _fmt, _pct, make

    extra = run.facts.extra
    flagged = extra.get("flagged_share")
    ranking = [t for t in run.failed() if t.metric not in PROBABILITY_METRICS and t.metric != QUIZ]
    auc = run.metrics.get("test_auc")
    rate = extra.get("train_positive_rate")
    if not ranking or flagged is None or flagged > 0 or auc is None or auc >= 0.9 or not rate or rate > 0.05:
        return []
    if _untrainable(run):
        return []  # the inputs or the gradients explain it better (the generic diagnoses say how)
    accuracy = run.metrics.get("test_accuracy")
    shown = f" Its accuracy is {_pct(accuracy)}, exactly that of a screen that never alerts." if accuracy else ""
    return [make("majority-class", f"""Your model never gives a probability above 0.5: it says "negative" to
        everyone.{shown} With {_pct(rate)} positives, the loss is almost all about the negatives, so a model learns
        the base rate first and the positives only slowly; yours ranks them poorly (ROC-AUC {_fmt(auc)}). Give the
        rare class more weight: nn.BCEWithLogitsLoss(pos_weight=...) with a weight of several times one (up to the
        ratio of negatives to positives), or draw the positives more often in each batch; then train long enough
        for the ranking to improve, watching a ranking metric on the validation data, not the accuracy.""",
                 evidence=[f"share of fresh inputs above 0.5: {_pct(flagged)}", f"ROC-AUC {_fmt(auc)}",
                           f"positives in the training data: {_pct(rate)}"], codes=BinaryScoresTask.codes)]


def _untrainable(run: Any) -> bool:
    """The watch saw raw inputs, inputs preprocessed outside the model, a loss on shapes that broadcast, or
    huge gradients: the model did not learn what it was meant to, so its scores say little yet."""
    from dlpath.grading.consistency import inputs_transformed

    obs = run.observation
    huge = any(layer.grad_norm is not None and (not math.isfinite(layer.grad_norm) or layer.grad_norm > 1e4)
               for layer in obs.layers)
    broadcast = obs.recipe is not None and bool(obs.recipe.loss_shapes)
    return obs.inputs_normalized is False or huge or inputs_transformed(obs) or broadcast


def _unsharp(run: Any) -> list[Any]:
    """Calibrated, but saying little: the probabilities hug the base rate (squashed towards it)."""
    from dlpath.grading.diagnose import _fmt, make

    if not run.failed("brier_skill") or run.failed("test_ece") or _untrainable(run):
        return []
    skill, ece = run.metrics.get("brier_skill") or 0.0, run.metrics.get("test_ece") or 0.0
    extra = run.facts.extra
    low, high = extra.get("output_min"), extra.get("output_max")
    spread = [f"outputs between {_fmt(low)} and {_fmt(high)}"] if isinstance(low, float) and isinstance(high, float) \
        else []
    return [make("miscalibrated", f"""Your probabilities are calibrated on average (expected calibration error
        {_fmt(ece)}) but say almost nothing: scored against the truth they are only {_fmt(skill)} of the way from
        always answering the share of positives to being always right (Brier skill). A calibration error can be
        made small by pulling every probability towards the base rate; a useful model keeps the ranking it learned
        and gives each input its own probability. Calibrate the logits (Platt scaling or a temperature fitted on
        the validation data) instead of shrinking them.""",
                 evidence=[f"Brier skill {_fmt(skill)}", f"ECE {_fmt(ece)}", *spread], codes=BinaryScoresTask.codes)]


SPREAD_RIGHT = 0.75  # a logit slope within [0.75, 1 / 0.75]: the probabilities' spread is about right


def logit_slope(rows: list[tuple[int, float, float, int]]) -> float | None:
    """How the truth's logit follows the model's, bin by bin of the reliability table: the slope of the line
    fitted (weighted by the bins' sizes) through (logit of the bin's mean output, logit of its share of positives).
    About 1 when the probabilities spread as the truth does (a miscalibration is then a shift); below 1 for an
    overconfident model (1 / slope is about the temperature that would fix it), above 1 for an underconfident one.
    None with fewer than two bins."""
    points = []
    for _, mean, rate, count in rows:
        edge = 0.5 / (count + 1)  # a bin with no positive (or no negative) has a finite logit
        points.append((_logit(mean, edge), _logit(rate, edge), count))
    total = sum(c for _, _, c in points)
    if len(points) < 2 or total <= 0:
        return None
    mx = sum(x * c for x, _, c in points) / total
    my = sum(y * c for _, y, c in points) / total
    sxx = sum(c * (x - mx) ** 2 for x, _, c in points)
    if sxx <= 1e-12:
        return None
    return sum(c * (x - mx) * (y - my) for x, y, c in points) / sxx


def _logit(p: float, edge: float) -> float:
    p = min(max(p, edge), 1.0 - edge)
    return math.log(p / (1.0 - p))


def _miscalibrated(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, make

    if not run.failed("test_ece") or _untrainable(run):
        return []
    extra = run.facts.extra
    counts, means, rates = (extra.get(k) or [] for k in ("reliability_count", "reliability_mean", "reliability_rate"))
    rows = [(b, m, r, c) for b, (c, m, r) in enumerate(zip(counts, means, rates)) if c]
    total = sum(c for _, _, _, c in rows) or 1
    mean_p = sum(m * c for _, m, _, c in rows) / total
    mean_y = sum(r * c for _, _, r, c in rows) / total
    ece = run.metrics.get("test_ece") or 0.0
    # overconfident: too high where it says "likely", too low where it says "unlikely"
    spread = sum((m - r) * c * (1 if m > mean_y else -1) for _, m, r, c in rows) / total
    table = [_bin_text(row) for row in rows]
    slope = logit_slope(rows)
    spread_right = slope is None or SPREAD_RIGHT <= slope <= 1.0 / SPREAD_RIGHT
    # a shift moves every probability the same way; an overconfident model's mean can land off the truth as well
    # (by chance, either way), but its table tilts: that is what to fix, and fixing it moves the mean back
    if abs(mean_p - mean_y) >= 0.5 * ece and spread_right:
        if mean_p > mean_y:
            way, cause = "too high", ("Weighting the positives in the loss (pos_weight) or drawing them more often "
                                      "does exactly this, on purpose: it helps the model learn the rare class, and "
                                      "moves every probability up. Keep the weighting if it helps the ranking, and")
        else:
            way, cause = "too low", ("The model learned fewer positives than there are: weighting the negatives, "
                                     "or training data with a lower share of positives, does this. Either way,")
        return [make("shifted-probabilities", f"""Your probabilities are {way} across the board: on average they say
            {_fmt(mean_p)} where {_fmt(mean_y)} of the inputs are positive (expected calibration error {_fmt(ece)}).
            {cause} undo the shift after training: on the validation data, fit sigmoid(a * logit + b) (Platt scaling:
            the b moves the logits back) and return that. The reliability table is in the evidence: predictions
            grouped by probability, with the share that was really positive.""",
                     evidence=[f"ECE {_fmt(ece)}", f"mean probability {_fmt(mean_p)}",
                                   f"share positive {_fmt(mean_y)}", *table], codes=BinaryScoresTask.codes)]
    if not spread_right:
        spread = 1.0 - float(slope or 1.0)  # the tilt of the table says which way
    if spread > 0:
        story = ("Your model is overconfident: where it says a case is likely it is right less often than it says, "
                 "and where it says unlikely, wrong more often. That is what a network trained until it fits its "
                 "training data does: it keeps growing its logits. Fit a temperature on the validation data "
                 "(divide the logits by T, with T chosen to minimise the validation loss) and return "
                 "sigmoid(logits / T); stopping earlier or weight decay help too.")
    else:
        story = ("Your model is underconfident: its probabilities hug the average and are less extreme than the "
                 "truth. Train a little longer, or fit a temperature below 1 on the validation data.")
    return [make("miscalibrated", f"""Your probabilities cannot be taken at their word: the expected calibration
        error is {_fmt(ece)}. {story} The reliability table (predictions grouped by probability, with the share that
        was really positive) is in the evidence: a calibrated model has the two numbers close in every row.""",
                 evidence=[f"ECE {_fmt(ece)}", *_slope_text(slope), *table], codes=BinaryScoresTask.codes)]


def _slope_text(slope: float | None) -> list[str]:
    from dlpath.grading.diagnose import _fmt

    if slope is None or slope <= 0:
        return []
    return [f"logit slope {_fmt(slope)} (1 when the spread is right; a temperature of about {_fmt(1 / slope)} "
            "would undo it)"]


# ------------------------------------------------------------------ the task


class BinaryScoresTask(ModelTask):
    kind = "binary_scores"
    summary = ("The probability that each input is positive: build_model(info) + train(model, data, device, log); "
               "graded on ranking (AUC, PR-AUC, recall at an alert budget, sensitivity at a specificity) and "
               "calibration.")
    contract = """\
build_model(info) -> torch.nn.Module
    info["input_shape"] is one sample's shape; info["positive_rate"] the share of positives.
    The model maps a batch of inputs to one number per input, shape (N,) or (N, 1): the probability
    (between 0 and 1) that the input is positive.
train(model, data, device, log) -> None (or the trained model)
    data.x_train, data.y_train (float32, 1.0 for a positive, 0.0 for a negative), data.x_val, data.y_val,
    data.info. device is "cpu" or "cuda". log(epoch=..., train_loss=..., val_loss=...) records your
    learning curves. Leave the model in eval mode.
always_negative_accuracy(labels) -> float      (only where the project grades majority_accuracy_error)
    The accuracy that a screen which always answers "negative" scores on labels (0./1. tensor).
The grader then runs the model on fresh inputs it never saw and measures the project's metrics."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, data, device, log)")
    dataset_kinds = ("binary",)
    metrics = (
        Metric("test_auc", "max", "area",
               "ROC-AUC on fresh test inputs: the chance that a random positive gets a higher output than a random "
               "negative (ties count half); 0.5 is guessing, 1 is perfect"),
        Metric("test_pr_auc", "max", "area",
               "average precision on fresh test inputs: the area under the precision-recall curve (its floor is "
               "the share of positives, not 0.5)"),
        Metric("recall_at_2pct_alerts", "max", "fraction",
               "share of the positives among the 2% of fresh test inputs with the highest outputs (ties shared)"),
        Metric("sensitivity_at_90pct_specificity", "max", "fraction",
               "share of the positives flagged by a threshold that flags at most 10% of the negatives (ties "
               "shared)"),
        Metric("test_ece", "min", "probability",
               "expected calibration error on fresh test inputs: outputs grouped in 10 equal bins of probability, "
               "the gap between mean output and share of positives in each, weighted by the bin's size"),
        Metric("brier_skill", "max", "fraction",
               "1 - mean squared difference between the outputs and the 0/1 truth on fresh test inputs, over the same "
               "for always answering the share of positives (0: no better than the base rate; 1: always right and "
               "sure); a proper scoring rule, graded beside test_ece so that probabilities squashed towards the "
               "base rate cannot pass"),
        Metric("test_accuracy", "max", "fraction",
               "share of fresh test inputs on the right side of 0.5 (an output above 0.5 calls the input positive)"),
        Metric(QUIZ, "min", "fraction",
               "largest gap between always_negative_accuracy(labels) and the true accuracy of always answering "
               "negative, on the validation labels and two label sets the judge draws"),
    )
    primary = "test_auc"
    codes = {
        "accuracy-paradox": CodeInfo("evaluation-metrics"),
        "decisions-not-scores": CodeInfo("evaluation-metrics"),
        "not-probabilities": CodeInfo("calibration"),
        "majority-class": CodeInfo("class-imbalance"),
        "miscalibrated": CodeInfo("calibration"),
        "shifted-probabilities": CodeInfo("calibration"),
    }
    rules = (_quiz, _decisions, _outside, _majority, _miscalibrated, _unsharp)
    exclusive = {
        "decisions-not-scores": {"miscalibrated", "shifted-probabilities", "majority-class", "underfitting",
                                 "plateau", "overfitting"},
        # Raw scores fail every probability metric whatever the curves say: the missing sigmoid is the
        # one thing to fix (a climbing validation loss is often already handled by keeping the best epoch).
        "not-probabilities": {"miscalibrated", "shifted-probabilities", "overfitting"},
        "shifted-probabilities": {"overfitting"},
        # no output was graded: the calibration's reading of the (failed) metrics has nothing to read
        "batch-dependent-outputs": {"miscalibrated", "shifted-probabilities", "majority-class"},
        "majority-class": {"underfitting", "plateau", "below-threshold"},
    }

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        from dlpath.grading.tasks._model import answer_model, short

        if name == "always_negative_accuracy":
            quiz = getattr(side.module, "always_negative_accuracy", None)
            if not callable(quiz):
                raise LearnerError("train.py has no function always_negative_accuracy(labels)")
            try:
                said = quiz(tensors["labels"].clone())
                said = float(said.item() if hasattr(said, "item") else said)
            except Exception as exc:  # noqa: BLE001 - the learner's function
                raise LearnerError(f"always_negative_accuracy(labels) failed: {short(exc)}") from None
            return {"accuracy": said}, {}
        return answer_model(name, tensors, side.state, side.device)

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import ask_model, shape_text

        test, public = ctx.test, ctx.public
        graded = {t.metric for t in ctx.project.thresholds}
        train_x, train_y = public.x_train[:TRAIN_ROWS], public.y_train[:TRAIN_ROWS]
        asked = ask_model(ctx, [test.x, train_x, public.x_val], {
            "test_auc": 0.0, "test_pr_auc": 0.0, "recall_at_2pct_alerts": 0.0, "sensitivity_at_90pct_specificity": 0.0,
            "test_ece": 1.0, "brier_skill": 0.0, "test_accuracy": 0.0})
        mixed, (at_test, at_train, at_val), got, metrics = asked.mixed, asked.at, asked.got, asked.metrics
        extra: dict[str, Any] = {"train_positive_rate": float(public.y_train.float().mean()) if len(train_y) else None}
        facts = asked.facts(self, shape_text((len(test),)), chance_score=0.5, extra=extra)
        if QUIZ in graded:
            metrics[QUIZ] = self._quiz(ctx, extra)
        out = got.outputs
        if out is None:
            return Evaluation(metrics, Facts(**facts))
        if out.dim() == 2 and out.shape[1] == 1:
            out = out[:, 0]
        dtype = str(out.dtype).replace("torch.", "")
        facts["got_output"] = shape_text((len(test), *out.shape[1:]) if out.dim() else (), dtype)
        if out.dim() != 1 or out.shape[0] != mixed.shape[0] or not out.is_floating_point():
            facts["got_output"] = shape_text(out.shape, dtype)
            facts["output_problem"] = (f"your model's output has shape {facts['got_output']}; the grader expected "
                                       f"{facts['expected_output']}: one probability per input")
            return Evaluation(metrics, Facts(**facts))
        out = out.double()
        finite = bool(torch.isfinite(out).all())
        facts["outputs_finite"] = finite
        if not finite:
            return Evaluation(metrics, Facts(**facts))
        p, y = out[at_test], test.y.double()
        metrics["test_auc"] = _or(roc_auc(p, y), 0.5)
        metrics["test_pr_auc"] = _or(average_precision(p, y), 0.0)
        metrics["recall_at_2pct_alerts"] = _or(recall_at_budget(p, y, ALERT_BUDGET), 0.0)
        metrics["sensitivity_at_90pct_specificity"] = _or(sensitivity_at_specificity(p, y, SPECIFICITY), 0.0)
        facts["train_score"] = _or(roc_auc(out[at_train], train_y.double()), None)
        facts["val_score"] = _or(roc_auc(out[at_val], public.y_val.double()), None) if len(at_val) else None
        distinct = torch.unique(p)
        extra.update(distinct_outputs=min(int(distinct.numel()), 1000), output_min=float(p.min()),
                     output_max=float(p.max()))
        if distinct.numel() <= 2:
            extra["output_values"] = [float(v) for v in distinct]
        if float(out.min()) < 0.0 or float(out.max()) > 1.0:
            extra["outside_unit_interval"] = True
            return Evaluation(metrics, Facts(**facts))  # not probabilities: test_ece and test_accuracy stay failed
        extra["flagged_share"] = float((p > 0.5).double().mean())
        metrics["test_accuracy"] = float(((p > 0.5).double() == y).double().mean())
        metrics["test_ece"] = expected_calibration_error(p, y)
        metrics["brier_skill"] = max(_or(brier_skill(p, y), 0.0), -1.0)
        table = {b: (mean, rate, count) for b, mean, rate, count in reliability(p, y)}
        extra["reliability_count"] = [table.get(b, (0.0, 0.0, 0))[2] for b in range(BINS)]
        extra["reliability_mean"] = [round(table.get(b, (0.0, 0.0, 0))[0], 4) for b in range(BINS)]
        extra["reliability_rate"] = [round(table.get(b, (0.0, 0.0, 0))[1], 4) for b in range(BINS)]
        return Evaluation(metrics, Facts(**facts))

    @staticmethod
    def _quiz(ctx: JudgeContext, extra: dict[str, Any]) -> float:
        """Ask always_negative_accuracy on the validation labels and on two label sets of the judge's own."""
        import torch

        g = torch.Generator().manual_seed(int(ctx.test_seed) % (2**62) + 23)
        label_sets = [ctx.public.y_val.float()]
        for size, rate in ((997, 0.03), (1500, 0.3)):
            label_sets.append((torch.rand(size, generator=g) < rate).float())
        worst = 0.0
        for i, labels in enumerate(label_sets):
            truth = float((labels == 0).float().mean()) if len(labels) else 1.0
            try:
                values, _ = ctx.ask("always_negative_accuracy", tensors={"labels": labels})
            except LearnerError as exc:
                extra["quiz_problem"] = str(exc)
                return 1.0
            said = values.get("accuracy")
            said = float(said) if isinstance(said, (int, float)) and not isinstance(said, bool) else math.nan
            if i == 0:
                extra["quiz_said"], extra["quiz_truth"] = (said if math.isfinite(said) else None), truth
            worst = max(worst, abs(said - truth) if math.isfinite(said) else 1.0)
        return min(worst, 1.0)


def _or(value: float, fallback: Any) -> Any:
    return value if isinstance(value, float) and math.isfinite(value) else fallback
