"""One step of k-means, and its inertia (lesson: unsupervised-learning).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on points and centres you have not seen, including a centre that no
point chooses, and compares the answers.
"""

import torch


def kmeans_step(x, centres):
    """One assign step and one update step of k-means.

    x: a (N, D) float64 tensor of points; centres: a (K, D) float64 tensor. Returns
    (labels, new_centres): labels, an int64 tensor of shape (N,), the index of each point's
    nearest centre (squared Euclidean distance; the first one on a tie); new_centres, (K, D),
    each centre moved to the mean of the points that chose it. A centre that no point chose
    stays where it was.
    """
    # TODO: distances of every point to every centre, the nearest for each point, then a mean per
    # centre. Decide what happens to a centre with no points before it turns into nan.
    raise NotImplementedError("kmeans_step is not written yet")


def inertia(x, centres, labels):
    """The total squared distance from each point to its own centre: a float.

    x: (N, D) points; centres: (K, D); labels: (N,) int64, the centre of each point.
    """
    # TODO: line each point up with its centre, then square and sum.
    raise NotImplementedError("inertia is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
