"""Takes the quantile over everyone in the group, positives and negatives."""

import torch


def group_thresholds(scores, y_true, group, tpr):
    return torch.stack([torch.quantile(scores[group == g], 1 - tpr) for g in torch.unique(group).tolist()])
