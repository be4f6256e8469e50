"""Averages all of the customer's purchases, later ones included."""

import torch


def past_mean(customers, times, amounts):
    out = torch.zeros(len(amounts), dtype=torch.float64)
    for i in range(len(amounts)):
        out[i] = amounts[customers == customers[i]].mean()
    return out
