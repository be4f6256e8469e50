"""Shares the work across the GPUs but pays for one."""


def estimate_run(flops, peak_tflops, utilization, gpus, price, storage_gb, gb_month, months):
    hours = flops / (gpus * peak_tflops * 1e12 * utilization) / 3600
    return hours, hours * price + storage_gb * gb_month * months
