"""Uses the standard deviation itself as the uniform bound."""


def init_scale(fan_in, fan_out, activation):
    std = math.sqrt(2 / fan_in) if activation == "relu" else math.sqrt(2 / (fan_in + fan_out))
    return std, std
