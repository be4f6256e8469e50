"""Softmax as written, then its log: exp(1000) overflows."""

import torch


def cross_entropy(logits, target):
    e = torch.exp(logits)
    probs = e / e.sum(dim=1, keepdim=True)
    return -torch.log(probs[torch.arange(len(target)), target]).mean()
