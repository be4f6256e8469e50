"""Price a training run before you rent the machine (lesson: cloud-accelerators).

A reference solution. Grade it from this folder with:

    dlpath check
"""

STATES = {"sgd": 0, "momentum": 1, "adam": 2}  # numbers the optimizer keeps for each parameter


def estimate_run(flops, peak_tflops, utilization, gpus, price, storage_gb, gb_month, months):
    """(hours, cost): the work over the GPUs' real speed; every GPU paid for every hour, plus storage."""
    per_second = gpus * peak_tflops * 1e12 * utilization  # operations a second, as the GPUs really run
    hours = flops / per_second / 3600
    cost = hours * gpus * price + storage_gb * gb_month * months  # storage keeps costing after the job
    return hours, cost


def training_memory_gb(n_params, bytes_per_value, optimizer):
    """GB for the parameters, their gradients and the optimizer's state (activations not counted)."""
    numbers_per_param = 1 + 1 + STATES[optimizer]  # value, gradient, optimizer state
    return n_params * numbers_per_param * bytes_per_value / 1e9


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
