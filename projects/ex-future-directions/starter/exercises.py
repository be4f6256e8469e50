"""Fit a scaling law in log-log space, and read what it promises (lesson: future-directions).

Scaling laws say how the loss falls as a model (or its data, or its compute) grows: over a wide
range it follows a power law, loss = a * size^(-b), a straight line on log-log axes. Fitting one
to a few small runs lets you plan a large one before you pay for it.

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on runs you have not seen (exact laws, noisy ones, two runs only, sizes
from a million to ten billion) and compares with the answers.
"""

import torch


def fit_power_law(sizes, losses):
    """Fit loss = a * size^(-b) by least squares on a straight line in log-log space.

    sizes, losses: float tensors of shape (n,), n >= 2, all positive, sizes not all equal.
    Returns (a, b), two floats: the line log(loss) = log(a) - b * log(size) that minimizes the
    squared error of log(loss).
    """
    # TODO: take logs of both, fit the straight line (slope and intercept), then turn the slope
    # and the intercept back into b and a.
    raise NotImplementedError("fit_power_law is not written yet")


def size_for_loss(a, b, target):
    """The size at which the law loss = a * size^(-b) reaches a target loss.

    a, b: the law's numbers (b > 0); target: the loss you want (positive).
    Returns a float: the size (parameters, tokens, ...) that the law says gives that loss.
    """
    # TODO: solve target = a * size^(-b) for size.
    raise NotImplementedError("size_for_loss is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
