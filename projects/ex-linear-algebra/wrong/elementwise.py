"""Multiplies the matrices with *, entry by entry."""


def collapse(weights):
    M = weights[0]
    for W in weights[1:]:
        M = W * M
    return M
