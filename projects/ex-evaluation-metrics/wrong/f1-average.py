"""F1 as the plain average of precision and recall."""

import torch


def precision_recall_f1(cm):
    cm = cm.double()
    tp = cm.diagonal()
    zero = torch.zeros_like(tp)
    predicted, actual = cm.sum(dim=0), cm.sum(dim=1)
    precision = torch.where(predicted > 0, tp / predicted.clamp_min(1), zero)
    recall = torch.where(actual > 0, tp / actual.clamp_min(1), zero)
    return precision, recall, (precision + recall) / 2
