"""Fits with log10, then undoes the intercept with exp."""


def fit_power_law(sizes, losses):
    x, y = sizes.double().log10(), losses.double().log10()
    dx = x - x.mean()
    slope = (dx * (y - y.mean())).sum() / (dx * dx).sum()
    return float((y.mean() - slope * x.mean()).exp()), float(-slope)
