"""Indexes the sorted positive scores with k instead of k - 1."""

import math


def threshold_for_recall(scores, labels, target_recall):
    positives = scores[labels == 1].sort(descending=True).values
    k = math.ceil(target_recall * len(positives))
    return float(positives[min(k, len(positives) - 1)])
