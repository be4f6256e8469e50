"""One threshold for everyone, from all the positives together, repeated for each group."""

import torch


def group_thresholds(scores, y_true, group, tpr):
    shared = torch.quantile(scores[y_true == 1], 1 - tpr)
    return shared.repeat(len(torch.unique(group)))
