"""The judge's side of ex-small-data: hidden images, embeddings and predictions, the references, and the
mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import math

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake

# ------------------------------------------------------------------ a flip that keeps labels true

_MIRRORED = [1, 0, 2, 3]  # LEFT <-> RIGHT; UP and DOWN stay


def _flip(images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    width = images.shape[-1]
    mirrored = images[..., torch.arange(width - 1, -1, -1)]
    return mirrored, torch.tensor([_MIRRORED[int(label)] for label in labels], dtype=torch.int64)


def _arrows(rng: torch.Generator) -> list[Case]:
    def batch(b: int, c: int, h: int, w: int, labels: list[int] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        chosen = torch.tensor(labels) if labels else torch.randint(0, 4, (b,), generator=rng)
        return torch.rand(b, c, h, w, generator=rng), chosen

    return [
        Case("4 grey arrows of 5 x 5: left, right, up, down", *batch(4, 1, 5, 5, [0, 1, 2, 3])),
        Case("3 colour images, 4 high and 6 wide", *batch(3, 3, 4, 6)),
        Case("only up and down arrows", *batch(3, 1, 4, 4, [2, 3, 2])),
        Case("a batch of one left arrow, 2 channels, 3 x 7", *batch(1, 2, 3, 7, [0])),
        Case("images one pixel wide", *batch(2, 1, 5, 1, [1, 3])),
    ]


@mistake("augment-label-unchanged")
def _unchanged(case: Case, got: object, want: object) -> str | None:
    images, labels = case.args
    if isinstance(got, (tuple, list)) and len(got) == 2 and matches(got[0], want[0]) and matches(got[1], labels):
        return ("Your images are mirrored but the labels are not: a mirrored left arrow points right. An "
                "augmentation must keep the label true, so swap LEFT and RIGHT (UP and DOWN stay), or do not flip.")
    return None


@mistake("augment-wrong-axis")
def _axis(case: Case, got: object, want: object) -> str | None:
    images, _ = case.args
    if isinstance(got, (tuple, list)) and len(got) == 2 and not matches(want[0], images.flip(-2)) and matches(
            got[0], images.flip(-2)):
        return ("You flipped the height (upside down, axis -2). A left-right mirror reverses the width, the last "
                "axis of (B, C, H, W): images.flip(-1).")
    return None


# ------------------------------------------------------------------ leave one out


def _loo(x: torch.Tensor, y: torch.Tensor, keep_self: bool = False) -> tuple[torch.Tensor, float]:
    x = x.double()
    predictions = []
    for i in range(len(y)):
        others = torch.ones(len(y), dtype=torch.bool)
        others[i] = keep_self
        best, best_d = -1, math.inf
        for c in sorted(set(y[others].tolist())):
            d = float((x[i] - x[others & (y == c)].mean(dim=0)).norm())
            if d < best_d:
                best, best_d = c, d
        predictions.append(best)
    predictions_t = torch.tensor(predictions, dtype=torch.int64)
    return predictions_t, float((predictions_t == y).double().mean())


def _embedded(rng: torch.Generator) -> list[Case]:
    def classes(sizes: list[int], d: int, spread: float) -> tuple[torch.Tensor, torch.Tensor]:
        centres = 2.0 * torch.randn(len(sizes), d, generator=rng)
        y = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
        y = y[torch.randperm(len(y), generator=rng)]
        return centres[y] + spread * torch.randn(len(y), d, generator=rng), y

    return [
        Case("2 classes of 2 points on a line; the point at 3 lies far from its class-mate at 0",
             torch.tensor([[0.0], [3.0], [4.0], [6.0]]), torch.tensor([0, 0, 1, 1])),
        Case("3 classes of 3 examples in 4 numbers, overlapping", *classes([3, 3, 3], 4, 2.0)),
        Case("a class with a single example", *classes([4, 1, 5], 3, 1.0)),
        Case("5 classes of 3 examples, much noise", *classes([3, 3, 3, 3, 3], 6, 2.5)),
        Case("two classes with a single example each", *classes([1, 6, 1], 3, 0.8)),
    ]


@mistake("loo-includes-itself")
def _itself(case: Case, got: object, want: object) -> str | None:
    x, y = case.args
    own = _loo(x, y, keep_self=True)
    shared = [i for i in range(len(y)) if int((y == y[i]).sum()) > 1]  # where an empty class is not the cause
    if not matches(want[0][shared], own[0][shared]) and matches(got, own):
        return (f"Each example helped build its own class's prototype, so it sits closer to it than a new example "
                f"would: your accuracy {own[1]:.3g} is optimistic, leaving each out gives {want[1]:.3g}. Build the "
                "prototypes from the other N - 1 examples only.")
    return None


@mistake("loo-singleton-class")
def _singleton(case: Case, got: object, want: object) -> str | None:
    x, y = case.args
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        return None
    try:
        predicted = torch.as_tensor(got[0]).reshape(-1).long()
    except (TypeError, ValueError, RuntimeError):
        return None
    alone = [i for i in range(len(y)) if int((y == y[i]).sum()) == 1]
    if predicted.numel() == len(y) and any(int(predicted[i]) == int(y[i]) for i in alone):
        i = next(i for i in alone if int(predicted[i]) == int(y[i]))
        return (f"Example {i} is the only one of class {int(y[i])}: left out, it leaves that class no prototype, so "
                "it cannot be predicted, yet you predicted it. Either it voted for its own prototype, or an empty "
                "class's mean (nan) won the argmin: build prototypes only from the classes left.")
    return None


# ------------------------------------------------------------------ what to label next


def _entropy(probs: torch.Tensor) -> torch.Tensor:
    p = probs.double()
    return -torch.where(p > 0, p * p.clamp_min(1e-300).log(), torch.zeros_like(p)).sum(dim=1)


def _uncertain(probs: torch.Tensor, asked: torch.Tensor, n: int) -> torch.Tensor:
    entropy = _entropy(probs)
    entropy[asked] = -math.inf
    return entropy.argsort(descending=True, stable=True)[:n]


def _pools(rng: torch.Generator) -> list[Case]:
    def pool(rows: int, k: int, asked_share: float, n: int, sure: int = 0) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Predictions whose n + 1 highest entropies among the rows not asked are well apart; `sure` rows are
        one-hot or have zeros."""
        while True:
            probs = (2.0 * torch.randn(rows, k, generator=rng)).softmax(dim=1)
            for r in range(sure):
                probs[r] = 0
                probs[r, r % k] = 1.0 if r % 2 == 0 else 0.5
                probs[r, (r + 1) % k] += 0.0 if r % 2 == 0 else 0.5
            asked = torch.rand(rows, generator=rng) < asked_share
            asked[:sure] = False
            entropy = _entropy(probs)[~asked].sort(descending=True).values[:n + 1]
            if int((~asked).sum()) > n and bool(((entropy[:-1] - entropy[1:]) > 1e-4).all()):
                return probs, asked, n

    return [
        Case("40 predictions of 3 classes, none asked yet, 5 to ask", *pool(40, 3, 0.0, 5)),
        Case("a third of the pool already asked", *pool(30, 3, 0.35, 6)),
        Case("some predictions of exactly 1 and 0", *pool(20, 4, 0.2, 4, sure=6)),
        Case("two classes", *pool(25, 2, 0.3, 3)),
        Case("ask for one", *pool(12, 5, 0.5, 1, sure=2)),
    ]


def _asked_rows(got: object) -> list[int] | None:
    try:
        return [int(i) for i in torch.as_tensor(got).reshape(-1).tolist()]
    except (TypeError, ValueError, RuntimeError):
        return None


@mistake("active-asks-twice")
def _twice(case: Case, got: object, want: object) -> str | None:
    _, asked, _ = case.args
    rows = _asked_rows(got)
    again = [i for i in rows or [] if 0 <= i < len(asked) and bool(asked[i])]
    if again:
        return (f"Row {again[0]} was already labelled (asked is True there) and you ask for it again: the expert's "
                "time is wasted. Give the asked rows -inf before choosing.")
    return None


@mistake("active-entropy-nan")
def _nan(case: Case, got: object, want: object) -> str | None:
    probs, _, _ = case.args
    rows = _asked_rows(got)
    zero = [i for i in rows or [] if 0 <= i < len(probs) and bool((probs[i] == 0).any()) and i not in want.tolist()]
    if zero:
        return (f"Row {zero[0]} holds a probability of exactly 0, where p * log p is 0 * -inf = nan, and nan sorts "
                "as the largest entropy. Count 0 * log 0 as 0 (torch.special.xlogy(p, p), or torch.where).")
    return None


@mistake("active-most-confident")
def _confident(case: Case, got: object, want: object) -> str | None:
    probs, asked, n = case.args
    entropy = _entropy(probs)
    entropy[asked] = math.inf
    if matches(got, entropy.argsort(stable=True)[:n]):
        return ("You chose the rows with the lowest entropy: the predictions the model is surest of, which teach it "
                "least. Uncertainty sampling asks about the highest entropy first.")
    return None


EXERCISES = [
    Exercise("flip_with_labels", _arrows, reference=_flip, mistakes=[_unchanged, _axis]),
    Exercise("leave_one_out", _embedded, reference=_loo, mistakes=[_itself, _singleton]),
    Exercise("most_uncertain", _pools, reference=_uncertain, mistakes=[_twice, _nan, _confident]),
]
