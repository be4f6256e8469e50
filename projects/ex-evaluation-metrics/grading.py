"""The judge's side of ex-evaluation-metrics: hidden labels and matrices, references, and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, finite, matches, mistake


def _confusion(y_true: torch.Tensor, y_pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    return torch.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def _labels(rng: torch.Generator) -> list[Case]:
    def draw(n: int, k: int) -> torch.Tensor:
        return torch.randint(0, k, (n,), generator=rng)

    truth = draw(30, 4)
    lazy = truth.clone()
    lazy[lazy == 3] = 0  # never says 3
    return [
        Case("20 samples of 3 classes", draw(20, 3), draw(20, 3), 3),
        Case("two classes", draw(12, 2), draw(12, 2), 2),
        Case("a class the model never predicts", truth, lazy, 4),
        Case("a class that never occurs in the truth", draw(15, 2), draw(15, 3), 3),
        Case("a third class that no sample has and the model never predicts", draw(10, 2), draw(10, 2), 3),
        Case("the labels of 200 samples of 5 classes", draw(200, 5), draw(200, 5), 5),
        Case("one sample", torch.tensor([2]), torch.tensor([1]), 3),
    ]


def _metrics(cm: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    cm = cm.double()
    tp = cm.diagonal()
    predicted, actual = cm.sum(dim=0), cm.sum(dim=1)
    precision = torch.where(predicted > 0, tp / predicted.clamp_min(1), torch.zeros_like(tp))
    recall = torch.where(actual > 0, tp / actual.clamp_min(1), torch.zeros_like(tp))
    both = precision + recall
    f1 = torch.where(both > 0, 2 * precision * recall / both.clamp_min(1e-300), torch.zeros_like(tp))
    return precision, recall, f1


def _matrices(rng: torch.Generator) -> list[Case]:
    def counts(k: int) -> torch.Tensor:
        return torch.randint(0, 20, (k, k), generator=rng)

    never = counts(3)
    never[:, 2] = 0  # class 2 is never predicted
    absent = counts(3)
    absent[1, :] = 0  # class 1 never occurs
    return [
        Case("3 classes", counts(3)),
        Case("the lesson's model B (class 1 is 'ill')", torch.tensor([[950, 40], [2, 8]])),
        Case("the lesson's model A, which never predicts 'ill'", torch.tensor([[990, 0], [10, 0]])),
        Case("a class never predicted", never),
        Case("a class that never occurs", absent),
        Case("perfect predictions", torch.diag(torch.tensor([5, 3, 7, 1]))),
    ]


@mistake("confusion-transposed")
def _transposed(case: Case, got: object, want: object) -> str | None:
    if isinstance(want, torch.Tensor) and not torch.equal(want, want.T) and matches(got, want.T):
        return ("Your matrix is transposed. Rows are the true class and columns the prediction: cm[t, p] counts the "
                "samples of class t that were predicted as p, so a row sums to how many samples truly are t.")
    return None


@mistake("confusion-size")
def _sized_by_data(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, torch.Tensor) and isinstance(want, torch.Tensor) and got.dim() == 2 and got.shape != want.shape:
        return (f"Your matrix is {tuple(got.shape)} where {tuple(want.shape)} was expected: size it with num_classes. A "
                "class that no sample has, or that the model never predicts, still needs its row and column.")
    return None


@mistake("metrics-zero-division")
def _zero_division(case: Case, got: object, want: object) -> str | None:
    if not finite(got) and finite(want):
        return ("A class that is never predicted has TP + FP = 0, and a class that never occurs TP + FN = 0: 0 / 0 "
                "is nan. Like the lesson's model A, such a class gets precision 0 (or recall 0), and F1 0.")
    return None


@mistake("precision-recall-swapped")
def _swapped(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, (tuple, list)) and len(got) == 3 and not matches(want[0], want[1]) and (
            matches(got[0], want[1]) and matches(got[1], want[0])):
        return ("Your precision and recall are swapped. Precision = TP / (TP + FP) divides by what was predicted as "
                "the class (its column, cm[:, c].sum()); recall = TP / (TP + FN) by what truly is the class (its row).")
    return None


@mistake("f1-arithmetic-mean")
def _average(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, (tuple, list)) and len(got) == 3 and matches(got[2], (want[0] + want[1]) / 2) and not matches(
            got[2], want[2]):
        return ("Your F1 is the plain average (p + r) / 2. F1 is 2 * p * r / (p + r), the harmonic mean: it is only "
                "high when both are, which is the point of it.")
    return None


EXERCISES = [
    Exercise("confusion_matrix", _labels, reference=_confusion, mistakes=[_transposed, _sized_by_data]),
    Exercise("precision_recall_f1", _matrices, reference=_metrics, rtol=1e-6, atol=1e-9,
             mistakes=[_zero_division, _swapped, _average]),
]
