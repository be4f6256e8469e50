"""Softmax and log-sum-exp that never overflow (lesson: activation-functions): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def softmax(x):
    """Probabilities from scores, along the last axis (same shape as x; each row sums to 1)."""
    m = x.max(dim=-1, keepdim=True).values  # (..., 1): the row's largest score
    e = torch.exp(x - m)  # (..., K): every value in (0, 1], the largest exactly 1
    return e / e.sum(dim=-1, keepdim=True)  # the sum is at least 1: never 0, never inf


def log_sum_exp(x):
    """log(sum(exp(x))) along the last axis: shape (...), one number per row."""
    m = x.max(dim=-1, keepdim=True).values  # (..., 1)
    return m.squeeze(-1) + torch.log(torch.exp(x - m).sum(dim=-1))  # (...)


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
