"""Cleaning without leaks (lesson: data-cleaning): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def fill_missing(train, other):
    """(train_filled, other_filled): every nan replaced by its column's median over the known training values."""
    fill = torch.zeros(train.shape[1], dtype=train.dtype)  # (F,): 0 where a column has no known value
    for c in range(train.shape[1]):
        known = train[:, c][~torch.isnan(train[:, c])].sort().values
        n = known.numel()
        if n:
            fill[c] = (known[(n - 1) // 2] + known[n // 2]) / 2  # the two middle values (the same one if n is odd)
    return (torch.where(torch.isnan(train), fill, train),  # fill broadcasts down the rows
            torch.where(torch.isnan(other), fill, other))  # the training medians, unchanged


def group_split(groups, test_fraction, seed):
    """(train_rows, test_rows): row positions, every patient's rows on one side only."""
    patients = torch.unique(groups)  # (P,)
    order = torch.randperm(patients.numel(), generator=torch.Generator().manual_seed(seed))
    test_patients = patients[order[: round(test_fraction * patients.numel())]]
    in_test = torch.isin(groups, test_patients)  # (N,) bool: the rows of the chosen patients
    return torch.nonzero(~in_test).flatten(), torch.nonzero(in_test).flatten()


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
