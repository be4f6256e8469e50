"""The judge's side of ex-research-papers-open-source: hidden scores over seeds, the references, the mistakes.

Only the judge imports this file; the learner's process never sees it. The references use
torch's std (n - 1) in float64.
"""

from __future__ import annotations

import math

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake


def _stats(scores: list[float], *, unbiased: bool = True, per_seed: bool = False) -> tuple[float, float]:
    """(mean, standard error); the error is inf for a single seed."""
    t = torch.tensor(scores, dtype=torch.float64)
    if len(t) < 2:
        return float(t.mean()), math.inf
    s = float(t.std(unbiased=unbiased))
    return float(t.mean()), s if per_seed else s / math.sqrt(len(t))


def _interval(scores: list[float], **how) -> tuple[float, float]:
    mean, error = _stats(scores, **how)
    return mean, 1.96 * error


def _seeds(rng: torch.Generator, n: int, level: float, spread: float = 0.005) -> list[float]:
    return [round(level + spread * float(v), 4) for v in torch.randn(n, generator=rng, dtype=torch.float64)]


def _runs(rng: torch.Generator) -> list[Case]:
    return [
        Case("5 seeds of a method near 0.91", _seeds(rng, 5, 0.91)),
        Case("3 seeds, as many papers report", _seeds(rng, 3, 0.76, 0.02)),
        Case("20 seeds", _seeds(rng, 20, 0.5, 0.05)),
        Case("two seeds", [0.812, 0.798]),
        Case("a single seed: the spread is unknown", [0.884]),
        Case("every seed gives the same score", [0.9, 0.9, 0.9, 0.9]),
    ]


@mistake("interval-population-std")
def _population(case: Case, got: object, want: object) -> str | None:
    if len(case.args[0]) > 1 and matches(got, _interval(case.args[0], unbiased=False)):
        return ("Your standard deviation divides by n. The scores' own mean was estimated from them, so divide by "
                "n - 1 (statistics.stdev, torch.std): with 3 seeds, n makes the interval 18% too narrow.")
    return None


@mistake("interval-std-not-stderr")
def _per_seed(case: Case, got: object, want: object) -> str | None:
    if len(case.args[0]) > 1 and matches(got, _interval(case.args[0], per_seed=True)):
        return ("Your half-width is 1.96 times the standard deviation of one seed. The mean of n seeds varies less: "
                "its standard error is s / sqrt(n), as the lesson's accuracy interval divides by n.")
    return None


@mistake("interval-one-seed")
def _one_seed(case: Case, got: object, want: object) -> str | None:
    if len(case.args[0]) == 1 and isinstance(got, (tuple, list)) and len(got) == 2 and (
            not isinstance(got[1], (int, float)) or not math.isinf(got[1])):
        return ("With a single seed you returned a half-width of " + repr(got[1])[:20] + ". One run says nothing "
                "about the spread between runs: return math.inf, which says so, and no comparison can pass it.")
    return None


def _gain(baseline: list[float], method: list[float], *, sign_only: bool = False, method_only: bool = False,
          add_errors: bool = False) -> tuple[float, float, bool]:
    mean_b, err_b = _stats(baseline)
    mean_m, err_m = _stats(method)
    gain = mean_m - mean_b
    if method_only:
        noise = err_m
    elif add_errors:
        noise = err_b + err_m
    else:
        noise = math.sqrt(err_b ** 2 + err_m ** 2)
    half = 1.96 * noise
    return gain, half, (gain <= 0) if sign_only else abs(gain) <= half


def _papers(rng: torch.Generator) -> list[Case]:
    return [
        Case("a gain of a few tenths of a point, 5 seeds each", _seeds(rng, 5, 0.912), _seeds(rng, 5, 0.915)),
        Case("a clear gain: 3 points over a noise of half a point", _seeds(rng, 5, 0.85), _seeds(rng, 5, 0.88)),
        Case("3 seeds of the baseline against 10 of the method", _seeds(rng, 3, 0.70, 0.02),
             _seeds(rng, 10, 0.71, 0.01)),
        Case("a method clearly worse than the baseline", _seeds(rng, 6, 0.93, 0.002), _seeds(rng, 6, 0.90, 0.002)),
        Case("a noisy baseline and a steady method", _seeds(rng, 8, 0.80, 0.03), _seeds(rng, 8, 0.82, 0.002)),
        Case("the method was run with a single seed", _seeds(rng, 5, 0.6), [0.7]),
    ]


@mistake("gain-sign-only")
def _sign_only(case: Case, got: object, want: object) -> str | None:
    if matches(got, _gain(*case.args, sign_only=True)):
        return ("Your verdict calls every positive gain real. A gain counts only when it is larger than the noise: "
                "abs(gain) <= half_width means the two methods may well be equal, whatever the sign.")
    return None


@mistake("gain-one-side-noise")
def _method_only(case: Case, got: object, want: object) -> str | None:
    if matches(got, _gain(*case.args, method_only=True)):
        return ("Your noise is the method's alone. The baseline's mean is just as noisy, and the noise of a "
                "difference adds both variances: sqrt(s_b^2 / n_b + s_m^2 / n_m).")
    return None


@mistake("gain-stderrs-added")
def _added(case: Case, got: object, want: object) -> str | None:
    if matches(got, _gain(*case.args, add_errors=True)):
        return ("You added the two standard errors. Independent noises add as variances: the standard error of "
                "the difference is the square root of the sum of their squares, which is smaller.")
    return None


EXERCISES = [
    Exercise("seed_interval", _runs, reference=_interval, mistakes=[_population, _per_seed, _one_seed]),
    Exercise("gain_within_noise", _papers, reference=_gain, mistakes=[_sign_only, _method_only, _added]),
]
