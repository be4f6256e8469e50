"""The lesson's `future` mask, returned as if True meant "may look"."""

import torch


def causal_mask(T):
    return torch.ones(T, T, dtype=torch.bool).triu(1)
