"""Softmax and log-sum-exp that never overflow (lesson: activation-functions).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls each function on hidden inputs (batches of any shape, scores of 1000 and of
-1000) and compares the answers with PyTorch's own. Use torch operations; do not call
torch.softmax, torch.logsumexp or log_softmax themselves, under any name (nn.Softmax neither):
the point is to see why they are written the way they are. The grader refuses them.
"""

import torch


def softmax(x):
    """Probabilities from scores, along the last axis.

    x: a float tensor of any shape (..., K); softmax(x)[..., i] = exp(x_i) / sum_j exp(x_j).
    Returns a tensor of the same shape; each row (last axis) is positive and sums to 1.
    It must work for scores of 1000 and of -1000: exp(1000) is inf in float32.
    """
    # TODO: adding the same number to every score of a row changes nothing (the lesson says why).
    # Use that to keep every exp between 0 and 1, then normalise each row by its own sum.
    raise NotImplementedError("softmax is not written yet")


def log_sum_exp(x):
    """log(sum(exp(x))) along the last axis, for scores of any size.

    x: a float tensor of any shape (..., K). Returns a tensor of shape (...): one number per row
    (a 0-d tensor for a 1-D x), like torch.logsumexp(x, dim=-1). A score of -inf counts as an
    option with probability 0.
    """
    # TODO: log(sum(exp(x))) = m + log(sum(exp(x - m))) for any number m: choose m so that no exp
    # can overflow, and remember to add it back.
    raise NotImplementedError("log_sum_exp is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
