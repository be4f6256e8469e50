"""The judge's side of ex-convolutional-networks: hidden layer settings, PyTorch's own layers as the reference,
and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from dlpath.grading.exercises import Case, Exercise, matches, mistake


def _width(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """What nn.Conv1d / nn.Conv2d really produce: run one on zeros and read the shape."""
    out = F.conv1d(torch.zeros(1, 1, size), torch.zeros(1, 1, kernel), stride=stride, padding=padding,
                   dilation=dilation)
    return int(out.shape[-1])


def _settings(rng: torch.Generator) -> list[Case]:
    def pick(*options: int) -> int:
        return options[int(torch.randint(len(options), (1,), generator=rng))]

    return [
        Case("a 3x3 kernel with padding 1 on 32", 32, 3, padding=1),
        Case("stride 2 on 32 with padding 1", 32, 3, stride=2, padding=1),
        Case("no padding: 28 with a 5x5 kernel", 28, 5),
        Case("a last window that does not fit: 8, kernel 3, stride 2", 8, 3, stride=2),
        Case("ResNet's first layer: 224, kernel 7, stride 2, padding 3", 224, 7, stride=2, padding=3),
        Case("a dilated kernel: 10, kernel 3, dilation 2", 10, 3, dilation=2),
        Case("a random layer", pick(*range(20, 65)), pick(3, 5), stride=pick(2, 3), padding=pick(0, 1, 2),
             dilation=pick(1, 2)),
    ]


def _layer(case: Case) -> tuple[int, int, int, int, int]:
    size, kernel = case.args
    return (size, kernel, case.kwargs.get("stride", 1), case.kwargs.get("padding", 0), case.kwargs.get("dilation", 1))


def _formula(size: int, kernel: int, stride: int, padding: float, dilation: int, rounding=math.floor) -> int:
    return int(rounding((size + padding - dilation * (kernel - 1) - 1) / stride)) + 1


@mistake("conv-size-not-whole")
def _not_whole(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, float) and not got.is_integer():
        return (f"Your answer {got:g} is not a whole number of positions: a window either fits or it does not. Use "
                "integer division (//), which rounds down.")
    return None


@mistake("conv-size-rounded-up")
def _rounded_up(case: Case, got: object, want: object) -> str | None:
    size, kernel, stride, padding, dilation = _layer(case)
    if matches(got, _formula(size, kernel, stride, 2 * padding, dilation, math.ceil)):
        return ("You rounded up, counting a last window that sticks out past the edge. PyTorch drops it: round down "
                "with //.")
    return None


@mistake("conv-size-padding-once")
def _padding_once(case: Case, got: object, want: object) -> str | None:
    size, kernel, stride, padding, dilation = _layer(case)
    if padding and matches(got, _formula(size, kernel, stride, padding, dilation)):
        return (f"padding={padding} adds {padding} on each side, so the padded width is size + 2 * padding, not "
                "size + padding.")
    return None


@mistake("conv-size-dilation")
def _dilation(case: Case, got: object, want: object) -> str | None:
    size, kernel, stride, padding, dilation = _layer(case)
    if dilation > 1 and matches(got, _formula(size, kernel, stride, 2 * padding, 1)):
        return (f"With dilation {dilation} the {kernel} taps are {dilation} apart, so the kernel spans "
                f"{dilation} * ({kernel} - 1) + 1 = {dilation * (kernel - 1) + 1} inputs, not {kernel}.")
    return None


def _parameters(in_channels: int, out_channels: int, kernel: int, bias: bool = True) -> int:
    """Count the parameters of a real nn.Conv2d."""
    layer = nn.Conv2d(in_channels, out_channels, kernel, bias=bias, device="meta")  # shapes only, no memory
    return sum(p.numel() for p in layer.parameters())


def _channels(rng: torch.Generator) -> list[Case]:
    def pick(*options: int) -> int:
        return options[int(torch.randint(len(options), (1,), generator=rng))]

    return [
        Case("the lesson's nn.Conv2d(16, 32, 3)", 16, 32, 3),
        Case("an RGB input: nn.Conv2d(3, 8, 5)", 3, 8, 5),
        Case("a 1x1 convolution: nn.Conv2d(64, 128, 1)", 64, 128, 1),
        Case("no bias (before a batch norm): nn.Conv2d(32, 64, 3, bias=False)", 32, 64, 3, bias=False),
        Case("a random layer", pick(4, 12, 48), pick(6, 16, 96), pick(3, 5, 7)),
    ]


def _channel_args(case: Case) -> tuple[int, int, int, int]:
    cin, cout, k = case.args
    return cin, cout, k, cout if case.kwargs.get("bias", True) else 0


@mistake("conv-params-no-bias")
def _no_bias(case: Case, got: object, want: object) -> str | None:
    cin, cout, k, biases = _channel_args(case)
    if biases and matches(got, cout * cin * k * k):
        return f"You left out the biases: each of the {cout} output channels has one, {cout} more numbers."
    return None


@mistake("conv-params-kernel-once")
def _kernel_once(case: Case, got: object, want: object) -> str | None:
    cin, cout, k, biases = _channel_args(case)
    if k > 1 and matches(got, cout * cin * k + biases):
        return (f"A {k}x{k} kernel has {k} * {k} = {k * k} weights for each input channel, not {k}: count "
                "kernel * kernel.")
    return None


@mistake("conv-params-one-input-channel")
def _one_channel(case: Case, got: object, want: object) -> str | None:
    cin, cout, k, biases = _channel_args(case)
    if cin > 1 and matches(got, cout * k * k + biases):
        return (f"Each kernel spans all {cin} input channels: out_channels * in_channels * kernel * kernel "
                "weights, whatever the image size.")
    return None


EXERCISES = [
    Exercise("conv_output_size", _settings, reference=_width, rtol=0.0, atol=0.0,
             mistakes=[_not_whole, _rounded_up, _padding_once, _dilation]),
    Exercise("conv_parameters", _channels, reference=_parameters, rtol=0.0, atol=0.0,
             mistakes=[_no_bias, _kernel_once, _one_channel]),
]
