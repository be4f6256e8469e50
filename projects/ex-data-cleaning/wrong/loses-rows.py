"""Splits the patients right, but returns patient ids instead of row positions."""

import torch


def group_split(groups, test_fraction, seed):
    patients = torch.unique(groups)
    order = torch.randperm(patients.numel(), generator=torch.Generator().manual_seed(seed))
    cut = round(test_fraction * patients.numel())
    return patients[order[cut:]], patients[order[:cut]]
