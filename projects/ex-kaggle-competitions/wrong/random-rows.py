"""Random folds of rows, as a plain KFold would make them: a store's days land in several folds."""

import torch


def group_folds(groups, k):
    order = torch.randperm(len(groups), generator=torch.Generator().manual_seed(0))
    folds = torch.empty(len(groups), dtype=torch.int64)
    folds[order] = torch.arange(len(groups)) % k
    return folds
