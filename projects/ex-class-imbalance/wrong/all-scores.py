"""The k-th highest score among all examples, negatives included."""

import math


def threshold_for_recall(scores, labels, target_recall):
    p = int((labels == 1).sum())
    k = math.ceil(target_recall * p)
    return float(scores.sort(descending=True).values[k - 1])
