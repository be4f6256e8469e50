"""Averages the customer's rows above each row, as if the rows were in time order."""

import torch


def past_mean(customers, times, amounts):
    out = torch.zeros(len(amounts), dtype=torch.float64)
    for i in range(len(amounts)):
        above = customers[:i] == customers[i]
        if above.any():
            out[i] = amounts[:i][above].mean()
    return out
