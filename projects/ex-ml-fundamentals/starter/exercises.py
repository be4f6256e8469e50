"""The folds of k-fold cross-validation, and a split that trains on the past (lesson: ml-fundamentals).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on sizes and timestamps you have not seen and checks the splits.
"""

import torch


def kfold(n, k):
    """The k folds of k-fold cross-validation over rows 0 to n - 1.

    n, k: whole numbers, 2 <= k <= n. Returns a list of k pairs (train_rows, val_rows), each an
    int64 tensor of row positions: the k validation parts together hold every row exactly once,
    their sizes differ by one row at most, and each fold's training rows are all the rows
    outside its validation rows. (Which rows go in which fold is your choice.)
    """
    # TODO: cut 0..n-1 into k blocks of nearly equal size; when k does not divide n, some blocks
    # get one row more. Each block validates once; the rest trains.
    raise NotImplementedError("kfold is not written yet")


def time_split(times, val_fraction, test_fraction):
    """Split time-stamped rows so the model trains on the past and is tested on the future.

    times: a float64 tensor (N,) of distinct timestamps, one per row, in no particular order.
    Returns (train_rows, val_rows, test_rows), int64 tensors of row positions (0 to N - 1):
    the test rows are the round(test_fraction * N) latest rows, the validation rows the
    round(val_fraction * N) rows just before them, and the training rows all the earlier ones.
    """
    # TODO: the positions from the earliest row to the latest, then three consecutive pieces.
    raise NotImplementedError("time_split is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
