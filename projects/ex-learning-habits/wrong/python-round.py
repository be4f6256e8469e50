"""Rounds the grown gap with Python's round(), which sends 2.5 to 2."""


def review_days(first_gap, factor, reviews):
    day, gap, days = 0, first_gap, []
    for _ in range(reviews):
        day += gap
        days.append(day)
        gap = max(gap + 1, round(gap * factor))
    return days
