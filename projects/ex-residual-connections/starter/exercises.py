"""Layer normalization by hand, and a ResNet block whose shortcut changes shape (lesson: residual-connections).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on tensors you have not seen (a batch of one, a row of equal features,
images halved by a stride of 2, an odd image size) and compares with the right answers. Do not
call nn.LayerNorm or F.layer_norm (nor F.group_norm): they are what you are rebuilding, and the
grader refuses them.
"""

import torch
import torch.nn.functional as F


def layer_norm(x, gamma, beta, eps):
    """Layer normalization over the last axis, with a learned scale and shift.

    x: a float tensor (..., D): any number of leading axes (examples, positions), D features.
    gamma, beta: (D,) the scale and the shift; eps: a small positive number.
    Returns a tensor shaped like x: each example's D features minus their mean, divided by
    sqrt(their variance + eps), where the variance divides by D (as nn.LayerNorm does); then
    times gamma, plus beta.
    """
    # TODO: normalize each example over its own features, as in the lesson's "by hand" check.
    raise NotImplementedError("layer_norm is not written yet")


def basic_block(x, w1, w2, w_short, stride):
    """The forward pass of the lesson's ResNet basic block (without its batch normalization).

    x: (B, C_in, H, W) images. w1: (C_out, C_in, 3, 3) and w2: (C_out, C_out, 3, 3), the weights
    of the two 3x3 convolutions (no bias, padding 1); the first has the given stride (1 or 2).
    w_short: None when the block keeps the shape (stride 1, C_out == C_in), so the shortcut is x
    itself; otherwise (C_out, C_in, 1, 1), the weights of the 1x1 convolution (same stride) that
    fixes the shortcut's shape.
    Returns relu(body(x) + shortcut(x)), body being conv, relu, conv: (B, C_out, H', W').
    """
    # TODO: the body, the shortcut that fits its shape, their sum, and the last ReLU.
    raise NotImplementedError("basic_block is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
