"""Counts the parameters and the optimizer's state, but not the gradients."""


def training_memory_gb(n_params, bytes_per_value, optimizer):
    return n_params * (1 + STATES[optimizer]) * bytes_per_value / 1e9
