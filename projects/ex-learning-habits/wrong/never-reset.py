"""Lets the gap grow after every review, remembered or not."""


def schedule(outcomes, first_gap, factor):
    day, gap, days = 0, first_gap, []
    for _ in outcomes:
        day += gap
        days.append(day)
        gap = _grow(gap, factor)
    return days
