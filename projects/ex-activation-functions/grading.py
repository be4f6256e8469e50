"""The judge's side of ex-activation-functions: hidden cases, references (torch's own) and mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, finite, matches, mistake


def _scores(rng: torch.Generator) -> list[Case]:
    return [
        Case("a batch of 4 rows of 5 small scores", torch.randn(4, 5, generator=rng)),
        Case("the lesson's scores [2, 1, 0]", torch.tensor([[2.0, 1.0, 0.0]])),
        Case("a single score per row", 3 * torch.randn(3, 1, generator=rng)),
        Case("a (2, 3, 6) batch, along the last axis", torch.randn(2, 3, 6, generator=rng)),
        Case("a row with scores near 1000", torch.tensor([[1000.0, 999.0, 990.0], [1.0, 2.0, 3.0]])),
        Case("a row of scores near -1000", -1000 + torch.randn(2, 4, generator=rng)),
        Case("one vector of 7 scores (1-D)", torch.randn(7, generator=rng)),
    ]


def _lse_scores(rng: torch.Generator) -> list[Case]:
    masked = torch.randn(2, 5, generator=rng)
    masked[0, 1] = float("-inf")
    return _scores(rng)[:4] + [
        Case("a row of scores of 1000", torch.full((2, 3), 1000.0)),
        Case("a row of scores near -1000", -1000 + torch.randn(2, 4, generator=rng)),
        Case("a row with one score of -inf (a masked option)", masked),
        Case("one vector of 6 scores (1-D): the answer is one number", torch.randn(6, generator=rng)),
    ]


def _extreme(x: torch.Tensor) -> str:
    top, bottom = float(x[torch.isfinite(x)].max()), float(x[torch.isfinite(x)].min())
    return f"{top:g}" if abs(top) >= abs(bottom) else f"{bottom:g}"


def _unstable(what: str, case: Case, got: object, want: object, fix: str) -> str | None:
    """The lesson's explanation when `what` returned inf or nan where the right answer is an ordinary number."""
    x = case.args[0]
    if finite(got) or not finite(want):
        return None
    if float(x[torch.isfinite(x)].max()) > 80:
        return (f"Your {what} returned inf or nan for scores near {_extreme(x)}: exp({float(x.max()):g}) overflows "
                f"float32. {fix}")
    return (f"Your {what} returned nan or -inf for scores near {_extreme(x)}: every exp of the row underflows to "
            f"0. {fix}")


@mistake("softmax-unstable")
def _softmax_unstable(case: Case, got: object, want: object) -> str | None:
    return _unstable("softmax", case, got, want, "Adding the same number to every score changes nothing, so "
                     "subtract each row's max before exp: the largest exp is then exp(0) = 1, and the sum is never 0.")


@mistake("softmax-wrong-axis")
def _softmax_axis(case: Case, got: object, want: object) -> str | None:
    if not isinstance(got, torch.Tensor) or got.shape != case.args[0].shape or not finite(got):
        return None
    sums = got.sum(dim=-1)
    if torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
        return None
    shown = ", ".join(f"{float(s):.3g}" for s in sums.reshape(-1)[:4])
    return (f"Your probabilities do not sum to 1 along each row (the rows sum to {shown}): normalise each row by "
            "its own sum, e / e.sum(dim=-1, keepdim=True), not by the sum of the whole tensor or of a column.")


@mistake("lse-unstable")
def _lse_unstable(case: Case, got: object, want: object) -> str | None:
    return _unstable("log_sum_exp", case, got, want, "Write it as m + log(sum(exp(x - m))) with m the row's max: "
                     "every exp is then at most 1, and the largest is exactly 1.")


@mistake("lse-keepdim")
def _lse_keepdim(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, torch.Tensor) and isinstance(want, torch.Tensor) and got.shape == (*want.shape, 1):
        return (f"Your answer has shape {tuple(got.shape)} where {tuple(want.shape)} was expected: log_sum_exp "
                "reduces the last axis away, as torch.logsumexp(x, dim=-1) does. Keep keepdim=True for the max "
                "you subtract, then squeeze it (m.squeeze(-1)) when you add it back.")
    return None


@mistake("lse-max-not-added-back")
def _lse_forgot_max(case: Case, got: object, want: object) -> str | None:
    x = case.args[0]
    shift = x.max(dim=-1).values
    if isinstance(want, torch.Tensor) and matches(got, want - shift):
        return ("Your answer is off by exactly each row's max: you subtracted m inside the exp but did not add "
                "it back. log(sum(exp(x))) = m + log(sum(exp(x - m))).")
    return None


EXERCISES = [
    Exercise("softmax", _scores, reference=lambda x: torch.softmax(x, dim=-1),
             mistakes=[_softmax_unstable, _softmax_axis]),
    Exercise("log_sum_exp", _lse_scores, reference=lambda x: torch.logsumexp(x, dim=-1),
             mistakes=[_lse_unstable, _lse_keepdim, _lse_forgot_max]),
]
