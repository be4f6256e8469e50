"""One-hot columns, hours on a circle, a history feature without the future (lesson: feature-engineering).

Write the three functions below, then grade them from this folder:

    dlpath check

The grader calls them on records you have not seen (an unseen category, rows out of time order,
two purchases at the same moment) and compares with the right features.
"""

import math

import torch


def one_hot(values, categories):
    """One-hot encode a categorical column with the training data's categories.

    values: a list of N texts (or None for a missing value); categories: the list of K texts the
    training data had, in the order the columns must have. Returns a float32 tensor (N, K): row i
    has a 1 in the column of values[i] and 0 elsewhere; a value that is not one of the categories
    (unseen, or None) gets a row of zeros.
    """
    # TODO: the columns come from `categories`, never from the values you are given.
    raise NotImplementedError("one_hot is not written yet")


def hour_features(hours):
    """The hour of day as a point on a circle, so 23:50 and 00:10 end up close.

    hours: a float64 tensor (N,) of hours in [0, 24) (7.5 is 7:30). Returns a float64 tensor
    (N, 2): column 0 the sine and column 1 the cosine of the hour's angle on a 24-hour circle.
    """
    # TODO: turn each hour into an angle (one full turn per day), then take sin and cos.
    raise NotImplementedError("hour_features is not written yet")


def past_mean(customers, times, amounts):
    """Each purchase's customer average over the purchases made before it.

    customers: an int64 tensor (N,), the customer of each row; times: a float64 tensor (N,), when
    it happened; amounts: a float64 tensor (N,), how much was spent. The rows are in no
    particular order. Returns a float64 tensor (N,): for row i, the mean amount of the same
    customer's purchases with a time strictly before times[i]; 0 when there is none.
    """
    # TODO: for each row, choose the rows of the same customer that happened strictly earlier.
    raise NotImplementedError("past_mean is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
