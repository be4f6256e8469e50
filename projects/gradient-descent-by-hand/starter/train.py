"""Gradient descent by hand: fit y = x @ w + b with gradients you derive.

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    gradients(w, b, x, y) -> (grad_w, grad_b)
        The gradient of the loss  L = mean((x @ w + b - y) ** 2)  with respect to w
        (shape (F,)) and b (a 0-d tensor), for x of shape (N, F) and y of shape (N,).
        The grader compares it with autograd's answer on random inputs, and times it on
        2048 features against 64 (as many numbers in x): derived, it costs about the same.
    train(data, log) -> (w, b)
        data.x_train (N, F) float32, data.y_train (N,), and data.x_val, data.y_val.
        Walk downhill with your gradients and return the final w and b.
        log(epoch=..., train_loss=..., val_loss=...) records your learning curves.

The rules: no autograd (.backward(), torch.autograd) and no torch.optim anywhere; the
grader counts them. The grade: mean squared error on 2000 fresh points, the gradient
check, and those rules (`dlpath show gradient-descent-by-hand` lists the exact targets).
"""

import torch

LEARNING_RATE = 0.1  # step size (0.001 .. 0.5 here; too large and the loss explodes)
STEPS = 200  # gradient steps over the whole training set
LOG_EVERY = 10  # steps between two points of the learning curves


def predict(w, b, x):
    return x @ w + b  # (N, F) @ (F,) -> (N,)


def mse(w, b, x, y):
    return ((predict(w, b, x) - y) ** 2).mean()


def gradients(w, b, x, y):
    # TODO: return the gradient of mse(w, b, x, y) with respect to w and to b.
    # Write the error e = x @ w + b - y; the loss is the mean of e squared. Work out, on
    # paper first, how the loss changes when one weight w_j moves a little (the chain
    # rule: through e), then write that for all of w at once with a matrix product.
    # grad_w must have the shape of w (F,), grad_b the shape of b (a single number).
    # Until then these zeros tell the loop "the ground is flat", so nothing moves.
    grad_w = torch.zeros_like(w)
    grad_b = torch.zeros_like(b)
    return grad_w, grad_b


def train(data, log):
    x, y = data.x_train, data.y_train  # (N, F), (N,)
    w = torch.zeros(x.shape[1])
    b = torch.zeros(())
    for step in range(STEPS):
        grad_w, grad_b = gradients(w, b, x, y)
        # TODO: take one step downhill: move w and b a little AGAINST their gradients,
        # scaled by LEARNING_RATE. (The gradient points uphill, where the loss grows.)
        if step % LOG_EVERY == 0 or step == STEPS - 1:
            log(epoch=step, train_loss=mse(w, b, x, y).item(), val_loss=mse(w, b, data.x_val, data.y_val).item())
    return w, b


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
