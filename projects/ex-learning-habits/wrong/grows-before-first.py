"""Grows the gap before each remembered review, so even the first review comes late."""


def schedule(outcomes, first_gap, factor):
    day, gap, days = 0, first_gap, []
    for i, remembered in enumerate(outcomes):
        if i == 0 or remembered:
            gap = _grow(gap, factor)
        day += gap
        days.append(day)
        if not remembered:
            gap = first_gap
    return days
