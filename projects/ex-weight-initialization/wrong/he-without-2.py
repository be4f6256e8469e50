"""Keeps the variance of w . x at 1 (1 / fan_in) for ReLU, forgetting the half it zeroes."""


def init_scale(fan_in, fan_out, activation):
    std = math.sqrt(1 / fan_in) if activation == "relu" else math.sqrt(2 / (fan_in + fan_out))
    return std, math.sqrt(3) * std
