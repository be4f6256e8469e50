"""Divides each mini-batch's loss by the number of mini-batches, whatever its size."""

import math

import torch


def accumulated_gradient(X, y, w, b, batch_size):
    w = w.clone().requires_grad_()
    b = b.clone().requires_grad_()
    count = math.ceil(len(y) / batch_size)
    for start in range(0, len(y), batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        (((xb @ w + b - yb) ** 2).mean() / count).backward()
    return w.grad, b.grad
