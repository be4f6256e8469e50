"""Tables and plots for a model (lesson: python-for-dl): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def to_float32(df, columns):
    """(len(df), len(columns)) float32 array; each gap filled with its column's median (0 if none is known)."""
    chosen = df[columns]  # a new DataFrame, in the order asked: filling it leaves df alone
    filled = chosen.fillna(chosen.median()).fillna(0)  # median() skips NaN; an all-NaN column's median is NaN
    return filled.to_numpy(dtype=np.float32)  # pandas' default is float64; models compute in float32


def group_summary(df, by, column):
    """A DataFrame indexed by group: size (rows), count (known values), mean (of the known values)."""
    return df.groupby(by)[column].agg(["size", "count", "mean"])  # groupby drops rows whose `by` is missing


def plot_losses(train_losses, test_losses, test_every):
    """The Axes of a new figure with the two curves drawn at the epochs they were measured at."""
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(train_losses) + 1)  # the first loss is measured after epoch 1, not at 0
    test_epochs = test_every * np.arange(1, len(test_losses) + 1)  # every test_every epochs
    ax.plot(epochs, train_losses, label="train")
    ax.plot(test_epochs, test_losses, label="test", marker="o")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
