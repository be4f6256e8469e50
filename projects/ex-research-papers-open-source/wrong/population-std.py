"""The standard deviation with n instead of n - 1."""

import math


def seed_interval(scores):
    n = len(scores)
    mean = sum(scores) / n
    if n < 2:
        return mean, math.inf
    s = math.sqrt(sum((x - mean) ** 2 for x in scores) / n)
    return mean, 1.96 * s / math.sqrt(n)
