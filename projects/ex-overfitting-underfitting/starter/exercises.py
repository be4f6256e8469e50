"""The best epoch from the curves, and underfitting or overfitting from the errors (lesson: overfitting-underfitting).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on curves and errors you have not seen (a curve still falling, an epoch
that diverged to nan, a tie, a model whose validation error is below its training error) and
compares with the right answers.
"""

import torch


def best_epoch(train_losses, val_losses):
    """The epoch to keep: the one whose validation loss is lowest.

    train_losses, val_losses: float tensors of shape (E,), one loss per epoch (E >= 1); an epoch
    may have a nan validation loss (training diverged there for a moment) and is then never the
    best. At least one validation loss is a number.
    Returns the epoch's index, counted from 0, as an int. Among epochs that tie for the lowest
    validation loss, the earliest.
    """
    # TODO: read the right curve, leave out the nan epochs, and keep the first of the lowest.
    raise NotImplementedError("best_epoch is not written yet")


def diagnose(train_errors, val_errors, target):
    """The lesson's verdict for each of M models, from its training and validation errors.

    train_errors, val_errors: float tensors of shape (M,); target: the error you would accept.
    Returns a list of M strings, each "good" (validation error at or below target, whatever the
    training error), "underfitting" (otherwise, with a training error above target: the model
    cannot even fit its training data) or "overfitting" (otherwise: it fits its training data,
    not new data).
    """
    # TODO: decide each model in the order the docstring gives.
    raise NotImplementedError("diagnose is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
