"""One Adam step by hand, and a warmup-then-cosine schedule (lesson: optimizers-schedules).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader compares adam_step with torch.optim.Adam's own step, on states you have not seen,
and learning_rate with the schedule at steps chosen to be awkward.
"""

import math

import torch


def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam update of one parameter tensor.

    param, grad, m, v: float64 tensors of the same shape: the weights, their gradient, and Adam's
    running averages of the gradient (m) and of its square (v) after t - 1 steps (zeros before
    the first). t: the number of this step, from 1. Returns (new_param, new_m, new_v), as
    torch.optim.Adam would leave them; the inputs themselves must not change.
    """
    # TODO: update the two averages, correct them for starting at zero, then step each weight by
    # lr times the corrected m over (the square root of the corrected v, plus eps).
    raise NotImplementedError("adam_step is not written yet")


def learning_rate(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    """The learning rate at step `step` (0, 1, 2, ...): a linear warmup, then a cosine decay.

    Warmup, for step < warmup_steps: base_lr * (step + 1) / warmup_steps, so the last warmup step
    reaches base_lr. Then, with progress = (step - warmup_steps) / (total_steps - warmup_steps)
    capped at 1: min_lr + (base_lr - min_lr) * (1 + cos(pi * progress)) / 2, from base_lr down to
    min_lr at total_steps, and min_lr from then on. Returns a float.
    """
    # TODO: the two phases; test it at step 0, at the peak, at the end and past it, and with no
    # warmup at all.
    raise NotImplementedError("learning_rate is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
