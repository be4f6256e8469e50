"""The judge's side of ex-weight-initialization: hidden layer sizes and stacks, the references (PyTorch's own
gains and bounds), and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from dlpath.grading.exercises import Case, Exercise, matches, mistake

# ------------------------------------------------------------------ Xavier or He


def _scale(fan_in: int, fan_out: int, activation: str) -> tuple[float, float]:
    """PyTorch's own figures: kaiming_normal_'s std and kaiming_uniform_'s bound for ReLU, xavier_*'s for the
    others."""
    if activation == "relu":
        std = nn.init.calculate_gain("relu") / math.sqrt(fan_in)
        return std, nn.init.calculate_gain("relu") * math.sqrt(3 / fan_in)
    return math.sqrt(2 / (fan_in + fan_out)), math.sqrt(6 / (fan_in + fan_out))


def _sizes(rng: torch.Generator) -> list[Case]:
    wide = int(torch.randint(200, 600, (), generator=rng))
    return [
        Case("a ReLU layer, 256 inputs to 128", 256, 128, "relu"),
        Case("a square tanh layer, 256 to 256", 256, 256, "tanh"),
        Case("the lesson's first ReLU layer, 2 inputs to 64", 2, 64, "relu"),
        Case("a sigmoid layer, 784 inputs to 10", 784, 10, "sigmoid"),
        Case(f"a ReLU layer, {wide} inputs to 1000", wide, 1000, "relu"),
        Case("a tanh layer with one input and one output", 1, 1, "tanh"),
    ]


def _pair(got: object) -> bool:
    return isinstance(got, (tuple, list)) and len(got) == 2


@mistake("init-scheme-for-activation")
def _scheme(case: Case, got: object, want: object) -> str | None:
    fan_in, fan_out, activation = case.args
    other = _scale(fan_in, fan_out, "tanh" if activation == "relu" else "relu")
    if _pair(got) and not matches(want, other) and matches(got, other):
        used, right = ("Xavier", "He") if activation == "relu" else ("He", "Xavier")
        return (f"For a {activation} layer you used {used}; the lesson pairs {right} with it: He, 2 / fan_in, for "
                "ReLU (it zeroes about half its inputs), Xavier, 2 / (fan_in + fan_out), for tanh and sigmoid.")
    return None


@mistake("init-variance-not-std")
def _variance(case: Case, got: object, want: object) -> str | None:
    std, bound = want
    if _pair(got) and std != 1 and matches(got[0], std ** 2):
        return (f"Your std is {got[0]:.4g}, the variance s ** 2 itself; the standard deviation is its square root, "
                f"{std:.4g}. Weights drawn with torch.randn(...) * {got[0]:.4g} would shrink the signal at every layer.")
    return None


@mistake("init-uniform-bound")
def _bound(case: Case, got: object, want: object) -> str | None:
    std, bound = want
    if _pair(got) and matches(got[0], std) and not matches(got[1], bound):
        return (f"Your std is right but the uniform bound {got[1]:.4g} is not {bound:.4g}: a uniform draw on [-a, a] "
                "has variance a ** 2 / 3, so the same variance as std needs a = sqrt(3) * std.")
    return None


@mistake("init-he-missing-2")
def _no_two(case: Case, got: object, want: object) -> str | None:
    fan_in, _, activation = case.args
    if activation == "relu" and _pair(got) and matches(got[0], math.sqrt(1 / fan_in)):
        return ("For ReLU your variance is 1 / fan_in: that keeps the variance of w . x steady, but ReLU then zeroes "
                "about half of it at every layer. He doubles it: 2 / fan_in.")
    return None


# ------------------------------------------------------------------ the signal through a stack


def _stds(x: torch.Tensor, weights: list, activation: str, before: bool = False,
          transposed: bool = False) -> torch.Tensor:
    act = torch.relu if activation == "relu" else torch.tanh
    h, out = x, []
    for w in weights:
        z = h @ (w.T if transposed else w)
        h = act(z)
        out.append((z if before else h).std())
    return torch.stack(out)


def _stacks(rng: torch.Generator) -> list[Case]:
    def stack(widths: list[int], std: float | None = None) -> list[torch.Tensor]:
        return [torch.randn(a, b, generator=rng) * (std if std is not None else math.sqrt(2 / a))
                for a, b in zip(widths, widths[1:])]

    def batch(b: int, width: int) -> torch.Tensor:
        return torch.randn(b, width, generator=rng)

    return [
        Case("8 ReLU layers of width 32 at He's scale", batch(64, 32), stack([32] * 9), "relu"),
        Case("the same depth at std 1: the signal explodes", batch(64, 32), stack([32] * 9, 1.0), "relu"),
        Case("std 0.01: the signal vanishes", batch(64, 32), stack([32] * 9, 0.01), "relu"),
        Case("6 tanh layers of width 24 at Xavier's scale", batch(50, 24), stack([24] * 7, math.sqrt(1 / 24)),
             "tanh"),
        Case("widths that change: 16, 48, 8, 24", batch(40, 16), stack([16, 48, 8, 24]), "relu"),
        Case("a single layer", batch(30, 10), stack([10, 5]), "tanh"),
    ]


@mistake("activation-std-before-activation")
def _before(case: Case, got: object, want: object) -> str | None:
    if matches(got, _stds(*case.args, before=True), rtol=1e-4, atol=0.0):
        return ("You measured each layer's pre-activation h @ W, before the ReLU or tanh. The signal the next layer "
                "receives is act(h @ W): take the spread after the activation.")
    return None


@mistake("activation-std-includes-input")
def _input(case: Case, got: object, want: object) -> str | None:
    x = case.args[0]
    if isinstance(got, torch.Tensor) and got.shape == (want.numel() + 1,) and matches(
            got, torch.cat([x.std().reshape(1), want]), rtol=1e-4, atol=0.0):
        return (f"You returned {got.numel()} values for {want.numel()} layers: the first is the input's own spread. "
                "Return one value per layer, after its activation.")
    return None


@mistake("activation-weight-transposed")
def _transposed(case: Case, got: object, want: object) -> str | None:
    _, weights, _ = case.args
    if all(w.shape[0] == w.shape[1] for w in weights) and matches(got, _stds(*case.args, transposed=True),
                                                                  rtol=1e-4, atol=0.0):
        return ("You multiplied by the transposed weights (W @ h, or F.linear(h, W)). Here weights[i] is "
                "(fan_in, fan_out), so a layer is h @ W; a stack whose widths change would not even run.")
    return None


EXERCISES = [
    Exercise("init_scale", _sizes, reference=_scale, rtol=1e-6, atol=0.0,
             mistakes=[_scheme, _variance, _bound, _no_two]),
    Exercise("activation_stds", _stacks, reference=_stds, rtol=1e-4, atol=0.0,
             mistakes=[_before, _input, _transposed]),
]
