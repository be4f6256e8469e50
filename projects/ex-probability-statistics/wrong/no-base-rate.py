"""Weighs the ill and the healthy equally: the base rate is left out."""


def posterior(prevalence, sensitivity, false_positive_rate):
    return sensitivity / (sensitivity + false_positive_rate)
