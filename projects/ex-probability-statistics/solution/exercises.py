"""Bayes' rule, an expectation and a variance, and an error bar (lesson: probability-statistics): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import math

import torch


def posterior(prevalence, sensitivity, false_positive_rate):
    """P(ill | +) = P(+ | ill) P(ill) / P(+)."""
    ill_and_positive = sensitivity * prevalence
    healthy_and_positive = false_positive_rate * (1 - prevalence)  # the healthy are most people: the base rate
    return ill_and_positive / (ill_and_positive + healthy_and_positive)


def mean_and_variance(values, probs):
    """(E[X], Var[X]) of the distribution."""
    mean = (probs * values).sum()  # each value weighted by its probability
    variance = (probs * (values - mean) ** 2).sum()  # the spread, squared (its root is the standard deviation)
    return float(mean), float(variance)


def accuracy_interval(correct):
    """(accuracy, 1.96 standard errors)."""
    n = correct.numel()
    acc = correct.double().mean().item()
    stderr = math.sqrt(acc * (1 - acc) / n)  # sqrt(n) times smaller than one answer's spread
    return acc, 1.96 * stderr


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
