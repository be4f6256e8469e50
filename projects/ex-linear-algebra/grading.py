"""The judge's side of ex-linear-algebra: hidden batches and weights, torch's own references, and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

from functools import reduce

import torch
import torch.nn.functional as F

from dlpath.grading.exercises import Case, Exercise, matches, mistake


def _randn(rng: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=rng, dtype=torch.float64)


def _layers(rng: torch.Generator) -> list[Case]:
    return [
        Case("the lesson's W = [[2, 0], [1, 1]] and x = [1, 2], as a batch of one sample",
             torch.tensor([[1.0, 2.0]], dtype=torch.float64), torch.tensor([[2.0, 0.0], [1.0, 1.0]],
                                                                           dtype=torch.float64),
             torch.zeros(2, dtype=torch.float64)),
        Case("a square W (3, 3): X @ W runs, but is it the layer?", _randn(rng, 5, 3), _randn(rng, 3, 3),
             _randn(rng, 3)),
        Case("a batch of 32 samples, 4 features, 3 neurons", _randn(rng, 32, 4), _randn(rng, 3, 4), _randn(rng, 3)),
        Case("one feature in, five neurons out", _randn(rng, 6, 1), _randn(rng, 5, 1), _randn(rng, 5)),
        Case("a single neuron", _randn(rng, 4, 7), _randn(rng, 1, 7), _randn(rng, 1)),
        Case("an empty batch: 0 samples", torch.zeros(0, 3, dtype=torch.float64), _randn(rng, 2, 3), _randn(rng, 2)),
    ]


@mistake("linear-not-transposed")
def _not_transposed(case: Case, got: object, want: object) -> str | None:
    X, W, b = case.args
    if W.shape[0] == W.shape[1] and not matches(want, X @ W + b) and matches(got, X @ W + b):
        return ("You computed X @ W + b. nn.Linear stores one row per neuron, W of shape (out, in), and each output "
                "is a dot product of a sample with a row of W: X @ W.T + b. With a square W the wrong product runs "
                "silently; with any other shape it would not.")
    return None


@mistake("linear-no-bias")
def _no_bias(case: Case, got: object, want: object) -> str | None:
    X, W, b = case.args
    if bool(b.abs().sum() > 0) and matches(got, X @ W.T):
        return ("Your outputs are X @ W.T without the bias: add b, shape (out,), which broadcasts down the rows so "
                "every sample gets each neuron's own bias.")
    return None


@mistake("linear-output-transposed")
def _output_transposed(case: Case, got: object, want: object) -> str | None:
    if isinstance(want, torch.Tensor) and want.shape[0] != want.shape[1] and matches(got, want.T):
        return (f"Your answer has shape {tuple(want.T.shape)}, one row per neuron: the textbook's W x with x as "
                f"columns. Code keeps samples as rows, so a batch gives (N, out) = {tuple(want.shape)}: X @ W.T + b.")
    return None


def _stacks(rng: torch.Generator) -> list[Case]:
    A = torch.tensor([[1.0, 2.0], [0.0, 1.0]], dtype=torch.float64)
    B = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    return [
        Case("the lesson's A then B (2 x 2)", [A, B]),
        Case("three square layers 4 -> 4 -> 4 -> 4", [_randn(rng, 4, 4) for _ in range(3)]),
        Case("two layers 4 -> 3 -> 2", [_randn(rng, 3, 4), _randn(rng, 2, 3)]),
        Case("a single layer: it is its own matrix", [_randn(rng, 3, 5)]),
        Case("four layers 3 -> 6 -> 1 -> 4 -> 2", [_randn(rng, 6, 3), _randn(rng, 1, 6), _randn(rng, 4, 1),
                                                     _randn(rng, 2, 4)]),
    ]


def _collapse(weights: list[torch.Tensor]) -> torch.Tensor:
    x = torch.eye(weights[0].shape[1], dtype=torch.float64)  # each basis vector, through every layer in turn
    for W in weights:
        x = F.linear(x, W)  # nn.Linear's own product, without bias
    return x.T  # (out_last, in_first): column j is where basis vector j lands


@mistake("collapse-wrong-order")
def _wrong_order(case: Case, got: object, want: object) -> str | None:
    weights = case.args[0]
    if len(weights) > 1 and all(w.shape[0] == w.shape[1] for w in weights):
        reversed_order = reduce(lambda a, w: a @ w, weights)
        if not matches(reversed_order, want) and matches(got, reversed_order):
            return ("Your product is W1 @ W2 @ ..., the layers in reading order. The first layer acts first, so it "
                    "sits next to x: W2 @ (W1 @ x) = (W2 @ W1) @ x. Multiply each new layer in on the left. Order "
                    "matters: AB is not BA.")
    return None


@mistake("collapse-elementwise")
def _elementwise(case: Case, got: object, want: object) -> str | None:
    weights = case.args[0]
    if len(weights) > 1 and all(w.shape == weights[0].shape for w in weights):
        if matches(got, reduce(lambda a, w: a * w, weights)):
            return ("You multiplied the matrices with *, which multiplies entry by entry. Composing two linear maps "
                    "is the matrix product @: each entry of W2 @ W1 is a dot product of a row of W2 with a column "
                    "of W1.")
    return None


EXERCISES = [
    Exercise("linear_layer", _layers, reference=F.linear, rtol=1e-9, atol=1e-9,
             mistakes=[_not_transposed, _no_bias, _output_transposed]),
    Exercise("collapse", _stacks, reference=_collapse, rtol=1e-9, atol=1e-9, mistakes=[_wrong_order, _elementwise]),
]
