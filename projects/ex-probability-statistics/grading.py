"""The judge's side of ex-probability-statistics: hidden tests, distributions and scores, the references, and the
mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import math

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake


def _uniform(rng: torch.Generator, low: float, high: float) -> float:
    return round(low + (high - low) * float(torch.rand(1, generator=rng)), 4)


def _tests(rng: torch.Generator) -> list[Case]:
    return [
        Case("the lesson's test: 1% ill, 95% caught, 5% of the healthy flagged", 0.01, 0.95, 0.05),
        Case("the same test where 10% are ill", 0.10, 0.95, 0.05),
        Case("a rare disease: 1 person in 10,000", 0.0001, 0.99, 0.02),
        Case("a test with no false positives", 0.02, 0.80, 0.0),
        Case("a test that never catches the disease", 0.05, 0.0, 0.03),
        Case("a test and a prevalence you have not seen", _uniform(rng, 0.001, 0.3), _uniform(rng, 0.6, 0.99),
             _uniform(rng, 0.01, 0.2)),
    ]


def _posterior(prevalence: float, sensitivity: float, false_positive_rate: float) -> float:
    ill = sensitivity * prevalence  # P(+ and ill)
    healthy = false_positive_rate * (1 - prevalence)  # P(+ and healthy)
    return ill / (ill + healthy)


@mistake("bayes-confused-conditionals")
def _confused(case: Case, got: object, want: object) -> str | None:
    _, sensitivity, fpr = case.args
    neglect = sensitivity / (sensitivity + fpr) if sensitivity + fpr > 0 else None
    if not matches(want, sensitivity) and not matches(neglect, sensitivity) and matches(got, sensitivity):
        return (f"You returned the sensitivity, P(+ | ill) = {sensitivity:g}: how often the ill test positive. The "
                "question is the other way round, P(ill | +): of everyone who tests positive, how many are ill. "
                "Bayes' rule turns it around: P(+ | ill) P(ill) / P(+).")
    return None


@mistake("bayes-base-rate-neglect")
def _no_base_rate(case: Case, got: object, want: object) -> str | None:
    prevalence, sensitivity, fpr = case.args
    if sensitivity * prevalence > 0:
        neglect = sensitivity / (sensitivity + fpr)
        ratio = fpr * (1 - prevalence) / (sensitivity * prevalence)
        if not matches(want, neglect) and not matches(sensitivity, neglect) and matches(got, neglect):
            return ("Your answer ignores how common the disease is: it weighs the ill and the healthy as if there "
                    "were as many of each. P(+) = sensitivity * prevalence + false_positive_rate * (1 - prevalence): "
                    f"here the healthy who test positive outnumber the ill who do {ratio:.3g} to 1.")
    return None


def _distributions(rng: torch.Generator) -> list[Case]:
    def f64(values: list[float]) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.float64)

    weights = torch.rand(6, generator=rng, dtype=torch.float64)
    return [
        Case("a fair die", f64([1, 2, 3, 4, 5, 6]), torch.full((6,), 1 / 6, dtype=torch.float64)),
        Case("a Bernoulli with p = 0.3 (values 0 and 1)", f64([0, 1]), f64([0.7, 0.3])),
        Case("a loaded coin paying 10 or losing 1", f64([10, -1]), f64([0.1, 0.9])),
        Case("a value with probability 0", f64([2, 5, 100]), f64([0.5, 0.5, 0.0])),
        Case("a single sure value: no spread", f64([3.5]), f64([1.0])),
        Case("six values near 1000, random probabilities", 1000 + torch.randn(6, generator=rng, dtype=torch.float64),
             weights / weights.sum()),
    ]


def _moments(values: torch.Tensor, probs: torch.Tensor) -> tuple[float, float]:
    mean = float((probs * values).sum())
    return mean, float((probs * (values - mean) ** 2).sum())


@mistake("expectation-unweighted")
def _unweighted(case: Case, got: object, want: object) -> str | None:
    values, probs = case.args
    plain = float(values.mean())
    if isinstance(got, (tuple, list)) and len(got) == 2 and not matches(want[0], plain) and matches(got[0], plain):
        return ("Your expectation is the plain average of the values. E[X] weighs each value by its probability, "
                "sum(p * x): a loaded coin that pays 10 one time in ten is worth 0.1, not 4.5.")
    return None


@mistake("variance-is-std")
def _std(case: Case, got: object, want: object) -> str | None:
    std = math.sqrt(want[1])
    if isinstance(got, (tuple, list)) and len(got) == 2 and not matches(want[1], std) and matches(got[1], std):
        return ("Your second number is the standard deviation, the square root of the variance. "
                "Var[X] = E[(X - E[X])^2] = sum(p * (x - E[X])^2): leave it squared.")
    return None


def _scores(rng: torch.Generator) -> list[Case]:
    def right(n: int, p: float) -> torch.Tensor:
        return torch.rand(n, generator=rng) < p

    return [
        Case("200 answers of a model right 90% of the time", right(200, 0.9)),
        Case("2,000 answers", right(2000, 0.8)),
        Case("10 answers: a wide interval", right(10, 0.7)),
        Case("every answer right", torch.ones(50, dtype=torch.bool)),
        Case("a single answer, wrong", torch.zeros(1, dtype=torch.bool)),
    ]


def _interval(correct: torch.Tensor) -> tuple[float, float]:
    n = correct.numel()
    acc = float(correct.double().mean())
    return acc, 1.96 * math.sqrt(acc * (1 - acc) / n)


def _half(case: Case, got: object, want: object, wrong: float) -> bool:
    return (isinstance(got, (tuple, list)) and len(got) == 2 and not matches(want[1], wrong)
            and matches(got[1], wrong))


@mistake("interval-no-sqrt-n")
def _no_sqrt_n(case: Case, got: object, want: object) -> str | None:
    acc = want[0]
    if _half(case, got, want, 1.96 * math.sqrt(acc * (1 - acc))):
        return ("Your interval does not shrink with more answers: you used the spread of one answer, "
                "sqrt(acc * (1 - acc)). An average of n answers varies sqrt(n) times less: the standard error is "
                "sqrt(acc * (1 - acc) / n).")
    return None


@mistake("interval-one-standard-error")
def _no_196(case: Case, got: object, want: object) -> str | None:
    acc, n = want[0], case.args[0].numel()
    if _half(case, got, want, math.sqrt(acc * (1 - acc) / n)):
        return ("Your half-width is one standard error. A 95% interval reaches 1.96 standard errors on each side of "
                "the measured accuracy (one standard error covers only about 68%).")
    return None


EXERCISES = [
    Exercise("posterior", _tests, reference=_posterior, rtol=1e-6, atol=1e-9, mistakes=[_confused, _no_base_rate]),
    Exercise("mean_and_variance", _distributions, reference=_moments, rtol=1e-6, atol=1e-9,
             mistakes=[_unweighted, _std]),
    Exercise("accuracy_interval", _scores, reference=_interval, rtol=1e-6, atol=1e-9, mistakes=[_no_sqrt_n, _no_196]),
]
