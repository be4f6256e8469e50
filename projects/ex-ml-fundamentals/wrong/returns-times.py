"""Sorts the timestamps and returns the sorted times instead of the rows' positions."""

import torch


def time_split(times, val_fraction, test_fraction):
    n = times.numel()
    ordered = times.sort().values
    n_test, n_val = round(test_fraction * n), round(val_fraction * n)
    cut = n - n_test - n_val
    return ordered[:cut], ordered[cut:n - n_test], ordered[n - n_test:]
