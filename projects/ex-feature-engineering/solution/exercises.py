"""One-hot columns, hours on a circle, a history feature without the future (lesson: feature-engineering): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import math

import torch


def one_hot(values, categories):
    """(N, K) float32: a 1 in each known value's column, zeros for unseen or missing values."""
    column = {category: k for k, category in enumerate(categories)}  # fixed by the training data
    out = torch.zeros(len(values), len(categories))
    for row, value in enumerate(values):
        if value in column:  # unseen or None: the row stays all zeros
            out[row, column[value]] = 1.0
    return out


def hour_features(hours):
    """(N, 2): sin and cos of 2 * pi * hour / 24."""
    angle = 2 * math.pi * hours / 24  # radians: one full turn per day
    return torch.stack([torch.sin(angle), torch.cos(angle)], dim=1)


def past_mean(customers, times, amounts):
    """(N,): the mean amount of the customer's strictly earlier purchases (0 if none)."""
    out = torch.zeros(len(amounts), dtype=torch.float64)
    for i in range(len(amounts)):
        earlier = (customers == customers[i]) & (times < times[i])  # by time, never by row position
        if earlier.any():
            out[i] = amounts[earlier].mean()
    return out


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
