"""Takes the noise of the method's mean only, as if the baseline were exact."""

import math


def gain_within_noise(baseline, method):
    mean_b, _ = _mean_and_variance_of_mean(baseline)
    mean_m, var_m = _mean_and_variance_of_mean(method)
    gain = mean_m - mean_b
    half_width = 1.96 * math.sqrt(var_m)
    return gain, half_width, abs(gain) <= half_width
