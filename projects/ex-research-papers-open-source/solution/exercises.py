"""Is a reported gain larger than the variation between seeds? (lesson: research-papers-open-source)

A reference solution. Grade it from this folder with:

    dlpath check
"""

import math


def _mean_and_variance_of_mean(scores):
    """(mean, s^2 / n): the mean and the variance of the mean, inf with a single seed."""
    n = len(scores)
    mean = sum(scores) / n
    if n < 2:
        return mean, math.inf  # one seed, one split: the spread is unknown, not zero
    s2 = sum((x - mean) ** 2 for x in scores) / (n - 1)  # n - 1: the mean was estimated from the same scores
    return mean, s2 / n


def seed_interval(scores):
    """(mean, 1.96 * s / sqrt(n))."""
    mean, var_of_mean = _mean_and_variance_of_mean(scores)
    return mean, 1.96 * math.sqrt(var_of_mean)


def gain_within_noise(baseline, method):
    """(gain, half-width of its 95% interval, whether the gain is within it)."""
    mean_b, var_b = _mean_and_variance_of_mean(baseline)
    mean_m, var_m = _mean_and_variance_of_mean(method)
    gain = mean_m - mean_b
    half_width = 1.96 * math.sqrt(var_b + var_m)  # independent means: their variances add
    return gain, half_width, abs(gain) <= half_width


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
