"""Pools every row of every batch into one mean and variance."""

import torch


def reestimate_batchnorm(batches):
    rows = torch.cat(batches)
    return rows.mean(dim=0), rows.var(dim=0)
