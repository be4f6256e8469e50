"""Returns the standard deviation where the variance is asked."""


def mean_and_variance(values, probs):
    mean = (probs * values).sum()
    return float(mean), float((probs * (values - mean) ** 2).sum().sqrt())
