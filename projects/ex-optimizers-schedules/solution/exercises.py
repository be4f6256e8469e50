"""One Adam step by hand, and a warmup-then-cosine schedule (lesson: optimizers-schedules): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import math

import torch


def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """(new_param, new_m, new_v) after one Adam step number t (from 1)."""
    m = beta1 * m + (1 - beta1) * grad  # momentum: the running average of the gradient
    v = beta2 * v + (1 - beta2) * grad ** 2  # RMSprop: the running average of its square
    m_hat = m / (1 - beta1 ** t)  # both averages start at 0 and lean towards it early on:
    v_hat = v / (1 - beta2 ** t)  # dividing by (1 - beta ** t) removes that lean
    return param - lr * m_hat / (torch.sqrt(v_hat) + eps), m, v


def learning_rate(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    """Linear warmup to base_lr, then a cosine from base_lr down to min_lr at total_steps."""
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps  # step 0 already moves: never a rate of 0
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))  # 0 -> 1, then stays 1
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
