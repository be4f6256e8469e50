"""Diagnoses that read the run in time: when the loss blew up, when it first was NaN, when the learning rate
collapsed.

The watch samples optimizer steps 0, 1, 2, 4, 8, ... and records, on each, the learning rate, the loss that
backward() was called on and how far the step moved the weights (`Timeline`). Averages over the run hide what
these show: a learning rate that throws the weights away in the first steps and then sits on a flat loss
(dead units), a NaN that is there before any update (so no learning rate causes it), a schedule that shrinks
the rate to nothing a few epochs in. Loops the watch cannot follow (weights updated by hand) fall back on the
logged training curve.

Rules here are generic (`dlpath.grading.diagnose` lists them); they import the helpers they share with the
other rules when they run, as task plugins do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dlpath.grading.diagnosis import fmt as _fmt, layer_name, make

__all__ = ["Collapse", "BlowUp", "learning_rate_collapse", "blow_up", "nan_from_the_start",
           "collapsed_learning_rate", "exploded", "first_nan"]

_SPIKE = 10.0  # a loss this many times its first value is a blow-up
_HUGE_STEP = 1.0  # an update larger than the weights themselves


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Collapse:
    """The learning rate fell below 1% of its peak early in the run."""

    peak: float
    peak_step: int
    step: int  #: the first sampled step at which it was below 1% of the peak
    rate: float  #: the learning rate at that step
    total: int  #: optimizer steps in all
    final: float | None
    loss_then: float | None  #: the sampled loss at that step
    loss_end: float | None  #: the last sampled loss


def learning_rate_collapse(run: Any) -> Collapse | None:
    """The learning rate fell below 1% of its peak before half of the run: whatever the schedule, training
    then stops moving. Annealing that ends near zero (cosine, one-cycle) gets there only at the end."""
    timeline = run.observation.timeline
    if timeline is None:
        return None
    pairs = [(int(s), float(lr)) for s, lr in zip(timeline.steps, timeline.learning_rate) if _finite(lr)]
    if len(pairs) < 3:
        return None
    peak_step, peak = max(pairs, key=lambda p: p[1])
    if peak <= 0:
        return None
    total = max(int(timeline.total_steps or 0), pairs[-1][0] + 1)
    low = next(((s, lr) for s, lr in pairs if s > peak_step and lr < 0.01 * peak), None)
    if low is None or low[0] > 0.5 * total:
        return None
    losses = [(int(s), v) for s, v in zip(timeline.steps, timeline.loss) if _finite(v)]
    then = next((v for s, v in losses if s >= low[0]), None)
    return Collapse(peak, peak_step, low[0], low[1], total, timeline.final_learning_rate, then,
                    losses[-1][1] if losses else None)


@dataclass(frozen=True)
class BlowUp:
    """The loss (or the weights) jumped early and training never recovered."""

    first: float  #: the loss at the first step
    worst: float  #: the largest loss seen after it (inf when it went non-finite)
    step: int | None  #: the sampled optimizer step of the jump (None: read from the logged curve)
    epoch: float | None  #: the logged epoch of the jump (hand-written loops)
    ratio: float | None  #: the largest early update / weight ratio
    after: float | None  #: the lowest loss after the jump
    non_finite: bool  #: the loss ended as NaN or infinity


def blow_up(run: Any) -> BlowUp | None:
    """A loss that was finite at first, then jumped far above where it started (or the first steps moved the
    weights by more than their own size), and never came back well below its start: steps too large."""
    timeline = run.observation.timeline
    if timeline is not None and timeline.steps:
        found = _blow_up_sampled(timeline)
        if found is not None:
            return found
    return _blow_up_logged(run)


def _blow_up_sampled(timeline: Any) -> BlowUp | None:
    losses = list(zip(timeline.steps, timeline.loss))
    if not losses or not _finite(losses[0][1]) or losses[0][1] <= 0:
        return None
    first = float(losses[0][1])
    early = max(8, int(timeline.total_steps or 0) // 4)
    ratios = [float(r) for s, r in zip(timeline.steps, timeline.update_ratio) if s <= early and _finite(r)]
    ratio = max(ratios) if ratios else None
    jump = next(((s, v) for s, v in losses[1:] if s <= early and (not _finite(v) or v > _SPIKE * first)), None)
    if jump is None and not (ratio is not None and ratio > _HUGE_STEP):
        return None
    start = jump[0] if jump else 0
    later = [v for s, v in losses if s > start]
    non_finite = any(not _finite(v) for s, v in losses if s >= start)
    finite_later = [float(v) for v in later if _finite(v)]
    after = min(finite_later) if finite_later else None
    if not non_finite and after is not None and after < 0.7 * first:
        return None  # it came back and learned: a rough start, not the cause
    worst = max((float(v) if _finite(v) else math.inf for s, v in losses[1:]), default=first)
    return BlowUp(first, worst, jump[0] if jump else None, None, ratio, after, non_finite)


def _blow_up_logged(run: Any) -> BlowUp | None:
    """Without sampled steps: a logged training loss that grows by 10x or more from its first point, step
    after step, and ends non-finite or far above its start."""
    points = run.loss()
    if len(points) < 3 or not _finite(points[0][1]) or points[0][1] <= 0:
        return None
    first = float(points[0][1])
    values = [v for _, v in points]
    growing = 0
    for a, b in zip(values, values[1:]):
        if not _finite(b) or (_finite(a) and b > 1.5 * a):
            growing += 1
        else:
            break
    jump = next(((i, e, v) for i, (e, v) in enumerate(points) if i and (not _finite(v) or v > _SPIKE * first)), None)
    if jump is None or growing < 2:
        return None
    if any(_finite(v) and v < 0.7 * first for v in values[jump[0]:]):
        return None  # it came back and learned
    finite = [v for v in values if _finite(v)]
    worst = math.inf if len(finite) < len(values) else max(finite)
    return BlowUp(first, worst, None, jump[1], None, None, len(finite) < len(values))


def nan_from_the_start(run: Any) -> bool | None:
    """True: the loss was NaN or infinite on the very first step, before any update (no learning rate can
    cause that); False: it was finite there; None: not known."""
    timeline = run.observation.timeline
    if timeline is not None and timeline.loss:
        first = timeline.loss[0]
        if isinstance(first, (int, float)) and not isinstance(first, bool):
            return not math.isfinite(first)
    return None


# ------------------------------------------------------------------ the rules


def collapsed_learning_rate(run: Any) -> list[Any]:
    found = learning_rate_collapse(run)
    if found is None or not run.failed():
        return []
    loss = ""
    if found.loss_then is not None and found.loss_end is not None:
        loss = (f" The loss was {_fmt(found.loss_then)} then and {_fmt(found.loss_end)} at the last step the grader "
                "looked at: nothing was learned after that.")
    return [make("learning-rate-collapsed", f"""Your learning rate fell from {_fmt(found.peak)} to {_fmt(found.rate)}
        by optimizer step {found.step} of {found.total}: from there on every step moves the weights by almost
        nothing, so training stopped long before the end.{loss} A schedule sized in epochs (StepLR(step_size=30),
        MultiStepLR, ExponentialLR) that is stepped after every batch does exactly this: call scheduler.step()
        once per epoch, or size the schedule in optimizer steps (epochs x batches per epoch).""",
                 evidence=[f"learning rate {_fmt(found.peak)} at step {found.peak_step}",
                           f"learning rate {_fmt(found.rate)} at step {found.step} of {found.total}"],
                 causes=("a per-epoch schedule stepped after every batch", "a decay factor far too strong"))]


def exploded(run: Any) -> list[Any]:
    """Steps too large, located in time: the loss jumped in the first steps and never recovered."""
    found = blow_up(run)
    if found is None or not run.failed() or run.observation.inputs_finite is False:
        return []
    if run.observation.input_scale is not None:
        return []  # raw inputs make the first steps huge: inputs-not-normalized names the cause
    obs = run.observation
    lr = f" (learning rate {_fmt(obs.learning_rate)})" if obs.learning_rate is not None else ""
    when = (f"by optimizer step {found.step}" if found.step is not None else
            f"by epoch {_fmt(found.epoch)}" if found.epoch is not None else "in the first steps")
    worst = "NaN or infinity" if not math.isfinite(found.worst) else _fmt(found.worst)
    evidence = [f"loss {_fmt(found.first)} at the first step, {worst} {when}"]
    if found.ratio is not None and found.ratio > _HUGE_STEP:
        evidence.append(f"one step moved the weights by {_fmt(found.ratio)} times their own size")
    dead = [layer for layer in obs.layers if layer.dead_from_step is not None and (layer.dead_fraction_last or 0) >= 0.5]
    aftermath = ""
    if dead:
        worst_layer = max(dead, key=lambda layer: layer.dead_fraction_last or 0)
        aftermath = (f" The jump killed the units out of {layer_name(worst_layer)} ({_fmt(100 * (worst_layer.dead_fraction_last or 0))}% "
                     f"dead from step {worst_layer.dead_from_step} on): they pass no gradient, so the loss then sat "
                     "where a model that ignores its inputs sits.")
        evidence.append(f"dead units out of {layer_name(worst_layer)} from step {worst_layer.dead_from_step}")
    elif found.after is not None:
        aftermath = f" It never came back below {_fmt(found.after)}."
    return [make("learning-rate-too-high", f"""Your loss went from {_fmt(found.first)} at the first step to {worst}
        {when}: the steps are so large{lr} that the weights are thrown past the valley instead of down into
        it.{aftermath} Divide the learning rate by 10 (and again if the first epochs still jump), and watch the
        loss of the first steps: it should fall, not jump.""", evidence=evidence,
                 causes=("learning rate too large", "no gradient clipping on a loss with steep walls"))]


def first_nan(run: Any) -> list[Any]:
    """A loss that is NaN before any update: a mask that hides a whole row, NaN in the inputs, a log of 0."""
    obs = run.observation
    nan_first = nan_from_the_start(run)
    if obs.fully_masked_rows and nan_first is not False:
        return [make("fully-masked-rows", """Your loss was NaN from the very first step, before any update, so
            no learning rate explains it. A softmax in your model received a row in which every entry was masked
            to -inf: an attention mask that hides every position from some query. The softmax of such a row is
            0/0 = NaN, and the NaN spreads to every output and every gradient. A causal mask must let each
            position see itself: torch.triu(..., diagonal=1) masks only the future (diagonal=0 also hides the
            diagonal, so the first position sees nothing); a padding mask must leave at least one position
            visible in each row.""", evidence=["a softmax row entirely -inf on the first steps",
                                                "loss NaN at step 0"],
                     causes=("a causal mask that includes the diagonal", "a padding mask that hides a whole row"))]
    if obs.inputs_finite is False:
        where = "at the very first step, before any update," if nan_first else ""
        return [make("non-finite-inputs", f"""Your model's first layer received NaN or infinite inputs, so its
            outputs and the loss are NaN {where} whatever the learning rate. The data holds missing values, or a
            preprocessing step divides by zero (a standard deviation of 0 in a constant column). Fill missing
            values (with the training median, say) and guard divisions, inside the model, so that the grader's
            inputs get the same treatment.""", evidence=["NaN or infinity in the first layer's inputs"],
                     causes=("missing values in the data", "a division by a zero standard deviation"))]
    return []
