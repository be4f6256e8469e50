"""A spaced-repetition schedule for your reviews (lesson: learning-habits).

Reviewing an idea just before you would forget it fixes it in memory; each good review lets the
next one wait longer. Flashcard programs (Anki, and `dlpath review`) plan the gaps this way.

Write the two functions below in plain Python, then grade them from this folder:

    dlpath check

The grader calls them on plans you have not seen (a factor of 1, gaps that land on a half, a
run of forgotten reviews) and compares with the right days.
"""

import math


def review_days(first_gap, factor, reviews):
    """The days of the first `reviews` reviews of an idea learned on day 0.

    first_gap: the days before the first review (an int, at least 1); factor: how much each gap
    grows (a float, at least 1.0); reviews: how many reviews to plan (0 or more).
    The first review comes first_gap days after day 0; after each review the next gap is
    max(gap + 1, math.floor(gap * factor + 0.5)): the gap times the factor, rounded to whole
    days with halves rounded up, and at least one day longer than before.
    Returns a list of `reviews` ints: the day of each review, counted from day 0.
    """
    # TODO: walk forward review by review: add the gap to the day, note the day, grow the gap.
    raise NotImplementedError("review_days is not written yet")


def schedule(outcomes, first_gap, factor):
    """The review days of an idea learned on day 0, given how each review went.

    outcomes: a list of booleans, one per review in order: True if you remembered, False if you
    had forgotten. first_gap, factor: as in review_days.
    The first review comes first_gap days after day 0. After a review you remembered, the gap
    grows as in review_days; after one you forgot, the next gap is first_gap again.
    Returns a list of ints, one per outcome: the day of each review.
    """
    # TODO: the loop of review_days, with the gap after each review depending on its outcome.
    raise NotImplementedError("schedule is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
