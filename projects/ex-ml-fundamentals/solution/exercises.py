"""The folds of k-fold cross-validation, and a split that trains on the past (lesson: ml-fundamentals): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def kfold(n, k):
    """k pairs (train_rows, val_rows); every row validated once, fold sizes n // k or n // k + 1."""
    rows = torch.arange(n)
    folds, start = [], 0
    for i in range(k):
        size = n // k + (1 if i < n % k else 0)  # the first n % k folds take one of the leftover rows each
        val = rows[start:start + size]
        train = torch.cat([rows[:start], rows[start + size:]])  # everything else: never the fold's own rows
        folds.append((train, val))
        start += size
    return folds


def time_split(times, val_fraction, test_fraction):
    """(train_rows, val_rows, test_rows): the earliest, the next, the latest rows."""
    n = times.numel()
    order = torch.argsort(times)  # row positions from the earliest to the latest
    n_test, n_val = round(test_fraction * n), round(val_fraction * n)
    cut = n - n_test - n_val
    return order[:cut], order[cut:n - n_test], order[n - n_test:]


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
