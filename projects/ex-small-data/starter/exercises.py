"""A flip that keeps labels true, a leave-one-out estimate, and what to label next (lesson: small-data).

Write the three functions below, then grade them from this folder:

    dlpath check

The grader calls them on images, examples and predictions you have not seen (an image one pixel
wide, a class with a single example, predictions of exactly 0 and 1, examples already asked)
and compares with the right answers.
"""

import torch

LEFT, RIGHT, UP, DOWN = 0, 1, 2, 3  # the labels of the arrow images


def flip_with_labels(images, labels):
    """Mirror arrow images left to right, with labels that stay true.

    images: a float tensor (B, C, H, W); labels: an int64 tensor (B,) of LEFT, RIGHT, UP, DOWN.
    Returns (flipped, new_labels): every image mirrored across its vertical axis (the width
    reversed), and each label as it is after the mirror.
    """
    # TODO: reverse the right axis, then ask what a mirror does to each direction.
    raise NotImplementedError("flip_with_labels is not written yet")


def leave_one_out(x, y):
    """Leave-one-out predictions of the lesson's nearest-prototype classifier, and its accuracy.

    x: a float tensor (N, D) of embeddings; y: an int64 tensor (N,) of their classes (each class
    has at least one example; one may have only one). For each example i: build each class's
    prototype (the mean of its examples) from the other N - 1 examples only, then predict the
    class whose prototype is nearest to x[i] (Euclidean distance). A class none of whose examples
    is left has no prototype and cannot be predicted.
    Returns (predictions, accuracy): an int64 tensor (N,), and the share of them equal to y, a float.
    """
    # TODO: for each example, prototypes without it, then the nearest one.
    raise NotImplementedError("leave_one_out is not written yet")


def most_uncertain(probs, asked, n):
    """Uncertainty sampling: the n examples an expert should label next.

    probs: (N, K) the model's predicted probabilities on the unlabelled pool (some exactly 0 or 1);
    asked: a bool tensor (N,), True for examples already labelled (never ask twice); n: how many
    to ask, at most the number not asked yet.
    Returns an int64 tensor (n,) of row numbers, the highest entropy -sum(p * log p) first, where
    0 * log 0 counts as 0.
    """
    # TODO: the entropy of each row, asked rows left out, the n highest.
    raise NotImplementedError("most_uncertain is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
