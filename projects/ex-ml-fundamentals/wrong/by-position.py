"""Cuts the rows in the order they come, not in time order."""

import torch


def time_split(times, val_fraction, test_fraction):
    n = times.numel()
    order = torch.arange(n)
    n_test, n_val = round(test_fraction * n), round(val_fraction * n)
    cut = n - n_test - n_val
    return order[:cut], order[cut:n - n_test], order[n - n_test:]
