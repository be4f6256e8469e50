"""Converts bytes to GiB (2**30) instead of GB (1e9)."""


def training_memory_gb(n_params, bytes_per_value, optimizer):
    return n_params * (2 + STATES[optimizer]) * bytes_per_value / 2 ** 30
