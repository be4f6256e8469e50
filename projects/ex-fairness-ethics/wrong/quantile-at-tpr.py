"""Takes each group's positives' quantile at tpr instead of 1 - tpr."""

import torch


def group_thresholds(scores, y_true, group, tpr):
    return torch.stack([torch.quantile(scores[(group == g) & (y_true == 1)], tpr)
                        for g in torch.unique(group).tolist()])
