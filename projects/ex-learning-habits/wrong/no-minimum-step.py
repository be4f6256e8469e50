"""Grows the gap by the factor alone, without the one-day minimum."""

import math


def review_days(first_gap, factor, reviews):
    day, gap, days = 0, first_gap, []
    for _ in range(reviews):
        day += gap
        days.append(day)
        gap = math.floor(gap * factor + 0.5)
    return days
