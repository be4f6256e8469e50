"""Updates the weights but never the bias."""

import torch


def perceptron_train(X, y, epochs):
    w = torch.zeros(X.shape[1], dtype=X.dtype)
    b, mistakes = 0.0, 0
    for _ in range(epochs):
        mistakes = 0
        for xi, yi in zip(X, y.tolist()):
            pred = int(float(w @ xi) + b > 0)
            if pred != yi:
                w = w + (yi - pred) * xi
                mistakes += 1
        if mistakes == 0:
            break
    return w, b, mistakes
