"""Xavier or He by the activation, and the signal's size through a deep stack (lesson: weight-initialization):
a reference solution.

Grade it from this folder with:

    dlpath check
"""

import math

import torch


def init_scale(fan_in, fan_out, activation):
    """(std, bound) of He for ReLU, of Xavier for tanh and sigmoid."""
    if activation == "relu":
        variance = 2 / fan_in  # He: ReLU zeroes about half its inputs, so twice 1 / fan_in
    else:
        variance = 2 / (fan_in + fan_out)  # Xavier: balances the forward signal and the backward gradient
    std = math.sqrt(variance)
    return std, math.sqrt(3) * std  # uniform on [-a, a] has variance a ** 2 / 3


def activation_stds(x, weights, activation):
    """(L,) tensor: h.std() after each layer's activation."""
    act = torch.relu if activation == "relu" else torch.tanh
    h = x  # (B, width_0)
    stds = []
    for w in weights:  # w: (width_i, width_i+1)
        h = act(h @ w)  # (B, width_i+1)
        stds.append(h.std())
    return torch.stack(stds)


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
