"""Rows are the prediction and columns the truth: the matrix transposed."""

import torch


def confusion_matrix(y_true, y_pred, num_classes):
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for t, p in zip(y_true.tolist(), y_pred.tolist()):
        cm[p, t] += 1
    return cm
