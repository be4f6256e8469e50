"""Tables of people and the rare event that befalls some of them: ``screening`` and ``credit``.

Both are binary data sets (``kind: "binary"``): ``y`` is float32, 1.0 for a
positive (the disease is there, the loan defaults) and 0.0 for a negative, and
``info["positive_rate"]`` is the share of positives the generator aims for.
The world (which features matter and how) is fixed by ``world_seed``, never by
``seed``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from dlpath.datasets.base import BadDataset, Dataset, check_n, generator, rng

if TYPE_CHECKING:
    import torch


def exact_positives(n: int, rate: float, g: "torch.Generator") -> "torch.Tensor":
    """Labels (n,) float32 with round(n * rate) ones at random places: the same share in every sample."""
    import torch

    y = torch.zeros(n)
    count = min(n, int(round(n * rate)))
    y[torch.randperm(n, generator=g)[:count]] = 1.0
    return y


@generator("binary")
def screening(
    n: int,
    seed: int,
    *,
    features: int = 8,
    positive_rate: float = 0.01,
    separation: float = 3.5,
    world_seed: int = 0,
) -> Dataset:
    """A screening table (n, features): a rare condition (``positive_rate`` of the rows) among healthy people.

    Healthy rows are standard normal measurements. Sick rows come in two kinds, half
    each: in one, a few markers are raised together (their mean moves by
    ``separation`` along a direction fixed by ``world_seed``); in the other, two
    markers swing far from normal in either direction (their spread grows by
    ``separation``), which no straight line can catch. The count of positives is
    exactly round(n * positive_rate) in every sample.
    """
    import torch

    check_n(n)
    if features < 4:
        raise BadDataset(f"screening needs at least 4 features, not {features}")
    if not 0.0 < positive_rate < 0.5:
        raise BadDataset(f"screening: positive_rate must lie between 0 and 0.5, not {positive_rate}")
    world = rng(world_seed)
    order = torch.randperm(features, generator=world)
    shifted, swinging = order[:3], order[3:5]  # which markers each kind of sick row moves
    direction = torch.rand(3, generator=world) + 0.5
    direction = direction / direction.norm()
    g = rng(seed)
    y = exact_positives(n, positive_rate, g)
    x = torch.randn(n, features, generator=g)
    sick = y.bool()
    kind = torch.rand(n, generator=g) < 0.5
    first, second = sick & kind, sick & ~kind
    x[first.nonzero(as_tuple=True)[0].unsqueeze(1), shifted] += separation * direction
    x[second.nonzero(as_tuple=True)[0].unsqueeze(1), swinging] *= 1.0 + separation
    info = {"kind": "binary", "input_shape": [features], "positive_rate": positive_rate}
    return Dataset(x.float(), y, info)


CREDIT_FEATURES = ("age", "income", "debt_to_income", "utilization", "late_payments", "months_employed",
                   "open_accounts", "loan_amount", "inquiries", "prior_default")


def _credit_rows(n: int, g: "torch.Generator", weights: "torch.Tensor | None" = None) -> tuple["torch.Tensor",
                                                                                              "torch.Tensor"]:
    """Applicants (n, 10) in their natural units, and the log-odds of their default before the offset
    (each of the 9 terms of the risk scaled by the world's ``weights``; None: all 1)."""
    import torch

    stress = torch.randn(n, generator=g)  # hidden financial stress: drives several columns at once
    age = 21 + 54 * torch.rand(n, generator=g)  # years
    income = torch.exp(math.log(45_000) + 0.5 * torch.randn(n, generator=g) - 0.15 * stress)  # dollars a year
    debt_to_income = (0.35 + 0.12 * stress + 0.12 * torch.randn(n, generator=g)).clamp(0.0, 1.5)
    utilization = torch.sigmoid(0.9 * stress + 0.8 * torch.randn(n, generator=g) - 0.3)  # share of the limit used
    late = torch.poisson(torch.exp(-1.2 + 0.8 * stress), generator=g)  # late payments in two years
    months = (12 * (age - 20) * torch.rand(n, generator=g)).clamp(max=480).floor()  # at the current job
    accounts = torch.poisson(torch.full((n,), 4.0), generator=g)
    loan = (income * (0.1 + 0.4 * torch.rand(n, generator=g))).round()  # dollars
    inquiries = torch.poisson(torch.exp(-0.3 + 0.4 * stress), generator=g)
    prior = (torch.rand(n, generator=g) < torch.sigmoid(-3.2 + 0.8 * stress)).float()
    x = torch.stack([age, income, debt_to_income, utilization, late, months, accounts, loan, inquiries, prior], dim=1)
    young_or_old = ((age - 48) / 12) ** 2  # risk is lowest in mid-life
    stretched = (loan / income) * debt_to_income  # a large loan on top of large debts
    terms = torch.stack([5.0 * (utilization - 0.55).clamp(min=0), 1.5 * (late >= 2).float(),
                         0.25 * late.clamp(max=6), 1.0 * young_or_old, 8.0 * (stretched - 0.12).clamp(min=0),
                         -0.8 * torch.log(income / 45_000), -0.003 * months, 1.3 * prior,
                         0.25 * inquiries.clamp(max=5)], dim=1)  # (n, 9)
    return x, terms.sum(dim=1) if weights is None else terms @ weights


def _credit_weights(world_seed: int) -> "torch.Tensor | None":
    """The world's weight on each term of the risk: none in world 0; else each drawn around 1 (x0.5 .. x2), all
    then scaled together so that the risk spreads as much as in world 0 (a world as hard to rank as another)."""
    import torch

    if not world_seed:
        return None
    weights = torch.exp(0.35 * torch.randn(9, generator=rng(world_seed))).clamp(0.5, 2.0)
    _, plain = _credit_rows(20_000, rng(0))
    _, weighed = _credit_rows(20_000, rng(0), weights)
    return weights * (plain.std() / weighed.std())


@generator("binary")
def credit(n: int, seed: int, *, positive_rate: float = 0.15, world_seed: int = 0) -> Dataset:
    """Loan applicants (n, 10) in natural units (years, dollars, counts, shares) and whether the loan defaulted.

    The columns, in order: age (years), income (dollars a year), debt_to_income,
    utilization (share of the credit limit used), late_payments (in two years),
    months_employed, open_accounts, loan_amount (dollars), inquiries (credit checks
    this year), prior_default (0 or 1). Their scales differ by five orders of
    magnitude. Each applicant defaults with a true probability set by a non-linear
    function of the columns (nine terms: in ``world_seed`` 0 the sum the code
    writes; in any other world each term weighed by a factor the world draws,
    between 0.5 and 2, all scaled so that the risk spreads as in world 0), offset
    so that about ``positive_rate`` of applicants default; the label is a draw from
    that probability, so even a perfect model is unsure and a calibrated one says
    how unsure.
    """
    import torch

    check_n(n)
    if not 0.0 < positive_rate < 0.5:
        raise BadDataset(f"credit: positive_rate must lie between 0 and 0.5, not {positive_rate}")
    weights = _credit_weights(world_seed)
    offset = _credit_offset(positive_rate, world_seed, weights)
    g = rng(seed)
    x, log_odds = _credit_rows(n, g, weights)
    y = (torch.rand(n, generator=g) < torch.sigmoid(log_odds + offset)).float()
    info = {"kind": "binary", "input_shape": [len(CREDIT_FEATURES)], "positive_rate": positive_rate,
            "feature_names": list(CREDIT_FEATURES)}
    return Dataset(x.float(), y, info)


def _credit_offset(positive_rate: float, world_seed: int, weights: "torch.Tensor | None") -> float:
    """The log-odds offset that makes the average default probability ``positive_rate`` (on a fixed sample)."""
    import torch

    _, log_odds = _credit_rows(20_000, rng(world_seed), weights)
    low, high = -20.0, 20.0
    for _ in range(50):
        middle = (low + high) / 2
        if float(torch.sigmoid(log_odds + middle).mean()) < positive_rate:
            low = middle
        else:
            high = middle
    return (low + high) / 2
