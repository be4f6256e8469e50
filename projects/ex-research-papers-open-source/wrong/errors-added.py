"""Adds the two standard errors instead of their variances."""

import math


def gain_within_noise(baseline, method):
    mean_b, var_b = _mean_and_variance_of_mean(baseline)
    mean_m, var_m = _mean_and_variance_of_mean(method)
    gain = mean_m - mean_b
    half_width = 1.96 * (math.sqrt(var_b) + math.sqrt(var_m))
    return gain, half_width, abs(gain) <= half_width
