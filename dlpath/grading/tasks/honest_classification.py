"""``honest_classification``: classify rows of grouped data (visits of patients) and say, honestly, how well.

The learner gets one raw table (missing values as NaN, measurements on their own
scales) with the group of each row (the patient) and its clinic, and writes the
preprocessing, the split and the model. ``train`` returns the model and the
learner's own estimate of its accuracy on groups it has never seen, one per
clinic. The judge sends raw rows of fresh patients and measures itself: the
accuracy (``test_accuracy``), the accuracy on the rows whose label follows from
the measurements (``clean_accuracy``: the clinics' careless records are not the
model's fault), and how far the learner's estimate is from the accuracy of the
clinic where it is furthest (``honesty_gap``). The estimates are numbers the
learner's process reports: never a metric, they only count against the learner
when they are wrong.

Why one estimate per clinic: how carelessly each clinic records its labels is
drawn by the grade's secret world, so the clinics' accuracies differ, between
clinics and between grades, by far more than the gap allowed. A fixed pipeline's
accuracy barely moves between grades otherwise, and one number read off an
earlier report (never measured) passed; one number per clinic, each within the
gap, has to be measured in the grade's own world.

Because the judge sends raw rows, the preprocessing (filling the missing values,
scaling) must live inside the model, with statistics fitted on the training
split only (buffers of the model), exactly as a deployed model would carry them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import ContractError, Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, Task

_PUBLIC_PROBE = 4000  # public rows mixed among the test rows (the model's accuracy on patients it may have seen)
_RAW_MEAN, _RAW_SPREAD = 100.0, 1000.0  # first-layer inputs beyond these are unscaled measurements
_OUTLIER_RATIO = 20.0  # a largest first-layer input this many spreads out: outliers got through


@dataclass(frozen=True)
class GroupedData:
    """The public table: every row with its label and its group (the patient); the learner splits it."""

    x: Any  #: (N, F) float32 raw rows: NaN where a value is missing
    y: Any  #: (N,) int64 labels 0..num_classes-1
    group: Any  #: (N,) int64 the group (patient) of each row
    clinic: Any  #: (N,) int64 the clinic of each row, 0 to info["clinics"] - 1 (a patient's rows share it)
    info: dict = field(default_factory=dict)


def _estimate_rule(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, _pct, make

    bad = run.failed("honesty_gap")
    extra = run.facts.extra
    estimate, test = extra.get("estimate"), extra.get("measured", run.metrics.get("test_accuracy"))
    if not bad or not isinstance(estimate, (int, float)) or not isinstance(test, (int, float)):
        return []
    allowed = bad[0].max if bad[0].max is not None else 0.0
    seen = run.facts.train_score
    rows = extra.get("measured_rows", extra.get("test_rows"))
    clinic = extra.get("clinic")
    where = f" of clinic {clinic}" if clinic is not None and extra.get("clinics", 1) > 1 else ""
    fresh = (f"on {int(rows):,} rows of patients{where} your code never saw" if rows
             else f"on patients{where} your code never saw")
    evidence = [f"your estimate{where} {_pct(estimate)}", f"measured by the grader {_pct(test)}",
                f"gap {_fmt(abs(estimate - test))} (at most {_fmt(allowed)})"]
    if estimate > test:
        near_seen = seen is not None and abs(estimate - seen) < abs(estimate - test)
        why = (f" On the patients in your data it scores {_pct(seen)}, and your estimate is much closer to that: "
               "it was measured on patients the model had already met." if near_seen else "")
        if seen is not None:
            evidence.append(f"accuracy on the patients in your data {_pct(seen)}")
        return [make("optimistic-estimate", f"""Your code estimated {_pct(estimate)} accuracy on new patients{where};
            {fresh} the grader measured {_pct(test)}.{why} The rows of one patient are near-copies with the same
            label: when a random row split puts some of a patient's visits in training and others in validation,
            the validation rows are not new, and the model is rewarded for remembering patients instead of
            learning the pattern. Split by patient (every row of a patient on the same side: torch.isin on
            data.group), fit the imputation and scaling on the training patients only, and report the accuracy on
            the held-out patients.""", evidence=evidence,
                     causes=("a random row split: the same patients on both sides",
                             "preprocessing fitted on every row, validation included",
                             "the estimate measured on training rows",
                             "one figure for every clinic, or one from an earlier report: the clinics differ, "
                             "and so do the grades"), codes=HonestClassificationTask.codes)]
    return [make("pessimistic-estimate", f"""Your code estimated {_pct(estimate)} accuracy on new
        patients{where}; {fresh} the grader measured {_pct(test)}: your model is better than you said. Check that
        the estimate measures the model you return (after its last epoch, in eval mode, with its preprocessing),
        as the share of correct predictions over every held-out row of that clinic (data.clinic).""",
                 evidence=evidence,
                 causes=("the estimate measured on another model than the one returned",
                         "the estimate measured before training finished", "dropout left on while measuring",
                         "the estimates of the clinics in another order than their numbers"),
                 codes=HonestClassificationTask.codes)]


def _missing_values(run: Any) -> list[Any]:
    """NaN in the inputs, not filled: NaN outputs on the rows with a missing value, or a loss NaN from the start."""
    from dlpath.grading.diagnose import _pct, make

    broken = run.facts.extra.get("missing_rows_broken")
    clean = run.facts.extra.get("clean_rows_broken")
    if not isinstance(broken, (int, float)) or broken < 0.5:
        return []
    losses = run.loss()
    nan_from_start = bool(losses) and not math.isfinite(losses[0][1])
    if isinstance(clean, (int, float)) and clean > 0.5 and not nan_from_start:
        return []  # every output is broken and the loss was fine at first: the weights blew up (generic rules)
    evidence = [f"no usable output on {_pct(broken)} of the rows with a missing value"]
    if nan_from_start:
        evidence.append(f"training loss not a number from the first point logged (epoch {losses[0][0]:g})")
    return [make("missing-values-not-handled", f"""Your model gave no usable answer (NaN) for {_pct(broken)} of
        the rows that have a missing value{', and your training loss was NaN from the start' if nan_from_start
        else ''}. Your data has missing values (NaN), and so do the grader's rows. A NaN that enters a network
        spreads to every output it touches; in training it makes the loss NaN, and one step with NaN gradients
        turns every weight into NaN. Fill the missing values inside the model, before the first layer: for
        example torch.where(torch.isnan(x), fill, x), with fill the median of each column of your training split,
        kept in a buffer (register_buffer) so that it travels with the model.""", evidence=evidence,
                 causes=("NaN passed straight into the first layer",
                         "missing values filled in the training tensor only, outside the model"),
                 codes=HonestClassificationTask.codes)]


def _preprocessing(run: Any) -> list[Any]:
    """What the first layer saw: raw measurements (grams next to fractions), or outliers that got through."""
    from dlpath.grading.diagnose import _fmt, make

    stats = run.observation.first_layer_input or {}
    mean, spread, top = stats.get("mean"), stats.get("std"), stats.get("abs_max")
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (mean, spread, top)):
        return []
    seen = f"mean {_fmt(mean)}, spread {_fmt(spread)}, largest {_fmt(top)}"
    severity = "error" if run.failed() else "warning"
    if abs(mean) > _RAW_MEAN or spread > _RAW_SPREAD:
        return [make("inputs-not-normalized", f"""The first layer of your model saw the raw measurements ({seen}):
            grams next to fractions of one. The large columns swamp the small ones, the gradients of the first
            layer are huge, and no learning rate suits every column. Scale each column inside the model (Clean):
            subtract a typical value and divide by a typical spread, both computed from your training rows. Mind
            the typing errors (values 10 to 1000 times too large): a mean and a standard deviation computed with
            them are dragged far off, so use the median and the interquartile range, and clip what remains.""",
                     evidence=[f"first-layer inputs: {seen}"], severity=severity,
                     causes=("no scaling", "statistics computed but never applied"))]
    if top > _OUTLIER_RATIO * max(spread, 1e-12) and top > 10:
        return [make("outliers-not-handled", f"""The first layer of your model saw values up to {_fmt(top)}
            where their typical spread is {_fmt(spread)}: a few values sit far outside the rest. Your data has
            typing errors (a value 10 to 1000 times too large). A mean and a standard deviation computed with them
            are dragged so far that every ordinary value is squashed towards 0, and an outlier that goes through
            unclipped hits the network with a value in the hundreds. Center on the median, divide by the
            interquartile range / 1.35 (statistics a few wild values barely move), and clip the scaled values
            (to +-5, say).""", evidence=[f"first-layer inputs: {seen}"], severity=severity,
                     causes=("mean and standard deviation computed on data with outliers", "no clipping"),
                     codes=HonestClassificationTask.codes)]
    return []


class HonestClassificationTask(Task):
    kind = "honest_classification"
    summary = ("Classify grouped raw rows and estimate your own accuracy on new groups, clinic by clinic: "
               "build_model(info) + train(model, data, device, log) -> (model, estimated_accuracy).")
    contract = """\
build_model(info) -> torch.nn.Module
    info["input_shape"] is [F], info["num_classes"] the number of classes, info["feature_names"] the columns.
    The model takes RAW rows (N, F) float32, as the grader will send them: missing values are NaN and
    every measurement is on its own scale. Put the preprocessing inside the model (filling NaN,
    scaling, taming outliers), with its statistics fitted on your training split only and kept in
    buffers; it returns raw scores (logits) of shape (N, num_classes).
train(model, data, device, log) -> (model, estimated_accuracy)
    data.x (N, F) raw rows, data.y (N,) int64 labels, data.group (N,) int64: the patient of each row;
    data.clinic (N,) int64: its clinic (0 .. info["clinics"] - 1); data.info. Split, fit, and return
    the trained model and your own estimate of its accuracy on patients it has never seen, one per
    clinic: a list (or 1-D tensor) of info["clinics"] fractions between 0 and 1, clinic 0 first
    (with a single clinic, a plain number will do). log(epoch=..., train_loss=..., val_loss=...,
    val_accuracy=...) records your learning curves. Leave the model in eval mode.
The grader sends raw rows of new patients, measures the accuracy in each clinic, and compares your
estimates with it."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, data, device, log) -> (model, estimated_accuracy)")
    dataset_kinds = ("grouped_classification",)
    metrics = (
        Metric("test_accuracy", "max", "fraction",
               "share of rows of fresh patients (raw, with their missing values) whose highest score is the right "
               "class; a row whose scores are not finite counts as wrong"),
        Metric("clean_accuracy", "max", "fraction",
               "test_accuracy on the rows whose label follows from the patient's measurements (the clinics "
               "flip some labels in their records, each clinic as carelessly as the grade's world draws it: no "
               "model can predict those, so this is the accuracy the bar is set on, the same in every world)"),
        Metric("honesty_gap", "min", "fraction",
               "the largest |estimated accuracy - measured accuracy| over the clinics: how far the learner's own "
               "estimate for a clinic is from the accuracy the judge measured on that clinic's fresh patients "
               "(1 when no estimate came back)"),
    )
    primary = "test_accuracy"
    public_type = GroupedData
    codes = {
        "optimistic-estimate": CodeInfo("common-mistakes"),
        "pessimistic-estimate": CodeInfo("common-mistakes"),
        "missing-values-not-handled": CodeInfo("data-cleaning"),
        "outliers-not-handled": CodeInfo("common-mistakes"),
    }
    rules = (_missing_values, _preprocessing, _estimate_rule)
    _STUCK = {"divergence", "plateau", "no-learning", "underfitting", "labels-not-learnable", "exploding-gradients",
              "learning-rate-too-high", "dying-relu", "saturated-units", "below-threshold"}
    exclusive = {
        "optimistic-estimate": {"suspicious-validation"},
        "missing-values-not-handled": _STUCK | {"non-finite-loss", "non-finite-inputs", "suspicious-validation",
                                                "optimistic-estimate", "pessimistic-estimate",
                                                "inputs-not-normalized", "outliers-not-handled"},
        "inputs-not-normalized": _STUCK,
        "outliers-not-handled": _STUCK | {"inputs-not-normalized"},
    }

    # -- both sides
    def public_data(self, project: Any, seed: int, world: int | None = None) -> GroupedData:
        """Every public row in one table (the project's `train` rows; `val` is not used: the learner splits)."""
        from dlpath.datasets import draw

        table = draw(project.dataset, seed, ("train",), world=world)["train"]
        clinic = table.extra.get("clinic")
        if clinic is None:
            import torch

            clinic = torch.zeros(len(table), dtype=torch.long)
        return GroupedData(table.x, table.y, table.extra["patient"], clinic, dict(table.info))

    # -- the learner process
    def train(self, side: LearnerSide, data: GroupedData) -> Any:
        from torch import nn

        from dlpath.grading.tasks._model import function

        build_model = function(side.module, "build_model", ("info",))
        train = function(side.module, "train", ("model", "data", "device", "log"))
        model = build_model(dict(data.info))
        if not isinstance(model, nn.Module):
            raise ContractError(f"build_model(info) returned a {type(model).__name__}; it must return a "
                                "torch.nn.Module (for example an nn.Sequential)")
        side.watch.raw_inputs(data.x)
        side.watch.attach(model)
        with side.watch.training():
            result = train(model, data, side.device, side.log)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ContractError(
                f"train(model, data, device, log) returned {_shown(result)}; it must return the pair "
                "(model, estimated_accuracy): the trained model and your estimate of its accuracy on new patients")
        trained, estimate = result
        if not isinstance(trained, nn.Module):
            raise ContractError(f"train(model, data, device, log) returned ({type(trained).__name__}, ...); the "
                                "first of the pair must be the trained torch.nn.Module")
        values = _estimates(estimate, int(data.info.get("clinics", 1)))
        side.watch.finish(trained)
        return trained, values

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        from dlpath.grading.tasks._model import answer_model

        model, estimate = side.state
        if name == "estimate":
            return {"estimate": estimate}, {}
        return answer_model(name, tensors, model, side.device)

    # -- the judge
    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import ask_model, label_entropy, majority_share, shape_text

        test, public = ctx.test, ctx.public
        classes = int(test.info["num_classes"])
        clinics = int(test.info.get("clinics", 1))
        estimates = self._estimates(ctx, clinics)  # committed before the learner process sees a single test row
        probe_x, probe_y = public.x[:_PUBLIC_PROBE], public.y[:_PUBLIC_PROBE]
        nothing = {"test_accuracy": 0.0, "clean_accuracy": 0.0, "honesty_gap": 1.0}  # a model that answers nothing
        asked = ask_model(ctx, [test.x, probe_x], nothing)
        mixed, (at_test, at_public), got, metrics = asked.mixed, asked.at, asked.got, asked.metrics
        extra: dict[str, Any] = {"test_rows": len(test), "clinics": clinics}
        facts = asked.facts(self, shape_text((len(test), classes)), chance_score=majority_share(test.y, classes),
                            label_entropy=label_entropy(public.y, classes), extra=extra)
        if estimates is not None:
            extra["estimates"] = estimates
            extra["estimate"] = estimates[0]
        out = got.outputs
        if out is None:
            return Evaluation(metrics, Facts(**facts))
        dtype = str(out.dtype).replace("torch.", "")
        if out.dim() != 2 or out.shape[0] != mixed.shape[0] or out.shape[1] != classes or not out.is_floating_point():
            facts["got_output"] = shape_text(out.shape, dtype)
            facts["output_problem"] = (f"your model's output has shape {facts['got_output']} for "
                                       f"{mixed.shape[0]} rows; the grader expected one row of "
                                       f"{classes} raw class scores per input row")
            return Evaluation(metrics, Facts(**facts))
        facts["got_output"] = shape_text((len(test), classes), dtype)
        out = out.float()
        usable = torch.isfinite(out).all(dim=1)  # (N,) rows with an answer
        facts["outputs_finite"] = bool(usable.all())
        missing = torch.isnan(mixed).any(dim=1)
        if bool(missing.any()):
            extra["missing_rows_broken"] = float((~usable[missing]).float().mean())
        if bool((~missing).any()):
            extra["clean_rows_broken"] = float((~usable[~missing]).float().mean())
        labels = torch.empty(len(mixed), dtype=torch.long)  # (N,) each mixed row's label, kept here
        labels[at_test], labels[at_public] = test.y, probe_y
        right = usable & (out.argmax(dim=1) == labels)
        on_test = right[at_test]  # (N_test,) in the order of the test rows
        test_accuracy = float(on_test.float().mean()) if len(at_test) else 0.0
        metrics["test_accuracy"] = test_accuracy
        flipped = test.extra.get("flipped")
        clear = ~flipped if flipped is not None else torch.ones(len(test), dtype=torch.bool)
        metrics["clean_accuracy"] = float(on_test[clear].float().mean()) if bool(clear.any()) else 0.0
        facts["train_score"] = float(right[at_public].float().mean()) if len(at_public) else None
        clinic = test.extra.get("clinic")
        clinic = clinic if clinic is not None else torch.zeros(len(test), dtype=torch.long)
        measured = [float(on_test[clinic == c].float().mean()) if bool((clinic == c).any()) else 0.0
                    for c in range(clinics)]
        extra["measured_accuracies"] = measured
        if estimates is not None:
            gaps = [abs(e - m) for e, m in zip(estimates, measured)]
            worst = max(range(clinics), key=gaps.__getitem__)  # the clinic the gap is measured on
            metrics["honesty_gap"] = gaps[worst]
            extra.update(clinic=worst, estimate=estimates[worst], measured=measured[worst],
                         measured_rows=int((clinic == worst).sum()))
        return Evaluation(metrics, Facts(**facts))

    @staticmethod
    def _estimates(ctx: JudgeContext, clinics: int) -> list[float] | None:
        """The learner's estimates, one per clinic, or None when they did not come back whole and usable."""
        try:
            values, _ = ctx.ask("estimate")
        except LearnerError:
            return None
        got = values.get("estimate")
        if not isinstance(got, list) or len(got) != clinics:
            return None
        for value in got:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                return None
            if not 0.0 <= value <= 1.0:
                return None
        return [float(value) for value in got]


def _estimates(estimate: Any, clinics: int) -> list[float]:
    """The learner's estimates, one fraction per clinic (a plain number or a one-element tensor for one clinic)."""
    import torch

    shape = (f"a list of {clinics} numbers, one per clinic (data.info['clinics'] is {clinics}), clinic 0 first, "
             "each a fraction between 0 and 1" if clinics > 1 else "a number between 0 and 1")
    if isinstance(estimate, torch.Tensor):
        items = estimate.detach().cpu().double().flatten().tolist() if estimate.dim() <= 1 else None
    elif isinstance(estimate, (list, tuple)):
        items = list(estimate)
    else:
        items = [estimate]
    if items is None or len(items) != clinics:
        count = f" of {len(items)} values" if items is not None and len(items) != 1 else ""
        raise ContractError(f"train(model, data, device, log) returned (model, {_shown(estimate)}{count}); the "
                            f"estimated accuracy must be {shape}")
    values = []
    for item in items:
        try:
            if isinstance(item, bool):
                raise TypeError
            value = float(item.detach().cpu().item()) if isinstance(item, torch.Tensor) else float(item)
        except (TypeError, ValueError, RuntimeError):
            raise ContractError(f"train(model, data, device, log) returned (model, {_shown(estimate)}); the "
                                f"estimated accuracy must be {shape}") from None
        if not math.isfinite(value) or not 0.0 <= value <= 1.0:
            percent = " (it looks like a percentage: divide by 100)" if 1.0 < value <= 100.0 else ""
            raise ContractError(f"train(model, data, device, log) returned an estimated accuracy of {value:g}"
                                f"{percent}; it must be a fraction between 0 and 1")
        values.append(value)
    return values


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, (int, float, str, type(None))) else f"a {type(value).__name__}"
    return text if len(text) <= 40 else text[:37] + "..."
