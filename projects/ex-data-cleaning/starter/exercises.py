"""Cleaning without leaks (lesson: data-cleaning).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on tables and patient lists you have not seen and checks the answers.
"""

import torch


def fill_missing(train, other):
    """Fill missing values (nan) with the median of the training rows, column by column.

    train: a (N, F) float64 tensor, the training rows; other: a (M, F) float64 tensor, rows of
    another split (validation, test, or new data). Returns (train_filled, other_filled): copies in
    which every nan is replaced by its column's median over the known (not nan) training values.
    For an even number of known values the median is the mean of the two middle ones, as
    np.nanmedian gives; a column with no known training value is filled with 0.
    """
    # TODO: the fill values come from the training rows only, and then go unchanged into both
    # tables: that is the whole point.
    raise NotImplementedError("fill_missing is not written yet")


def group_split(groups, test_fraction, seed):
    """Split rows into training and test rows so that no patient is on both sides.

    groups: an int64 tensor of shape (N,), the patient id of each row (any whole numbers, in any
    order). test_fraction: the share of patients (not rows) to put on the test side, rounded to
    a whole number of patients. seed: use it in a torch.Generator so the split can be repeated.
    Returns (train_rows, test_rows): two int64 tensors of row positions (0 to N - 1); every row is
    in exactly one of them.
    """
    # TODO: choose the test patients first, then take all of their rows.
    raise NotImplementedError("group_split is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
