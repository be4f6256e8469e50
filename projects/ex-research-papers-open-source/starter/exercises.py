"""Is a reported gain larger than the variation between seeds? (lesson: research-papers-open-source)

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on scores you have not seen (3 seeds against 10, a single seed, a gain
that is real and one that is not) and compares with the answers.
"""

import math


def seed_interval(scores):
    """The mean of a method's scores over seeds, and the half-width of its 95% interval.

    scores: a list of floats, one score per seed (at least one).
    Returns (mean, half_width), two floats: half_width = 1.96 * s / sqrt(n), with n the number of
    seeds and s their standard deviation computed with n - 1. With a single seed the spread is
    unknown: half_width is math.inf.
    """
    # TODO: the interval of the probability-statistics lesson, for a mean: the standard error is
    # the standard deviation over sqrt(n); mind the single seed.
    raise NotImplementedError("seed_interval is not written yet")


def gain_within_noise(baseline, method):
    """Whether a method's gain over the baseline is larger than the noise between seeds.

    baseline, method: lists of floats, the scores of each over its own seeds (the numbers of
    seeds may differ; each has at least one).
    Returns (gain, half_width, within_noise): gain = mean(method) - mean(baseline);
    half_width = 1.96 * sqrt(s_b^2 / n_b + s_m^2 / n_m), each s computed with n - 1 (math.inf
    when either side has a single seed); within_noise is True when abs(gain) <= half_width.
    """
    # TODO: both means are noisy, so the noise of their difference adds their variances (not
    # their standard errors). Then compare the gain's size with the 95% half-width.
    raise NotImplementedError("gain_within_noise is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
