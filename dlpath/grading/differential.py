"""The differential: what a mentor says when a run falls short and no rule with evidence explains why.

It says what was observed (each missed target, the training loss from start to end, the training score
against the validation score), what the evidence rules out (the loop, the gradients, the inputs, the
learning rate, the loss, the gap between training and validation), and a checklist in the order a mentor
would try it, leaving out the steps the evidence already covers. It is a `warning`: without evidence for one
cause, naming one would be guessing.
"""

from __future__ import annotations

import math
from typing import Any

from dlpath.grading.diagnosis import fmt as _fmt, make, measure, pct as _pct

__all__ = ["ruled_out", "differential"]


def ruled_out(run: Any) -> list[str]:
    """What the evidence rules out, in words the learner can check."""
    from dlpath.grading.timeline import learning_rate_collapse

    obs = run.observation
    out = []
    recipe = obs.recipe
    if recipe is not None and recipe.steps and recipe.zero_grad_per_step and recipe.zero_grad_per_step >= 0.99 and (
            recipe.backward_per_step or 0) >= 0.99:
        out.append("the loop: zero_grad(), backward() and step() at every step")
    if obs.parameters_changed:
        out.append("frozen weights: the weights moved")
    norms = [layer.grad_norm for layer in obs.layers if layer.grad_norm is not None]
    if len(norms) >= 2 and all(math.isfinite(n) and 1e-7 < n < 1e4 for n in norms):
        out.append("vanishing or exploding gradients: every layer's gradient is of a usable size")
    if obs.inputs_normalized and obs.inputs_finite is not False:
        out.append("badly scaled inputs: the first layer saw finite inputs on a unit scale")
    ratios = [r for r in (obs.timeline.update_ratio if obs.timeline else []) if isinstance(r, (int, float))
              and math.isfinite(r)]
    if ratios and max(ratios) < 1.0 and learning_rate_collapse(run) is None:
        out.append("a learning rate that explodes or collapses: the steps stayed smaller than the weights and the "
                   "rate did not fall to nothing")
    if recipe is not None and recipe.loss and not recipe.loss_input_in_unit_interval and not obs.output_activation:
        out.append("a squashing activation before the loss")
    train, val = run.facts.train_score, run.facts.val_score
    if train is not None and val is not None and abs(train - val) <= 0.05:
        out.append("overfitting: the training and validation scores agree")
    return out


def differential(run: Any, found: list[Any]) -> list[Any]:
    misses = [t for t in run.failed() if t.value is not None]
    if any(d.severity == "error" for d in found) or not misses or run.failure:
        return []
    observed = []
    for t in misses:
        target = f"at least {_fmt(t.min)}" if t.min is not None and t.value < t.min else f"at most {_fmt(t.max)}"
        observed.append(f"{t.metric} is {_fmt(t.value)} where the grade needs {target}")
    loss = [v for _, v in run.loss() if math.isfinite(v)]
    if len(loss) >= 2:
        observed.append(f"the training loss went from {_fmt(loss[0])} to {_fmt(loss[-1])}")
    fmt = _pct if run.primary_is_fraction else _fmt
    train, val = run.facts.train_score, run.facts.val_score
    if train is not None:
        m = measure(run.primary)
        observed.append(f"training {m} {fmt(train)}" + (f", validation {m} {fmt(val)}" if val is not None else ""))
    excluded = ruled_out(run)
    steps = []
    if not any(item.startswith("the loop") for item in excluded):
        steps.append("check the loop: optimizer.zero_grad(), loss.backward() and optimizer.step() for every batch")
    steps.append("overfit a handful of training examples (say 64, a few hundred steps): if even they are not "
                 "learned, the bug is in the model or the loss, not in the data")
    if not any(item.startswith("badly scaled") for item in excluded):
        steps.append("print a few inputs and their labels as the model receives them: still paired, finite, on a "
                     "unit scale?")
    steps.append("change one setting at a time and compare the curves: the learning rate 3x up and 3x down, "
                 "twice the epochs")
    if train is not None and val is not None and train - val > 0.05:
        steps.append("the training score is well above the validation score: regularize (weight decay, dropout, "
                     "early stopping) before adding capacity")
    else:
        steps.append("then capacity: more units or layers, or a structure that suits the data")
    checklist = " ".join(f"({i}) {step};" for i, step in enumerate(steps, 1)).rstrip(";") + "."
    ruled = f" The evidence rules out {'; '.join(excluded)}." if excluded else ""
    return [make("below-threshold", f"""Training ran cleanly, but {'; '.join(observed)}. No rule with evidence
        points to one cause, so this is a list to work through, not a verdict.{ruled} In the order a mentor would
        try: {checklist}""", evidence=observed, severity="warning")]
