"""Rounds the number of positives to flag down: 3.5 positives become 3."""


def threshold_for_recall(scores, labels, target_recall):
    positives = scores[labels == 1].sort(descending=True).values
    k = max(1, int(target_recall * len(positives)))
    return float(positives[k - 1])
