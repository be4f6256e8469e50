"""Precision divided by the row sums and recall by the column sums."""

import torch


def precision_recall_f1(cm):
    cm = cm.double()
    tp = cm.diagonal()
    zero = torch.zeros_like(tp)
    rows, columns = cm.sum(dim=1), cm.sum(dim=0)
    precision = torch.where(rows > 0, tp / rows.clamp_min(1), zero)
    recall = torch.where(columns > 0, tp / columns.clamp_min(1), zero)
    both = precision + recall
    return precision, recall, torch.where(both > 0, 2 * precision * recall / both.clamp_min(1e-12), zero)
