"""Zeroes the gradients before every mini-batch, as in a training loop: only the last one is left."""

import torch


def accumulated_gradient(X, y, w, b, batch_size):
    w = w.clone().requires_grad_()
    b = b.clone().requires_grad_()
    for start in range(0, len(y), batch_size):
        w.grad, b.grad = None, None
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        (((xb @ w + b - yb) ** 2).mean() * (len(yb) / len(y))).backward()
    return w.grad, b.grad
