"""Returns the gaps between reviews instead of the days of the reviews."""


def review_days(first_gap, factor, reviews):
    gap, gaps = first_gap, []
    for _ in range(reviews):
        gaps.append(gap)
        gap = _grow(gap, factor)
    return gaps
