"""The judge's side of ex-future-directions: hidden runs and laws, the references, and the mistakes.

Only the judge imports this file; the learner's process never sees it. The fit's reference is
torch.linalg.lstsq on the log-log design matrix, in float64.
"""

from __future__ import annotations

import math

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake


def _line(sizes: torch.Tensor, losses: torch.Tensor, log=torch.log) -> tuple[float, float]:
    """(intercept, slope) of the least-squares line of log(loss) on log(size)."""
    x, y = log(sizes.double()), log(losses.double())
    design = torch.stack([torch.ones_like(x), x], dim=1)
    intercept, slope = torch.linalg.lstsq(design, y[:, None]).solution[:, 0]
    return float(intercept), float(slope)


def _fit(sizes: torch.Tensor, losses: torch.Tensor) -> tuple[float, float]:
    intercept, slope = _line(sizes, losses)
    return math.exp(intercept), -slope


def _runs(rng: torch.Generator) -> list[Case]:
    def law(sizes: torch.Tensor, a: float, b: float, noise: float = 0.0) -> Case:
        losses = a * sizes.double() ** -b * torch.exp(noise * torch.randn(len(sizes), generator=rng,
                                                                            dtype=torch.float64))
        return sizes.double(), losses

    a = 5 + 20 * float(torch.rand(1, generator=rng))
    b = 0.05 + 0.3 * float(torch.rand(1, generator=rng))
    return [
        Case("an exact law: loss = 10 * size^-0.2 at 4 sizes", *law(torch.tensor([1e3, 1e4, 1e5, 1e6]), 10.0, 0.2)),
        Case("6 runs from 1e6 to 1e10 parameters, a little noise", *law(torch.logspace(6, 10, 6), a, b, 0.02)),
        Case("only two runs", *law(torch.tensor([2e5, 8e6]), 3.0, 0.1)),
        Case("sizes that are not evenly spaced", *law(torch.tensor([1e4, 3e4, 2e5, 5e5, 4e7]), 40.0, 0.3, 0.05)),
        Case("float32 sizes and losses", *(t.float() for t in law(torch.logspace(3, 7, 5), 2.0, 0.076, 0.01))),
    ]


@mistake("powerlaw-log-intercept")
def _log_a(case: Case, got: object, want: object) -> str | None:
    intercept, slope = _line(*case.args)
    if matches(got, (intercept, -slope)):
        return (f"Your a is the line's intercept, log(a) = {intercept:.4g}. The line lives in log space: a = "
                f"exp(intercept) = {math.exp(intercept):.4g}.")
    return None


@mistake("powerlaw-slope-sign")
def _slope(case: Case, got: object, want: object) -> str | None:
    intercept, slope = _line(*case.args)
    if isinstance(got, (tuple, list)) and len(got) == 2 and matches(got[1], slope):
        return (f"Your b is the slope itself, {slope:.4g}. The law is loss = a * size^(-b): the loss falls as size "
                "grows, the slope is negative, and b = -slope is positive.")
    return None


@mistake("powerlaw-mixed-logs")
def _mixed(case: Case, got: object, want: object) -> str | None:
    intercept, slope = _line(*case.args, log=torch.log10)
    if isinstance(got, (tuple, list)) and len(got) == 2 and matches(got[0], math.exp(intercept)):
        return ("You fitted with log10 and undid the intercept with exp. The two must match: 10 ** intercept after "
                "log10, or exp after the natural log. (b does not care: a slope in log-log space has no base.)")
    return None


def _size(a: float, b: float, target: float) -> float:
    return math.exp((math.log(a) - math.log(target)) / b)


def _targets(rng: torch.Generator) -> list[Case]:
    a = 5 + 20 * float(torch.rand(1, generator=rng))
    b = 0.05 + 0.3 * float(torch.rand(1, generator=rng))
    return [
        Case("loss = 10 * size^-0.2, aiming at a loss of 1", 10.0, 0.2, 1.0),
        Case(f"a fitted law (a = {a:.3g}, b = {b:.3g}), aiming at 2.0", a, b, 2.0),
        Case("b = 0.076, as in language-model laws: a small gain needs a huge model", 2.0, 0.076, 1.5),
        Case("a target the law reaches at a size below 1", 3.0, 0.5, 4.0),
        Case("b = 1: the loss halves when the size doubles", 100.0, 1.0, 0.5),
    ]


@mistake("size-exponent-b")
def _exponent_b(case: Case, got: object, want: object) -> str | None:
    a, b, target = case.args
    if b != 1 and matches(got, (a / target) ** b):
        return ("You raised a / target to the power b. From target = a * size^(-b): size^b = a / target, so size is "
                "the b-th root, (a / target) ** (1 / b).")
    return None


@mistake("size-ratio-inverted")
def _inverted(case: Case, got: object, want: object) -> str | None:
    a, b, target = case.args
    if a != target and matches(got, (target / a) ** (1 / b)):
        return ("Your ratio is upside down: a lower target loss must need a larger size, so size = (a / target) ** "
                "(1 / b), which grows as the target falls.")
    return None


EXERCISES = [
    Exercise("fit_power_law", _runs, reference=_fit, rtol=1e-4, atol=1e-6, mistakes=[_log_a, _slope, _mixed]),
    Exercise("size_for_loss", _targets, reference=_size, rtol=1e-6, mistakes=[_exponent_b, _inverted]),
]
