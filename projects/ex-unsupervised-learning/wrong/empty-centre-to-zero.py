"""Sums and counts per centre, with the count clamped: an empty centre lands on 0."""

import torch


def kmeans_step(x, centres):
    labels = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(dim=2).argmin(dim=1)
    sums = torch.zeros_like(centres).index_add_(0, labels, x)
    counts = torch.bincount(labels, minlength=centres.shape[0]).clamp_min(1)
    return labels, sums / counts[:, None]
