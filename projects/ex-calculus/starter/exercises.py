"""Check a gradient with centred differences (lesson: calculus).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on functions and points you have not seen (float64 tensors) and compares
with the exact gradient from autograd. Do not use autograd here: the point of a numerical
gradient is to check autograd, or your own calculus, from the outside.
"""

import torch


def numerical_gradient(f, x, h=1e-5):
    """The gradient of f at x, by centred differences.

    f: a function of a 1-D float64 tensor that returns a number (a 0-d tensor). The grader's f is
    measured from the outside, as a numerical gradient's usually is: you can call it, but autograd
    sees a constant (its gradient would be zeros or an error).
    x: a 1-D float64 tensor of n values; h: the size of the nudge.
    Returns a tensor shaped like x whose element i is (f(x + h e_i) - f(x - h e_i)) / (2 h),
    where e_i is 1 at position i and 0 elsewhere. x itself must be unchanged afterwards.
    """
    # TODO: for each position i, build x nudged up by h at i and x nudged down by h at i (on
    # copies of x), evaluate f at both, and divide the difference by the distance between them.
    raise NotImplementedError("numerical_gradient is not written yet")


def relative_error(a, b):
    """How far apart two gradients are, relative to their size: a number from 0 up.

    a, b: two float64 tensors of the same shape. Returns |a - b| / max(|a|, |b|), where |.| is
    the Euclidean norm (torch.linalg.norm, or t.norm()); 0.0 when both are all zeros. Below
    about 1e-7, two gradients agree.
    """
    # TODO: an absolute difference means nothing without a scale: divide by the larger norm, and
    # think about what two all-zero gradients should give.
    raise NotImplementedError("relative_error is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
