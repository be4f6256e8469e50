"""The judge's side of ex-fairness-ethics: hidden people and scores, the references, and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake

LESSON = (torch.tensor([1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0]), torch.tensor([1, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0]),
          torch.tensor([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]))


def _rates(y_true: torch.Tensor, y_pred: torch.Tensor, group: torch.Tensor, ids: list[int] | None = None,
           empty_is_zero: bool = False, over_group: bool = False) -> tuple[list[float], list[float]]:
    positive, tpr = [], []
    for g in (torch.unique(group).tolist() if ids is None else ids):
        m = group == g
        positive.append(float(y_pred[m].double().mean()))
        hits, wanted = float(((y_pred == 1) & (y_true == 1) & m).sum()), float(((y_true == 1) & m).sum())
        if over_group:
            tpr.append(hits / float(m.sum()))
        elif wanted or empty_is_zero:
            tpr.append(hits / max(wanted, 1.0))
    return positive, tpr


def _gaps(y_true: torch.Tensor, y_pred: torch.Tensor, group: torch.Tensor, **how) -> tuple[float, float]:
    return tuple(max(r) - min(r) if len(r) > 1 else 0.0 for r in _rates(y_true, y_pred, group, **how))


def _people(rng: torch.Generator) -> list[Case]:
    def draw(n: int, groups: list[int], rate: float = 0.5) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        y_true = (torch.rand(n, generator=rng) < rate).long()
        y_pred = torch.where(torch.rand(n, generator=rng) < 0.75, y_true, 1 - y_true)
        group = torch.tensor(groups)[torch.randint(0, len(groups), (n,), generator=rng)]
        return y_true, y_pred, group

    no_positive = draw(30, [0, 1, 2])
    no_positive[0][no_positive[2] == 2] = 0  # group 2 has no one who should be approved
    lonely = draw(20, [0, 1])
    lonely[2][0] = 7  # a group of one person
    return [
        Case("the lesson's 12 people in 2 groups", *LESSON),
        Case("3 groups with ids 2, 5 and 9", *draw(40, [2, 5, 9])),
        Case("a group with no positive label: it has no TPR", *no_positive),
        Case("200 people in 4 groups", *draw(200, [0, 1, 2, 3], rate=0.3)),
        Case("a group of one person", *lonely),
        Case("everyone approved", LESSON[0], torch.ones(12, dtype=torch.int64), LESSON[2]),
    ]


@mistake("gap-first-two-groups")
def _first_two(case: Case, got: object, want: object) -> str | None:
    ids = torch.unique(case.args[2]).tolist()
    if len(ids) > 2 and matches(got, _gaps(*case.args, ids=ids[:2])):
        return (f"Your gaps compare only the first two groups, and there are {len(ids)}. A gap is the largest rate "
                "minus the smallest across every group: the group the model treats worst may be any of them.")
    return None


@mistake("tpr-empty-group")
def _empty_zero(case: Case, got: object, want: object) -> str | None:
    if matches(got, _gaps(*case.args, empty_is_zero=True)):
        return ("A group with no positive label got a TPR of 0 (max(t.sum(), 1) in the lesson's rates_by_group), "
                "which makes the opportunity gap look huge. That group has no TPR at all: leave it out of the gap.")
    return None


@mistake("tpr-not-over-positives")
def _over_group(case: Case, got: object, want: object) -> str | None:
    if matches(got, _gaps(*case.args, over_group=True)):
        return ("Your TPR divides the true positives by the whole group. Equal opportunity compares recall: the share "
                "approved among the group's people with y_true = 1, (p & t).sum() / t.sum().")
    return None


def _weights(group: torch.Tensor, y: torch.Tensor, how: str = "shares") -> torch.Tensor:
    n = len(y) if how != "counts" else 1
    out = torch.empty(len(y), dtype=torch.float64)
    for g in torch.unique(group).tolist():
        for label in torch.unique(y).tolist():
            cell = (group == g) & (y == label)
            if cell.any():
                p_g, p_y, p_gy = (float((group == g).sum()) / n, float((y == label).sum()) / n,
                                  float(cell.sum()) / n)
                out[cell] = p_gy / (p_g * p_y) if how == "inverted" else p_g * p_y / p_gy
    return out


def _applicants(rng: torch.Generator) -> list[Case]:
    def loans(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        group = (torch.rand(n, generator=rng) < 0.3).long()
        repaid = (torch.randn(n, generator=rng) > 0).long()
        approved = repaid * ((group == 0) | (torch.rand(n, generator=rng) < 0.6)).long()
        return group, approved

    all_yes = loans(40)
    all_yes[1][all_yes[0] == 1] = 1  # every applicant of group 1 was approved
    independent = (torch.tensor([0, 0, 1, 1, 0, 0, 1, 1]), torch.tensor([0, 1, 0, 1, 0, 1, 0, 1]))
    return [
        Case("6 applicants in 2 groups", torch.tensor([0, 0, 0, 1, 1, 1]), torch.tensor([1, 1, 0, 1, 0, 0])),
        Case("the lesson's loans: group 1 is 30%, its good applicants often refused", *loans(300)),
        Case("3 groups with ids 4, 8 and 15", torch.tensor([4, 8, 15])[torch.randint(0, 3, (50,), generator=rng)],
             torch.randint(0, 2, (50,), generator=rng)),
        Case("group and label already independent: every weight is 1", *independent),
        Case("a group whose applicants were all approved", *all_yes),
    ]


@mistake("reweigh-inverted")
def _inverted(case: Case, got: object, want: object) -> str | None:
    if matches(got, _weights(*case.args, how="inverted")):
        return ("Your weights are upside down: P(g, y) / (P(g) P(y)). A cell rarer than independence predicts (group "
                "1's approvals) must count more, so its weight is P(g) P(y) / P(g, y), above 1.")
    return None


@mistake("reweigh-counts")
def _counts(case: Case, got: object, want: object) -> str | None:
    if matches(got, _weights(*case.args, how="counts")):
        return ("Your weights are N times too large: they use counts where the formula has shares. Divide each count "
                "by N (P(g) = count of g / N, and so on): then the weights average to 1.")
    return None


def _thresholds(scores: torch.Tensor, y_true: torch.Tensor, group: torch.Tensor, tpr: float, *, q=None,
                positives_only: bool = True, shared: bool = False) -> torch.Tensor:
    level = 1 - tpr if q is None else q
    keep = y_true == 1 if positives_only else torch.ones_like(y_true, dtype=torch.bool)
    out = []
    for g in torch.unique(group).tolist():
        m = keep & ((group == g) | shared)
        out.append(torch.quantile(scores[m].double(), level))
    return torch.stack(out)


def _scored(rng: torch.Generator) -> list[Case]:
    def people(n: int, groups: list[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        group = torch.tensor(groups)[torch.randint(0, len(groups), (n,), generator=rng)]
        y_true = (torch.rand(n, generator=rng) < 0.5).long()
        y_true[:len(groups)] = 1
        group[:len(groups)] = torch.tensor(groups)  # every group has a positive
        shift = (group == groups[-1]).double() * -0.8  # the last group scores lower
        scores = torch.sigmoid(1.5 * y_true + shift + torch.randn(n, generator=rng, dtype=torch.float64))
        return scores, y_true, group

    one = people(20, [0, 1])
    one[1][(one[2] == 1)] = 0
    one[1][1] = 1  # group 1 has a single positive
    return [
        Case("2 groups, a TPR of 0.8 as in the lesson", *people(60, [0, 1]), 0.8),
        Case("3 groups with ids 3, 6 and 9, a TPR of 0.5", *people(90, [3, 6, 9]), 0.5),
        Case("a TPR of 0.9, as in the lesson's Try it", *people(80, [0, 1]), 0.9),
        Case("a group with a single positive", *one, 0.8),
        Case("5 groups of 400 people, a TPR of 0.75", *people(400, [0, 1, 2, 3, 4]), 0.75),
    ]


@mistake("threshold-quantile-flipped")
def _flipped(case: Case, got: object, want: object) -> str | None:
    if abs(case.args[3] - 0.5) > 1e-9 and matches(got, _thresholds(*case.args, q=case.args[3])):
        return (f"You took the quantile at tpr = {case.args[3]:g}: only {1 - case.args[3]:.0%} of the positives score "
                "above it. To keep a share tpr above the threshold, take the quantile at 1 - tpr (0.2 for a TPR of "
                "0.8).")
    return None


@mistake("threshold-all-scores")
def _all_scores(case: Case, got: object, want: object) -> str | None:
    if matches(got, _thresholds(*case.args, positives_only=False)):
        return ("Your quantiles are over everyone in the group. Equal opportunity is about the people who should be "
                "approved: take the quantile of the scores of the group's positives (y_true == 1) only.")
    return None


@mistake("threshold-shared")
def _shared(case: Case, got: object, want: object) -> str | None:
    if matches(got, _thresholds(*case.args, shared=True)):
        return ("Every group got the same threshold, from all the positives together: that is the plain model again, "
                "and the group that scores lower keeps its lower TPR. Take each group's own positives.")
    return None


EXERCISES = [
    Exercise("fairness_gaps", _people, reference=_gaps, mistakes=[_first_two, _empty_zero, _over_group]),
    Exercise("reweighing", _applicants, reference=_weights, mistakes=[_inverted, _counts]),
    Exercise("group_thresholds", _scored, reference=_thresholds, mistakes=[_flipped, _all_scores, _shared]),
]
