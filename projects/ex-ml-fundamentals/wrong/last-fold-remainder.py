"""Folds of n // k rows, the last one taking the whole remainder."""

import torch


def kfold(n, k):
    rows, size = torch.arange(n), n // k
    folds = []
    for i in range(k):
        end = n if i == k - 1 else (i + 1) * size
        folds.append((torch.cat([rows[:i * size], rows[end:]]), rows[i * size:end]))
    return folds
