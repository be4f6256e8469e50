"""Uses the spread of one answer: the interval does not shrink with n."""

import math


def accuracy_interval(correct):
    acc = correct.double().mean().item()
    return acc, 1.96 * math.sqrt(acc * (1 - acc))
