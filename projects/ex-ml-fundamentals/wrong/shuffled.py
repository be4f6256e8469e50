"""A random split, as for independent examples."""

import torch


def time_split(times, val_fraction, test_fraction):
    n = times.numel()
    order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    n_test, n_val = round(test_fraction * n), round(val_fraction * n)
    cut = n - n_test - n_val
    return order[:cut], order[cut:n - n_test], order[n - n_test:]
