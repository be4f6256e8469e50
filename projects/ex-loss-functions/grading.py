"""The judge's side of ex-loss-functions: hidden logits and distributions, torch's own losses as the references,
and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from dlpath.grading.exercises import Case, Exercise, finite, matches, mistake


def _logits(rng: torch.Generator) -> list[Case]:
    return [
        Case("the lesson's logits [2, 0.5, -1], right class 0", torch.tensor([[2.0, 0.5, -1.0]]), torch.tensor([0])),
        Case("a batch of 8 examples, 10 classes", 2 * torch.randn(8, 10, generator=rng),
             torch.randint(0, 10, (8,), generator=rng)),
        Case("a fresh model's equal logits: the loss is ln K", torch.zeros(5, 4), torch.randint(0, 4, (5,),
                                                                                               generator=rng)),
        Case("a confident right answer: a logit of 1000", torch.tensor([[1000.0, 0.0, -5.0], [1.0, 2.0, 3.0]]),
             torch.tensor([0, 2])),
        Case("a confident mistake: the logit of 1000 is on a wrong class", torch.tensor([[0.0, 1000.0, 0.0]]),
             torch.tensor([0])),
        Case("two classes, a batch of one", torch.randn(1, 2, generator=rng), torch.tensor([1])),
    ]


def _cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.double(), target)


@mistake("ce-unstable")
def _unstable(case: Case, got: object, want: object) -> str | None:
    logits = case.args[0]
    if not finite(got) and finite(want):
        return (f"Your loss is inf or nan for logits near {float(logits.abs().max()):g}: softmax then log sends "
                "exp(1000) through float32, which overflows. Work in log space: log softmax(x)[t] = x[t] - "
                "logsumexp(x), with the row's max subtracted inside the log-sum-exp.")
    return None


@mistake("ce-sum-not-mean")
def _summed(case: Case, got: object, want: object) -> str | None:
    logits, target = case.args
    total = F.cross_entropy(logits.double(), target, reduction="sum")
    if len(target) > 1 and matches(got, total):
        return (f"Your loss is the sum over the {len(target)} examples, {len(target)} times the mean. The batch's loss "
                "is the mean, as nn.CrossEntropyLoss gives: with a sum, the size of each step would grow with the "
                "batch size.")
    return None


@mistake("ce-softmax-first")
def _softmax_first(case: Case, got: object, want: object) -> str | None:
    logits, target = case.args
    if matches(got, F.cross_entropy(logits.double().softmax(dim=1), target)):
        return ("You applied softmax to the logits and then a log-softmax again (what nn.CrossEntropyLoss does to "
                "probabilities passed as logits): the loss is squashed towards ln K and the model cannot grow "
                "confident. Pass the raw logits: the log-softmax is part of the loss.")
    return None


def _distributions(rng: torch.Generator) -> list[Case]:
    def simplex(*shape: int) -> torch.Tensor:
        w = torch.rand(*shape, generator=rng, dtype=torch.float64) + 0.05
        return w / w.sum(dim=-1, keepdim=True)

    q = simplex(5)
    hard = torch.zeros(5, dtype=torch.float64)
    hard[int(torch.randint(0, 5, (1,), generator=rng))] = 1.0
    return [
        Case("the lesson's p = [0.7, 0.2, 0.1] and q = [0.5, 0.3, 0.2]",
             torch.tensor([0.7, 0.2, 0.1], dtype=torch.float64), torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64)),
        Case("q equal to p: nothing is missed", q, q.clone()),
        Case("a target with a probability of 0", torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64),
             torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)),
        Case("a one-hot target", hard, simplex(5)),
        Case("a batch of 4 rows of 6 classes", simplex(4, 6), simplex(4, 6)),
    ]


def _kl(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    return F.kl_div(q.log(), p, reduction="none").sum(dim=-1)  # torch's own: input log q, target p


@mistake("kl-swapped")
def _swapped(case: Case, got: object, want: object) -> str | None:
    p, q = case.args
    other = (q * (q / p).log()).sum(dim=-1)
    if finite(other) and not matches(other, want) and matches(got, other):
        return ("You computed KL(q || p): the arguments are swapped. KL is not symmetric. KL(p || q) = sum p * "
                "log(p / q) weighs each class by the target p: how much the model's q misses what p says.")
    return None


@mistake("kl-zero-terms")
def _zero_terms(case: Case, got: object, want: object) -> str | None:
    p = case.args[0]
    if bool((p == 0).any()) and not finite(got) and finite(want):
        return ("Your divergence is nan where the target p has a probability of 0: 0 * log(0 / q) computes as "
                "0 * -inf = nan. A class the target gives 0 contributes nothing: count its term as 0 "
                "(torch.where(p > 0, ..., 0)).")
    return None


@mistake("kl-div-not-log")
def _not_log(case: Case, got: object, want: object) -> str | None:
    p, q = case.args
    if matches(got, F.kl_div(q, p, reduction="none").sum(dim=-1)):
        return ("You passed probabilities where F.kl_div wants log-probabilities: it computed sum p * (log p - q). "
                "Its first argument must be log q (F.kl_div(q.log(), p)); better, write sum p * log(p / q) "
                "yourself.")
    return None


EXERCISES = [
    Exercise("cross_entropy", _logits, reference=_cross_entropy, rtol=1e-5, atol=1e-6,
             mistakes=[_unstable, _summed, _softmax_first]),
    Exercise("kl_divergence", _distributions, reference=_kl, rtol=1e-6, atol=1e-9,
             mistakes=[_zero_terms, _swapped, _not_log]),
]
