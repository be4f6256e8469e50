"""Multiplies the layers in reading order, W1 @ W2 @ ..."""


def collapse(weights):
    M = weights[0]
    for W in weights[1:]:
        M = M @ W
    return M
