"""Gives Adam one number of state per parameter, like momentum."""


def training_memory_gb(n_params, bytes_per_value, optimizer):
    states = {"sgd": 0, "momentum": 1, "adam": 1}[optimizer]
    return n_params * (2 + states) * bytes_per_value / 1e9
