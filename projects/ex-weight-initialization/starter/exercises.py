"""Xavier or He by the activation, and the signal's size through a deep stack (lesson: weight-initialization).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on layer sizes and stacks you have not seen (a layer of one input, stacks
whose signal explodes or vanishes, widths that change) and compares with the right answers.
"""

import math

import torch


def init_scale(fan_in, fan_out, activation):
    """The initialization a layer followed by `activation` calls for.

    fan_in, fan_out: the layer's numbers of inputs and outputs (whole numbers, at least 1).
    activation: "relu", "tanh" or "sigmoid".
    Returns (std, bound): the standard deviation s of the lesson's scheme for that activation (He
    for ReLU, Xavier for tanh and sigmoid), and the bound a of a uniform draw on [-a, a] with the
    same variance (a uniform draw on [-a, a] has variance a ** 2 / 3). Two floats.
    """
    # TODO: choose the scheme from the activation, take its variance from the lesson, then the
    # standard deviation, then the uniform bound with the same variance.
    raise NotImplementedError("init_scale is not written yet")


def activation_stds(x, weights, activation):
    """The spread of the signal after every layer of a stack, as in the lesson's experiment.

    x: (B, width_0) a batch of inputs. weights: a list of L matrices, weights[i] of shape
    (width_i, width_i+1): layer i computes h = act(h @ weights[i]) (no bias).
    activation: "relu" or "tanh".
    Returns a float tensor of shape (L,): entry i is h.std() (PyTorch's default, over every number
    of h) after layer i's activation.
    """
    # TODO: push x through the layers in order and record the spread after each one.
    raise NotImplementedError("activation_stds is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
