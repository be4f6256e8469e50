"""The judge's side of ex-kaggle-competitions: hidden stores, fold predictions and leaderboards, and the mistakes.

Only the judge imports this file; the learner's process never sees it. Folds have many right
answers, so group_folds is graded by a check; the other two have references.
"""

from __future__ import annotations

import math

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake, show


def _rows(stores: torch.Tensor, days: torch.Tensor | int, rng: torch.Generator) -> torch.Tensor:
    """Every store's rows (days of sales), shuffled as a competition's file often is."""
    rows = torch.repeat_interleave(stores, days) if isinstance(days, torch.Tensor) else stores.repeat_interleave(days)
    return rows[torch.randperm(len(rows), generator=rng)]


def _stores(rng: torch.Generator) -> list[Case]:
    uneven = torch.randint(1, 40, (9,), generator=rng)
    return [
        Case("10 stores of 3 days each, 5 folds", torch.arange(10).repeat_interleave(3), 5),
        Case("the lesson's 48 stores of 30 days, shuffled, 5 folds", _rows(torch.arange(48), 30, rng), 5),
        Case("7 stores with ids like 100, 205, 317, 3 folds",
             _rows(torch.tensor([100, 205, 317, 422, 538, 640, 777]), 4, rng), 3),
        Case("12 stores whose ids are all multiples of 5, 5 folds", _rows(5 * torch.arange(1, 13), 2, rng), 5),
        Case("stores with 1 to 39 days each, 4 folds", _rows(torch.arange(9) * 11 + 3, uneven, rng), 4),
        Case("as many folds as stores: leave one store out", _rows(torch.tensor([4, 2, 9, 7]), 5, rng), 4),
    ]


def _fold_problem(case: Case, got: object) -> str | None:
    groups, k = case.args
    if not isinstance(got, torch.Tensor) or got.shape != groups.shape or got.is_floating_point():
        return f"{show(got)} where an int64 tensor of shape {tuple(groups.shape)} (a fold per row) was expected"
    if bool((got < 0).any() or (got >= k).any()):
        return f"folds from {int(got.min())} to {int(got.max())} where 0 to {k - 1} were expected"
    stores = torch.unique(groups)
    for store in stores.tolist():
        folds = torch.unique(got[groups == store]).tolist()
        if len(folds) > 1:
            return f"store {store} has rows in folds {folds}"
    per_fold = [len(torch.unique(groups[got == f])) for f in range(k)]
    low = len(stores) // k
    if min(per_fold) < low or max(per_fold) > low + (len(stores) % k > 0):
        return (f"the folds hold {per_fold} stores; {len(stores)} stores in {k} folds means {low} or "
                f"{low + 1} each")
    return None


@mistake("folds-split-groups")
def _split(case: Case, got: object, want: object) -> str | None:
    groups, _ = case.args
    if isinstance(got, torch.Tensor) and got.shape == groups.shape:
        for store in torch.unique(groups).tolist():
            if len(torch.unique(got[groups == store])) > 1:
                return (f"Store {store} has rows in several folds, so a model validated on one fold has already seen "
                        "that store: the lesson's random folds promised an error of 0.28 for a test that gave 0.87. "
                        "Fold the stores, then give rows their store's fold.")
    return None


@mistake("folds-by-id")
def _by_id(case: Case, got: object, want: object) -> str | None:
    groups, k = case.args
    if isinstance(got, torch.Tensor) and matches(got, groups % k):
        return (f"Your folds are the store id modulo {k}, so ids that are all multiples of {k} fill one fold and "
                "leave the others empty. Ids are names, not positions: list the distinct stores and deal them out "
                "to the folds in turn.")
    return None


def _oof(fold: torch.Tensor, train_preds: torch.Tensor, test_preds: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return train_preds.double().gather(0, fold[None, :])[0], test_preds.double().mean(dim=0)


def _fold_predictions(rng: torch.Generator) -> list[Case]:
    def case(label: str, fold: torch.Tensor, k: int, m: int) -> Case:
        n = len(fold)
        return Case(label, fold, torch.randn(k, n, generator=rng), torch.randn(k, m, generator=rng))

    def folds(n: int, k: int) -> torch.Tensor:
        return (torch.arange(n) % k)[torch.randperm(n, generator=rng)]

    return [
        case("20 rows in 5 folds, 6 test rows", folds(20, 5), 5, 6),
        case("2 folds", folds(8, 2), 2, 4),
        case("rows sorted by fold", torch.arange(12) // 3, 4, 5),
        case("a fold of a single row", torch.tensor([0, 0, 1, 2, 2, 0, 2]), 3, 3),
        case("10 folds of 4 rows, 1 test row", folds(40, 10), 10, 1),
    ]


@mistake("oof-leak")
def _leak(case: Case, got: object, want: object) -> str | None:
    _, train_preds, test_preds = case.args
    if isinstance(got, (tuple, list)) and len(got) == 2 and matches(got[0], train_preds.double().mean(dim=0)):
        return ("Your out-of-fold predictions average all k models, but k - 1 of them were fitted on that row: the "
                "score they give is the random split's, too good. Take for each row only train_preds[fold[i], i], the "
                "model that left its fold out.")
    return None


@mistake("oof-test-one-model")
def _one_model(case: Case, got: object, want: object) -> str | None:
    _, _, test_preds = case.args
    if isinstance(got, (tuple, list)) and len(got) == 2 and any(matches(got[1], p) for p in test_preds.double()):
        return ("Your test prediction is one fold's model alone. Each of the k models is honest on the test set, and "
                "averaging them is the free ensemble of k-fold validation: test_preds.mean(dim=0).")
    return None


def _lead(public: torch.Tensor, private: torch.Tensor, n_public: int, pick=None, root=math.sqrt
          ) -> tuple[float, float, float]:
    public, private = public.double(), private.double()
    best = int(torch.argmax(public if pick is None else pick(public, private)))
    p = float(public.mean())
    return (float(public[best] - public.mean()), float(private[best] - private.mean()),
            1.96 * root(p * (1 - p) / n_public))


def _boards(rng: torch.Generator) -> list[Case]:
    def scores(n: int, s: int, level: float = 0.774, skill: torch.Tensor | None = None) -> torch.Tensor:
        true = level + (skill if skill is not None else 0.0)
        noise = math.sqrt(level * (1 - level) / n) * torch.randn(s, generator=rng, dtype=torch.float64)
        return torch.round((true + noise) * n) / n  # an accuracy on n rows is a multiple of 1 / n

    skill = 0.02 * torch.rand(8, generator=rng, dtype=torch.float64)
    tie = scores(2000, 6)
    tie[4] = tie[1] = tie.max() + 0.002
    return [
        Case("5 submissions, 2,000 public rows", scores(2000, 5), scores(8000, 5), 2000),
        Case("the lesson's 300 tweaks of one model", scores(2000, 300), scores(8000, 300), 2000),
        Case("a tie on the best public score: the earliest counts", tie, scores(8000, 6), 2000),
        Case("a public part of only 500 rows", scores(500, 40), scores(9500, 40), 500),
        Case("submissions that really differ: the best is better on private too",
             scores(2000, 8, skill=skill), scores(8000, 8, skill=skill), 2000),
        Case("a single submission: no lead at all", torch.tensor([0.81], dtype=torch.float64),
             torch.tensor([0.79], dtype=torch.float64), 1000),
    ]


@mistake("lead-picked-on-private")
def _on_private(case: Case, got: object, want: object) -> str | None:
    if matches(got, _lead(*case.args, pick=lambda public, private: private)):
        return ("You chose the submission by its private score, which nobody sees until the competition ends. "
                "Choose by the public board, and let the private one tell you whether that lead was real.")
    return None


@mistake("lead-noise-no-sqrt")
def _no_sqrt(case: Case, got: object, want: object) -> str | None:
    if matches(got, _lead(*case.args, root=lambda v: v)):
        return ("Your noise lacks the square root: p * (1 - p) / n is the variance of an accuracy measured on n rows; "
                "its standard error is sqrt(p * (1 - p) / n), and the 95% half-width 1.96 times that.")
    return None


EXERCISES = [
    Exercise("group_folds", _stores, check=_fold_problem, mistakes=[_split, _by_id]),
    Exercise("out_of_fold", _fold_predictions, reference=_oof, mistakes=[_leak, _one_model]),
    Exercise("leaderboard_lead", _boards, reference=_lead, mistakes=[_on_private, _no_sqrt]),
]
