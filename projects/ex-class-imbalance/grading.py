"""The judge's side of ex-class-imbalance: hidden labels and scores, the references, and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, finite, matches, mistake

# ------------------------------------------------------------------ class weights and sampler weights


def _counts(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    return torch.stack([(labels == c).sum() for c in range(num_classes)]).double()


def _class_weights(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    counts = _counts(labels, num_classes)
    return torch.where(counts > 0, labels.numel() / (num_classes * counts.clamp_min(1)), torch.zeros_like(counts))


def _sampler(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Each present class gets the same total share, split equally among its examples."""
    counts = _counts(labels, num_classes)
    present = int((counts > 0).sum())
    return 1.0 / (present * counts[labels])


def _labels(rng: torch.Generator) -> list[Case]:
    def draw(n: int, rates: list[float]) -> torch.Tensor:
        return torch.multinomial(torch.tensor(rates), n, replacement=True, generator=rng)

    missing = draw(30, [0.5, 0.0, 0.3, 0.2])  # class 1 never occurs
    rare = torch.zeros(200, dtype=torch.int64)
    rare[torch.randperm(200, generator=rng)[:4]] = 1  # 2% positives
    last_absent = draw(12, [0.6, 0.4])  # classes 2 and 3 never occur
    return [
        Case("3 classes of different sizes", draw(24, [0.6, 0.3, 0.1]) , 3),
        Case("2% positives: 196 negatives and 4 positives", rare, 2),
        Case("a class (1) with no example at all", missing, 4),
        Case("the two last classes with no example", last_absent, 4),
        Case("already balanced: 3 examples of each of 4 classes", torch.arange(4).repeat(3), 4),
        Case("a single example", torch.tensor([2]), 3),
    ]


@mistake("weights-absent-class")
def _absent(case: Case, got: object, want: object) -> str | None:
    if finite(want) and not finite(got):
        absent = [c for c in range(case.args[1]) if not bool((case.args[0] == c).any())]
        return (f"Class {absent[0]} has no example, so N / (num_classes * 0) is inf. A class that never occurs "
                "gets weight 0: it contributes no loss anyway, and an inf would poison the loss the day it appears.")
    return None


@mistake("weights-sized-by-data")
def _sized(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, torch.Tensor) and got.dim() == 1 and got.numel() != case.args[1] and matches(
            got, want[:got.numel()]):
        return (f"You returned {got.numel()} weights for num_classes = {case.args[1]}: torch.bincount counts up to "
                "the largest label present. Pass minlength=num_classes, so that a class with no example still "
                "has its place.")
    return None


@mistake("weights-not-inverse")
def _proportional(case: Case, got: object, want: object) -> str | None:
    labels, k = case.args
    counts = _counts(labels, k)
    if matches(got, counts * k / labels.numel()) or matches(got, counts / labels.numel()):
        return ("Your weights grow with a class's count, so the common class pulls harder still. Weigh each class "
                "inversely to its count, N / (num_classes * count): the rare class gets the large weight.")
    return None


@mistake("sampler-per-class")
def _per_class(case: Case, got: object, want: object) -> str | None:
    labels, k = case.args
    if isinstance(got, torch.Tensor) and got.shape == (k,) != tuple(want.shape):
        return (f"You returned one number per class ({k}); a WeightedRandomSampler takes one per example "
                f"({labels.numel()}): index the per-class values by the labels, (1.0 / counts)[labels].")
    return None


@mistake("sampler-absent-class")
def _by_num_classes(case: Case, got: object, want: object) -> str | None:
    labels, k = case.args
    counts = _counts(labels, k)
    if bool((counts == 0).any()) and matches(got, 1.0 / (k * counts[labels])):
        return (f"Your probabilities sum to {float(torch.as_tensor(got).sum()):.3g}, not 1: you gave each of the "
                f"{k} classes a share of 1 / {k}, but only {int((counts > 0).sum())} have examples to draw. Divide "
                "by the sum instead, so the present classes share all the draws.")
    return None


# ------------------------------------------------------------------ the threshold for a target recall


def _threshold(scores: torch.Tensor, labels: torch.Tensor, target_recall: float) -> float:
    """The highest candidate threshold (every distinct score, tried in turn) whose recall reaches the target."""
    p = int((labels == 1).sum())
    reach = [float(t) for t in scores.unique() if int(((scores >= t) & (labels == 1)).sum()) / p >= target_recall]
    return max(reach)


def _scored(rng: torch.Generator) -> list[Case]:
    def data(n: int, p: int, gap: float = 1.5, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, ...]:
        labels = torch.zeros(n, dtype=torch.int64)
        labels[torch.randperm(n, generator=rng)[:p]] = 1
        scores = torch.sigmoid(torch.randn(n, generator=rng, dtype=dtype) + gap * labels - 2)
        return scores, labels

    top = data(40, 5, gap=8.0)
    return [
        Case("500 examples, 10 positives, recall 0.8", *data(500, 10), 0.8),
        Case("7 positives, recall 0.5: 3.5 positives is not enough", *data(60, 7), 0.5),
        Case("recall 1: every positive must be flagged", *data(80, 9), 1.0),
        Case("12 positives, recall 0.9", *data(100, 12, dtype=torch.float64), 0.9),
        Case("a target of 0.01: one positive is enough", *data(50, 5), 0.01),
        Case("the positives hold the 5 highest scores", *top, 0.75),
        Case("a single positive", *data(30, 1), 0.6),
    ]


def _flagged(case: Case, threshold: float) -> float:
    scores, labels, _ = case.args
    return int(((scores >= threshold) & (labels == 1)).sum()) / int((labels == 1).sum())


def _number(got: object) -> float | None:
    try:
        return float(got)  # type: ignore[arg-type]
    except (TypeError, ValueError, RuntimeError):
        return None


@mistake("threshold-all-scores")
def _all_scores(case: Case, got: object, want: object) -> str | None:
    scores, labels, target = case.args
    p = int((labels == 1).sum())
    k = next(k for k in range(1, p + 1) if k / p >= target)
    if not matches(want, float(scores.sort(descending=True).values[k - 1])) and matches(
            got, float(scores.sort(descending=True).values[k - 1])):
        return (f"You took the {k}th highest score of all examples, negatives included. Recall counts positives "
                f"only: the threshold must flag {k} of the {p} positives, so it is the {k}th highest positive score.")
    return None


@mistake("threshold-recall-short")
def _short(case: Case, got: object, want: object) -> str | None:
    threshold = _number(got)
    target = case.args[2]
    if threshold is not None and _flagged(case, threshold) < target:
        return (f"At your threshold {threshold:.4g} the recall is {_flagged(case, threshold):.3g}, below the "
                f"{target:g} asked: too few positives are flagged (rounding the count down?). Flag the smallest "
                "number k of positives with k / P >= target.")
    return None


@mistake("threshold-too-low")
def _too_low(case: Case, got: object, want: object) -> str | None:
    threshold = _number(got)
    if threshold is not None and threshold < want and _flagged(case, threshold) >= case.args[2]:
        return (f"Your threshold {threshold:.4g} reaches the recall, but {want:.4g} reaches it too with fewer "
                "alerts: every alert costs someone's time. Take the k-th highest positive score, not the next one "
                "down (an index off by one?).")
    return None


EXERCISES = [
    Exercise("class_weights", _labels, reference=_class_weights, mistakes=[_absent, _sized, _proportional]),
    Exercise("sampler_weights", _labels, reference=_sampler, mistakes=[_per_class, _by_num_classes]),
    Exercise("threshold_for_recall", _scored, reference=_threshold, rtol=0.0, atol=0.0,
             mistakes=[_all_scores, _short, _too_low]),
]
