"""A layer as one matrix product, and stacked linear layers collapsed into one (lesson: linear-algebra).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on batches and weights you have not seen (square and rectangular, one
feature, an empty batch) and compares with PyTorch's own nn.Linear arithmetic. Use @ and .T;
do not call torch.nn.functional.linear.
"""

import torch


def linear_layer(X, W, b):
    """A batch through a linear layer, the way nn.Linear computes it.

    X: a float64 tensor (N, in), one sample per row (N may be 0). W: (out, in), one row per
    neuron, as nn.Linear stores its weight. b: (out,), one bias per neuron.
    Returns (N, out): row i holds every neuron's weighted sum of sample i, plus its bias.
    """
    # TODO: one matrix product for the whole batch. Write the shapes down first:
    # (N, in) and (out, in) must meet on their `in` sides.
    raise NotImplementedError("linear_layer is not written yet")


def collapse(weights):
    """The one matrix equal to linear layers (no bias) applied in turn.

    weights: a list of float64 tensors [W1, W2, ..., Wk], layer i of shape (out_i, in_i), with
    in_(i+1) = out_i; W1 acts first. Returns M of shape (out_k, in_1) such that applying M to
    any x gives the same as applying W1, then W2, ..., then Wk.
    """
    # TODO: applying W1 then W2 is W2 @ (W1 @ x). Which side does each new layer go on?
    raise NotImplementedError("collapse is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
