"""Check a gradient with centred differences (lesson: calculus): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def numerical_gradient(f, x, h=1e-5):
    """The gradient of f at x, by centred differences (a tensor shaped like x; x is left unchanged)."""
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        plus, minus = x.clone(), x.clone()  # copies: the caller's x never moves
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus) - f(minus)) / (2 * h)  # the two points are 2h apart
    return grad


def relative_error(a, b):
    """|a - b| / max(|a|, |b|), and 0.0 when both are all zeros."""
    scale = max(float(a.norm()), float(b.norm()))  # the larger norm: the same answer in either order
    if scale == 0.0:
        return 0.0  # two zero gradients agree exactly
    return float((a - b).norm()) / scale


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
