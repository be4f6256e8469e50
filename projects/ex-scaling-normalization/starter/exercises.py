"""Scale with the training statistics only (lesson: scaling-normalization).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on tables you have not seen, including new rows far outside the
training range and a column that never changes, and compares the answers.
"""

import torch


def standardize(train, other):
    """Z-scores, column by column, with the training rows' mean and standard deviation.

    train: a (N, F) float64 tensor, the training rows; other: a (M, F) float64 tensor of another
    split. Returns (train_scaled, other_scaled): (t - mean) / std for each table, where mean and
    std (t.std, as in the lesson; correction=0 is accepted too) are computed on train alone, one
    per column. A column whose training values are all equal becomes all zeros.
    """
    # TODO: fit on train, apply the same numbers to both; decide what a spread of 0 turns into.
    raise NotImplementedError("standardize is not written yet")


def min_max_scale(train, other):
    """Map each column's training minimum to 0 and training maximum to 1.

    train, other: (N, F) and (M, F) float64 tensors. Returns (train_scaled, other_scaled):
    (t - lo) / (hi - lo) with lo and hi the training column's minimum and maximum. Other rows may
    land below 0 or above 1; a column that never changes in training becomes all zeros.
    """
    # TODO: the same idea as standardize, with another shift and another spread.
    raise NotImplementedError("min_max_scale is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
