"""The loop without optimizer.zero_grad(): gradients pile up from step to step."""

import torch


def train_linear(X, y, w, b, lr, steps):
    w = w.clone().requires_grad_()
    b = b.clone().requires_grad_()
    optimizer = torch.optim.SGD([w, b], lr=lr)
    losses = []
    for _ in range(steps):
        loss = ((X @ w + b - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    return w.detach(), b.detach(), torch.tensor(losses, dtype=torch.float64)
