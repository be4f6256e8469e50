"""Stable, but sums the losses of the batch instead of averaging them."""

import torch


def cross_entropy(logits, target):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_probs[torch.arange(len(target)), target].sum()
