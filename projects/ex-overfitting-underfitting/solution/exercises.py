"""The best epoch from the curves, and underfitting or overfitting from the errors (lesson: overfitting-underfitting):
a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def best_epoch(train_losses, val_losses):
    """Index (from 0) of the lowest validation loss; nan epochs skipped, the earliest of a tie."""
    # only validation tells what generalizes: training loss keeps falling while the model memorizes
    losses = val_losses.tolist()
    best = None
    for epoch, loss in enumerate(losses):
        if loss != loss:  # nan: that epoch diverged, never the best
            continue
        if best is None or loss < losses[best]:  # strict <: a tie keeps the earlier epoch
            best = epoch
    return best


def diagnose(train_errors, val_errors, target):
    """["good" | "underfitting" | "overfitting"] for each model."""
    verdicts = []
    for train, val in zip(train_errors.tolist(), val_errors.tolist()):
        if val <= target:
            verdicts.append("good")  # validation decides; below the training error can be normal
        elif train > target:
            verdicts.append("underfitting")  # cannot even fit the data it trains on
        else:
            verdicts.append("overfitting")  # fits its training data, not new data
    return verdicts


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
