"""Diagnoses: what a mentor who watched the training would say.

``diagnose(evidence)`` reads everything a grade produced (`Evidence`): the
curves the learner logged, the judge's metrics and facts, what the watch saw
inside the learner process (gradients, update ratios, dead units, the loss
function and what went into it, zero_grad/backward/step counts), how the run
ended, and the thresholds. It returns ``Diagnosis`` values, most fundamental
first, each with a stable ``code`` (the table ``CODES``), a ``severity``
(``error``: it explains the failure; ``warning``: it will hurt; ``info``), the
``evidence`` it rests on (numbers the learner can check), the likely
``causes`` ranked, and the ``lesson`` to revisit when the curriculum in use
has it.

Rules are small functions in an ordered list (``_RULES``), each looking at one
symptom; tasks add their own (``Task.rules``, ``Task.codes``). Rules that read
the run in time live in `dlpath.grading.timeline`, those about tensor layouts in
`dlpath.grading.layout`, those comparing training with grading in
`dlpath.grading.consistency`, and the differential (what to say when no rule
with evidence explains a failure) in `dlpath.grading.differential`. The table
``_EXCLUSIVE`` says which findings make vaguer ones redundant: when the
evidence points at the optimization (gradients piling up, no step taken, a
learning rate whose updates are far too small or too large), the capacity
stories (underfitting, plateau) are not told; overfitting and underfitting are
never both told. After a crash only the crash is explained: the rules that
need results the crash prevented stay silent. Numbers quoted come from the
learner's own curves, from the watch, or from aggregates the judge computed:
never from the hidden data. A project may say what a finding means in it
(project.yaml's ``advice:``, code -> text): that text ends the finding's message.

A rule that raises does not cost the report: its error is kept in
``Evidence.problems`` (the report's ``rule_errors``), and re-raised when the
environment sets ``DLPATH_STRICT_RULES`` (the test suite does), so that a broken
rule fails its tests instead of falling silent.
"""

from __future__ import annotations

import dataclasses
import math
import os
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Mapping

from dlpath.grading import consistency, crashes, differential, layout, timeline
from dlpath.grading.diagnosis import CODES, CodeInfo, Diagnosis, make
from dlpath.grading.diagnosis import layer_name as _where
from dlpath.grading.diagnosis import measure as _measure
from dlpath.grading.diagnosis import epoch as _epoch
from dlpath.grading.diagnosis import fmt as _fmt
from dlpath.grading.diagnosis import pct as _pct
from dlpath.grading.facts import Facts, Observation
from dlpath.grading.protocol import Curves, Failure

__all__ = ["Diagnosis", "CodeInfo", "CODES", "Evidence", "diagnose", "known_codes", "make"]


_ADAPTIVE = ("Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta", "Adafactor")


def known_codes(task: Any = None) -> dict[str, CodeInfo]:
    """The generic codes plus the task's own."""
    return {**CODES, **dict(getattr(task, "codes", {}) or {})}


# ------------------------------------------------------------------ the evidence


@dataclass
class Evidence:
    """Everything the rules look at."""

    task: Any = None  #: the Task class (its metrics, primary, codes, rules)
    project: Any = None  #: the Project (thresholds, calibration)
    curves: Curves = field(default_factory=lambda: Curves(None, ()))
    metrics: Mapping[str, float] = field(default_factory=dict)
    facts: Facts = field(default_factory=Facts)
    observation: Observation = field(default_factory=Observation)
    failure: Failure | None = None
    thresholds: list[Any] = field(default_factory=list)  #: ThresholdResult
    trained: bool = True  #: False for `dlpath run` (no judge, no thresholds)
    problems: list[str] = field(default_factory=list)  #: rules that raised (filled by diagnose: debug data)

    # -- helpers the rules share
    def failed(self, metric: str | None = None) -> list[Any]:
        return [t for t in self.thresholds if not t.passed and (metric is None or t.metric == metric)]

    @property
    def primary(self) -> str:
        return getattr(self.task, "primary", "") or self.facts.primary

    @property
    def higher_is_better(self) -> bool:
        metric = self.task.metric(self.primary) if self.task is not None else None
        return metric is None or metric.direction == "max"

    @property
    def primary_is_fraction(self) -> bool:
        metric = self.task.metric(self.primary) if self.task is not None else None
        return metric is not None and metric.unit == "fraction"

    def loss(self) -> list[tuple[float, float]]:
        series = self.curves.training_loss
        return list(series.points) if series else []

    def reference_parameters(self) -> float | None:
        calibration = getattr(self.project, "calibration", None)
        figures = getattr(calibration, "figures", {}) or {}
        pair = (figures.get("solution") or {}).get("parameters")
        return float(pair[1]) if pair else None

    @property
    def hand_written_updates(self) -> bool:
        """The task asks the learner to update the weights by hand (no optimizer, no autograd)."""
        return bool(getattr(self.task, "hand_written_updates", False))

    def classification(self) -> bool:
        return "classification" in tuple(getattr(self.task, "dataset_kinds", ()))


# ------------------------------------------------------------------ the outputs


def _outputs(run: Evidence) -> list[Diagnosis]:
    facts = run.facts
    if facts.forward_error:
        return [make("evaluation-crashed", f"""Training finished, but calling your model on fresh inputs failed:
            {facts.forward_error}. The grader calls model(x) with a batch shaped like data.x_train (of any batch
            size), on the device the model's parameters are on, after train returns; make sure the forward pass
            works for any batch size and needs nothing that only exists during training.""",
                     evidence=[facts.forward_error])]
    if facts.output_problem:
        evidence = [f"expected {facts.expected_output}"] + ([f"got {facts.got_output}"] if facts.got_output else [])
        return [make("wrong-output", f"""{facts.output_problem.rstrip('.')}. Check the last layer's out_features,
            that nothing flattens or squeezes the batch dimension away, and that the model returns scores, not
            argmax labels.""", evidence=evidence)]
    if facts.batch_dependence:
        return [_batch_dependent(run)]
    return []


def _batch_dependent(run: Evidence) -> Diagnosis:
    """A row's output moved with the rows beside it in its batch (``Facts.batch_dependence``). A model returned in
    training mode with dropout or normalization layers is named for that cause (`left-in-training-mode`, then an
    error: none of its outputs were graded); otherwise `batch-dependent-outputs`."""
    obs = run.observation
    said = f"""The grader asked some inputs a second time, in other company, and your model gave them other answers:
        {run.facts.batch_dependence}. A model's answer for one input must not depend on which other inputs share its
        batch: a user asks about one input at a time, and a grade measured on batches the model adjusts itself to
        would measure the batch, not the model. So none of its outputs were graded."""
    if obs.left_in_training_mode and obs.mode_dependent_layers > 0:
        return make("left-in-training-mode", f"""Your model was returned in training mode, with
            {obs.mode_dependent_layers} dropout/normalization layer(s): in training mode BatchNorm normalizes each
            batch with that batch's own mean and variance, and dropout drops at random, so an input's answer
            depends on its company and on chance. {said} Call model.eval() before returning from train(...):
            BatchNorm then uses the running statistics it learned, and dropout is off.""", severity="error",
                    evidence=[run.facts.batch_dependence, "model.training is True"])
    return make("batch-dependent-outputs", f"""{said} The usual cause is a model left in training mode (BatchNorm
        then normalizes each batch with that batch's own statistics, and dropout drops at random): call model.eval()
        before returning from train(...). If your forward() computes anything across the batch (a mean, a rank, a
        shift that sets the batch's average probability), compute it once in train(), on the training or
        validation data, and store it in the model.""", evidence=[run.facts.batch_dependence])


def _replay(run: Evidence) -> list[Diagnosis]:
    replay = run.facts.replay or ""
    if replay.startswith("unavailable"):
        why = replay.split(":", 1)[-1].strip()
        return [make("model-not-replayable", f"""The grader could not count your model's parameters: it traces the
            model and re-runs the trace itself, and that failed ({why}). Keep forward() to tensor operations on its
            input (no Python dict or list as the output, no torch.empty, no file access), and return one tensor.""",
                     evidence=[why])]
    if replay.startswith("differs"):
        return [make("model-not-replayable", f"""Your model gives different answers when the grader re-runs its
            trace ({replay}): its forward() takes Python decisions that depend on the data (an if on a tensor's
            value), or it is random at evaluation (dropout left on). The grade uses the trace; make forward() the
            same computation for every input, and call model.eval() before returning.""", severity="warning",
                     evidence=[replay])]
    return []


# ------------------------------------------------------------------ the recipe


def _recipe(run: Evidence) -> list[Diagnosis]:
    obs = run.observation
    recipe = obs.recipe
    out: list[Diagnosis] = []
    if recipe is None:
        return out
    steps = recipe.steps or 0
    if recipe.backward_calls and steps == 0 and obs.optimizer is None and not run.hand_written_updates:
        out.append(make("no-optimizer-step", f"""Your loop computed gradients ({recipe.backward_calls} backward()
            calls) but no optimizer ever took a step, so the weights never moved. After loss.backward(), call
            optimizer.step() (with an optimizer built on this model's parameters).""",
                        evidence=[f"{recipe.backward_calls} backward() calls", "0 optimizer steps"],
                        causes=("optimizer.step() missing", "the step inside an if that is never true")))
    per_step = recipe.zero_grad_per_step
    if steps >= 3 and per_step is not None and per_step < 0.5:
        growth = recipe.grad_growth
        calls = round(per_step * steps)
        evidence = [f"{steps} optimizer steps, {calls} zero_grad() call{'s' if calls != 1 else ''}"]
        if growth is not None:
            evidence.append(f"gradient norm {_fmt(growth)}x larger on a late sampled step than on the first")
        never = "never clears the gradients" if calls == 0 else (
            "clears the gradients only once" if calls == 1 else f"clears the gradients on only {calls} of {steps} steps")
        grew = f" (the gradient norm grew {_fmt(growth)} times over training)" if growth else ""
        if growth is None or growth > 3:
            out.append(make("gradients-accumulate", f"""Your loop {never}: backward() adds each batch's gradient to
                the ones already stored, so the updates in between are sums of many past gradients{grew} and the
                model is pushed in a stale, ever larger direction instead of learning. Call optimizer.zero_grad() once per batch, inside
                the loop, before loss.backward() (when you accumulate gradients on purpose, once per
                optimizer.step()).""", evidence=evidence,
                causes=("optimizer.zero_grad() outside the batch loop (once per epoch, or once before the loop)",
                        "optimizer.zero_grad() missing from the loop")))
    if recipe.loss in ("cross_entropy", "nll_loss") and recipe.loss_input_probabilities:
        pass  # said by softmax-before-cross-entropy from the judge's facts or the structure
    if run.classification() and recipe.loss in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss") and (
            recipe.target_float_of_indices):
        shape = " The target's shape also differs from the output's, so PyTorch broadcast them." if (
            recipe.target_shape_differs) else ""
        out.append(make("loss-task-mismatch", f"""Your loss is {recipe.loss} on class numbers turned into floats
            (0., 1., 2., ...). That treats the classes as points on a line, as if class 2 were "twice" class 1,
            and the model learns to predict averages between classes.{shape} For classification use
            nn.CrossEntropyLoss on raw scores (logits) of shape (N, classes) with int64 labels.""",
                        evidence=[f"loss function {recipe.loss}", "float targets holding class indices"],
                        causes=("a regression loss used for classification",)))
    return out


def _structure(run: Evidence) -> list[Diagnosis]:
    obs, facts = run.observation, run.facts
    out: list[Diagnosis] = []
    loss = obs.recipe.loss if obs.recipe else None
    softmaxed = facts.outputs_look_like_probabilities or (obs.recipe and obs.recipe.loss_input_probabilities)
    if loss == "nll_loss" and obs.recipe and obs.recipe.loss_input_probabilities:
        out.append(make("softmax-before-cross-entropy", """What goes into your NLLLoss are probabilities (every
            row is non-negative and sums to 1): the model ends with a softmax. NLLLoss expects log-probabilities
            and only picks the entry of the right class, so on probabilities it maximises p itself, a loss
            whose gradient vanishes as p grows and which is not the cross-entropy. End the model with
            log_softmax (nn.LogSoftmax(dim=1)) for NLLLoss, or drop the softmax and use nn.CrossEntropyLoss on the
            raw scores.""", evidence=["every row given to NLLLoss sums to 1"]))
    elif softmaxed and loss in (None, "cross_entropy"):
        out.append(make("softmax-before-cross-entropy", """Your model's outputs are already probabilities (every
            row is non-negative and sums to 1), so the model ends with a softmax. nn.CrossEntropyLoss applies its
            own log-softmax to raw scores: a softmax before it squashes the gradients and training slows or
            stalls. Remove the final softmax and return the raw scores (logits); use softmax only when you want to
            read probabilities.""", evidence=["every output row sums to 1"]))
    elif loss == "binary_cross_entropy_with_logits" and obs.output_activation in ("Sigmoid", "Softmax"):
        squashed = (" (every input the loss received was already between 0 and 1)"
                    if obs.recipe and obs.recipe.loss_input_in_unit_interval else "")
        out.append(make("activation-on-logits", f"""Your model ends with {obs.output_activation}, and its output
            goes into BCEWithLogitsLoss, which applies its own sigmoid{squashed}: the loss sees
            sigmoid(sigmoid(score)), which can only move between 0.5 and 0.73, so its gradient is tiny and the
            scores cannot separate the classes. Remove the final sigmoid and give the loss the raw scores (logits);
            apply torch.sigmoid only when you want probabilities (in the model you return, or when you evaluate).
            With a sigmoid in the model, use nn.BCELoss instead.""",
                        evidence=[f"loss {loss}", f"last operation of the forward pass: {obs.output_activation}"],
                        causes=("a sigmoid at the end of the model and BCEWithLogitsLoss",)))
    elif obs.output_activation in ("ReLU", "Sigmoid", "Tanh") and loss in ("cross_entropy", "nll_loss"):
        what = {"ReLU": "a ReLU clips every negative score to 0, so the model cannot say 'not this class' and "
                        "whole classes can get stuck at zero gradient",
                "Sigmoid": "a sigmoid squeezes every score into (0, 1), so no class can stand out and the "
                           "gradients shrink",
                "Tanh": "a tanh squeezes every score into (-1, 1), so no class can stand out"}[obs.output_activation]
        out.append(make("activation-on-logits", f"""Your model ends with {obs.output_activation} before
            {loss}: {what}. The last layer should return raw scores (logits): remove the final activation.""",
                        evidence=[f"last operation of the forward pass: {obs.output_activation}"]))
    if obs.stacked_linear:
        out.append(make("stacked-linear", """Two weight layers follow each other with no non-linearity between
            them: together they compute just one linear map, so the extra layer adds parameters but no power to
            bend the decision boundary. Put an activation (nn.ReLU()) between them.""",
                        evidence=["a weight layer directly after another on the first forward pass"]))
    equal = [layer for layer in obs.layers if layer.weight_equal]
    if equal:
        names = ", ".join(f"{l.name} ({l.kind})" for l in equal[:3])
        out.append(make("symmetric-init", f"""Some layers started with every weight equal ({names}). Units that
            start the same get the same gradient and stay copies of each other forever, so the layer behaves like
            a single unit. Keep PyTorch's default random initialization (or nn.init.kaiming_uniform_), never
            zeros or a constant.""", evidence=[f"all weights equal at the start: {names}"]))
    return out


def _gradients(run: Evidence) -> list[Diagnosis]:
    layers = [l for l in run.observation.layers if l.grad_norm is not None and l.kind not in ("Embedding",)]
    out: list[Diagnosis] = []
    if len(layers) >= 2:
        first, last = layers[0], layers[-1]
        finite = [l.grad_norm for l in layers if l.grad_norm is not None and math.isfinite(l.grad_norm)]
        if first.grad_norm is not None and last.grad_norm and len(layers) >= 4 and (
                first.grad_norm < 1e-4 * last.grad_norm or (first.grad_norm < 1e-7 and last.grad_norm > 1e-4)):
            out.append(make("vanishing-gradients", f"""The gradient shrinks on its way back through your
                {len(layers)} weight layers: the first layer's weights get {_fmt(first.grad_norm)} against
                {_fmt(last.grad_norm)} for the last, so the early layers barely learn. Saturating activations
                (sigmoid, tanh) and small initial weights multiply the gradient by less than 1 at every layer. Use
                ReLU-family activations with He (Kaiming) initialization, add normalization layers, or residual
                connections.""", evidence=[f"gradient norm, first layer {_where(first)}: {_fmt(first.grad_norm)}",
                                           f"gradient norm, last layer {_where(last)}: {_fmt(last.grad_norm)}"],
                causes=("sigmoid or tanh activations in a deep network", "initial weights too small",
                        "no normalization or residual connections")))
        elif finite and (max(finite) > 1e4 or any(not math.isfinite(l.grad_norm or 0) for l in layers)):
            worst = max(layers, key=lambda l: l.grad_norm if l.grad_norm is not None and math.isfinite(l.grad_norm)
                        else math.inf)
            out.append(make("exploding-gradients", f"""Your gradients are huge (up to {_fmt(worst.grad_norm)} in
                {_where(worst)}): each step throws the weights far away, and the loss jumps or becomes NaN.
                Lower the learning rate, normalize the inputs, check the initialization scale, and clip the
                gradient norm (torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)).""",
                evidence=[f"gradient norm {_fmt(worst.grad_norm)} in {_where(worst)}"],
                causes=("learning rate too large", "inputs not normalized", "initial weights too large")))
    dead = [l for l in run.observation.layers if l.dead_fraction is not None and l.dead_fraction >= 0.5]
    if dead:
        worst = max(dead, key=lambda l: l.dead_fraction or 0)
        out.append(make("dying-relu", f"""{_pct(worst.dead_fraction or 0)} of the units out of {_where(worst)} gave
            0 for every example of a batch: those ReLUs are dead, they pass no gradient and never recover. Usual
            causes: a learning rate so high that one step pushed their weights far negative, or large negative
            biases at the start. Lower the learning rate, or use LeakyReLU/GELU.""",
                        evidence=[f"dead units out of {_where(worst)}: {_pct(worst.dead_fraction or 0)}"],
                        causes=("learning rate too high", "large negative biases")))
    saturated = [l for l in run.observation.layers if l.saturated_fraction is not None and l.saturated_fraction >= 0.6]
    if saturated:
        worst = max(saturated, key=lambda l: l.saturated_fraction or 0)
        out.append(make("saturated-units", f"""{_pct(worst.saturated_fraction or 0)} of the outputs of
            {_where(worst)} sit at the flat ends of the curve, where its gradient is almost zero: those units have
            stopped learning. Normalize the inputs, use smaller initial weights, or switch to ReLU-family
            activations.""", evidence=[f"saturated outputs of {_where(worst)}: {_pct(worst.saturated_fraction or 0)}"]))
    return out


def _update_ratios(run: Evidence) -> list[Diagnosis]:
    obs = run.observation
    ratios = [l.update_ratio for l in obs.layers
              if l.update_ratio is not None and math.isfinite(l.update_ratio) and l.size >= 16]
    if not ratios or not run.failed():
        return []
    typical = sorted(ratios)[len(ratios) // 2]
    lr = f" (learning rate {_fmt(obs.learning_rate)})" if obs.learning_rate is not None else ""
    flat = _flat(run.loss())
    if typical < 1e-5 and (flat or not run.loss()):
        return [make("learning-rate-too-low", f"""Each optimizer step changes your weights by only about
            {_fmt(typical)} of their size{lr}: at that pace training barely moves (a healthy step is around
            1e-3 of the weights). Raise the learning rate by 10x and watch the loss; if you use weight decay,
            check it is not holding the weights back.""", evidence=[f"typical update/weight ratio {_fmt(typical)}"] + (
                [f"learning rate {_fmt(obs.learning_rate)}"] if obs.learning_rate is not None else []),
                causes=("learning rate too small",))]
    values = [v for _, v in run.loss() if math.isfinite(v)]
    settled = len(values) >= 3 and values[-1] < 0.7 * values[0] and all(
        b <= a * 1.2 for a, b in zip(values[values.index(min(values)):], values[values.index(min(values)) + 1:]))
    if typical > 0.3 and not settled:
        return [make("learning-rate-too-high", f"""Each optimizer step changes your weights by about
            {_pct(typical)} of their size{lr}: the steps are so large that the model jumps across the valley
            instead of settling into it (a healthy step is around 0.1% of the weights). Divide the learning rate
            by 10.""", evidence=[f"typical update/weight ratio {_fmt(typical)}"],
                causes=("learning rate too large",))]
    return []


def _learning_rate(run: Evidence) -> list[Diagnosis]:
    """A configured learning rate far outside the usual range (a weaker reading than the update ratios)."""
    obs = run.observation
    lr = obs.learning_rate
    if lr is None:
        return []
    if run.hand_written_updates or obs.optimizer is None:
        low, high, usual = 1e-5, 1.0, "0.001 to 0.5"
    elif obs.optimizer in _ADAPTIVE:
        low, high, usual = 1e-5, 0.1, "1e-4 to 1e-2"
    else:
        low, high, usual = 1e-4, 2.0, "0.001 to 0.5"
    if not (lr > high or lr <= 0 or lr < low):
        return []
    which = "high" if lr > high else "low"
    effect = ("each step overshoots, so the loss jumps around or explodes" if which == "high" else
              "each step barely moves the weights, so training crawls")
    name = f"{obs.optimizer} " if obs.optimizer else ""
    return [make("learning-rate-extreme", f"""Your {name}learning rate is {_fmt(lr)}, far {which}er than the
        usual {usual} for this kind of problem: {effect}. Try a value in that range, then adjust by factors of 3
        while watching the training curve.""", evidence=[f"learning rate {_fmt(lr)}"],
                 severity="error" if run.failed() else "warning")]


def _regularization(run: Evidence) -> list[Diagnosis]:
    obs = run.observation
    wd = obs.weight_decay
    if wd is None or wd < 0.05 or not run.failed():
        return []
    train = run.facts.train_score
    if train is not None and run.higher_is_better and run.primary_is_fraction and train > 0.9:
        return []
    return [make("too-much-regularization", f"""Your optimizer's weight decay is {_fmt(wd)}: each step pulls every
        weight towards zero that hard, so the weights stay pinned near zero and the model cannot fit even its
        training data. Usual values are 1e-5 to 1e-2 (up to 0.1 with AdamW): lower it by 100x.""",
                 evidence=[f"weight_decay {_fmt(wd)}"] + ([f"training {_measure(run.primary)} {_fmt(train)}"] if train is not None else []))]


def _labels(run: Evidence) -> list[Diagnosis]:
    """A training loss stuck at the entropy of the labels: the inputs carry no signal the model can use."""
    entropy = run.facts.label_entropy
    loss = run.loss()
    if entropy is None or len(loss) < 3 or not run.classification() or not run.failed():
        return []
    obs = run.observation
    if obs.recipe and obs.recipe.loss not in (None, "cross_entropy", "nll_loss"):
        return []
    last = loss[-1][1]
    train, held = run.facts.train_score, run.facts.val_score
    chance = run.facts.chance_score
    if not math.isfinite(last) or last < 0.75 * entropy or chance is None or train is None:
        return []  # the loss fell well below the entropy: the model found something in the inputs
    if train > chance + 0.1 or (held is not None and held > chance + 0.05):
        return []
    if obs.parameters_changed is False or (obs.recipe and obs.recipe.zero_grad_per_step == 0):
        return []
    if obs.linear_model:  # a straight boundary: the signal is there, the model cannot use it (underfitting)
        return []
    if obs.input_scale is not None or obs.inputs_finite is False or consistency.inputs_transformed(obs):
        return []  # the inputs explain it: the signal is there but the model cannot see it
    if timeline.blow_up(run) is not None or timeline.learning_rate_collapse(run) is not None:
        return []  # the learning rate explains it
    if any((layer.dead_fraction_last or 0) >= 0.5 for layer in obs.layers):
        return []  # dead units carry no signal: the inputs cannot reach the output
    ratios = sorted(l.update_ratio for l in obs.layers if l.update_ratio is not None and l.size >= 16)
    if ratios and not 1e-4 <= ratios[len(ratios) // 2] <= 0.3:  # the learning rate explains it
        return []
    return [make("labels-not-learnable", f"""Your training loss stayed near {_fmt(last)}, close to the entropy
        of the labels ({_fmt(entropy)}): the loss of a model that ignores its inputs and predicts how common each
        class is, and even on its training data it is right no more often than guessing. The weights did move, so
        the model found nothing in the inputs that tells the classes apart. Check the data pipeline: are the labels still paired with their inputs (a shuffle of x
        without the same shuffle of y, a sort, a mix-up of data.y_val and data.y_train)?""",
                 evidence=[f"final training loss {_fmt(last)}", f"label entropy {_fmt(entropy)}"] + (
                     [f"training accuracy {_pct(train)} (chance {_pct(chance)})"] if train is not None and chance is not None else []),
                 causes=("inputs and labels shuffled apart", "the wrong labels passed to the loss",
                         "inputs wiped out by preprocessing"))]


# ------------------------------------------------------------------ curves and results


def _flat(points: list[tuple[float, float]]) -> bool:
    values = [v for _, v in points]
    return len(values) >= 3 and all(math.isfinite(v) for v in values) and (
        max(values) - min(values) <= 0.01 * max(abs(values[0]), 1e-8))


def _constant(points: list[tuple[float, float]]) -> bool:
    """The loss did not move at all (nothing was updated), which a model still learning never shows over three
    logged points: enough to say so without a grade (`dlpath run`)."""
    values = [v for _, v in points]
    return len(values) >= 3 and all(math.isfinite(v) for v in values) and (
        max(values) - min(values) <= 1e-6 * max(abs(values[0]), 1e-8))


def unmoved(run: Evidence, points: list[tuple[float, float]]) -> bool:
    """A loss flat enough to call it "nothing learned": flat in a failed grade, or not moving at all in a run
    without a grade (where nothing failed, only the curve can tell)."""
    return _flat(points) and (bool(run.failed()) or (not run.trained and _constant(points)))


def _non_finite(run: Evidence) -> list[Diagnosis]:
    if timeline.nan_from_the_start(run):
        return [make("non-finite-loss", """Your loss was NaN or infinite at the very first step, before any
            update: the learning rate plays no part in that. Something in the forward pass or the loss produces
            it: a log or a division of zero (a hand-written loss: clamp, or use the library's loss on raw
            scores), a softmax over a row that is masked everywhere, NaN in the data. Compute the model's output
            and the loss on one batch before training and check torch.isfinite at each step of the forward
            pass.""", evidence=["loss not finite at step 0, before any update"],
                     causes=("a log or division of zero in the loss", "NaN in the inputs",
                             "a mask that hides every position of a row"))]
    for name in ("train_loss", "loss", "val_loss"):
        for epoch, value in run.curves.points(name):
            if not math.isfinite(value):
                what = "NaN (not a number)" if math.isnan(value) else "infinite"
                return [make("non-finite-loss", f"""Your {name.replace('_', ' ')} became {what} at epoch
                    {_epoch(epoch)}, and nothing is learned from that point on. Most often the learning rate is too
                    high and the weights blow up; other causes: a log or division of zero in a hand-written loss,
                    inputs with huge values (normalize them), or a softmax followed by log instead of
                    CrossEntropyLoss on raw scores. Lower the learning rate tenfold and watch the first epochs.""",
                             evidence=[f"{name} {_fmt(value)} at epoch {_epoch(epoch)}"],
                             causes=("learning rate too high", "a log or division of zero", "unnormalized inputs"))]
    if run.facts.outputs_finite is False:
        return [make("non-finite-loss", """Your model's outputs contain NaN or infinity, so its predictions mean
            nothing. The weights blew up during training: lower the learning rate, normalize the inputs, and log
            the training loss each epoch to see when it happens.""", evidence=["outputs not finite"])]
    return []


def _divergence(run: Evidence) -> list[Diagnosis]:
    points = run.loss()
    if len(points) < 3 or not all(math.isfinite(v) for _, v in points):
        return []
    first, last = points[0][1], points[-1][1]
    lowest = min(v for _, v in points)
    if last > 1.5 * first and last > 3 * max(lowest, 1e-12):
        return [make("divergence", f"""Your training loss grew instead of shrinking: {_fmt(first)} at the start,
            {_fmt(last)} at the end (lowest {_fmt(lowest)}). Each step overshoots the valley and lands higher than
            before. The learning rate is most likely too large for this model: divide it by 10. Also check the
            sign of your update (it must go against the gradient) and that the inputs are normalized.""",
                     evidence=[f"training loss {_fmt(first)} -> {_fmt(last)}"],
                     causes=("learning rate too large", "an update with the wrong sign", "unnormalized inputs"))]
    return []


def _no_learning(run: Evidence) -> list[Diagnosis]:
    changed = run.observation.parameters_changed
    points = run.loss()
    flat = _flat(points)
    if changed is False:
        return [make("no-learning", """Nothing was learned: the model's weights are exactly as they were built.
            Each batch needs three calls after the loss: optimizer.zero_grad(), loss.backward(), optimizer.step().
            Other usual causes: the optimizer was given another model's parameters (build it from the model you
            train, after building the model), the output was .detach()ed or computed under torch.no_grad(), or
            the learning rate is 0.""", evidence=["every weight identical before and after training"],
                     causes=("optimizer.step() or loss.backward() missing", "an optimizer over another model's parameters",
                             "a learning rate of 0"))]
    ratios = [l.update_ratio for l in run.observation.layers if l.update_ratio is not None and l.size >= 16]
    moving = changed is True and bool(ratios) and sorted(ratios)[len(ratios) // 2] >= 1e-4
    if flat and unmoved(run, points) and not moving:
        return [make("no-learning", f"""Your training loss stayed flat from the first epoch to the last
            ({_fmt(points[0][1])}), so the model barely learned. Check that each batch calls optimizer.zero_grad(),
            loss.backward() and optimizer.step(), that the optimizer holds this model's parameters, and that the
            learning rate is not tiny.""", evidence=[f"training loss {_fmt(points[0][1])} from start to end"],
                     severity="error" if run.failed() else "warning")]
    return []


def _plateau(run: Evidence) -> list[Diagnosis]:
    values = [v for _, v in run.loss()]
    if len(values) < 6 or not all(math.isfinite(v) for v in values) or not run.failed():
        return []
    first, last = values[0], values[-1]
    tail = values[len(values) // 2:]
    if first - last > 0.05 * abs(first) and max(tail) - min(tail) <= 0.02 * max(abs(tail[0]), 1e-8):
        return [make("plateau", f"""Your training loss fell at first ({_fmt(first)} -> {_fmt(tail[0])}) and then
            stayed level at about {_fmt(last)} for the second half of training: the model stopped improving with
            these settings. Try a learning-rate schedule (a smaller rate late in training), a different learning
            rate, or Adam instead of plain SGD.""", evidence=[f"training loss {_fmt(first)} -> {_fmt(last)}, flat in "
                                                               "the second half"])]
    return []


def _gap(run: Evidence, train: float, held: float) -> float:
    """How much better the model does on its training data than on held-out data (0 or less: no gap)."""
    if run.higher_is_better:
        return train - held
    return (held - train) / max(abs(train), 1e-12) * (0.1 / 0.5)  # a held-out error 50% above training reads like 0.1


def _overfitting(run: Evidence) -> list[Diagnosis]:
    facts = run.facts
    train, val = facts.train_score, facts.val_score
    test = run.metrics.get(run.primary)
    leaked = val is not None and test is not None and _gap(run, val, test) > 0.1
    if train is not None and val is not None and not leaked and _gap(run, train, val) > 0.1:
        fmt, m = _pct if run.primary_is_fraction else _fmt, _measure(run.primary)
        held = (f", and the grader measured a test {m} of {fmt(test)} on its held-out test set"
                if test is not None else "")
        return [make("overfitting", f"""Your model's {m} is {fmt(train)} on the training set (the examples it
            learns from) but only {fmt(val)} on the validation set (examples it never trained on){held}: it has
            memorised the training set rather than learned the pattern. Try more regularization (weight decay, a
            little dropout, data augmentation), a smaller model or one whose structure suits the data, or stop
            training when the validation loss stops falling.""",
                     evidence=[f"training {m} {fmt(train)}", f"validation {m} {fmt(val)}"] + (
                         [f"test {m} {fmt(test)}"] if test is not None else []),
                     causes=("a model with more freedom than the data supports", "too many epochs",
                             "no regularization"))]
    val_curve = run.curves.points("val_loss")
    train_curve = run.loss()
    if len(val_curve) >= 4 and all(math.isfinite(v) for _, v in val_curve) and run.failed():
        best_i = min(range(len(val_curve)), key=lambda i: val_curve[i][1])
        best_epoch, best = val_curve[best_i]
        last = val_curve[-1][1]
        later = [v for e, v in train_curve if e >= best_epoch]
        early = best_i <= 0.75 * (len(val_curve) - 1) and best_i <= len(val_curve) - 3
        if early and last > best * 1.3 and last - best > 0.02 and len(later) >= 2 and later[-1] < later[0]:
            return [make("overfitting", f"""Your validation loss was lowest at epoch {_epoch(best_epoch)}
                ({_fmt(best)}) and then rose to {_fmt(last)} while the training loss kept falling: past that point
                the model learns the training examples, not the pattern. Stop near the best epoch (early stopping:
                keep the weights with the lowest validation loss), or add regularization such as weight
                decay.""", evidence=[f"validation loss {_fmt(best)} at epoch {_epoch(best_epoch)}, {_fmt(last)} at "
                                     "the end"])]
    return []


def _underfitting(run: Evidence) -> list[Diagnosis]:
    bad = run.failed(run.primary)
    train = run.facts.train_score
    if not bad or train is None:
        return []
    target = bad[0].min if run.higher_is_better else bad[0].max
    if target is None or (train >= target if run.higher_is_better else train <= target):
        return []
    fmt = _pct if run.primary_is_fraction else _fmt
    reference = run.reference_parameters()
    size = run.metrics.get("parameters") or run.facts.parameters
    big_enough = reference is not None and size is not None and size >= 0.8 * reference
    small = reference is not None and size is not None and size < 0.8 * reference
    # an error only where the evidence points at capacity (a linear model, fewer parameters than the reference);
    # otherwise the advice is a list of things to try, and it says so as a warning
    severity = "error" if run.observation.linear_model or small else "warning"
    if run.observation.linear_model:
        advice = ("Your model is linear: no non-linearity follows its weight layer, so it can only draw straight "
                  "boundaries, and stacking more linear layers would not change that. Put hidden layers with an "
                  "activation between them (nn.Linear -> nn.ReLU -> nn.Linear).")
        causes = ("a linear model for a pattern that is not linear",)
    elif big_enough:
        advice = (f"Your model is as large as the reference solution ({int(size):,} parameters against "
                  f"{int(reference):,}), so size is not what holds it back: look at the training itself. Train for "
                  "more epochs, try a learning rate 3x larger and 3x smaller, and check the loop (zero_grad, "
                  "backward, step for every batch).")
        causes = ("too few epochs", "a learning rate too small or too large", "a bug in the loop")
    else:
        advice = ("Give it more capacity where it matters (hidden layers with a non-linearity between them, "
                  "more units or channels), train for more epochs, and check the learning rate (too small and "
                  "training crawls, too large and it bounces without settling).")
        causes = ("too little capacity", "too few epochs", "a learning rate too small or too large")
    m = _measure(run.primary)
    return [make("underfitting", f"""Even on the training set (the examples it learns from) your model's {m} is
        only {fmt(train)}, short of the test {m} of {fmt(target)} the grade asks on the held-out test set: it does
        not fit the pattern (yet). {advice}""",
                 evidence=[f"training {m} {fmt(train)}", f"test {m} needed: {bad[0].target}"], causes=causes,
                 severity=severity)]


def _normalization(run: Evidence) -> list[Diagnosis]:
    obs = run.observation
    if obs.inputs_normalized is not False:
        return []
    stats = obs.first_layer_input or {}
    seen = f" (mean {_fmt(stats.get('mean'))}, spread {_fmt(stats.get('std'))})" if stats else ""
    outside = (" That scaling happened in your training code, before the model: the grader sends raw inputs, "
               "which the model never saw." if consistency.inputs_transformed(obs) else "")
    if obs.input_scale == "small":
        return [make("inputs-not-normalized", f"""The first layer of your model saw inputs on a tiny scale{seen}:
            its outputs are a few thousandths, so every layer after it starts from almost nothing and the weights
            must grow hundreds of times before the inputs matter; training crawls. The data was probably scaled
            twice (divided by 255 when it already was between 0 and 1). Scale the inputs once, to a spread of
            about 1, inside the model or as its first step, so that the grader's raw test inputs get the same
            treatment.{outside}""", evidence=[f"first-layer inputs{seen}"],
                     severity="error" if run.failed() else "warning")]
    return [make("inputs-not-normalized", f"""The first layer of your model saw inputs on a large scale{seen}.
        Large, uneven inputs make the loss surface steep in some directions and flat in others, so one learning
        rate cannot suit them all. Standardize the inputs (subtract the training mean, divide by the training
        standard deviation) inside the model or as its first step, so that the grader's raw test inputs get the
        same treatment.{outside}""", evidence=[f"first-layer inputs{seen}"],
                 severity="error" if run.failed() else "warning")]


def _dropout(run: Evidence) -> list[Diagnosis]:
    rates = [r for r in run.observation.dropout_rates if isinstance(r, (int, float)) and r > 0.5]
    if not rates:
        return []
    return [make("dropout-too-high", f"""Your model drops {_pct(max(rates))} of the activations in a dropout layer
        during training. Above 50%, most of the signal is thrown away at every step and a small network struggles
        to learn at all. Start with p between 0.1 and 0.3, and only where the model overfits.""",
                 evidence=[f"dropout p = {_fmt(max(rates))}"])]


def _training_mode(run: Evidence) -> list[Diagnosis]:
    obs = run.observation
    if obs.left_in_training_mode and obs.mode_dependent_layers > 0:
        return [make("left-in-training-mode", """Your model was returned in training mode. It has layers that
            behave differently when training (dropout, batch normalization), so its predictions were noisier
            than they should be. Call model.eval() before returning from train(...), and around your own
            validation passes (then model.train() again before the next epoch).""",
                     evidence=[f"{obs.mode_dependent_layers} dropout/normalization layer(s)", "model.training is True"])]
    return []


def _parameters(run: Evidence) -> list[Diagnosis]:
    bad = run.failed("parameters")
    if bad and bad[0].value is not None and bad[0].max is not None:
        return [make("too-many-parameters", f"""Your model holds {int(bad[0].value):,} numbers (every weight,
            bias and buffer it computes with); this project allows at most {int(bad[0].max):,}. The point is to
            spend parameters where they help: fewer units or channels, and for images convolutions (one small
            filter shared across the image) instead of a wide fully connected layer.""",
                     evidence=[f"{int(bad[0].value):,} parameters", f"limit {int(bad[0].max):,}"])]
    return []


Rule = Callable[[Evidence], list[Diagnosis]]

_FIRST: tuple[Rule, ...] = (crashes.failure, _outputs)  # then the task's own rules, then these:
_RULES: tuple[Rule, ...] = (
    timeline.first_nan,
    _recipe,
    layout.target_broadcast,
    _structure,
    layout.sequence_axes,
    _normalization,
    consistency.preprocessing_outside,
    timeline.collapsed_learning_rate,
    timeline.exploded,
    _non_finite,
    _update_ratios,
    _labels,
    _gradients,
    _divergence,
    _no_learning,
    _learning_rate,
    _regularization,
    _replay,
    _dropout,
    _training_mode,
    consistency.suspicious_validation,
    _overfitting,
    _underfitting,
    _plateau,
    _parameters,
)

# Codes that make later, vaguer readings redundant: the evidence decides.
_OPTIMIZATION = {"plateau", "underfitting", "no-learning", "below-threshold", "learning-rate-extreme",
                 "divergence", "overfitting", "labels-not-learnable"}
_NAN = {"non-finite-loss", "divergence", "exploding-gradients", "learning-rate-too-high", "learning-rate-extreme",
        "learning-rate-too-low", "dying-relu", "saturated-units", "vanishing-gradients"}
_INPUTS = _OPTIMIZATION | {"exploding-gradients", "dying-relu", "saturated-units", "learning-rate-too-high",
                           "learning-rate-too-low", "vanishing-gradients", "suspicious-validation"}
_EXCLUSIVE: dict[str, set[str]] = {
    "fully-masked-rows": _NAN | _OPTIMIZATION | {"non-finite-inputs"},
    "non-finite-inputs": _NAN | _OPTIMIZATION,
    "learning-rate-collapsed": _OPTIMIZATION | {"learning-rate-too-low", "learning-rate-extreme", "dying-relu"},
    "sequence-axes-swapped": _OPTIMIZATION | {"batch-dependent-outputs"},  # the swap mixes a batch's rows
    "target-shape-broadcast": _OPTIMIZATION | {"loss-task-mismatch"},
    "preprocessing-outside-model": _INPUTS | {"underfitting", "suspicious-validation", "plateau", "below-threshold"},
    "non-finite-loss": {"divergence", "plateau", "no-learning", "underfitting", "exploding-gradients", "below-threshold",
                        "learning-rate-too-high", "suspicious-validation", "overfitting", "labels-not-learnable"},
    "gradients-accumulate": _OPTIMIZATION | {"exploding-gradients", "learning-rate-too-high", "dying-relu",
                                             "non-finite-loss", "saturated-units"},
    "no-optimizer-step": _OPTIMIZATION | {"no-learning"},
    "loss-task-mismatch": _OPTIMIZATION,
    "labels-not-learnable": {"plateau", "underfitting", "no-learning", "below-threshold", "overfitting"},
    "vanishing-gradients": {"plateau", "underfitting", "no-learning", "saturated-units", "labels-not-learnable",
                            "learning-rate-too-low"},
    "exploding-gradients": {"divergence", "plateau", "underfitting", "learning-rate-too-high"},
    "learning-rate-too-low": {"plateau", "underfitting", "no-learning", "learning-rate-extreme"},
    "learning-rate-too-high": {"divergence", "plateau", "underfitting", "learning-rate-extreme", "exploding-gradients",
                               "dying-relu", "overfitting", "labels-not-learnable", "saturated-units",
                               "non-finite-loss", "no-learning", "below-threshold", "learning-rate-too-low",
                               "suspicious-validation"},
    "too-much-regularization": {"plateau", "underfitting", "no-learning", "learning-rate-too-low"},
    "symmetric-init": {"plateau", "underfitting", "no-learning"},
    "divergence": {"plateau", "underfitting"},
    "no-learning": {"plateau", "underfitting", "overfitting"},
    "wrong-output": {"underfitting", "overfitting", "plateau", "suspicious-validation", "labels-not-learnable"},
    "evaluation-crashed": {"underfitting", "overfitting", "plateau", "suspicious-validation", "labels-not-learnable"},
    "batch-dependent-outputs": _OPTIMIZATION | {"suspicious-validation", "left-in-training-mode", "dropout-too-high"},
    "overfitting": {"underfitting"},
    "underfitting": {"plateau"},
    "softmax-before-cross-entropy": {"plateau", "underfitting", "no-learning", "labels-not-learnable",
                                     "below-threshold"},
    "activation-on-logits": {"plateau", "underfitting", "labels-not-learnable", "no-learning", "below-threshold",
                             "saturated-units", "vanishing-gradients", "learning-rate-too-low"},
    "dying-relu": {"plateau", "underfitting"},
    # raw, large inputs are what makes the first layer's gradients explode and its units die; tiny ones are
    # what keeps the first layer from learning: name the cause
    "inputs-not-normalized": _INPUTS | {"preprocessing-outside-model"},
}

#: codes that, as an error, make redundant what another code does (the task's own entries included): a model left
#: in training mode is a warning where it was graded all the same, and the reason nothing was graded where its
#: outputs moved with their batch
_AS_ERROR_LIKE: dict[str, str] = {"left-in-training-mode": "batch-dependent-outputs"}


def diagnose(run: Evidence, lessons: Collection[str] | None = None) -> list[Diagnosis]:
    """Every diagnosis that applies, most fundamental first, each code once.

    `lessons`: the lesson ids of the curriculum in use; a diagnosis whose lesson is
    not among them keeps its advice but loses the link.
    """
    task_rules = tuple(getattr(run.task, "rules", ()) or ())
    if run.failure is not None:
        # After a crash, only the crash: a task's rule that reads the crash itself may name it better
        crash = [item for rule in task_rules if getattr(rule, "explains_crash", False) for item in _safely(rule, run)]
        found = crash or [item for rule in _FIRST for item in _safely(rule, run)]
        return _finish(run, found, lessons)
    rules = _FIRST + task_rules + _RULES
    found: list[Diagnosis] = []
    blocked: set[str] = set()
    exclusive = {code: set(codes) for code, codes in _EXCLUSIVE.items()}
    for code, codes in dict(getattr(run.task, "exclusive", {}) or {}).items():
        exclusive.setdefault(code, set()).update(codes)
    for rule in rules:
        for item in _safely(rule, run):
            if item.code in blocked or any(d.code == item.code for d in found):
                continue
            found.append(item)
            blocked |= exclusive.get(item.code, set())
            if item.severity == "error" and item.code in _AS_ERROR_LIKE:
                blocked |= exclusive.get(_AS_ERROR_LIKE[item.code], set()) - {item.code}
    found = [d for d in found if d.code not in blocked]
    found.extend(_safely(lambda r: differential.differential(r, found), run))
    return _finish(run, found, lessons)


def _safely(rule: Callable[[Evidence], list[Diagnosis]], run: Evidence) -> list[Diagnosis]:
    """The rule's findings; a rule that raises is noted in `run.problems` (and re-raised under
    DLPATH_STRICT_RULES): one broken reading must not cost the report, nor fall silent in the tests."""
    try:
        return list(rule(run))
    except Exception as exc:  # noqa: BLE001 - noted, and raised again where the tests want it
        name = getattr(rule, "__qualname__", repr(rule))
        run.problems.append(f"{name}: {type(exc).__name__}: {exc} | "
                            + " / ".join(traceback.format_exc().strip().splitlines()[-3:]))
        if os.environ.get("DLPATH_STRICT_RULES", "") not in ("", "0"):
            raise
        return []


def _finish(run: Evidence, found: list[Diagnosis], lessons: Collection[str] | None) -> list[Diagnosis]:
    advice = dict(getattr(run.project, "advice", ()) or ())  # project.yaml's `advice:`, what a finding means there
    if advice:
        found = [dataclasses.replace(d, message=f"{d.message} {advice[d.code]}") if d.code in advice else d
                 for d in found]
    if run.failure is None and run.thresholds and not run.failed():  # a pass: nothing explains a failure,
        found = [Diagnosis(d.code, "warning", d.message, d.evidence, d.causes, d.lesson)  # but it may still hurt
                 if d.severity == "error" else d for d in found]
    if lessons is not None:
        found = [d if d.lesson is None or d.lesson in lessons else Diagnosis(
            d.code, d.severity, d.message, d.evidence, d.causes, None) for d in found]
    severity_order = {"error": 0, "warning": 1, "info": 2}
    return sorted(found, key=lambda d: severity_order.get(d.severity, 3))
