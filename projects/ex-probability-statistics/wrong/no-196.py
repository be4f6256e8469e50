"""One standard error as the half-width of a 95% interval."""

import math


def accuracy_interval(correct):
    acc = correct.double().mean().item()
    return acc, math.sqrt(acc * (1 - acc) / correct.numel())
