"""How the run ended, when it ended early: the diagnosis of a crash, a timeout, a memory cap, an exit.

A crash is read from the exception's type and text (``_CRASHES``: a loss that is a plain number, a label past
the last class, tensors on two devices, a wrong dtype, a graph used twice) and from what the watch saw before
it: a batch-size error whose numbers are the sequence's length and the batch is an axis mix-up
(`dlpath.grading.layout`), and any message about sizes or shapes, whichever task it comes from, is a shape
problem. After a crash only the crash is explained (`dlpath.grading.diagnose`).
"""

from __future__ import annotations

import re
from typing import Any

from dlpath.grading import layout
from dlpath.grading.diagnosis import epoch as _epoch, fmt as _fmt, make
from dlpath.grading.protocol import FailureKind

__all__ = ["failure"]

_CRASHES: list[tuple[str, re.Pattern[str], str, tuple[str, ...]]] = [
    ("syntax-error", re.compile(r"^(SyntaxError|IndentationError|TabError)$"),
     "Python could not read the file, so none of it ran. Your output shows the line where Python gave up (with a "
     "caret, ^, under the spot when it can tell); the mistake is often there or just before it: a bracket or "
     "quote left open (perhaps on the line above), a missing colon after def, for or if, or a line indented "
     "differently from its neighbours.",
     ("a bracket or quote left open", "a missing colon", "indentation that does not line up")),
    ("no-graph", re.compile(r"object has no attribute 'backward'", re.I),
     "The loss you called backward() on is a plain Python number, not a tensor: a .item() (or float(...)) "
     "turned it into one, so autograd has nothing to go back through. Keep the loss a tensor until after "
     "loss.backward(); use loss.item() only for logging.",
     ("loss.item() or float(loss) before backward()", "the loss computed with plain Python arithmetic on numbers")),
    ("wrong-output-count", re.compile(r"Target -?\d+ is out of bounds|out of bounds.*target|index \d+ is out of "
                                      r"bounds for dimension 1", re.I),
     "A label is larger than the number of scores your model gives: the last layer has fewer outputs than "
     "there are classes. Make its out_features info['num_classes'].",
     ("the last layer has fewer outputs than classes", "labels not in 0..num_classes-1")),
    ("device-mismatch", re.compile(r"same device|Expected .*cuda.*cpu|Expected .*cpu.*cuda|device-side", re.I),
     "Some tensors are on the GPU and others on the CPU. Move the model with model.to(device) and every batch "
     "with x.to(device), y.to(device), using the device the grader passes to train(...).",
     ("the model or a batch not moved to `device`",)),
    ("shape-mismatch", re.compile(r"$^"),  # layout.shape_error reads every size or shape message
     "Two shapes did not fit together: most often a layer's in_features (or in_channels) differs from what the "
     "layer before it produces, or the labels and the outputs have different batch sizes. Print x.shape after "
     "each layer once, and write the shapes as comments next to each line, (N, 2) -> (N, 64) -> ...",
     ("a layer's in_features differs from what the layer before produces", "labels and outputs of different sizes")),
    ("dtype-mismatch", re.compile(r"expected scalar type|dtype|Long but found|Float but found|"
                                  r"not implemented for '(Long|Int|Half)'", re.I),
     "A tensor had the wrong type: inputs and weights must be float32, class labels for CrossEntropyLoss must be "
     "int64 (long) class indices. Use x.float() or y.long() where the types meet.",
     ("labels as floats where class indices are expected", "inputs as integers")),
    ("no-graph", re.compile(r"does not require grad and does not have a grad_fn", re.I),
     "loss.backward() found no graph to go back through: the loss was computed from tensors that autograd was "
     "not tracking. Usual causes: the forward pass ran under torch.no_grad(), an output was .detach()ed or "
     "passed through argmax before the loss, or the parameters have requires_grad=False.",
     ("a .detach() or argmax on the way to the loss", "the forward pass under torch.no_grad()",
      "parameters with requires_grad=False")),
    ("backward-twice", re.compile(r"backward through the graph a second time", re.I),
     "backward() ran twice over the same graph. Usually a value computed once, outside the loop (a forward "
     "pass, a loss), is reused at every step: compute the forward pass and the loss inside the loop for each "
     "batch.", ("a forward pass computed once outside the loop", "a running total that keeps the graph")),
]


def failure(run: Any) -> list[Any]:
    f = run.failure
    if f is None:
        return []
    message = f.message.strip()
    sentence = message if not message or message.endswith((".", "!", "?")) else message + "."
    where = f.where
    if f.kind is FailureKind.TIMEOUT:
        loss = run.loss()
        progress = f" The last epoch you logged was {_epoch(loss[-1][0])}." if loss else (
            " No curve was logged, so it is hard to tell how far training got; log once per epoch.")
        return [make("budget-exhausted", f"""Training was stopped after the {_fmt(f.budget_s)} s budget before
            it returned.{progress} Make each epoch cheaper or need fewer of them: a smaller model, fewer epochs,
            a larger batch (fewer, bigger steps), no per-sample Python loops, and .item() only once per epoch.
            If you have an NVIDIA GPU, try `dlpath check --device cuda`. While you explore, `dlpath run
            --timeout` gives you more time; the grade uses the project's budget.""",
                     evidence=[f"budget {_fmt(f.budget_s)} s"] + ([f"last logged epoch {_epoch(loss[-1][0])}"] if loss else []),
                     causes=("too many epochs or too large a model for the budget", "a per-sample Python loop",
                             "an endless loop"))]
    if f.kind is FailureKind.MEMORY:
        evidence = []
        if f.requested_mb is not None:
            evidence.append(f"one allocation of {_fmt(f.requested_mb)} MB")
        if f.peak_mb:
            evidence.append(f"peak {_fmt(f.peak_mb)} MB")
        if f.memory_mb:
            evidence.append(f"cap {f.memory_mb} MB")
        return [make("out-of-memory", f"""Your code needed more memory than this project allows{where}.
            {'It asked for ' + _fmt(f.requested_mb) + ' MB in one go: a tensor far larger than the task needs. '
             if f.requested_mb else ''}Common causes: keeping every batch's loss tensor (total += loss keeps each
            graph alive; use loss.item()), evaluating on the whole data set with gradients on (wrap evaluation in
            torch.no_grad()), copying the data to a new tensor every epoch, or a model or batch far larger than
            the task needs.""", evidence=evidence,
                     causes=("a running total of loss tensors (keeps every graph)", "evaluation with gradients on",
                             "a tensor or model far larger than needed"))]
    if f.kind is FailureKind.RAISED:
        exc = f.exc_type or "an exception"
        axes = layout.axes_crash_diagnosis(run, where, exc, sentence)
        if axes is not None:
            return [axes]
        for code, pattern, advice, causes in _CRASHES:
            shapes = code == "shape-mismatch" and layout.shape_error(message)
            if shapes or pattern.search(message) or pattern.search(exc):
                lesson = _shapes_lesson(run) if code in ("shape-mismatch", "wrong-output-count") else None
                return [make(code, f"Your code raised {exc}{where}: {sentence} {advice}",
                             evidence=[f"{exc}{where}"], causes=causes, lesson=lesson)]
        return [make("crashed", f"""Your code raised {exc}{where}: {sentence} Read the last lines of your output
            in the report; the line named there is where to look first. `dlpath run` trains it again without
            grading, and a print of the shapes just before that line usually shows the cause.""",
                     evidence=[f"{exc}{where}"])]
    if f.kind is FailureKind.CONTRACT:
        return [make("contract-broken", f"""{sentence} The grader calls the functions named in the contract at
            the top of the starter's train.py, with exactly those arguments; `dlpath start PROJECT OTHER_FOLDER`
            gives you a fresh copy to compare with.""")]
    if f.kind is FailureKind.EXIT:
        return [make("exited-early", f"""Your code ended the process before the grader could evaluate it
            ({message or 'sys.exit or os._exit was called'}). Remove sys.exit()/exit()/quit() from train.py:
            return from train(...) instead, and let the grader take it from there.""")]
    if f.kind is FailureKind.SIGNAL:
        return [make("killed-by-signal", f"""Your code's process was killed by the operating system
            ({message or 'a signal'}). A segmentation fault or an abort usually comes from a native library: a
            mismatched CUDA build, an out-of-range index on the GPU, or os.abort(). `dlpath run --device cpu`
            shows whether it happens on the CPU too.""")]
    if f.kind is FailureKind.JUDGE_MEMORY:
        return [make("judge-out-of-memory", f"""The grader's judge ran out of its {_fmt(f.memory_mb)} MB measuring what
            your code left for it: a file in your folder it reads (a link to a device, a file of gigabytes), or a
            model whose graph asks for a tensor far larger than the task needs. Keep the project folder to your
            own source files and what the contract asks you to save, and build tensors the size of your data.""",
                     evidence=[f"judge cap {_fmt(f.memory_mb)} MB"])]
    if f.kind is FailureKind.EVAL_TIMEOUT:
        return [make("evaluation-too-slow", f"""Training finished, but your model took too long to answer the
            grader ({message}). The grader calls your model on a few thousand inputs in batches; make sure its
            forward pass does not loop over samples in Python or retrain anything.""")]
    return [make("no-result", f"""The grader got no result back from your code ({message or 'the process ended without one'}). Something in train.py closed or wrote on the grader's channel, killed its own process, or
        started work that outlived train(); keep train.py to the contract.""")]


def _shapes_lesson(run: Any) -> str:
    lesson = getattr(run.project, "lesson", None)
    return lesson if lesson == "convolutional-networks" else "multilayer-perceptron"
