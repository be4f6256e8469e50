"""Diagnoses: what a mentor would say after looking at a grade.

``diagnose(project, curves, evaluation, failure, thresholds)`` reads the curves the
learner logged, the grader's evaluation (metrics and facts from the task), the way
the run ended (``failure``) and the threshold outcomes, and returns ``Diagnosis``
values. Each has a stable kebab-case ``code`` (listed in ``CODES``; tests and
``--json`` consumers rely on them), a ``message`` that says what was seen, the likely
causes and what to try, and the ``lesson`` id to revisit.

The rules are deliberately simple and each one looks at a single symptom; a run can
show several. Numbers quoted in messages come from the learner's own curves or from
aggregates the task computed: never from the hidden test data itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

__all__ = ["Diagnosis", "CODES", "diagnose"]


@dataclass(frozen=True)
class Diagnosis:
    """One finding: a stable ``code``, a mentor's ``message``, the ``lesson`` to revisit."""

    code: str
    message: str
    lesson: str | None


#: Every code ``diagnose`` can return, with the lesson each one points to.
CODES: dict[str, str | None] = {
    "budget-exhausted": "hyperparameter-tuning",  # batch size and epochs; the GPU is named in the message
    "out-of-memory": "mixed-precision-gpus",
    "shape-mismatch": "multilayer-perceptron",
    "device-mismatch": "mixed-precision-gpus",
    "dtype-mismatch": "common-mistakes",
    "no-graph": "forward-and-backprop",
    "backward-twice": "forward-and-backprop",
    "crashed": "common-mistakes",
    "contract-broken": "common-mistakes",
    "exited-early": "common-mistakes",
    "killed-by-signal": "common-mistakes",
    "no-result": "common-mistakes",
    "evaluation-crashed": "common-mistakes",
    "non-finite-loss": "vanishing-exploding-gradients",
    "divergence": "optimizers-schedules",
    "no-learning": "forward-and-backprop",
    "plateau": "optimizers-schedules",
    "overfitting": "overfitting-underfitting",
    "underfitting": "overfitting-underfitting",
    "learning-rate-extreme": "hyperparameter-tuning",
    "softmax-before-cross-entropy": "loss-functions",
    "inputs-not-normalized": "scaling-normalization",
    "suspicious-validation": "evaluation-metrics",
    "dropout-too-high": "regularization",
    "wrong-output": "common-mistakes",
    "left-in-training-mode": "common-mistakes",
    "gradient-mismatch": "gradient-descent",
    "autograd-used": "gradient-descent",
    "too-many-parameters": "hyperparameter-tuning",
    "below-threshold": "hyperparameter-tuning",
}

_ADAPTIVE = ("Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta", "Adafactor")


def _make(code: str, message: str, lesson: str | None = None) -> Diagnosis:
    return Diagnosis(code, " ".join(message.split()), lesson if lesson is not None else CODES[code])


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.2g}"
    return f"{value:.3g}"


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


# --- reading the inputs ----------------------------------------------------------------


class _Run:
    """Everything the rules look at, pre-digested."""

    def __init__(self, project: Any, curves: list[dict], evaluation: dict | None, failure: dict | None,
                 thresholds: list[dict]) -> None:
        self.project = project
        self.task = _get(project, "task", "")
        self.curves = [c for c in curves if isinstance(c, Mapping)]
        self.metrics: dict = dict((evaluation or {}).get("metrics") or {})
        self.facts: dict = dict((evaluation or {}).get("facts") or {})
        self.failure = failure
        self.thresholds = [self._threshold(t) for t in thresholds]

    def _threshold(self, t: Any) -> dict:
        metric = _get(t, "metric")
        low, high = _num(_get(t, "min")), _num(_get(t, "max"))
        value = _get(t, "value", self.metrics.get(metric))
        value = _num(value)
        passed = _get(t, "passed")
        if passed is None:
            passed = value is not None and (low is None or value >= low) and (high is None or value <= high)
        return {"metric": metric, "min": low, "max": high, "value": value, "passed": bool(passed)}

    def failed(self, metric: str | None = None) -> list[dict]:
        return [t for t in self.thresholds if not t["passed"] and (metric is None or t["metric"] == metric)]

    def series(self, key: str) -> list[tuple[float, float]]:
        """(epoch, value) pairs of one logged quantity, in logging order (non-numbers skipped)."""
        out = []
        for i, point in enumerate(self.curves):
            value = _num(point.get(key))
            if value is not None:
                out.append((_num(point.get("epoch")) if _num(point.get("epoch")) is not None else float(i), value))
        return out

    def shapes_lesson(self) -> str:
        """Where layer shapes are taught: the CNN lesson for a CNN project, else the MLP one."""
        lesson = _get(self.project, "lesson")
        return lesson if lesson == "convolutional-networks" else "multilayer-perceptron"

    def loss_key(self) -> str | None:
        for key in ("train_loss", "loss"):
            if self.series(key):
                return key
        return None


def _epoch(e: float) -> str:
    return str(int(e)) if float(e).is_integer() else _fmt(e)


# --- failures: how the run ended ---------------------------------------------------------

_CRASH_PATTERNS: list[tuple[str, re.Pattern[str], str]] = [
    ("out-of-memory", re.compile(r"out of memory|OutOfMemoryError|DefaultCPUAllocator: can't allocate", re.I), ""),
    ("device-mismatch", re.compile(r"same device|Expected .*cuda.*cpu|Expected .*cpu.*cuda|device-side", re.I),
     "Some tensors are on the GPU and others on the CPU. Move the model with model.to(device) and every batch "
     "with x.to(device), y.to(device), using the device the grader passes to train(...)."),
    ("shape-mismatch", re.compile(r"mat1 and mat2 shapes|size mismatch|shape .* is invalid|must match the size|"
                                  r"Expected input batch_size|expected input\[.*\] to have|cannot be multiplied|"
                                  r"Given groups=|shape mismatch|target with class probabilities|"
                                  r"Expected target size|only batches of spatial targets", re.I),
     "Two shapes did not fit together: most often a layer's in_features (or in_channels) differs from what the "
     "layer before it produces, or the labels and the outputs have different batch sizes. Print x.shape after "
     "each layer once, and write the shapes as comments next to each line, (N, 2) -> (N, 64) -> ..."),
    ("dtype-mismatch", re.compile(r"expected scalar type|dtype|Long but found|Float but found|"
                                  r"not implemented for '(Long|Int|Half)'", re.I),
     "A tensor had the wrong type: inputs and weights must be float32, class labels for CrossEntropyLoss must be "
     "int64 (long) class indices. Use x.float() or y.long() where the types meet."),
    ("no-graph", re.compile(r"does not require grad and does not have a grad_fn", re.I),
     "loss.backward() found no graph to go back through: the loss was computed from tensors that autograd was not "
     "tracking. Usual causes: the forward pass ran under torch.no_grad(), an output was .detach()ed or turned into "
     "a Python number (.item()) before the loss, or the parameters have requires_grad=False."),
    ("backward-twice", re.compile(r"backward through the graph a second time", re.I),
     "backward() ran twice over the same graph. Usually a value computed once, outside the loop (a forward pass, "
     "a loss), is reused at every step: compute the forward pass and the loss inside the loop for each batch."),
]


def _failure_diagnoses(run: _Run) -> list[Diagnosis]:
    failure = run.failure
    if not failure:
        return []
    kind = failure.get("kind")
    message = str(failure.get("message") or "").strip()
    sentence = message if not message or message.endswith((".", "!", "?")) else message + "."
    where = ""
    if failure.get("file"):
        where = f" at {failure['file']}" + (f":{failure['line']}" if failure.get("line") else "")
    if kind == "timeout":
        budget = _num(failure.get("budget_s"))
        seen = run.series(run.loss_key()) if run.loss_key() else []
        progress = f" The last epoch you logged was {_epoch(seen[-1][0])}." if seen else (
            " No curve was logged, so it is hard to tell how far training got; log once per epoch.")
        return [_make("budget-exhausted", f"""Training was stopped after the {_fmt(budget) if budget else '?'} s
            budget before it returned.{progress} Make each epoch cheaper or need fewer of them: a smaller model,
            fewer epochs, a larger batch (fewer, bigger steps; a tensor op on 256 samples costs little more than on
            32), no per-sample Python loops, and .item() only once per epoch. If you have an NVIDIA GPU, try
            `dlpath check --device cuda`. While you explore, `--timeout` gives you more time, but the grade uses
            the project's budget.""")]
    if kind == "memory":
        return [_make("out-of-memory", f"""Your code ran out of memory{where} ({message or 'the memory cap was reached'}). Common causes: keeping every batch's loss tensor (total += loss keeps each graph alive; use
            loss.item()), evaluating on the whole data set with gradients on (wrap evaluation in torch.no_grad()),
            copying the data to a new tensor every epoch, or a model or batch far larger than the task needs.""")]
    if kind in ("exception", None):
        exc_type = failure.get("exc_type") or "an exception"
        for code, pattern, advice in _CRASH_PATTERNS:
            if pattern.search(message) or pattern.search(str(exc_type)):
                if code == "out-of-memory":
                    return [_make(code, f"""Your code ran out of memory{where}: {sentence} Use a smaller batch or
                        model, wrap evaluation in torch.no_grad(), and sum losses with loss.item().""")]
                lesson = run.shapes_lesson() if code == "shape-mismatch" else None
                return [_make(code, f"Your code raised {exc_type}{where}: {sentence} {advice}", lesson)]
        return [_make("crashed", f"""Your code raised {exc_type}{where}: {sentence} Read the last lines of your
            output in the report; the line named there is where to look first. Running `python train.py` on its
            own, or adding a print of the shapes just before that line, usually shows the cause.""")]
    if kind == "contract":
        return [_make("contract-broken", f"""{sentence} The grader calls the functions named in the contract at
            the top of the starter's train.py, with exactly those arguments; `dlpath start` gives you a fresh copy
            to compare with.""")]
    if kind == "exit":
        return [_make("exited-early", f"""Your code ended the process before the grader could evaluate it
            ({message or 'sys.exit or os._exit was called'}). Remove sys.exit()/exit()/quit() from train.py: return
            from train(...) instead, and let the grader take it from there.""")]
    if kind == "signal":
        return [_make("killed-by-signal", f"""Your code's process was killed by the operating system
            ({message or 'a signal'}). A segmentation fault or an abort usually comes from a native library: a
            mismatched CUDA build, an out-of-range index on the GPU, or os.abort(). Run `python train.py` on its
            own to see the crash, and try `--device cpu`.""")]
    if kind == "no-result":
        return [_make("no-result", f"""The grader got no result back from your code ({message or 'the process ended without one'}). Something in train.py closed or replaced the process's streams, killed its own
            process, or started work that outlived train(); keep train.py to the contract.""")]
    return [_make("crashed", f"Training did not finish ({kind}): {message}")]


# --- curves -----------------------------------------------------------------------------


def _non_finite(run: _Run) -> list[Diagnosis]:
    for key in ("train_loss", "loss", "val_loss"):
        for epoch, value in run.series(key):
            if not math.isfinite(value):
                return [_make("non-finite-loss", f"""Your {key.replace('_', ' ')} became {value} at epoch
                    {_epoch(epoch)}, and nothing is learned from that point on. Most often the learning rate is
                    too high and the weights blow up; other causes: a log or division of zero in a hand-written
                    loss, inputs with huge values (normalize them), or a softmax followed by log instead of
                    CrossEntropyLoss on raw scores. Lower the learning rate tenfold and watch the first epochs.""")]
    if run.facts.get("outputs_finite") is False:
        return [_make("non-finite-loss", """Your model's outputs contain NaN or infinity, so its predictions
            mean nothing. The weights blew up during training: lower the learning rate, normalize the inputs,
            and log the training loss each epoch to see when it happens.""")]
    return []


def _divergence(run: _Run) -> list[Diagnosis]:
    key = run.loss_key()
    points = [(e, v) for e, v in run.series(key)] if key else []
    if len(points) < 3 or not all(math.isfinite(v) for _, v in points):
        return []
    first, last = points[0][1], points[-1][1]
    lowest = min(v for _, v in points)
    if last > 1.5 * first and last > 3 * max(lowest, 1e-12):
        return [_make("divergence", f"""Your training loss grew instead of shrinking: {_fmt(first)} at the
            start, {_fmt(last)} at the end (lowest {_fmt(lowest)}). Each step overshoots the valley and lands
            higher than before. The learning rate is most likely too large for this model: divide it by 10.
            Also check the sign of your update (it must go against the gradient) and that the inputs are
            normalized.""")]
    return []


def _no_learning(run: _Run) -> list[Diagnosis]:
    changed = run.facts.get("parameters_changed")
    key = run.loss_key()
    points = [v for _, v in run.series(key)] if key else []
    flat = len(points) >= 3 and all(math.isfinite(v) for v in points) and (
        max(points) - min(points) <= 0.01 * max(abs(points[0]), 1e-8))
    if changed is False or (flat and changed is not True and run.failed()):
        if run.task == "regression_by_hand":
            return [_make("no-learning", f"""Your loss did not move at all during training
                ({_fmt(points[0]) + ' from start to end' if points else 'flat'}). Either your gradients are zero
                (the starter returns zeros until you write them) or the loop never applies them: each step must
                set w = w - LEARNING_RATE * grad_w, and the same for b, and keep the new values.""",
                "gradient-descent")]
        seen = "the model's weights are exactly as they were built" if changed is False else (
            "the training loss stayed flat from the first epoch to the last")
        return [_make("no-learning", f"""Nothing was learned: {seen}. Each batch needs three calls after the
            loss: optimizer.zero_grad(), loss.backward(), optimizer.step(). Other usual causes: the optimizer
            was given another model's parameters (build it from the model you train, after building the model),
            the output was .detach()ed or computed under torch.no_grad(), or the learning rate is 0.""")]
    if flat and run.failed():
        return [_make("no-learning", """Your training loss stayed flat from the first epoch to the last, so the
            model barely learned. Check that each batch calls optimizer.zero_grad(), loss.backward() and
            optimizer.step(), that the optimizer holds this model's parameters, and that the learning rate is
            not tiny.""")]
    return []


def _plateau(run: _Run) -> list[Diagnosis]:
    key = run.loss_key()
    points = [v for _, v in run.series(key)] if key else []
    if len(points) < 6 or not all(math.isfinite(v) for v in points) or not run.failed():
        return []
    first, last = points[0], points[-1]
    tail = points[len(points) // 2:]
    dropped = first - last > 0.05 * abs(first)
    stuck = max(tail) - min(tail) <= 0.02 * max(abs(tail[0]), 1e-8)
    if dropped and stuck:
        return [_make("plateau", f"""Your training loss fell at first ({_fmt(first)} -> {_fmt(tail[0])}) and
            then stayed level at about {_fmt(last)} for the second half of training. The model has stopped
            improving with these settings. If the training accuracy is also too low, the model is too small or
            too constrained (see underfitting); otherwise try a learning-rate schedule (a smaller rate late in
            training), a different learning rate, or Adam instead of plain SGD.""")]
    return []


def _overfitting(run: _Run) -> list[Diagnosis]:
    train_acc, val_acc = _num(run.facts.get("train_accuracy")), _num(run.facts.get("val_accuracy"))
    test_acc = _num(run.metrics.get("test_accuracy"))
    leaked = val_acc is not None and test_acc is not None and val_acc - test_acc > 0.1
    held_out = test_acc if leaked else val_acc
    if train_acc is not None and held_out is not None and train_acc - held_out > 0.1 and not leaked:
        return [_make("overfitting", f"""Your model is right on {_fmt(100 * train_acc)}% of its training
            examples but only {_fmt(100 * held_out)}% of the validation examples: it has memorised the training
            set rather than learned the pattern. Try more regularization (weight decay, a little dropout, data
            augmentation), a smaller model or one whose structure suits the data, or stop training when the
            validation loss stops falling.""")]
    val = run.series("val_loss")
    train = run.series(run.loss_key() or "train_loss")
    if len(val) >= 4 and all(math.isfinite(v) for _, v in val):
        best_i = min(range(len(val)), key=lambda i: val[i][1])
        best_epoch, best = val[best_i]
        last = val[-1][1]
        later_train = [v for e, v in train if e >= best_epoch]
        train_falls = len(later_train) >= 2 and later_train[-1] < later_train[0]
        early = best_i <= 0.75 * (len(val) - 1) and best_i <= len(val) - 3
        if early and last > best * 1.3 and last - best > 0.02 and train_falls:
            return [_make("overfitting", f"""Your validation loss was lowest at epoch {_epoch(best_epoch)}
                ({_fmt(best)}) and then rose to {_fmt(last)} while the training loss kept falling: past that
                point the model learns the training examples, not the pattern. Stop near the best epoch (early
                stopping: keep the weights with the lowest validation loss), or add regularization such as
                weight decay.""")]
    return []


def _underfitting(run: _Run) -> list[Diagnosis]:
    if run.task == "regression_by_hand":
        train_mse = _num(run.facts.get("train_mse"))
        bad = run.failed("test_mse")
        if bad and train_mse is not None and bad[0]["max"] is not None and train_mse > bad[0]["max"]:
            return [_make("underfitting", f"""Even on its own training data the model's error is
                {_fmt(train_mse)}, above the {_fmt(bad[0]['max'])} the grade asks of fresh data: it stopped far
                from the bottom of the valley. Take more steps, or a larger learning rate if the loss falls
                steadily but slowly.""", "gradient-descent")]
        return []
    train_acc = _num(run.facts.get("train_accuracy"))
    bad = run.failed("test_accuracy")
    if bad and train_acc is not None and bad[0]["min"] is not None and train_acc < bad[0]["min"]:
        return [_make("underfitting", f"""Even on its training data your model is right only
            {_fmt(100 * train_acc)}% of the time, below the {_fmt(100 * bad[0]['min'])}% the grade asks on fresh
            data: it is not able (yet) to fit the pattern. Give it more capacity where it matters (hidden layers
            with a non-linearity between them, more units or channels), train for more epochs, and check the
            learning rate (too small and training crawls, too large and it bounces without settling).""")]
    return []


# --- facts from the evaluation ---------------------------------------------------------


def _learning_rate(run: _Run) -> list[Diagnosis]:
    optimizers = run.facts.get("optimizers") or []
    kind = optimizers[0].get("type") if optimizers and isinstance(optimizers[0], Mapping) else None
    lr = _num(run.facts.get("learning_rate"))
    if lr is None:
        return []
    if run.task == "regression_by_hand" or kind is None:
        low, high, usual = 1e-5, 1.0, "0.001 to 0.5"
    elif kind in _ADAPTIVE:
        low, high, usual = 1e-5, 0.1, "1e-4 to 1e-2"
    else:
        low, high, usual = 1e-4, 2.0, "0.001 to 0.5"
    if lr > high or lr <= 0 or lr < low:
        which = "high" if lr > high else "low"
        effect = ("each step overshoots, so the loss jumps around or explodes" if which == "high" else
                  "each step barely moves the weights, so training crawls")
        name = f"{kind} " if kind else ""
        return [_make("learning-rate-extreme", f"""Your {name}learning rate is {_fmt(lr)}, far {which}er than
            the usual {usual} for this kind of problem: {effect}. Try a value in that range, then adjust by
            factors of 3 while watching the training curve.""")]
    return []


def _softmax(run: _Run) -> list[Diagnosis]:
    if run.facts.get("outputs_look_like_probabilities"):
        return [_make("softmax-before-cross-entropy", """Your model's outputs are already probabilities (every
            row is non-negative and sums to 1), so the model ends with a softmax. nn.CrossEntropyLoss applies its
            own log-softmax to raw scores: a softmax before it squashes the gradients and training slows or
            stalls. Remove the final softmax and return the raw scores (logits); use softmax only when you want
            to read probabilities.""")]
    return []


def _normalization(run: _Run) -> list[Diagnosis]:
    if run.facts.get("inputs_normalized") is False:
        stats = run.facts.get("first_layer_input") or {}
        seen = ""
        if isinstance(stats, Mapping) and _num(stats.get("mean")) is not None:
            seen = f" (mean {_fmt(float(stats['mean']))}, spread {_fmt(float(stats.get('std', 0.0)))})"
        return [_make("inputs-not-normalized", f"""The first layer of your model saw inputs on a large
            scale{seen}. Large, uneven inputs make the loss surface steep in some directions and flat in others,
            so one learning rate cannot suit them all. Standardize the inputs (subtract the training mean,
            divide by the training standard deviation) inside the model or as its first step, so that the
            grader's raw test inputs get the same treatment.""")]
    return []


def _suspicious_validation(run: _Run) -> list[Diagnosis]:
    test_acc = _num(run.metrics.get("test_accuracy"))
    if test_acc is None:
        return []
    val_acc = _num(run.facts.get("val_accuracy"))
    if val_acc is not None and val_acc - test_acc > 0.1:
        return [_make("suspicious-validation", f"""Your model does much better on the validation set
            ({_fmt(100 * val_acc)}%) than on fresh data ({_fmt(100 * test_acc)}%). Validation data should be as
            new to the model as test data, so this usually means it was trained on: check that data.x_val and
            data.y_val are used only to measure, never in the training loop or to pick the training batches.""")]
    logged = run.series("val_accuracy")
    if logged:
        last = logged[-1][1]
        if last > 1.0 + 1e-6 or last - test_acc > 0.15:
            shown = f"{_fmt(100 * last)}%" if last <= 1.0 + 1e-6 else f"{_fmt(last)} (an accuracy above 1)"
            return [_make("suspicious-validation", f"""The validation accuracy you logged at the end
                ({shown}) is far above what the grader measured on fresh data ({_fmt(100 * test_acc)}%). Check
                how you compute it: on the validation data (not the training data), in eval mode, as the mean
                of (predictions == labels) over all validation examples.""")]
    return []


def _dropout(run: _Run) -> list[Diagnosis]:
    rates = [r for r in (run.facts.get("dropout_rates") or []) if _num(r) is not None and r > 0.5]
    if rates:
        return [_make("dropout-too-high", f"""Your model drops {_fmt(100 * max(rates))}% of the activations in
            a dropout layer during training. Above 50%, most of the signal is thrown away at every step and a
            small network struggles to learn at all. Start with p between 0.1 and 0.3, and only where the
            model overfits.""")]
    return []


def _wrong_output(run: _Run) -> list[Diagnosis]:
    facts = run.facts
    if facts.get("forward_error"):
        return [_make("evaluation-crashed", f"""Training finished, but calling your model on fresh inputs
            failed: {facts['forward_error']}. The grader calls model(x) with a batch shaped like data.x_train, on
            the device the model's parameters are on, after train returns; make sure the forward pass works for
            any batch size and needs nothing that only exists during training.""")]
    if not facts.get("wrong_output"):
        return []
    if facts.get("output_problem"):
        return [_make("wrong-output", f"""{facts['output_problem']}. The contract asks train(data, log) to
            return the pair (w, b): w with one weight per feature, b a single number.""", "gradient-descent")]
    expected = facts.get("expected_output") or {}
    got = facts.get("got_output") or {}
    return [_make("wrong-output", f"""Your model's output has shape {tuple(got.get('shape', ()))} and dtype
        {got.get('dtype', '?')}; the grader expected shape {tuple(expected.get('shape', ()))} (one row of raw
        class scores per input) of a float dtype. Check the last layer's out_features (one per class), that
        nothing flattens or squeezes the batch dimension away, and that the model returns scores, not
        argmax labels.""")]


def _training_mode(run: _Run) -> list[Diagnosis]:
    if run.facts.get("left_in_training_mode") and (run.facts.get("mode_dependent_layers") or 0) > 0:
        return [_make("left-in-training-mode", """Your model was returned in training mode. It has layers that
            behave differently when training (dropout, batch normalization), so its predictions were noisier
            than they should be. Call model.eval() before returning from train(...), and around your own
            validation passes (then model.train() again before the next epoch).""")]
    return []


def _by_hand(run: _Run) -> list[Diagnosis]:
    out: list[Diagnosis] = []
    error = _num(run.metrics.get("gradient_error"))
    bad_gradient = run.failed("gradient_error")
    if error is not None and (bad_gradient or (error > 1e-3 and not run.thresholds)):
        problem = run.facts.get("gradient_problem")
        if problem:
            detail = f"{problem}."
        elif abs(error - 1.0) < 1e-6:
            detail = ("Your gradient came out as zero (or unrelated to the true one); the starter returns zeros "
                      "until you replace them with the derivative.")
        elif abs(error - 0.5) < 0.02:
            detail = "It is off by exactly a factor of 2: the derivative of e squared is 2e."
        else:
            detail = (f"Your gradient differs from autograd's by {_fmt(100 * error)}% (relative). Check the "
                      "factor 2 from the square, the 1/N from the mean, the sign of the error (prediction minus "
                      "target) and the transposed x in grad_w = x^T e.")
        out.append(_make("gradient-mismatch", f"""The grader compared your gradients(w, b, x, y) with
            autograd on random inputs. {detail} Derive it on paper for one weight first, then check your code
            on a tiny example by nudging a weight and watching the loss."""))
    uses = _num(run.metrics.get("autograd_uses"))
    if uses:
        out.append(_make("autograd-used", f"""Your code used autograd or torch.optim {int(uses)} time(s)
            (.backward(), torch.autograd.grad or an optimizer). This project is about doing that work yourself:
            compute the gradients with your own formula and update w and b with plain arithmetic."""))
    return out


def _parameters(run: _Run) -> list[Diagnosis]:
    bad = run.failed("parameters")
    if bad and bad[0]["value"] is not None and bad[0]["max"] is not None:
        return [_make("too-many-parameters", f"""Your model has {int(bad[0]['value']):,} parameters; this project
            allows at most {int(bad[0]['max']):,}. The point is to spend parameters where they help: fewer units
            or channels, and for images convolutions (one small filter shared across the image) instead of a
            wide fully connected layer. Count with sum(p.numel() for p in model.parameters()).""")]
    return []


def _below_threshold(run: _Run, found: list[Diagnosis]) -> list[Diagnosis]:
    misses = [t for t in run.failed() if t["value"] is not None]
    if found or not misses or run.failure:
        return []
    parts = []
    for t in misses:
        target = f"at least {_fmt(t['min'])}" if t["min"] is not None and t["value"] < t["min"] else (
            f"at most {_fmt(t['max'])}")
        parts.append(f"{t['metric']} is {_fmt(t['value'])} where the grade needs {target}")
    return [_make("below-threshold", f"""Training ran cleanly, but {'; '.join(parts)}. Nothing in the curves
        points to one clear cause, so tune: train longer, try a learning rate 3 times larger and 3 times
        smaller, and adjust the model's size. Change one setting at a time and compare the curves.""")]


_RULES: tuple[Callable[[_Run], list[Diagnosis]], ...] = (
    _failure_diagnoses,
    _wrong_output,
    _by_hand,
    _non_finite,
    _divergence,
    _no_learning,
    _softmax,
    _learning_rate,
    _normalization,
    _dropout,
    _training_mode,
    _suspicious_validation,
    _overfitting,
    _underfitting,
    _plateau,
    _parameters,
)

# Codes that make later, vaguer curve readings redundant.
_EXCLUSIVE = {
    "non-finite-loss": {"divergence", "plateau", "no-learning", "underfitting"},
    "divergence": {"plateau", "underfitting"},
    "no-learning": {"plateau", "underfitting", "overfitting"},
    "wrong-output": {"underfitting", "overfitting", "plateau", "suspicious-validation"},
    "evaluation-crashed": {"underfitting", "overfitting", "plateau", "suspicious-validation"},
    "gradient-mismatch": {"underfitting", "plateau"},
}


def diagnose(
    project: Any,
    curves: Iterable[dict],
    evaluation: dict | None,
    failure: dict | None,
    thresholds: Iterable[Any],
) -> list[Diagnosis]:
    """Every diagnosis that applies to this grade, most fundamental first, each code once.

    ``thresholds`` are dicts (or objects) with ``metric``, ``min``/``max`` and, when the
    caller already compared them, ``value`` and ``passed``.
    """
    run = _Run(project, list(curves or []), evaluation, failure, list(thresholds or []))
    found: list[Diagnosis] = []
    blocked: set[str] = set()
    for rule in _RULES:
        for item in rule(run):
            if item.code in blocked or any(d.code == item.code for d in found):
                continue
            found.append(item)
            blocked |= _EXCLUSIVE.get(item.code, set())
    found = [d for d in found if d.code not in blocked]
    found.extend(_below_threshold(run, found))
    return found
