"""Returns the slope itself (negative) as b."""


def fit_power_law(sizes, losses):
    x, y = sizes.double().log(), losses.double().log()
    dx = x - x.mean()
    slope = (dx * (y - y.mean())).sum() / (dx * dx).sum()
    return float((y.mean() - slope * x.mean()).exp()), float(slope)
