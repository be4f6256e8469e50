"""Averages the purchases up to and including the row itself."""

import torch


def past_mean(customers, times, amounts):
    out = torch.zeros(len(amounts), dtype=torch.float64)
    for i in range(len(amounts)):
        chosen = (customers == customers[i]) & (times <= times[i])
        out[i] = amounts[chosen].mean()
    return out
