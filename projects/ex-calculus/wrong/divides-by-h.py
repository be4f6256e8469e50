"""Centred, but divided by h instead of 2h: twice the gradient."""

import torch


def numerical_gradient(f, x, h=1e-5):
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        plus, minus = x.clone(), x.clone()
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus) - f(minus)) / h
    return grad
