"""Treats id 0 as the padding, whatever padding_idx says."""


def mean_embedding(ids, weight, padding_idx):
    real = (ids != 0).unsqueeze(-1).to(weight.dtype)
    return (weight[ids] * real).sum(dim=1) / real.sum(dim=1).clamp_min(1)
