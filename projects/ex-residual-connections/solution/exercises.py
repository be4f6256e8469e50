"""Layer normalization by hand, and a ResNet block whose shortcut changes shape (lesson: residual-connections):
a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch
import torch.nn.functional as F


def layer_norm(x, gamma, beta, eps):
    """Each example normalized over its last axis, then times gamma plus beta; shaped like x."""
    mean = x.mean(dim=-1, keepdim=True)  # (..., 1): one mean per example, over its own features
    var = x.var(dim=-1, unbiased=False, keepdim=True)  # divides by D, as nn.LayerNorm does
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta  # eps inside the root: a flat row gives beta


def basic_block(x, w1, w2, w_short, stride):
    """relu(body(x) + shortcut(x)) of a ResNet basic block: (B, C_out, H', W')."""
    h = F.relu(F.conv2d(x, w1, stride=stride, padding=1))  # (B, C_out, H', W'): the stride halves here
    body = F.conv2d(h, w2, padding=1)  # (B, C_out, H', W')
    shortcut = x if w_short is None else F.conv2d(x, w_short, stride=stride)  # 1x1 conv fixes the shape
    return F.relu(body + shortcut)  # add first, then the last ReLU


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
