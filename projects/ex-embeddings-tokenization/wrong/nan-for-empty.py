"""Divides by the number of real tokens as it is: 0 / 0 for a sentence of padding only."""


def mean_embedding(ids, weight, padding_idx):
    real = (ids != padding_idx).unsqueeze(-1).to(weight.dtype)
    return (weight[ids] * real).sum(dim=1) / real.sum(dim=1)
