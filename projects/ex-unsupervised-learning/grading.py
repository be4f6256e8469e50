"""The judge's side of ex-unsupervised-learning: hidden points and centres, references, and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, differs, finite, matches, mistake


def _distances(x: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    return ((x[:, None, :] - centres[None, :, :]) ** 2).sum(dim=2)  # (N, K)


def _step(x: torch.Tensor, centres: torch.Tensor, pick: str = "nearest",
          empty: str = "stay") -> tuple[torch.Tensor, torch.Tensor]:
    d = _distances(x, centres)
    labels = d.argmin(dim=1) if pick == "nearest" else d.argmax(dim=1)
    new = centres.clone()
    for j in range(centres.shape[0]):
        mine = x[labels == j]
        if mine.shape[0]:
            new[j] = mine.mean(dim=0)
        elif empty == "zero":
            new[j] = 0.0
    return labels, new


def _blobs(rng: torch.Generator, per: int, centres: torch.Tensor) -> torch.Tensor:
    return torch.cat([c + 0.5 * torch.randn(per, centres.shape[1], generator=rng, dtype=torch.float64)
                      for c in centres])


def _clouds(rng: torch.Generator) -> list[Case]:
    true = torch.tensor([[0.0, 0.0], [5.0, 5.0], [0.0, 6.0]], dtype=torch.float64)
    x = _blobs(rng, 10, true)
    start = x[torch.randperm(x.shape[0], generator=rng)[:3]]
    far = torch.cat([true[:2] + 0.3, torch.tensor([[40.0, -40.0]], dtype=torch.float64)])
    points3d = _blobs(rng, 8, torch.randn(2, 3, generator=rng, dtype=torch.float64) * 4)
    return [
        Case("30 points in three blobs, 3 centres", x, start),
        Case("a centre far from every point: no point chooses it", x, far),
        Case("points in 3 dimensions", points3d, points3d[[0, -1]] + 0.1),
        Case("a single centre", x, torch.zeros(1, 2, dtype=torch.float64)),
        Case("as many centres as points", x[:4], x[:4] + 0.01),
    ]


def _pair(got: object) -> bool:
    return isinstance(got, (tuple, list)) and len(got) == 2


@mistake("kmeans-empty-centre")
def _empty(case: Case, got: object, want: object) -> str | None:
    x, centres = case.args
    labels = want[0]
    empty = [j for j in range(centres.shape[0]) if not bool((labels == j).any())]
    if not _pair(got) or not empty or differs(got[0], labels) is not None:
        return None
    if not finite(got[1]) or matches(got[1], _step(x, centres, empty="zero")[1]):
        return (f"Centre {empty[0]} was chosen by no point, and yours moved to nan (or to 0): the mean of no points is "
                "0 / 0. Leave a centre that no point chose where it was; the next step may give it points.")
    return None


@mistake("kmeans-farthest")
def _farthest(case: Case, got: object, want: object) -> str | None:
    x, centres = case.args
    if _pair(got) and centres.shape[0] > 1 and matches(got[0], _step(x, centres, pick="farthest")[0]):
        return ("Your points join their farthest centre: the assign step picks the smallest distance, "
                "distances.argmin(dim=1).")
    return None


def _inertia(x: torch.Tensor, centres: torch.Tensor, labels: torch.Tensor) -> float:
    return float(((x - centres[labels]) ** 2).sum())


def _assigned(rng: torch.Generator) -> list[Case]:
    return [Case(case.label, *case.args, _step(*case.args)[0]) for case in _clouds(rng)[:3]] + [
        Case("every point on its centre", torch.ones(3, 2, dtype=torch.float64), torch.ones(1, 2, dtype=torch.float64),
             torch.zeros(3, dtype=torch.int64)),
    ]


@mistake("inertia-not-squared")
def _not_squared(case: Case, got: object, want: object) -> str | None:
    x, centres, labels = case.args
    if matches(got, float((x - centres[labels]).norm(dim=1).sum())):
        return ("You summed the distances; inertia sums the squared distances, the quantity each k-means step can "
                "only lower.")
    return None


@mistake("inertia-mean")
def _mean(case: Case, got: object, want: object) -> str | None:
    x, centres, labels = case.args
    if matches(got, want / x.shape[0]):
        return ("You averaged over the points; inertia is the total, summed over every point, so more points in a "
                "cluster weigh more.")
    return None


EXERCISES = [
    Exercise("kmeans_step", _clouds, reference=_step, rtol=1e-9, atol=1e-12, mistakes=[_empty, _farthest]),
    Exercise("inertia", _assigned, reference=_inertia, rtol=1e-9, atol=1e-12, mistakes=[_not_squared, _mean]),
]
