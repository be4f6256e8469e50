"""The judge's side of ex-distribution-shift: hidden windows and batches, the references, and the mistakes.

Only the judge imports this file; the learner's process never sees it. The drift reference is the
lesson's own psi (numpy); the batch-norm reference is nn.BatchNorm1d itself, run as the lesson's
AdaBN loop runs it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from dlpath.grading.exercises import Case, Exercise, finite, matches, mistake


def _psi(expected: torch.Tensor, actual: torch.Tensor, bins: int, *, floor: float | None = 1e-4, clip: bool = True,
         width: bool = False) -> torch.Tensor:
    out = []
    for f in range(expected.shape[1]):
        e_values, a_values = expected[:, f].double().numpy(), actual[:, f].double().numpy()
        if width:
            edges = np.linspace(e_values.min(), e_values.max(), bins + 1)
        else:
            edges = np.quantile(e_values, np.linspace(0, 1, bins + 1))
        if clip:
            e_values, a_values = np.clip(e_values, edges[0], edges[-1]), np.clip(a_values, edges[0], edges[-1])
        e = np.histogram(e_values, edges)[0] / len(e_values)
        a = np.histogram(a_values, edges)[0] / len(a_values)
        if floor is not None:
            e, a = np.maximum(e, floor), np.maximum(a, floor)
        with np.errstate(divide="ignore", invalid="ignore"):
            out.append(float(((a - e) * np.log(a / e)).sum()))
    return torch.tensor(out, dtype=torch.float64)


def _windows(rng: torch.Generator) -> list[Case]:
    def normal(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.randn(*shape, generator=rng, dtype=dtype)

    week4 = normal(300, 2)
    week4[:, 1] += 0.6
    return [
        Case("the lesson's week 4: feature 1 has crept up by 0.6", normal(1000, 2), week4, 10),
        Case("recent values far beyond the training range, on both sides", normal(500, 3), 3 * normal(200, 3), 10),
        Case("a shift so large that most bins are empty", normal(400, 2), normal(150, 2) + 4, 10),
        Case("no drift: the same distribution", normal(800, 2), normal(800, 2), 10),
        Case("5 bins, a skewed feature", normal(300, 1).exp(), normal(100, 1).exp() * 1.5, 5),
        Case("a single feature in float64, 20 bins", normal(2000, 1, dtype=torch.float64),
             normal(500, 1, dtype=torch.float64) * 0.7, 20),
    ]


@mistake("psi-no-floor")
def _no_floor(case: Case, got: object, want: object) -> str | None:
    if not finite(got) and finite(want):
        return ("Your PSI is inf or nan: a bin the recent window leaves empty has share 0, and ln(0 / e) is -inf. "
                "Floor both shares at 1e-4 before the sum, as the lesson's np.maximum(e, 1e-4) does.")
    return None


@mistake("psi-no-clip")
def _no_clip(case: Case, got: object, want: object) -> str | None:
    if not matches(want, _psi(*case.args, clip=False)) and matches(got, _psi(*case.args, clip=False)):
        return ("Values beyond the training range fell outside every bin and were lost, the very values that "
                "signal drift. Clip both columns to [first edge, last edge] first, so they count in the end bins.")
    return None


@mistake("psi-equal-width")
def _equal_width(case: Case, got: object, want: object) -> str | None:
    if matches(got, _psi(*case.args, width=True)):
        return ("Your bins have equal width between the training min and max. PSI's bins have equal training share: "
                "their edges are the training quantiles, so each holds a tenth of the training values.")
    return None


def _adabn(batches: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    bn = nn.BatchNorm1d(batches[0].shape[1], dtype=torch.float64)
    bn.reset_running_stats()
    bn.momentum = None  # a plain average over all batches seen
    bn.train()
    with torch.no_grad():
        for batch in batches:
            bn(batch.double())
    return bn.running_mean.clone(), bn.running_var.clone()


def _stats(batches: list[torch.Tensor], *, unbiased: bool = True, pooled: bool = False,
           momentum: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    if pooled:
        rows = torch.cat([b.double() for b in batches])
        return rows.mean(dim=0), rows.var(dim=0, unbiased=unbiased)
    if momentum is not None:
        mean, var = torch.zeros(batches[0].shape[1], dtype=torch.float64), torch.ones(batches[0].shape[1],
                                                                                      dtype=torch.float64)
        for b in batches:
            mean = (1 - momentum) * mean + momentum * b.double().mean(dim=0)
            var = (1 - momentum) * var + momentum * b.double().var(dim=0, unbiased=True)
        return mean, var
    return (torch.stack([b.double().mean(dim=0) for b in batches]).mean(dim=0),
            torch.stack([b.double().var(dim=0, unbiased=unbiased) for b in batches]).mean(dim=0))


def _batches(rng: torch.Generator) -> list[Case]:
    def scanner(n: int, c: int = 8, gain: float = 0.5, offset: float = -1.5) -> torch.Tensor:
        return gain * torch.randn(n, c, generator=rng) + offset

    constant = [scanner(20, 3), scanner(15, 3)]
    for b in constant:
        b[:, 1] = 2.0  # a feature that never changes
    drifting = [scanner(40, 4, offset=float(k)) for k in range(3)]  # the domain moves while you adapt
    return [
        Case("the lesson's new scanner: 300 rows in batches of 128, the last one shorter",
             list(scanner(300).split(128))),
        Case("a single batch", [scanner(16, 5)]),
        Case("batches of 100, 3 and 50 rows", [scanner(100, 4), scanner(3, 4), scanner(50, 4)]),
        Case("a feature that never changes", constant),
        Case("batches whose offset moves from batch to batch", drifting),
    ]


@mistake("bn-biased-variance")
def _biased(case: Case, got: object, want: object) -> str | None:
    if matches(got, _stats(case.args[0], unbiased=False)):
        return ("Your variances divide by n. Batch norm normalizes each batch with the n version, but the running "
                "variance it keeps for evaluation is the unbiased one, with n - 1 (torch's var(unbiased=True)).")
    return None


@mistake("bn-pooled")
def _pooled(case: Case, got: object, want: object) -> str | None:
    if any(matches(got, _stats(case.args[0], pooled=True, unbiased=u)) for u in (True, False)):
        return ("You pooled all the rows into one mean and variance. Batch norm only ever sees one batch at a time: "
                "with momentum = None it averages each batch's own mean and variance, a batch of 3 counting as "
                "much as one of 100.")
    return None


@mistake("bn-momentum")
def _momentum(case: Case, got: object, want: object) -> str | None:
    if matches(got, _stats(case.args[0], momentum=0.1)):
        return ("That is the default momentum of 0.1: an exponential average that starts from mean 0 and variance 1 "
                "and barely moves in a few batches. Set momentum = None for the plain average over all batches.")
    return None


EXERCISES = [
    Exercise("psi", _windows, reference=_psi, rtol=1e-4, atol=1e-6, mistakes=[_no_floor, _no_clip, _equal_width]),
    Exercise("reestimate_batchnorm", _batches, reference=_adabn, rtol=1e-4, atol=1e-5,
             mistakes=[_biased, _pooled, _momentum]),
]
