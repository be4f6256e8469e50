"""Right statistics, but the other rows clipped to [0, 1]."""


def min_max_scale(train, other):
    low = train.min(dim=0).values
    spread = train.max(dim=0).values - low
    return _apply(train, low, spread), _apply(other, low, spread).clamp(0, 1)
