"""Right validation folds, but every fold trains on all the rows, its own included."""

import torch


def kfold(n, k):
    rows = torch.arange(n)
    folds, start = [], 0
    for i in range(k):
        size = n // k + (1 if i < n % k else 0)
        folds.append((rows, rows[start:start + size]))
        start += size
    return folds
