"""Measure fairness by group, then mitigate it two ways (lesson: fairness-ethics).

Write the three functions below, then grade them from this folder:

    dlpath check

The grader calls them on people you have not seen: more than two groups, group ids that are
not 0 and 1, a group with no positive label, a group of one person.
"""

import torch


def fairness_gaps(y_true, y_pred, group):
    """The demographic-parity gap and the equal-opportunity gap of a classifier.

    y_true, y_pred: int64 tensors of shape (N,) of 0 and 1 (the truth and the decision).
    group: an int64 tensor of shape (N,), the group of each person (any integer ids).
    Returns (parity_gap, opportunity_gap), two floats: the largest minus the smallest positive
    rate across the groups, and the largest minus the smallest true-positive rate (recall). A
    group with no positive label has no TPR and is left out of the second gap; with fewer than
    two groups to compare, a gap is 0.
    """
    # TODO: compute each group's positive rate and TPR, then the spread (max - min) of each
    # across every group, not only the first two.
    raise NotImplementedError("fairness_gaps is not written yet")


def reweighing(group, y):
    """The reweighing weight of every example: P(g) * P(y) / P(g, y) for its group g and label y.

    group: an int64 tensor of shape (N,) of group ids; y: an int64 tensor of shape (N,) of labels
    0 and 1. Returns a float tensor of shape (N,). P(.) are shares of the N rows, so group and
    label are independent in the weighted data, and the weights average to 1.
    """
    # TODO: for every (group, label) cell that has rows, compute the share of its group, of its
    # label and of the cell itself, and give its rows P(g) P(y) / P(g, y).
    raise NotImplementedError("reweighing is not written yet")


def group_thresholds(scores, y_true, group, tpr):
    """Per-group thresholds chosen for equal opportunity: each group's TPR is about tpr.

    scores: a float tensor of shape (N,) of model scores; y_true: an int64 tensor (N,) of 0 and
    1; group: an int64 tensor (N,) of group ids, each group with at least one positive.
    tpr: the true-positive rate to aim at, between 0 and 1 (0.8 in the lesson).
    Returns a float tensor of shape (G,), one threshold per group in the order of
    torch.unique(group): the quantile at 1 - tpr (torch.quantile's linear interpolation) of the
    scores of that group's positives, so that a share tpr of them scores above it.
    """
    # TODO: for each group, keep the scores of its positives only and take the quantile that
    # leaves a share tpr of them above it.
    raise NotImplementedError("group_thresholds is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
