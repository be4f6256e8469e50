"""A layer as one matrix product, and stacked linear layers collapsed into one (lesson: linear-algebra): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def linear_layer(X, W, b):
    """(N, out): X @ W.T + b."""
    return X @ W.T + b  # (N, in) @ (in, out) -> (N, out); b (out,) broadcasts down the rows


def collapse(weights):
    """(out_k, in_1): Wk @ ... @ W2 @ W1."""
    M = weights[0]  # (out_1, in_1)
    for W in weights[1:]:
        M = W @ M  # the new layer acts after the ones so far: it goes on the left
    return M


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
