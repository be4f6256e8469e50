"""The plain average of the values as the expectation."""


def mean_and_variance(values, probs):
    mean = values.mean()
    return float(mean), float((probs * (values - mean) ** 2).sum())
