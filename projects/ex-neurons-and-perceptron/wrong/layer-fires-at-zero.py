"""A layer whose neurons fire on a weighted sum of 0 or more."""


def perceptron_layer(X, W, b):
    return (X @ W.T + b >= 0).long()
