"""The judge's side of ex-residual-connections: hidden tensors, the references (nn.LayerNorm and nn.Conv2d
themselves), and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dlpath.grading.exercises import Case, Exercise, matches, mistake

# ------------------------------------------------------------------ layer normalization


def _layer_norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float) -> torch.Tensor:
    norm = nn.LayerNorm(x.shape[-1], eps=eps, dtype=torch.float64)
    with torch.no_grad():
        norm.weight.copy_(gamma)
        norm.bias.copy_(beta)
        return norm(x.double()).to(x.dtype)


def _by_hand(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float, dim: int = -1,
             unbiased: bool = False, eps_outside: bool = False) -> torch.Tensor:
    x = x.double()
    mean, var = x.mean(dim=dim, keepdim=True), x.var(dim=dim, unbiased=unbiased, keepdim=True)
    scale = var.sqrt() + eps if eps_outside else (var + eps).sqrt()
    return (x - mean) / scale * gamma + beta


def _features(rng: torch.Generator) -> list[Case]:
    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=rng)

    flat = randn(3, 5)
    flat[1] = 2.5  # every feature of example 1 is the same
    return [
        Case("4 examples of 6 features, spread 3 around 5 (the lesson's check)", randn(4, 6) * 3 + 5, torch.ones(6),
             torch.zeros(6), 1e-5),
        Case("a learned scale and shift", randn(5, 4), randn(4), randn(4), 1e-5),
        Case("a (2, 3, 5) batch of sequences: positions too are leading axes", randn(2, 3, 5), randn(5), randn(5),
             1e-5),
        Case("a batch of one example", randn(1, 8) * 2 - 1, randn(8), randn(8), 1e-5),
        Case("an example whose features are all equal", flat, randn(5), randn(5), 1e-5),
        Case("a large eps, 0.5, on features of small spread", randn(3, 4) * 0.3, torch.ones(4), torch.zeros(4), 0.5),
    ]


@mistake("layernorm-unbiased-variance")
def _unbiased(case: Case, got: object, want: object) -> str | None:
    if matches(got, _by_hand(*case.args, unbiased=True)):
        return ("Your variance divides by D - 1 (torch's default x.var()); layer normalization divides by D, the "
                "number of features: x.var(dim=-1, unbiased=False), as the lesson's check does.")
    return None


@mistake("layernorm-wrong-axis")
def _axis(case: Case, got: object, want: object) -> str | None:
    if case.args[0].dim() >= 2 and case.args[0].shape[0] > 1 and matches(got, _by_hand(*case.args, dim=0)):
        return ("You normalized each feature over the batch (dim 0): that is batch normalization, and an example's "
                "output then depends on the others in its batch. Layer normalization normalizes each example over "
                "its own features, the last axis.")
    if case.args[0].shape[0] == 1 and isinstance(got, torch.Tensor) and got.shape == want.shape and matches(
            got, _by_hand(*case.args, dim=0)):
        return ("For a batch of one example, every output equals beta: you normalized over the batch (dim 0), where "
                "one example has no spread. Normalize each example over its own features, the last axis.")
    return None


@mistake("layernorm-eps-outside")
def _eps(case: Case, got: object, want: object) -> str | None:
    if matches(got, _by_hand(*case.args, eps_outside=True)):
        return (f"You added eps outside the square root, / (sqrt(var) + eps); it goes inside, / sqrt(var + eps). "
                f"With eps = {case.args[3]:g} and a small variance the two differ a lot.")
    return None


# ------------------------------------------------------------------ the ResNet basic block


def _conv(weight: torch.Tensor, stride: int = 1, padding: int = 0) -> nn.Conv2d:
    conv = nn.Conv2d(weight.shape[1], weight.shape[0], weight.shape[-1], stride=stride, padding=padding, bias=False,
                     dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(weight)
    return conv


def _block(x: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor, w_short: torch.Tensor | None,
           stride: int) -> torch.Tensor:
    """The lesson's BasicBlock with nn.Conv2d layers and no batch normalization."""
    body = nn.Sequential(_conv(w1, stride, 1), nn.ReLU(), _conv(w2, 1, 1))
    shortcut = nn.Identity() if w_short is None else _conv(w_short, stride)
    with torch.no_grad():
        return torch.relu(body(x.double()) + shortcut(x.double())).to(x.dtype)


def _images(rng: torch.Generator) -> list[Case]:
    def block(b: int, c_in: int, c_out: int, size: int, stride: int) -> tuple:
        x = torch.randn(b, c_in, size, size, generator=rng)
        w1 = torch.randn(c_out, c_in, 3, 3, generator=rng) * (2 / (9 * c_in)) ** 0.5
        w2 = torch.randn(c_out, c_out, 3, 3, generator=rng) * (2 / (9 * c_out)) ** 0.5
        same = stride == 1 and c_in == c_out
        w_short = None if same else torch.randn(c_out, c_in, 1, 1, generator=rng) * (1 / c_in) ** 0.5
        return x, w1, w2, w_short, stride

    return [
        Case("2 images of 4 channels, 6 x 6: the shape stays, the shortcut is x", *block(2, 4, 4, 6, 1)),
        Case("3 channels in, 5 out: a 1x1 projection shortcut", *block(2, 3, 5, 5, 1)),
        Case("stride 2 halves 8 x 8 to 4 x 4, and 4 channels become 6", *block(2, 4, 6, 8, 2)),
        Case("stride 2 on an odd 7 x 7 image", *block(1, 2, 3, 7, 2)),
        Case("stride 2, the channels unchanged: the shortcut still needs its 1x1 convolution", *block(2, 3, 3, 6, 2)),
        Case("a single image of one channel", *block(1, 1, 1, 5, 1)),
    ]


def _variant(case: Case, relu_before: bool = False, last_relu: bool = True, late_stride: bool = False) -> torch.Tensor:
    x, w1, w2, w_short, stride = (a.double() if isinstance(a, torch.Tensor) else a for a in case.args)
    h = F.relu(F.conv2d(x, w1, stride=1 if late_stride else stride, padding=1))
    body = F.conv2d(h, w2, stride=stride if late_stride else 1, padding=1)
    shortcut = x if w_short is None else F.conv2d(x, w_short, stride=stride)
    if relu_before:
        return F.relu(body) + shortcut
    return F.relu(body + shortcut) if last_relu else body + shortcut


@mistake("residual-relu-before-add")
def _relu_before(case: Case, got: object, want: object) -> str | None:
    if matches(got, _variant(case, relu_before=True)):
        return ("You applied the ReLU to the body before adding the shortcut, so the block's output can be negative. "
                "The basic block adds first, then applies one ReLU to the sum: relu(body(x) + shortcut(x)).")
    return None


@mistake("residual-no-final-relu")
def _no_relu(case: Case, got: object, want: object) -> str | None:
    if matches(got, _variant(case, last_relu=False)):
        return ("Your block returns body(x) + shortcut(x) without the last ReLU, so it can output negative values. "
                "The lesson's forward is torch.relu(self.body(x) + self.shortcut(x)).")
    return None


@mistake("residual-stride-on-second-conv")
def _late_stride(case: Case, got: object, want: object) -> str | None:
    if case.args[4] != 1 and matches(got, _variant(case, late_stride=True)):
        return ("Your block halves the image in its second 3x3 convolution. The shape comes out right, but the "
                "stride belongs to the first one (and to the shortcut): that is where the lesson's block downsamples.")
    return None


EXERCISES = [
    Exercise("layer_norm", _features, reference=_layer_norm, rtol=1e-4, atol=1e-5,
             mistakes=[_unbiased, _axis, _eps]),
    Exercise("basic_block", _images, reference=_block, rtol=1e-4, atol=1e-5,
             mistakes=[_relu_before, _no_relu, _late_stride]),
]
