"""The perceptron rule, and a layer of perceptrons (lesson: neurons-and-perceptron).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on gates and point clouds you have not seen (XOR among them) and
compares with the lesson's rule. The tensors work like NumPy arrays (x.numpy() gives one).
"""

import torch


def perceptron_train(X, y, epochs):
    """Train a perceptron with the lesson's rule and return (w, b, mistakes).

    X: a float64 tensor (N, F), one sample per row; y: an int64 tensor (N,) of 0s and 1s;
    epochs: the most epochs to run (0 or more). Start from w = zeros(F) and b = 0. In each
    epoch, visit the samples in order: predict 1 if w @ x + b > 0, else 0; on a mistake add
    (y - pred) * x to w and (y - pred) to b. Stop after an epoch without mistakes.
    Returns w (a float64 tensor (F,)), b (a number) and the number of mistakes made in the
    last epoch run (0 if no epoch ran).
    """
    # TODO: the lesson's loop, with the epoch cap as the outer loop and an early stop.
    raise NotImplementedError("perceptron_train is not written yet")


def perceptron_layer(X, W, b):
    """The outputs of a layer of perceptrons for a batch.

    X: a float64 tensor (N, F); W: (out, F), one row of weights per neuron; b: (out,).
    Returns an (N, out) tensor of 0s and 1s: 1 where the neuron's weighted sum w @ x + b is
    above 0, else 0.
    """
    # TODO: every neuron's weighted sum for every sample in one product, then the step.
    raise NotImplementedError("perceptron_layer is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
