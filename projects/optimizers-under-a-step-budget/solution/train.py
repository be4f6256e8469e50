"""Optimizers under a step budget: 100 steps to the bottom of a long, narrow valley (reference solution).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these functions; keep their names and arguments):

    make_optimizer(params) -> torch.optim.Optimizer
        params is the list of the model's parameters: the weight (1, 8) and the bias (1,)
        of a linear model x @ w + b. Build your optimizer over exactly these and return it.
    make_scheduler(optimizer) -> a learning-rate scheduler, or None    (optional)
        If this file defines it, dlpath calls scheduler.step() after every optimizer step.

dlpath runs the loop, not your code: the model starts at zero, and each of exactly 100 steps is
optimizer.zero_grad(), the mean squared error on all 500 training rows, backward(), optimizer.step().
Optimizers that need a closure (LBFGS) are refused: one gradient per step. The grade: the mean squared
error of the final weights on 4000 fresh rows (`dlpath show optimizers-under-a-step-budget` gives the
exact target). `dlpath run` shows the loss curve.
"""

import torch

LEARNING_RATE = 0.05  # Adam step size (1e-2 .. 1 all reach the bottom here; below 1e-2, 100 steps are too few)


def make_optimizer(params):
    # Adam divides each weight's step by a running size of that weight's own gradient, so a
    # weight of a feature measured in large units and one in small units both move at about
    # LEARNING_RATE per step: the narrow valley looks round to it. (SGD with momentum=0.9
    # and lr about 1e-3 to 3e-3 reaches the bottom too: it builds speed along the flat floor.)
    return torch.optim.Adam(params, lr=LEARNING_RATE)


def make_scheduler(optimizer):
    return None  # a fixed rate is enough for Adam here


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
