"""The training loop that fit() hides, and gradients that add up (lesson: frameworks).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on data and starting weights you have not seen and compares with the
gradient's formula worked out by hand. Use autograd (backward) and torch.optim: that is what a
framework gives you.
"""

import torch


def train_linear(X, y, w, b, lr, steps):
    """Full-batch gradient descent on y ~ X @ w + b with the mean squared error, written out.

    X: float64 (N, F); y: float64 (N,); w: float64 (F,) and b: a float64 0-d tensor, the starting
    weights (do not change them: work on copies); lr: the learning rate; steps: how many steps
    (0 or more). Each step: compute the loss mean((X @ w + b - y) ** 2), record it, and take one
    torch.optim.SGD step. Returns (w, b, losses): the final weights and the tensor (steps,) of
    the losses recorded before each step.
    """
    # TODO: the loop fit() runs for you: forward, loss, zero the gradients, backward, step.
    raise NotImplementedError("train_linear is not written yet")


def accumulated_gradient(X, y, w, b, batch_size):
    """The gradient of the whole batch's mean squared error, built up from mini-batches.

    X, y, w, b as above (N rows). Go through the rows in order, batch_size at a time (the last
    mini-batch may be smaller), and call backward() once per mini-batch, letting the gradients
    add up in .grad. Returns (grad_w, grad_b): the gradient of mean((X @ w + b - y) ** 2) over
    all N rows with respect to w (F,) and b (0-d).
    """
    # TODO: each mini-batch's mean loss must count for its share of the N rows. Zero once.
    raise NotImplementedError("accumulated_gradient is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
