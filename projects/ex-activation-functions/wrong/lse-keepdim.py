"""Stable, but keeps the reduced axis: shape (..., 1) instead of (...)."""

import torch


def log_sum_exp(x):
    m = x.max(dim=-1, keepdim=True).values
    return m + torch.log(torch.exp(x - m).sum(dim=-1, keepdim=True))
