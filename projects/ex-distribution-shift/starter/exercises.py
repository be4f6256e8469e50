"""Detect drift per feature, and adapt batch norm without labels (lesson: distribution-shift).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on data you have not seen (recent values far beyond the training range,
a shift that leaves bins empty, batches of very different sizes) and compares with the answers.
"""

import torch


def psi(expected, actual, bins):
    """The population stability index of every feature of a recent window against the training data.

    expected: a float tensor (N, F), the training values; actual: a float tensor (M, F), the
    recent window; bins: the number of bins (10 in the lesson).
    For each feature: cut the training values into `bins` bins of equal training share (edges at
    the quantiles 0, 1/bins, ..., 1 of expected, torch.quantile's linear interpolation); clip
    both columns to [first edge, last edge]; count the share of each column in each bin (a value
    on an edge goes to the bin on its right, the last edge to the last bin, as np.histogram
    does); floor every share at 1e-4; and sum (a - e) * ln(a / e) over the bins.
    Returns a float tensor of shape (F,).
    """
    # TODO: per feature: edges from the training quantiles, clip, histogram both, shares, floor,
    # then the sum. The lesson's psi does it for one feature with numpy.
    raise NotImplementedError("psi is not written yet")


def reestimate_batchnorm(batches):
    """The running mean and variance of a batch-norm layer re-estimated on unlabelled batches.

    batches: a list of float tensors of shape (B_i, C), the new domain's inputs to the layer in
    the order they are fed (B_i >= 2; the last batch may be shorter).
    Returns (running_mean, running_var), two tensors of shape (C,): what nn.BatchNorm1d(C) holds
    after reset_running_stats(), momentum = None, and a forward pass over each batch in training
    mode (the lesson's AdaBN loop). Compute it yourself, without nn.BatchNorm1d or
    F.batch_norm (the grader refuses them).
    """
    # TODO: momentum = None keeps a plain average over the batches of each batch's statistics.
    # Which variance does batch norm keep for later: the one with n or with n - 1?
    raise NotImplementedError("reestimate_batchnorm is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
