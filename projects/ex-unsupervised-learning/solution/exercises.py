"""One step of k-means, and its inertia (lesson: unsupervised-learning): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def kmeans_step(x, centres):
    """(labels, new_centres): each point's nearest centre, then each centre at its points' mean."""
    distances = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(dim=2)  # (N, K)
    labels = distances.argmin(dim=1)  # (N,): 1. assign
    new_centres = centres.clone()  # a centre no point chose keeps its place
    for j in range(centres.shape[0]):
        mine = x[labels == j]  # (n_j, D)
        if len(mine):
            new_centres[j] = mine.mean(dim=0)  # 2. update
    return labels, new_centres


def inertia(x, centres, labels):
    """Sum over points of the squared distance to their centre."""
    return float(((x - centres[labels]) ** 2).sum())  # centres[labels] is (N, D): each point's own centre


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
