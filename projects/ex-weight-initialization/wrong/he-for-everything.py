"""He's 2 / fan_in for every activation, tanh and sigmoid included."""


def init_scale(fan_in, fan_out, activation):
    std = math.sqrt(2 / fan_in)
    return std, math.sqrt(3) * std
