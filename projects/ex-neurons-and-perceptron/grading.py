"""The judge's side of ex-neurons-and-perceptron: hidden data sets and layers, the lesson's rule as the reference,
and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake

GATES = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float64)


def _run(X: torch.Tensor, y: torch.Tensor, epochs: int, *, fires_at_zero: bool = False, bias: bool = True,
         signed: bool = True) -> tuple[torch.Tensor, float, int]:
    """The lesson's perceptron rule (or a variant of it), in float64."""
    w, b, mistakes = torch.zeros(X.shape[1], dtype=torch.float64), 0.0, 0
    for _ in range(epochs):
        mistakes = 0
        for xi, yi in zip(X, y.tolist()):
            z = float(w @ xi) + b
            pred = int(z >= 0) if fires_at_zero else int(z > 0)
            if pred != yi:
                step = (yi - pred) if signed else 1
                w = w + step * xi
                b = b + step if bias else b
                mistakes += 1
        if mistakes == 0:
            break
    return w, b, mistakes


def _separable(rng: torch.Generator, n: int, features: int) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.randn(n, features, generator=rng, dtype=torch.float64)
    direction = torch.randn(features, generator=rng, dtype=torch.float64)
    z = X @ direction + 0.3
    keep = z.abs() > 0.3  # a margin, so the rule converges in a few epochs
    return X[keep], (z[keep] > 0).long()


def _data(rng: torch.Generator) -> list[Case]:
    X3, y3 = _separable(rng, 40, 3)
    return [
        Case("the lesson's AND gate, 20 epochs", GATES, torch.tensor([0, 0, 0, 1]), 20),
        Case("the lesson's XOR: no line separates it", GATES, torch.tensor([0, 1, 1, 0]), 20),
        Case("OR, capped at 2 epochs", GATES, torch.tensor([0, 1, 1, 1]), 2),
        Case("NAND: the first sample is a 1", GATES, torch.tensor([1, 1, 1, 0]), 20),
        Case(f"{len(y3)} separable points in 3-D", X3, y3, 50),
        Case("0 epochs: nothing is learned yet", GATES, torch.tensor([0, 1, 1, 1]), 0),
    ]


def _perceptron(X: torch.Tensor, y: torch.Tensor, epochs: int) -> tuple[torch.Tensor, float, int]:
    return _run(X, y, epochs)


def _variant(case: Case, got: object, want: object, **how: bool) -> bool:
    wrong = _run(*case.args, **how)
    return not matches(wrong, want) and matches(got, wrong)


@mistake("perceptron-fires-at-zero")
def _at_zero(case: Case, got: object, want: object) -> str | None:
    if _variant(case, got, want, fires_at_zero=True):
        return ("Your perceptron fires when w @ x + b is exactly 0. The rule fires only when the sum clears 0 "
                "(z > 0): at the start, with zero weights, every prediction is 0, and a sample on the line counts "
                "as class 0.")
    return None


@mistake("perceptron-no-bias")
def _no_bias(case: Case, got: object, want: object) -> str | None:
    if _variant(case, got, want, bias=False):
        return ("Your bias never moves. Without it the line must pass through the origin, and AND cannot be "
                "learned: on every mistake, add (y - pred) to b as well as (y - pred) * x to w.")
    return None


@mistake("perceptron-always-adds")
def _always_adds(case: Case, got: object, want: object) -> str | None:
    if _variant(case, got, want, signed=False):
        return ("Your correction always adds the input. When the perceptron fires on a 0 (pred 1, y 0) it must "
                "subtract it: the step is (y - pred) * x, +1 for a missed 1 and -1 for a false alarm.")
    return None


def _layer_cases(rng: torch.Generator) -> list[Case]:
    hidden = torch.tensor([[1.0, 1.0], [-1.0, -1.0]], dtype=torch.float64)  # OR and NAND neurons
    ties = torch.tensor([[1.0, 1.0], [2.0, 0.5], [0.0, 0.0], [3.0, 3.0]], dtype=torch.float64)
    return [
        Case("the XOR network's hidden layer: an OR and a NAND neuron", GATES, hidden,
             torch.tensor([-0.5, 1.5], dtype=torch.float64)),
        Case("weighted sums of exactly 0", ties, torch.tensor([[1.0, -1.0]], dtype=torch.float64),
             torch.zeros(1, dtype=torch.float64)),
        Case("3 neurons on 4 features, a batch of 10", torch.randn(10, 4, generator=rng, dtype=torch.float64),
             torch.randn(3, 4, generator=rng, dtype=torch.float64), torch.randn(3, generator=rng, dtype=torch.float64)),
        Case("a single sample", torch.randn(1, 5, generator=rng, dtype=torch.float64),
             torch.randn(2, 5, generator=rng, dtype=torch.float64), torch.randn(2, generator=rng, dtype=torch.float64)),
    ]


def _layer(X: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (torch.nn.functional.linear(X, W, b) > 0).long()


@mistake("layer-fires-at-zero")
def _layer_at_zero(case: Case, got: object, want: object) -> str | None:
    X, W, b = case.args
    wrong = (X @ W.T + b >= 0).long()
    if not matches(wrong, want) and matches(got, wrong):
        return ("Your neurons fire on a weighted sum of exactly 0. A perceptron outputs 1 only when z > 0, so the "
                "points on the line itself count as class 0.")
    return None


@mistake("layer-no-step")
def _no_step(case: Case, got: object, want: object) -> str | None:
    X, W, b = case.args
    if matches(got, X @ W.T + b):
        return ("You returned the weighted sums z = X @ W.T + b. A perceptron passes z through its step: 1 where "
                "z > 0, else 0. Without it the layer is a plain linear map.")
    return None


EXERCISES = [
    Exercise("perceptron_train", _data, reference=_perceptron, rtol=1e-9, atol=1e-9,
             mistakes=[_at_zero, _no_bias, _always_adds]),
    Exercise("perceptron_layer", _layer_cases, reference=_layer, mistakes=[_layer_at_zero, _no_step]),
]
