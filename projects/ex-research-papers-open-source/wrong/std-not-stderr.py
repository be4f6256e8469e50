"""The half-width from the standard deviation of one seed, not of the mean."""

import math
import statistics


def seed_interval(scores):
    if len(scores) < 2:
        return scores[0], math.inf
    return statistics.mean(scores), 1.96 * statistics.stdev(scores)
