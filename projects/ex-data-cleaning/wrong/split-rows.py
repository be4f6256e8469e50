"""A random split of the rows, as for independent examples."""

import torch


def group_split(groups, test_fraction, seed):
    order = torch.randperm(groups.numel(), generator=torch.Generator().manual_seed(seed))
    cut = round(test_fraction * groups.numel())
    return order[cut:], order[:cut]
