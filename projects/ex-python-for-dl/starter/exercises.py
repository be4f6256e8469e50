"""Tables and plots for a model (lesson: python-for-dl).

Write the three functions below, then grade them from this folder:

    dlpath check

The grader calls each function on tables and loss curves you have not seen (missing values, odd
column orders, a single epoch) and reads your figure back from the Axes you return. You need
pandas and Matplotlib: pip install pandas matplotlib.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def to_float32(df, columns):
    """The chosen columns of a table as a model's inputs.

    df: a pandas DataFrame (numbers and texts; some numbers are missing, NaN). columns: a list of
    column names, all numeric. Returns a NumPy array of dtype float32 and shape
    (len(df), len(columns)): one row per row of df, the columns in the order asked. A missing
    value is replaced by the median of its column's known values; a column with no known value
    at all is filled with 0. df itself must not change.
    """
    # TODO: select the columns, fill each one's gaps with its own median, and convert: a model
    # wants float32, and pandas gives float64 unless you ask.
    raise NotImplementedError("to_float32 is not written yet")


def group_summary(df, by, column):
    """For each group of rows sharing a value of column `by`: how many rows, how many known values, their mean.

    df: a pandas DataFrame; by, column: column names (`column` is numeric, some values missing).
    Returns a DataFrame indexed by the values of `by`, with three columns: "size" (the group's
    rows), "count" (the rows whose `column` value is known) and "mean" (the mean of the known
    values). Rows whose `by` value is missing belong to no group; every group has at least one
    known value. (A dict {"size": {group: n}, "count": {...}, "mean": {...}} is accepted too.)
    """
    # TODO: group the rows, then compute the three summaries of the column for each group. pandas
    # has a name for each of them.
    raise NotImplementedError("group_summary is not written yet")


def plot_losses(train_losses, test_losses, test_every):
    """Draw a training run's learning curves on a new figure, and return its Axes.

    train_losses: a list of N floats, the training loss after epochs 1, 2, ..., N. test_losses: a
    list of floats, the loss on the test examples, measured every `test_every` epochs (after
    epochs test_every, 2 * test_every, ...). Draw two lines against the epoch: the training
    losses, labelled "train", and the test losses, labelled "test"; show a legend; label the x
    axis with a text naming the epoch and the y axis with one naming the loss.
    Return the Axes (ax of fig, ax = plt.subplots()).
    """
    # TODO: each point must sit at the epoch it was measured at, so give ax.plot the x values
    # too. Label both lines, add the legend, name the axes.
    raise NotImplementedError("plot_losses is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
