"""The training loop that fit() hides, and gradients that add up (lesson: frameworks): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def train_linear(X, y, w, b, lr, steps):
    """(w, b, losses) after `steps` SGD steps on the mean squared error."""
    w = w.clone().requires_grad_()  # copies: the caller's tensors stay as they were
    b = b.clone().requires_grad_()
    optimizer = torch.optim.SGD([w, b], lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()  # backward() adds into .grad: clear last step's gradient first
        loss = ((X @ w + b - y) ** 2).mean()  # forward and loss
        losses.append(loss.item())  # the metric fit() would print
        loss.backward()  # autograd fills w.grad and b.grad
        optimizer.step()  # w -= lr * w.grad, b -= lr * b.grad
    return w.detach(), b.detach(), torch.tensor(losses, dtype=torch.float64)


def accumulated_gradient(X, y, w, b, batch_size):
    """(grad_w, grad_b) of the whole batch's mean squared error, from mini-batches."""
    w = w.clone().requires_grad_()
    b = b.clone().requires_grad_()
    n = len(y)
    for start in range(0, n, batch_size):  # .grad starts empty: nothing to zero
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        loss = ((xb @ w + b - yb) ** 2).mean() * (len(yb) / n)  # its share of the whole batch's mean
        loss.backward()  # adds into w.grad and b.grad
    return w.grad, b.grad


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
