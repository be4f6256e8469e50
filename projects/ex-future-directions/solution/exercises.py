"""Fit a scaling law in log-log space, and read what it promises (lesson: future-directions).

A reference solution. Grade it from this folder with:

    dlpath check
"""

import torch


def fit_power_law(sizes, losses):
    """(a, b) of loss = a * size^(-b): a least-squares line through (log size, log loss)."""
    x, y = sizes.double().log(), losses.double().log()  # natural logs: exp undoes them
    dx = x - x.mean()
    slope = (dx * (y - y.mean())).sum() / (dx * dx).sum()
    intercept = y.mean() - slope * x.mean()
    return float(intercept.exp()), float(-slope)  # the loss falls, so the slope is -b


def size_for_loss(a, b, target):
    """size = (a / target) ** (1 / b): the law solved for the size."""
    return (a / target) ** (1 / b)


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
