"""Price a training run before you rent the machine (lesson: cloud-accelerators).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on runs you have not seen, from a laptop-sized model to a 7-billion-
parameter one, and compares the answers with the right ones (to a millionth).
"""


def estimate_run(flops, peak_tflops, utilization, gpus, price, storage_gb, gb_month, months):
    """Wall-clock hours and total cost of a training run.

    flops: the operations the whole run needs (for a transformer, about 6 x parameters x tokens).
    peak_tflops: one GPU's peak speed, in trillions (1e12) of operations a second.
    utilization: the share of that peak the run really reaches (0.3 to 0.5 is common).
    gpus: how many GPUs share the work (assume it splits perfectly).
    price: the price of one GPU for one hour.
    storage_gb, gb_month, months: the storage the job keeps, its price per GB and month, and how
    many months you keep it (it keeps costing after the job ends).
    Returns (hours, cost), two floats: hours on the wall clock, and compute plus storage cost.
    """
    # TODO: turn the GPUs' real speed into operations per second, divide the work by it, convert
    # seconds to hours; then pay every GPU for those hours and add the storage, as job_cost does.
    raise NotImplementedError("estimate_run is not written yet")


def training_memory_gb(n_params, bytes_per_value, optimizer):
    """The memory training needs for the parameters, their gradients and the optimizer's state, in GB.

    n_params: the number of parameters of the model.
    bytes_per_value: the bytes of one number (4 for float32, 2 for a 16-bit format).
    optimizer: "sgd" (keeps nothing), "momentum" (SGD with momentum: one velocity per
    parameter) or "adam" (two running averages per parameter).
    Returns a float: the bytes divided by 1e9 (GB, as cloud providers count; not GiB). Activations
    are not counted: they depend on the batch.
    """
    # TODO: count the numbers kept per parameter (its value, its gradient, the optimizer's
    # state), multiply by the parameters and the bytes of one number, and convert to GB.
    raise NotImplementedError("training_memory_gb is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
