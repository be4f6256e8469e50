"""A confusion matrix, then precision, recall and F1 from it (lesson: evaluation-metrics): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def confusion_matrix(y_true, y_pred, num_classes):
    """cm[t, p]: how many samples of true class t were predicted as p; shape (num_classes, num_classes)."""
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for t, p in zip(y_true.tolist(), y_pred.tolist()):
        cm[t, p] += 1
    return cm


def precision_recall_f1(cm):
    """(precision, recall, f1), each of shape (K,); 0 where a denominator is 0."""
    cm = cm.double()
    tp = cm.diagonal()  # (K,)
    predicted = cm.sum(dim=0)  # (K,): TP + FP, what the model called each class
    actual = cm.sum(dim=1)  # (K,): TP + FN, what each class truly had
    zero = torch.zeros_like(tp)
    precision = torch.where(predicted > 0, tp / predicted.clamp_min(1), zero)  # never predicted: 0
    recall = torch.where(actual > 0, tp / actual.clamp_min(1), zero)  # never occurs: 0
    both = precision + recall
    f1 = torch.where(both > 0, 2 * precision * recall / both.clamp_min(1e-12), zero)
    return precision, recall, f1


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
