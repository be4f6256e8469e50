"""Scaled dot-product attention with a mask, by hand (lesson: attention-transformers): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def causal_mask(T):
    """(T, T) bool: True at [i, j] when position i may look at position j (j <= i)."""
    return torch.ones(T, T, dtype=torch.bool).tril()


def attention(q, k, v, mask):
    """(..., Tq, dv): softmax(q k^T / sqrt(d)) v where the mask allows; zeros for a query that may look at nothing."""
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / d ** 0.5  # (..., Tq, Tk)
    scores = scores.masked_fill(~mask, float("-inf"))  # hidden keys get weight exp(-inf) = 0
    weights = scores.softmax(dim=-1).nan_to_num(0.0)  # a row of only -inf gives nan: no key, no weight
    return weights @ v  # (..., Tq, dv)


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
