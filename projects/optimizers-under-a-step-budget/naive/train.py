"""Optimizers under a step budget: 100 steps to the bottom of a long, narrow valley (naive baseline: plain SGD at its best fixed rate, which must fail).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these functions; keep their names and arguments):

    make_optimizer(params) -> torch.optim.Optimizer
        params is the list of the model's parameters: the weight (1, 8) and the bias (1,)
        of a linear model x @ w + b. Build your optimizer over exactly these and return it.
    make_scheduler(optimizer) -> a learning-rate scheduler, or None    (optional)
        If this file defines it, dlpath calls scheduler.step() after every optimizer step.

dlpath runs the loop, not your code: the model starts at zero, and each of exactly 100
steps is optimizer.zero_grad(), the mean squared error on all 500 training rows,
backward(), optimizer.step(). Optimizers that need a closure (LBFGS) are refused: one
gradient per step. The grade: the mean squared error of the final weights on 4000 fresh
rows (`dlpath show optimizers-under-a-step-budget` gives the exact target). `dlpath run` shows the loss curve.
"""

import torch

# The best fixed rate for plain SGD, found on a grid (1e-4 .. 3e-3): 2.2e-3 and above diverge.
LEARNING_RATE = 2e-3  # step size (plain SGD here: 1e-5 .. 2e-3)


def make_optimizer(params):
    return torch.optim.SGD(params, lr=LEARNING_RATE)


def make_scheduler(optimizer):
    return None
