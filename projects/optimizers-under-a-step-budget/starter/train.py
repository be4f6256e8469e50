"""Optimizers under a step budget: 100 steps to the bottom of a long, narrow valley.

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
rows (`dlpath show optimizers-under-a-step-budget` gives the exact target). `dlpath run`
shows the loss curve.
"""

import torch

LEARNING_RATE = 1e-4  # step size (plain SGD here: 1e-5 .. 1e-3; Adam: 1e-3 .. 1)


def make_optimizer(params):
    # TODO: plain SGD walks straight down the gradient. The eight features come in very
    # different units, so the loss is a valley far steeper in some directions than in
    # others: a rate small enough for the steep walls (a larger one diverges) barely moves
    # the weights along the flat floor, and 100 steps run out first. Find the best rate
    # for SGD first (the loss curve shows it), then try what the lesson offers: momentum
    # (torch.optim.SGD(params, lr=..., momentum=0.9)), which gathers speed where the
    # gradient keeps pointing the same way, or Adam, which gives each weight its own
    # step size (its learning rate is on another scale: try 1e-3 to 1).
    return torch.optim.SGD(params, lr=LEARNING_RATE)


def make_scheduler(optimizer):
    # Optional: a schedule, e.g. torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=100),
    # stepped once after each of the 100 steps. None keeps the rate fixed.
    return None


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
