"""Read a run's log back, and compare two settings over seeds (lesson: experiment-tracking).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on logs and losses you have not seen (a metric logged every few epochs,
a run that crashed while writing, a single seed) and compares with the right answers.
"""

import json

import torch


def last_logged(jsonl, key):
    """The last value of one metric in a run's metrics.jsonl, as a dashboard would read it back.

    jsonl: the file's text: one JSON record per line, each with an "epoch" (an int) and the
    metrics logged at that epoch (not every metric at every epoch: validation may be logged every
    few epochs). Blank lines may appear, and a run that crashed while writing leaves a last line
    that is not valid JSON: skip both. key: the metric's name.
    Returns (epoch, value) of the last record that holds key, or None when no record does.
    """
    # TODO: read the records in order, skipping what is not a record, and keep the last that has
    # the metric.
    raise NotImplementedError("last_logged is not written yet")


def compare_runs(losses_a, losses_b):
    """Is configuration b better than a, worse, or is the difference seed noise?

    losses_a, losses_b: float tensors of final losses, one per seed (lower is better; the two
    may have different numbers of seeds).
    Returns (verdict, gap, spread): gap = mean(a) - mean(b), a float; spread, a float, the larger
    of the two standard deviations, each computed as np.std does (dividing by n, as the lesson
    reports them); verdict "too few seeds" when a side has fewer than 2 seeds, else "noise" when
    |gap| <= spread, else "b" or "a", whichever has the lower mean loss.
    """
    # TODO: the lesson's yardstick: a gain smaller than the seed-to-seed spread is noise.
    raise NotImplementedError("compare_runs is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
