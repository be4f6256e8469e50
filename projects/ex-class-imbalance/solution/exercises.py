"""Class weights, a balanced sampler's weights, and the threshold for a target recall (lesson: class-imbalance):
a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def class_weights(labels, num_classes):
    """(num_classes,): N / (num_classes * count), 0 for a class with no example."""
    counts = torch.bincount(labels, minlength=num_classes).double()  # (K,): absent classes count 0
    weights = len(labels) / (num_classes * counts.clamp_min(1))  # rare classes weigh more
    return torch.where(counts > 0, weights, torch.zeros_like(weights))  # no example: 0, not inf


def sampler_weights(labels, num_classes):
    """(N,) probabilities summing to 1, each inversely proportional to its class's size."""
    counts = torch.bincount(labels, minlength=num_classes).double()  # (K,)
    per_example = 1.0 / counts[labels]  # (N,): every example's class has count >= 1
    return per_example / per_example.sum()  # each present class now totals the same share


def threshold_for_recall(scores, labels, target_recall):
    """The k-th highest positive score, k the fewest positives that reach target_recall."""
    positives = scores[labels == 1].sort(descending=True).values  # (P,)
    p = len(positives)
    k = next(k for k in range(1, p + 1) if k / p >= target_recall)  # fewest flags that reach the target
    return float(positives[k - 1])  # score >= this flags those k (and any negative above it)


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
