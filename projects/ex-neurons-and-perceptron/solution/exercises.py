"""The perceptron rule, and a layer of perceptrons (lesson: neurons-and-perceptron): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def perceptron_train(X, y, epochs):
    """(w, b, mistakes in the last epoch) after the perceptron rule, from zero weights."""
    w = torch.zeros(X.shape[1], dtype=X.dtype)  # (F,)
    b, mistakes = 0.0, 0
    for _ in range(epochs):  # the cap: on data no line separates, the rule never stops by itself
        mistakes = 0
        for xi, yi in zip(X, y.tolist()):
            pred = int(float(w @ xi) + b > 0)  # fire only if the weighted sum clears 0
            if pred != yi:  # learn only from mistakes
                w = w + (yi - pred) * xi  # +x for a missed 1, -x for a false alarm
                b += yi - pred
                mistakes += 1
        if mistakes == 0:
            break
    return w, b, mistakes


def perceptron_layer(X, W, b):
    """(N, out) of 0/1: each neuron's step of its weighted sum."""
    z = X @ W.T + b  # (N, out): one row of W per neuron
    return (z > 0).long()  # strictly above 0 fires


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
