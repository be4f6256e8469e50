"""Strictly below the diagonal: a position may not look at itself."""

import torch


def causal_mask(T):
    return torch.ones(T, T, dtype=torch.bool).tril(-1)
