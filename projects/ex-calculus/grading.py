"""The judge's side of ex-calculus: hidden functions and points, autograd as the reference, and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, Function, finite, matches, mistake


def _gradient(f: Function, x: torch.Tensor, h: float = 1e-5) -> torch.Tensor:
    """The exact gradient, by autograd (h plays no part in it)."""
    x = x.clone().requires_grad_(True)
    f.build()(x).backward()
    return x.grad.detach()


def _symmetric(n: int, rng: torch.Generator) -> torch.Tensor:
    a = torch.randn(n, n, generator=rng, dtype=torch.float64)
    return (a + a.T) / 2


def _points(rng: torch.Generator) -> list[Case]:
    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=rng, dtype=torch.float64)

    return [
        Case("a quadratic in 3 variables", Function("quadratic", {"A": _symmetric(3, rng), "b": randn(3)}), randn(3)),
        Case("tanh of a small layer of 5 inputs", Function("tanh_layer", {"W": randn(4, 5), "c": randn(4)}), randn(5)),
        Case("a wiggly function of 6 variables", Function("wiggle", {"a": 1 + 2 * torch.rand(6, generator=rng,
                                                                                           dtype=torch.float64)}),
             randn(6)),
        Case("a function of a single variable", Function("wiggle", {"a": torch.tensor([2.0], dtype=torch.float64)}),
             randn(1)),
        Case("a quadratic with a large step h = 0.01", Function("quadratic", {"A": _symmetric(4, rng), "b": randn(4)}),
             randn(4), h=0.01),
    ]


def _norm_pairs(rng: torch.Generator) -> list[Case]:
    a = torch.randn(5, generator=rng, dtype=torch.float64)
    noise = 1e-3 * torch.randn(5, generator=rng, dtype=torch.float64)
    tiny = 1e-8 * torch.randn(4, generator=rng, dtype=torch.float64)
    zeros = torch.zeros(3, dtype=torch.float64)
    return [
        Case("two close gradients", a, a + noise),
        Case("the same gradient twice", a, a.clone()),
        Case("a gradient and twice itself", a, 2 * a),
        Case("twice a gradient and itself", 2 * a, a),
        Case("two tiny gradients of size 1e-8", tiny, 2 * tiny),
        Case("two all-zero gradients", zeros, zeros.clone()),
        Case("a zero gradient and a non-zero one", zeros, torch.ones(3, dtype=torch.float64)),
    ]


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    scale = max(float(a.norm()), float(b.norm()))
    return float((a - b).norm()) / scale if scale > 0 else 0.0


def _nudged(case: Case, forward: bool) -> torch.Tensor:
    f, x = case.args[0].build(), case.args[1]
    h = case.kwargs.get("h", 1e-5)
    out = torch.zeros_like(x)
    for i in range(x.numel()):
        plus, minus = x.clone(), x.clone()
        plus[i] += h
        minus[i] -= h
        out[i] = (f(plus) - f(x)) / h if forward else (f(plus) - f(minus)) / h
    return out


@mistake("gradient-forward-difference")
def _forward(case: Case, got: object, want: object) -> str | None:
    if matches(got, _nudged(case, forward=True), rtol=1e-7, atol=1e-9):
        return ("Your gradient matches the forward difference (f(x + h) - f(x)) / h, whose error shrinks only like h. "
                "The centred difference (f(x + h) - f(x - h)) / 2h cancels that error term: its error shrinks like "
                "h squared, so it is exact on a quadratic.")
    return None


@mistake("gradient-missing-half")
def _missing_half(case: Case, got: object, want: object) -> str | None:
    if matches(got, _nudged(case, forward=False), rtol=1e-7, atol=1e-9):
        return ("Your gradient is twice the true one: x + h and x - h are 2h apart, so divide the difference "
                "f(x + h) - f(x - h) by 2 * h, not by h.")
    return None


@mistake("relative-error-zero-division")
def _zero_division(case: Case, got: object, want: object) -> str | None:
    if not finite(got) and finite(want):
        return ("Two all-zero gradients agree perfectly, yet your relative error is nan: 0 / 0. When both norms are 0, "
                "return 0.0.")
    return None


@mistake("relative-error-absolute")
def _absolute(case: Case, got: object, want: object) -> str | None:
    a, b = case.args
    if matches(got, float((a - b).norm()), rtol=1e-7, atol=0.0):
        return ("That is the absolute difference |a - b|: for gradients of size 1e-8 it looks tiny even when they "
                "differ by half. Divide by the larger of the two norms to make it relative.")
    return None


@mistake("relative-error-one-sided")
def _one_sided(case: Case, got: object, want: object) -> str | None:
    a, b = case.args
    distance = float((a - b).norm())
    sides = [distance / float(n.norm()) for n in (a, b) if float(n.norm()) > 0]
    if any(matches(got, side, rtol=1e-7, atol=0.0) for side in sides):
        return ("You divided by one gradient's norm, so relative_error(a, b) differs from relative_error(b, a). "
                "Divide by the larger of the two norms: the check must not depend on the order.")
    return None


def _evaluations(case: Case) -> int:
    """The values of f the judge answers in one call: centred differences take 2 per number of x, a five-point
    stencil 4; anything beyond 4n + 4 probes f instead of differentiating it."""
    return 4 * case.args[1].numel() + 4


EXERCISES = [
    Exercise("numerical_gradient", _points, reference=_gradient, rtol=1e-6, atol=1e-7,
             mistakes=[_forward, _missing_half], max_evaluations=_evaluations),
    Exercise("relative_error", _norm_pairs, reference=_relative, rtol=1e-9, atol=1e-12,
             mistakes=[_zero_division, _absolute, _one_sided]),
]
