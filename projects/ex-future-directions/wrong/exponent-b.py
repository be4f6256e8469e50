"""Raises a / target to the power b instead of 1 / b."""


def size_for_loss(a, b, target):
    return (a / target) ** b
