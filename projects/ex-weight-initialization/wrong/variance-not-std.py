"""Returns the variance s ** 2 as if it were the standard deviation."""


def init_scale(fan_in, fan_out, activation):
    variance = 2 / fan_in if activation == "relu" else 2 / (fan_in + fan_out)
    return variance, math.sqrt(3) * variance
