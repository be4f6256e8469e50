"""Cross-entropy from logits, and the KL divergence (lesson: loss-functions).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on logits and distributions you have not seen (a logit of 1000, a target
probability of 0) and compares with PyTorch's own losses. Do not call F.cross_entropy or
nn.CrossEntropyLoss (nor F.nll_loss): the point is to see what they compute, and the grader
refuses them. F.kl_div is allowed, if you mind what it takes.
"""

import torch


def cross_entropy(logits, target):
    """The mean cross-entropy of a batch, from raw scores.

    logits: a float32 tensor (N, K), one raw score per class for each example (no softmax
    applied). target: an int64 tensor (N,), the right class of each example. Returns a 0-d
    tensor: the mean over the N examples of -log(softmax(logits)[target]). It must stay right
    (and finite) for logits of 1000.
    """
    # TODO: the log of a softmax probability is the logit minus the row's log-sum-exp. Compute
    # it without ever taking exp of a large number, then average over the batch.
    raise NotImplementedError("cross_entropy is not written yet")


def kl_divergence(p, q):
    """KL(p || q) along the last axis: how much the distribution q misses the target p.

    p, q: float64 tensors of the same shape (..., K), each row a probability distribution; q is
    above 0 wherever p is. Returns a tensor of shape (...): sum over the last axis of
    p * log(p / q), where a term with p = 0 counts as 0. A 1-D p and q give a 0-d tensor.
    """
    # TODO: the lesson's formula, with the p = 0 terms kept out: 0 * log(0) is nan in floats.
    raise NotImplementedError("kl_divergence is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
