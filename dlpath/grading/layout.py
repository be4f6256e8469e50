"""Diagnoses about how tensors are laid out: which axis is the batch, which is time, and what a loss made of
two shapes that do not match.

- A recurrent layer reads its input as (time, batch, features) unless built with batch_first=True. The
  watch records, for each recurrent layer, its batch_first setting and the shape it first received, and the
  shape of the model's own input: when the batch size of the model's input sits on the axis the layer reads
  as time, the layer runs along the batch (`sequence-axes-swapped`). A crash that says the outputs have as
  many rows as the sequence has steps tells the same story from the other side: the output was indexed on
  the batch axis where the time axis was meant.
- An element-wise loss (MSE, L1, BCE) given an (N, 1) prediction and an (N,) target broadcasts them to an
  (N, N) table and trains every output towards every target (`target-shape-broadcast`).
- Any other crash whose message speaks of sizes or shapes is read as a shape problem, whichever task it
  comes from (`shape_error` decides; `dlpath.grading.diagnose` words the advice).
"""

from __future__ import annotations

import re
from typing import Any

from dlpath.grading.diagnosis import make

__all__ = ["swapped_layers", "batch_axis_crash", "shape_error", "sequence_axes", "axes_crash_diagnosis",
           "target_broadcast"]

_BATCH_SIZES = re.compile(r"Expected input batch_size \((\d+)\) to match target batch_size \((\d+)\)", re.I)
_SHAPE_WORDS = re.compile(
    r"mat1 and mat2 shapes|size mismatch|shape .* is invalid|must match the size|Expected input batch_size|"
    r"expected input\[.*\] to have|cannot be multiplied|Given groups=|shape mismatch|target with class probabilities|"
    r"Expected target size|only batches of spatial targets|Target size .* must be the same as input size|"
    r"Using a target size|sizes of tensors must match|must have the same (size|shape)|shapes? .* (are|is) not "
    r"compatible|cannot be broadcast|Expected \d+D .*input|Expected .*dimensions?|inconsistent (tensor )?size|"
    r"input\.size\(-1\) must be equal to input_size|not enough values to unpack .* expected \d+|"
    r"torch\.Size\(\[", re.I)


def shape_error(message: str) -> bool:
    """The exception text is about shapes or sizes (of any layer, loss or tensor operation)."""
    return bool(_SHAPE_WORDS.search(message))


def _batch(run: Any) -> int | None:
    shape = run.observation.first_input_shape
    return int(shape[0]) if shape else None


def swapped_layers(run: Any) -> list[dict[str, Any]]:
    """Recurrent layers whose time axis received the model's batch (or whose batch axis received it while
    they were told batch_first)."""
    batch = _batch(run)
    found = []
    for layer in run.observation.recurrent or []:
        shape = layer.input_shape or []
        if batch is None or layer.batch_first is None or len(shape) != 3 or shape[0] == shape[1]:
            continue
        time_axis = 1 if layer.batch_first else 0
        if shape[time_axis] == batch:
            found.append(layer)
    return found


def batch_axis_crash(run: Any, message: str) -> tuple[int, int] | None:
    """(rows, labels) when a crash says the model gave as many rows as its sequences have steps, for a batch of
    `labels`: the output was indexed on the batch axis where the time axis was meant."""
    match = _BATCH_SIZES.search(message)
    if not match:
        return None
    rows, labels = int(match.group(1)), int(match.group(2))
    shapes = [layer.input_shape or [] for layer in run.observation.recurrent or []]
    shapes.append(run.observation.first_input_shape or [])
    for shape in shapes:  # sequences: (batch, time, features) or (time, batch, features)
        if len(shape) == 3 and labels in shape[:2] and rows in shape[:2] and rows != labels:
            return rows, labels
    return None


def sequence_axes(run: Any) -> list[Any]:
    layers = swapped_layers(run)
    if not layers:
        return []
    layer = layers[0]
    shape = tuple(layer.input_shape)
    said = "batch_first=True" if layer.batch_first else "the default batch_first=False"
    reads = "(batch, time, features)" if layer.batch_first else "(time, batch, features)"
    return [make("sequence-axes-swapped", f"""Your {layer.kind or 'recurrent'} layer ({layer.name}) is
        built with {said}, so it reads its input as {reads}; but it received {shape}, where the batch of
        {_batch(run)} sequences is on the axis it takes for time. It therefore runs along the batch, carrying its
        state from one example to the next, and never reads a sequence in order: nothing it learns can depend on
        the order of the steps. Build it with batch_first=True for (batch, time, features) inputs (and read the
        last step as output[:, -1]), or transpose the input to (time, batch, features) for the default.""",
                 evidence=[f"{layer.kind} batch_first={bool(layer.batch_first)}",
                           f"its first input {shape}, model input {tuple(run.observation.first_input_shape)}"],
                 causes=("batch_first missing or wrong for the input's layout",
                         "a transpose missing before the recurrent layer"))]


def axes_crash_diagnosis(run: Any, where: str, exc: str, sentence: str) -> Any | None:
    """The crash reads as an output indexed on the wrong axis (see `batch_axis_crash`), or None."""
    message = run.failure.message if run.failure else ""
    found = batch_axis_crash(run, message)
    if found is None and not (_BATCH_SIZES.search(message) and swapped_layers(run)):
        return None
    rows, labels = found or (None, None)
    seen = (f" Your model returned {rows} rows of outputs for a batch of {labels} labels, and {rows} is the length "
            "of your sequences: " if found else " ")
    return make("sequence-axes-swapped", f"""Your code raised {exc}{where}: {sentence}{seen}the time and batch axes
        were mixed up. With batch_first=True a recurrent layer's output is (batch, time, hidden): the last step is
        output[:, -1], while output[-1] is the last sequence of the batch. Without batch_first the layer expects
        (time, batch, features) and gives (time, batch, hidden). Print the shapes once and pick the axis by
        name.""", evidence=[f"{exc}{where}"] + ([f"{rows} output rows for {labels} labels"] if found else []),
                causes=("output[-1] where output[:, -1] was meant", "batch_first not matching the input's layout"))


def target_broadcast(run: Any) -> list[Any]:
    recipe = run.observation.recipe
    if recipe is None or not recipe.loss_shapes:
        return []
    return [make("target-shape-broadcast", f"""Your loss ({recipe.loss}) received a prediction and a target of
        different shapes, {recipe.loss_shapes}. PyTorch broadcasts them into a table that pairs every prediction
        with every target (it warns: "Using a target size that is different to the input size"), so each output
        is pulled towards the average of all targets, and the model learns the average. Make the shapes equal:
        output.squeeze(1) for an (N, 1) output and an (N,) target, or target.unsqueeze(1).""",
                 evidence=[f"loss {recipe.loss} on shapes {recipe.loss_shapes}"],
                 causes=("an (N, 1) output against an (N,) target", "a missing squeeze or unsqueeze"),
                 severity="error" if run.failed() else "warning")]
