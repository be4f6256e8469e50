"""Bayes' rule, an expectation and a variance, and an error bar (lesson: probability-statistics).

Write the three functions below, then grade them from this folder:

    dlpath check

The grader calls them on tests, distributions and scores you have not seen, rare diseases and
tiny samples among them, and compares with the right answers.
"""

import math

import torch


def posterior(prevalence, sensitivity, false_positive_rate):
    """The chance of being ill after a positive test, P(ill | +).

    prevalence: P(ill), the share of people who are ill. sensitivity: P(+ | ill), the share of
    the ill that the test catches. false_positive_rate: P(+ | healthy). All three are floats
    between 0 and 1 (a positive result is always possible). Returns a float.
    """
    # TODO: Bayes' rule. P(+) counts every way of testing positive: ill, or healthy.
    raise NotImplementedError("posterior is not written yet")


def mean_and_variance(values, probs):
    """The expectation and the variance of a discrete distribution.

    values: a float64 tensor (K,) of the values X can take; probs: a float64 tensor (K,) of
    their probabilities (they sum to 1; some may be 0). Returns (E[X], Var[X]) as two floats.
    """
    # TODO: both are probability-weighted averages: of the values, then of the squared
    # distances from the expectation.
    raise NotImplementedError("mean_and_variance is not written yet")


def accuracy_interval(correct):
    """A measured accuracy and the half-width of its 95% interval.

    correct: a bool tensor (n,), True where the model was right (n >= 1). Returns (accuracy,
    half_width), two floats: the accuracy is the share of True, and the interval is
    accuracy +/- half_width, with half_width = 1.96 standard errors of a proportion.
    """
    # TODO: the lesson's standard error of a proportion, then 1.96 of them.
    raise NotImplementedError("accuracy_interval is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
