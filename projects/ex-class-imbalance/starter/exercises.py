"""Class weights, a balanced sampler's weights, and the threshold for a target recall (lesson: class-imbalance).

Write the three functions below, then grade them from this folder:

    dlpath check

The grader calls them on labels and scores you have not seen (a class with no example, 2%
positives, a recall of 1) and compares with the right answers.
"""

import math

import torch


def class_weights(labels, num_classes):
    """The weight= of nn.CrossEntropyLoss that balances the classes.

    labels: an int64 tensor (N,) of classes from 0 to num_classes - 1 (a class may have no
    example at all). Returns a float tensor (num_classes,): N / (num_classes * count of class c)
    for class c, so that balanced data gets weights of 1, and 0 for a class with no example.
    """
    # TODO: count every class (the absent ones too), then weigh each inversely to its count.
    raise NotImplementedError("class_weights is not written yet")


def sampler_weights(labels, num_classes):
    """The probability of drawing each example, for a WeightedRandomSampler that balances batches.

    labels: an int64 tensor (N,) as above. Returns a float tensor (N,) that sums to 1, in which
    each example's probability is inversely proportional to the size of its class: every class
    that has examples is then drawn equally often.
    """
    # TODO: the lesson's 1 / (size of its class) for each example, then make them sum to 1.
    raise NotImplementedError("sampler_weights is not written yet")


def threshold_for_recall(scores, labels, target_recall):
    """The threshold that finds the share of positives asked for, with as few alerts as possible.

    scores: a float tensor (N,) of scores, higher meaning more likely positive; labels: an int64
    tensor (N,) of 0 and 1 with at least one 1; target_recall: a number in (0, 1]. An example is
    flagged when score >= threshold, and recall is the share of the positives flagged.
    Returns the highest threshold whose recall is at least target_recall, as a float (it is
    always one of the positives' scores).
    """
    # TODO: work out how many positives must be flagged, then which score flags exactly those.
    raise NotImplementedError("threshold_for_recall is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
