"""Minimum and maximum over the training and other rows together."""

import torch


def min_max_scale(train, other):
    both = torch.cat([train, other])
    low = both.min(dim=0).values
    spread = both.max(dim=0).values - low
    return _apply(train, low, spread), _apply(other, low, spread)
