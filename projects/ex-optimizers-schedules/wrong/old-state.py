"""The right step, but the old m and v handed back."""

import torch


def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    new_m = beta1 * m + (1 - beta1) * grad
    new_v = beta2 * v + (1 - beta2) * grad ** 2
    step = lr * (new_m / (1 - beta1 ** t)) / (torch.sqrt(new_v / (1 - beta2 ** t)) + eps)
    return param - step, m, v
