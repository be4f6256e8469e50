"""A flip that keeps labels true, a leave-one-out estimate, and what to label next (lesson: small-data):
a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch

LEFT, RIGHT, UP, DOWN = 0, 1, 2, 3  # the labels of the arrow images


def flip_with_labels(images, labels):
    """(images mirrored along the width, labels with LEFT and RIGHT swapped)."""
    flipped = images.flip(-1)  # (B, C, H, W): W reversed, a mirror across the vertical axis
    mirror = torch.tensor([RIGHT, LEFT, UP, DOWN])  # what each direction becomes in the mirror
    return flipped, mirror[labels]  # up and down stay: a left-right mirror does not change them


def leave_one_out(x, y):
    """(predictions (N,), accuracy) of nearest-prototype classification, each example left out in turn."""
    n = len(y)
    predictions = torch.empty(n, dtype=torch.int64)
    for i in range(n):
        keep = torch.arange(n) != i  # every example but i: i must not vote for itself
        classes = y[keep].unique()  # a class whose only example is i has no prototype now
        prototypes = torch.stack([x[keep][y[keep] == c].mean(dim=0) for c in classes])  # (C, D)
        nearest = torch.cdist(x[i:i + 1], prototypes).argmin()  # Euclidean, as in the lesson
        predictions[i] = classes[nearest]
    return predictions, (predictions == y).float().mean().item()


def most_uncertain(probs, asked, n):
    """(n,) rows not asked yet, by decreasing entropy of the predicted probabilities."""
    entropy = -torch.special.xlogy(probs, probs).sum(dim=1)  # (N,): xlogy(0, 0) = 0, not nan
    entropy = entropy.masked_fill(asked, float("-inf"))  # never ask twice
    return entropy.topk(n).indices


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
