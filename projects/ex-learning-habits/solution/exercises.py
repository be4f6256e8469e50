"""A spaced-repetition schedule for your reviews (lesson: learning-habits).

A reference solution. Grade it from this folder with:

    dlpath check
"""

import math


def _grow(gap, factor):
    """The next gap: gap * factor rounded with halves up, and at least one day more."""
    return max(gap + 1, math.floor(gap * factor + 0.5))  # round() would send 2.5 to 2


def review_days(first_gap, factor, reviews):
    """Days since learning of each of the first `reviews` reviews."""
    day, gap, days = 0, first_gap, []
    for _ in range(reviews):
        day += gap  # the days are counted from day 0, not from the review before
        days.append(day)
        gap = _grow(gap, factor)
    return days


def schedule(outcomes, first_gap, factor):
    """Days of the reviews; a forgotten review starts the gaps over from first_gap."""
    day, gap, days = 0, first_gap, []
    for remembered in outcomes:
        day += gap
        days.append(day)
        gap = _grow(gap, factor) if remembered else first_gap  # forgotten: the gap was too long
    return days


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
