"""What the diagnoses read: the judge's `Facts` and the learner process's `Observation`.

`Facts` are measured by the judge (trusted): the shape of the outputs, whether
they are finite, the primary metric on the public training and validation
inputs, the verified parameter count, and task-specific figures in `extra`.

`Observation` is what the harness saw inside the learner process while it
trained (the optimizer, gradient norms, dead units, the calls made on early
batches). It comes from the process that runs the learner's code, so it
feeds advice only, never a metric or a verdict; `from_json` accepts only the
known fields with the right types, and bounds every list.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Mapping

__all__ = ["Facts", "Observation", "LayerStat", "Recipe", "Timeline", "RecurrentLayer"]


@dataclass(frozen=True)
class Facts:
    """Measured by the judge, beside the metrics."""

    primary: str = ""  #: the name of the task's primary metric
    expected_output: str | None = None  #: e.g. "(3000, 4) float"
    got_output: str | None = None
    output_problem: str | None = None  #: what is wrong with the outputs, in a sentence
    forward_error: str | None = None  #: calling the model on fresh inputs raised this
    outputs_finite: bool | None = None
    outputs_look_like_probabilities: bool | None = None
    train_score: float | None = None  #: the primary metric on the public training inputs
    val_score: float | None = None  #: the primary metric on the public validation inputs
    chance_score: float | None = None  #: what guessing achieves (1/K, the majority class, predicting the mean)
    label_entropy: float | None = None  #: entropy (nats) of the training labels: the loss of a model that learned nothing
    parameters: int | None = None  #: every tensor the graded model computes with (verified by replay)
    replay: str | None = None  #: "exact", "differs: ...", "unavailable: ..."; how the judge re-ran the model
    #: a row's output moved with the rows asked beside it (the judge asks some rows again in other company): what
    #: moved, in a sentence; the outputs were then not graded
    batch_dependence: str | None = None
    extra: dict = field(default_factory=dict)  #: task-specific figures, read by the task's own rules

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Facts:
        return _build(cls, data)


@dataclass(frozen=True)
class LayerStat:
    """One layer's figures on sampled training steps."""

    name: str = ""  #: the module's name in the model ("0", "features.conv1", ...)
    kind: str = ""  #: its class ("Linear", "Conv2d", ...)
    label: str = ""  #: how a learner finds it: "the second ReLU (model[4])" (empty: use the name)
    size: int = 0  #: numbers in its weight
    grad_norm: float | None = None  #: mean gradient norm of its weight over sampled steps
    grad_norm_first: float | None = None  #: on the first sampled step
    update_ratio: float | None = None  #: mean |step| / |weight| over sampled steps
    weight_std: float | None = None  #: standard deviation of its weight before training
    weight_equal: bool | None = None  #: every weight equal before training (zero included)
    bias_abs_max: float | None = None  #: largest |bias| before training
    dead_fraction: float | None = None  #: units after it (a ReLU) that were zero for every sample of a batch
    saturated_fraction: float | None = None  #: sigmoid/tanh outputs within 1% of their limits
    dead_fraction_last: float | None = None  #: dead units on the last sampled step (they may die late)
    dead_from_step: int | None = None  #: the first sampled optimizer step at which half the units were dead


@dataclass(frozen=True)
class RecurrentLayer:
    """A recurrent layer and how it reads its input."""

    name: str = ""  #: the module's name in the model
    kind: str = ""  #: "LSTM", "GRU", "RNN"
    batch_first: bool | None = None  #: True: (batch, time, features); False: (time, batch, features)
    input_shape: list = field(default_factory=list)  #: the shape of its input on its first training call
    forget_bias: float | None = None  #: LSTM: the mean initial bias of the first forget gate (input + hidden)


@dataclass(frozen=True)
class Recipe:
    """How the learner's loop called things, seen on a few early batches."""

    loss: str | None = None  #: the loss function called ("cross_entropy", "mse_loss", ...)
    loss_input_probabilities: bool | None = None  #: rows of what went into the loss were non-negative and summed to 1
    loss_input_log_probabilities: bool | None = None
    target_float_of_indices: bool | None = None  #: float targets holding class indices (0., 1., 2., ...)
    target_shape_differs: bool | None = None  #: the target's shape differs from the input's (mse with broadcasting)
    backward_per_step: float | None = None  #: backward() calls per optimizer step
    zero_grad_per_step: float | None = None  #: zero_grad() calls per optimizer step (0: gradients pile up)
    steps: int | None = None  #: optimizer steps seen in all
    backward_calls: int | None = None
    loss_detached: bool | None = None  #: the loss had no graph (a .detach(), .item(), .data or argmax on the path)
    grad_growth: float | None = None  #: gradient norm late / early on the same sampled layer (piles up without zero_grad)
    loss_shapes: str | None = None  #: "(N, 1) and (N,)": what went into the loss, when input and target shapes differ
    loss_input_in_unit_interval: bool | None = None  #: every input of a loss that applies its own sigmoid/softmax
    #: was already within 0..1 (a sigmoid or softmax before it)


@dataclass(frozen=True)
class Timeline:
    """The run in time: figures read on the sampled optimizer steps (0, 1, 2, 4, 8, ...), aligned by index."""

    steps: list = field(default_factory=list)  #: the sampled optimizer step numbers
    learning_rate: list = field(default_factory=list)  #: the first parameter group's learning rate before that step
    loss: list = field(default_factory=list)  #: the value backward() was called on for that step
    update_ratio: list = field(default_factory=list)  #: median over weight layers of |step| / |weight|
    total_steps: int = 0  #: optimizer steps in all
    final_learning_rate: float | None = None  #: the learning rate when training ended


@dataclass(frozen=True)
class Observation:
    """What the harness saw inside the learner process (advice only)."""

    optimizer: str | None = None  #: the first optimizer's class
    learning_rate: float | None = None  #: its learning rate (or the module's LEARNING_RATE)
    weight_decay: float | None = None
    momentum: float | None = None
    parameters_changed: bool | None = None  #: any weight moved during training
    first_layer_input: dict = field(default_factory=dict)  #: mean, std, abs_max of what the first layer saw
    inputs_normalized: bool | None = None
    left_in_training_mode: bool | None = None
    mode_dependent_layers: int = 0  #: dropout and normalization layers
    dropout_rates: list = field(default_factory=list)
    output_activation: str | None = None  #: "Softmax", "Sigmoid", "ReLU", ... as the model's last module
    stacked_linear: bool | None = None  #: two weight layers in a row with no non-linearity between them
    linear_model: bool | None = None  #: no non-linearity at all after the first weight layer: a linear model
    layers: list = field(default_factory=list)  #: LayerStat of each weight layer, in order
    recipe: Recipe | None = None
    autograd_calls: int = 0  #: backward()/autograd.grad calls (by-hand tasks count them)
    optimizers_made: int = 0
    timeline: Timeline | None = None  #: the figures in time (learning rate, loss, update size per sampled step)
    input_scale: str | None = None  #: "small" or "large" when the first layer's inputs are far from unit scale
    inputs_finite: bool | None = None  #: False: the first weight layer received NaN or infinite inputs
    input_transform: dict = field(default_factory=dict)  #: how the inputs the model trained on differ from the raw
    #: training data it was handed: "scale" (median |log| ratio of the per-feature spreads), "shift" (median mean
    #: shift in raw standard deviations), "features"
    first_input_shape: list = field(default_factory=list)  #: the shape of the model's input on its first forward
    recurrent: list = field(default_factory=list)  #: RecurrentLayer of each recurrent layer, in order
    fully_masked_rows: bool | None = None  #: a softmax (attention) saw a row with every entry masked to -inf
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Observation:
        return _build(cls, data)


# ------------------------------------------------------------------ strict building


_MAX_ITEMS = 200
_MAX_TEXT = 300
_ITEMS = {"layers": LayerStat, "recurrent": RecurrentLayer}  #: list fields whose items are dataclasses


def _coerce(kind: Any, value: Any) -> Any:
    """`value` as the annotated `kind`, or a ValueError."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in typing.get_args(kind):
            return None
        for option in typing.get_args(kind):
            if option is type(None):
                continue
            try:
                return _coerce(option, value)
            except ValueError:
                continue
        raise ValueError(value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(value)
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError(value)
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value) if math.isfinite(value) else float(value)
        raise ValueError(value)
    if kind is str:
        if isinstance(value, str):
            return value[:_MAX_TEXT]
        raise ValueError(value)
    if kind is dict or origin is dict:
        if isinstance(value, Mapping):
            return {str(k)[:60]: _plain(v) for k, v in list(value.items())[:_MAX_ITEMS]}
        raise ValueError(value)
    if kind is list or origin is list:
        if isinstance(value, (list, tuple)):
            return [_plain(v) for v in list(value)[:_MAX_ITEMS]]
        raise ValueError(value)
    if isinstance(kind, type) and hasattr(kind, "__dataclass_fields__"):
        return _build(kind, value)
    raise ValueError(value)


def _plain(value: Any) -> Any:
    """A JSON leaf, bounded: numbers, booleans, short texts, None; nested containers one level."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value[:_MAX_TEXT]
    if isinstance(value, Mapping):
        return {str(k)[:60]: v if isinstance(v, (bool, int, float, type(None))) else str(v)[:_MAX_TEXT]
                for k, v in list(value.items())[:_MAX_ITEMS]}
    if isinstance(value, (list, tuple)):
        return [v if isinstance(v, (bool, int, float, type(None))) else str(v)[:_MAX_TEXT] for v in value[:_MAX_ITEMS]]
    return str(value)[:_MAX_TEXT]


def _build(cls: type, data: Any) -> Any:
    """An instance of the dataclass `cls` from JSON, keeping only known fields of the right type."""
    if isinstance(data, cls):
        return data
    if not isinstance(data, Mapping):
        return cls()
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        kind = hints[f.name]
        raw = data[f.name]
        if f.name in _ITEMS:  # a list of dataclasses (LayerStat, RecurrentLayer)
            if isinstance(raw, (list, tuple)):
                values[f.name] = [item if isinstance(item, _ITEMS[f.name]) else _build(_ITEMS[f.name], item)
                                  for item in raw[:_MAX_ITEMS] if isinstance(item, (Mapping, _ITEMS[f.name]))]
            continue
        try:
            values[f.name] = _coerce(kind, raw)
        except ValueError:
            continue
    return cls(**values)
