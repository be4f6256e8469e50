"""A diagnosis and its wording: the `Diagnosis` value, the table of generic codes (`CODES`), `make`, and the
number formats every rule quotes with (`fmt`, `pct`, `epoch`).

The rules live in `dlpath.grading.diagnose` and the modules beside it (`timeline`, `layout`, `consistency`,
`crashes`, `differential`), which all build their findings with `make`; this module imports none of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["Diagnosis", "CodeInfo", "CODES", "make", "fmt", "pct", "epoch", "layer_name", "measure"]


@dataclass(frozen=True)
class Diagnosis:
    """One finding of the mentor."""

    code: str  #: stable kebab-case id (CODES)
    severity: str  #: "error" (explains the failure), "warning" (will hurt), "info"
    message: str  #: what was seen, what it means, what to try
    evidence: tuple[str, ...] = ()  #: the numbers it rests on
    causes: tuple[str, ...] = ()  #: the likely causes, most likely first
    lesson: str | None = None  #: a lesson of the curriculum in use to revisit


@dataclass(frozen=True)
class CodeInfo:
    """A row of the table of codes: the lesson a code points to and its usual severity."""

    lesson: str | None
    severity: str = "error"


#: Every generic code, with its lesson and severity. Tasks add theirs in ``Task.codes``.
CODES: dict[str, CodeInfo] = {
    # how the run ended
    "budget-exhausted": CodeInfo("hyperparameter-tuning"),
    "out-of-memory": CodeInfo("mixed-precision-gpus"),
    "shape-mismatch": CodeInfo("multilayer-perceptron"),
    "wrong-output-count": CodeInfo("multilayer-perceptron"),
    "device-mismatch": CodeInfo("mixed-precision-gpus"),
    "dtype-mismatch": CodeInfo("common-mistakes"),
    "no-graph": CodeInfo("forward-and-backprop"),
    "backward-twice": CodeInfo("forward-and-backprop"),
    "crashed": CodeInfo("common-mistakes"),
    "syntax-error": CodeInfo("python-for-dl"),
    "contract-broken": CodeInfo("common-mistakes"),
    "exited-early": CodeInfo("common-mistakes"),
    "killed-by-signal": CodeInfo("common-mistakes"),
    "no-result": CodeInfo("common-mistakes"),
    "judge-out-of-memory": CodeInfo("common-mistakes"),
    "evaluation-too-slow": CodeInfo("common-mistakes"),
    "evaluation-crashed": CodeInfo("common-mistakes"),
    "wrong-output": CodeInfo("common-mistakes"),
    "model-not-replayable": CodeInfo("common-mistakes"),
    "batch-dependent-outputs": CodeInfo("common-mistakes"),
    # the recipe
    "gradients-accumulate": CodeInfo("forward-and-backprop"),
    "no-optimizer-step": CodeInfo("forward-and-backprop"),
    "loss-task-mismatch": CodeInfo("loss-functions"),
    "softmax-before-cross-entropy": CodeInfo("loss-functions"),
    "activation-on-logits": CodeInfo("loss-functions"),
    "stacked-linear": CodeInfo("activation-functions", "warning"),
    "symmetric-init": CodeInfo("weight-initialization"),
    "labels-not-learnable": CodeInfo("common-mistakes"),
    # gradients and activations
    "vanishing-gradients": CodeInfo("vanishing-exploding-gradients"),
    "exploding-gradients": CodeInfo("vanishing-exploding-gradients"),
    "dying-relu": CodeInfo("activation-functions", "warning"),
    "saturated-units": CodeInfo("activation-functions", "warning"),
    "learning-rate-too-low": CodeInfo("hyperparameter-tuning"),
    "learning-rate-too-high": CodeInfo("optimizers-schedules"),
    "learning-rate-extreme": CodeInfo("hyperparameter-tuning", "warning"),
    "too-much-regularization": CodeInfo("regularization"),
    # curves and results
    "non-finite-loss": CodeInfo("vanishing-exploding-gradients"),
    "divergence": CodeInfo("optimizers-schedules"),
    "no-learning": CodeInfo("forward-and-backprop"),
    "plateau": CodeInfo("optimizers-schedules"),
    "overfitting": CodeInfo("overfitting-underfitting"),
    "underfitting": CodeInfo("overfitting-underfitting"),
    "inputs-not-normalized": CodeInfo("scaling-normalization", "warning"),
    "suspicious-validation": CodeInfo("evaluation-metrics", "warning"),
    "dropout-too-high": CodeInfo("regularization", "warning"),
    "left-in-training-mode": CodeInfo("common-mistakes", "warning"),
    "too-many-parameters": CodeInfo("hyperparameter-tuning"),
    "below-threshold": CodeInfo("hyperparameter-tuning", "warning"),
    # in time (dlpath.grading.timeline)
    "learning-rate-collapsed": CodeInfo("optimizers-schedules"),
    "fully-masked-rows": CodeInfo("attention-transformers"),
    "non-finite-inputs": CodeInfo("data-cleaning"),
    # layouts (dlpath.grading.layout)
    "sequence-axes-swapped": CodeInfo("recurrent-networks"),
    "target-shape-broadcast": CodeInfo("loss-functions"),
    # training against grading (dlpath.grading.consistency)
    "preprocessing-outside-model": CodeInfo("scaling-normalization"),
}


def make(code: str, message: str, *, evidence: tuple[str, ...] | list[str] = (), causes: tuple[str, ...] | list[str] = (),
         severity: str | None = None, lesson: str | None = None, codes: Mapping[str, CodeInfo] | None = None) -> Diagnosis:
    info = (codes or CODES).get(code) or CODES.get(code) or CodeInfo(None)
    return Diagnosis(code, severity or info.severity, " ".join(message.split()), tuple(evidence), tuple(causes),
                     lesson if lesson is not None else info.lesson)


def fmt(value: float | None) -> str:
    if value is None:
        return "?"
    if not math.isfinite(value):
        return "not finite" if math.isnan(value) else ("infinite" if value > 0 else "minus infinity")
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.2g}"
    return f"{value:.3g}"


def pct(value: float) -> str:
    return f"{fmt(100 * value)}%"


def epoch(e: float) -> str:
    return str(int(e)) if float(e).is_integer() else fmt(e)


def layer_name(layer: Any) -> str:
    """A watched layer as a learner finds it in the model: "the second ReLU (model[4])", else its module name."""
    return getattr(layer, "label", "") or str(getattr(layer, "name", ""))


def measure(metric: str) -> str:
    """What a metric measures, without the set it was measured on: "test_accuracy" -> "accuracy", so that a
    figure can be named with its own set ("training accuracy", "validation accuracy", "test accuracy")."""
    for prefix in ("test_", "val_", "train_"):
        metric = metric.removeprefix(prefix)
    return metric.replace("_", " ")
