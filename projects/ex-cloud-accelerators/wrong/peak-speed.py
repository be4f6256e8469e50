"""Assumes the GPUs run at their peak speed: utilization left out."""


def estimate_run(flops, peak_tflops, utilization, gpus, price, storage_gb, gb_month, months):
    hours = flops / (gpus * peak_tflops * 1e12) / 3600
    return hours, hours * gpus * price + storage_gb * gb_month * months
