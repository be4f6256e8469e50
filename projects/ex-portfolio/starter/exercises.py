"""A results table with its baseline, and a README a stranger can follow (lesson: portfolio).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on projects you have not seen and reads your Markdown the way a reader
does: every section in its place, every number where it belongs (spaces around the cells of a
table do not matter).
"""

import statistics


def results_table(scores, baseline, metric):
    """A Markdown table of every model's results over its seeds, best first, against the baseline.

    scores: a dict {model name: list of scores over seeds (at least 2)}, higher is better;
    baseline: the name of the baseline model (a key of scores); metric: the metric's name.
    Returns a string of lines joined by "\\n":
        | model | METRIC | vs baseline |
        |---|---|---|
    then one row per model, sorted by mean score, highest first:
        | NAME | MEAN +/- STD | DIFF |
    with MEAN and STD (statistics.stdev, n - 1) to 3 decimals, DIFF = MEAN - the baseline's mean
    with its sign, to 3 decimals (+0.081, -0.004), and the baseline's own row named
    "NAME (baseline)", with DIFF +0.000.
    """
    # TODO: one row per model with its mean and spread; the baseline is a row too, so that every
    # other number can be judged against it.
    raise NotImplementedError("results_table is not written yet")


def readme(project):
    """The project's README in Markdown, with the lesson's five sections in order.

    project: a dict with the keys title, problem, source, size, licence, split, approach,
    failed (a list of ideas that did not work), scores, baseline, metric (as results_table
    takes them), limitations, hardware, minutes (the training time) and command.
    Returns a string: first the line "# TITLE", then the sections "## Problem", "## Data",
    "## Approach", "## Results" and "## Run it", each heading on its own line, in that order,
    each once. Data names the source, the size, the licence and the split; Approach says the
    approach and every failed idea; Results holds the results table, the limitations, the
    hardware and the minutes of training; Run it holds the command between two lines ```.
    """
    # TODO: assemble the lines section by section (results_table gives the table); what
    # failed and what the run took are part of an honest README.
    raise NotImplementedError("readme is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
