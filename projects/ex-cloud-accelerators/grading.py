"""The judge's side of ex-cloud-accelerators: hidden runs and models, the references, and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake

STATES = {"sgd": 0, "momentum": 1, "adam": 2}


def _run(flops: float, peak_tflops: float, utilization: float, gpus: int, price: float, storage_gb: float,
         gb_month: float, months: float, *, busy: bool = True, paid_gpus: bool = True, storage: bool = True
         ) -> tuple[float, float]:
    hours = flops / (gpus * peak_tflops * 1e12 * (utilization if busy else 1.0)) / 3600
    cost = hours * price * (gpus if paid_gpus else 1) + (storage_gb * gb_month * months if storage else 0.0)
    return hours, cost


def _runs(rng: torch.Generator) -> list[Case]:
    def uniform(low: float, high: float) -> float:
        return low + (high - low) * float(torch.rand(1, generator=rng, dtype=torch.float64))

    params, tokens = uniform(1e8, 2e9), uniform(1e9, 5e10)
    return [
        Case("one GPU of 65 TFLOPS at 40% for 1e18 operations", 1e18, 65.0, 0.4, 1, 0.4, 50.0, 0.1, 1.0),
        Case(f"a transformer of {params:.3g} parameters on {tokens:.3g} tokens (6 x N x D), 8 GPUs",
             6 * params * tokens, 312.0, uniform(0.3, 0.5), 8, uniform(1.5, 4.0), 500.0, 0.02, 3.0),
        Case("a run so small it takes seconds, and a year of storage", 3e15, 8.1, 0.5, 1, 0.35, 20.0, 0.1, 12.0),
        Case("a free notebook: price 0, no storage bill", 2e17, 65.0, 0.3, 1, 0.0, 15.0, 0.0, 1.0),
        Case("64 GPUs at full speed", 1e22, 989.0, 1.0, 64, 3.0, 2000.0, 0.023, 2.0),
    ]


@mistake("run-no-utilization")
def _peak(case: Case, got: object, want: object) -> str | None:
    if case.args[2] != 1.0 and matches(got, _run(*case.args, busy=False)):
        return (f"Your hours assume the GPUs run at their peak; this run reaches {case.args[2]:.0%} of it. Divide by "
                "peak_tflops * 1e12 * utilization: a GPU waiting for data or memory still bills by the hour.")
    return None


@mistake("run-pays-one-gpu")
def _one_gpu(case: Case, got: object, want: object) -> str | None:
    if case.args[3] > 1 and matches(got, _run(*case.args, paid_gpus=False)):
        return (f"You paid for one GPU, and the run rents {case.args[3]}. More GPUs shorten the hours, not the bill: "
                "the cost is hours * gpus * price (plus storage).")
    return None


@mistake("run-no-storage")
def _no_storage(case: Case, got: object, want: object) -> str | None:
    if case.args[5] * case.args[6] * case.args[7] > 0 and matches(got, _run(*case.args, storage=False)):
        return ("Your cost has the GPUs only. The storage the job keeps is billed too, storage_gb * gb_month * months, "
                "and it keeps costing after the job ends: the lesson's job_cost adds it.")
    return None


def _memory(n_params: int, bytes_per_value: int, optimizer: str, *, gradients: bool = True, adam_states: int = 2,
            unit: float = 1e9) -> float:
    states = adam_states if optimizer == "adam" else STATES[optimizer]
    return n_params * (1 + gradients + states) * bytes_per_value / unit


def _models(rng: torch.Generator) -> list[Case]:
    width = int(torch.randint(64, 4096, (1,), generator=rng))
    return [
        Case("the lesson's small MLP: 418 parameters, SGD", 418, 4, "sgd"),
        Case("7 billion parameters in float32 with Adam", 7_000_000_000, 4, "adam"),
        Case(f"a {width} x {width} layer with its bias, 2 bytes a value, momentum", width * width + width, 2,
             "momentum"),
        Case("125 million parameters, 2 bytes a value, Adam", 125_000_000, 2, "adam"),
        Case("1.3 billion parameters in float32 with momentum", 1_300_000_000, 4, "momentum"),
    ]


@mistake("memory-no-gradients")
def _no_gradients(case: Case, got: object, want: object) -> str | None:
    if case.args[2] != "adam" and matches(got, _memory(*case.args, gradients=False)):
        return ("You left out the gradients. loss.backward() fills a .grad of the same size as every parameter, and "
                "it lives until the optimizer's step: one more number per parameter.")
    return None


@mistake("memory-adam-states")
def _adam_short(case: Case, got: object, want: object) -> str | None:
    if case.args[2] == "adam" and matches(got, _memory(*case.args, adam_states=1)):
        return ("You counted 3 numbers per parameter for Adam; training with Adam keeps 4: the value, its gradient, "
                "and Adam's two running averages (of the gradient and of its square): 112 GB for 7B in "
                "float32.")
    return None


@mistake("memory-gib")
def _gib(case: Case, got: object, want: object) -> str | None:
    if matches(got, _memory(*case.args, unit=2 ** 30)):
        return ("You divided by 2**30: that is GiB. The docstring asks for GB (1e9 bytes), as cloud providers count; "
                "the two differ by 7%, enough to pick a GPU that is too small.")
    return None


EXERCISES = [
    Exercise("estimate_run", _runs, reference=_run, mistakes=[_peak, _one_gpu, _no_storage]),
    Exercise("training_memory_gb", _models, reference=_memory, mistakes=[_no_gradients, _adam_short, _gib]),
]
