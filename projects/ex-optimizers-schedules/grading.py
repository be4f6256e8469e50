"""The judge's side of ex-optimizers-schedules: hidden states and steps, torch.optim.Adam as the reference,
and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import math

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake


def _adam(param: torch.Tensor, grad: torch.Tensor, m: torch.Tensor, v: torch.Tensor, t: int, lr: float = 1e-3,
          beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> tuple[torch.Tensor, ...]:
    """One step of torch.optim.Adam from the state (m, v) after t - 1 steps."""
    p = param.clone().requires_grad_(True)
    p.grad = grad.clone()
    optimizer = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps, foreach=False)
    optimizer.state[p] = {"step": torch.tensor(float(t - 1)), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
    optimizer.step()
    state = optimizer.state[p]
    return p.detach(), state["exp_avg"], state["exp_avg_sq"]


def _by_formula(case: Case, square: bool = True, correct: bool = True) -> tuple[torch.Tensor, ...]:
    """The update written out, with a mistake switched on."""
    param, grad, m, v, t = case.args
    lr, beta1, beta2, eps = (case.kwargs.get(k, d) for k, d in (("lr", 1e-3), ("beta1", 0.9), ("beta2", 0.999),
                                                                   ("eps", 1e-8)))
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * (grad ** 2 if square else grad)
    m_hat, v_hat = (m / (1 - beta1 ** t), v / (1 - beta2 ** t)) if correct else (m, v)
    return param - lr * m_hat / (v_hat.clamp_min(0).sqrt() + eps), m, v


def _states(rng: torch.Generator) -> list[Case]:
    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=rng, dtype=torch.float64)

    def state(*shape: int) -> tuple[torch.Tensor, torch.Tensor]:
        return 0.1 * randn(*shape), 0.01 * randn(*shape) ** 2

    zero_grad = randn(5)
    zero_grad[::2] = 0.0
    return [
        Case("the very first step (t = 1, m and v still zero)", randn(5), randn(5), torch.zeros(5, dtype=torch.float64),
             torch.zeros(5, dtype=torch.float64), 1),
        Case("step 10 of a run", randn(6), randn(6), *state(6), 10),
        Case("step 5000, where the corrections are almost 1", randn(4), randn(4), *state(4), 5000),
        Case("some gradients exactly zero", randn(5), zero_grad, *state(5), 3),
        Case("a (3, 4) weight matrix, lr = 0.1 and betas (0.8, 0.99)", randn(3, 4), randn(3, 4), *state(3, 4), 7,
             lr=0.1, beta1=0.8, beta2=0.99),
    ]


@mistake("adam-no-bias-correction")
def _no_correction(case: Case, got: object, want: object) -> str | None:
    if matches(got, _by_formula(case, correct=False), rtol=1e-6, atol=1e-12):
        t = case.args[4]
        return (f"At step t = {t} your update skips the correction for m and v starting at 0: divide m by "
                "(1 - beta1 ** t) and v by (1 - beta2 ** t) before the step. Without it the first steps are far "
                "too short.")
    return None


@mistake("adam-squared-gradient")
def _unsquared(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, (tuple, list)) and len(got) == 3 and matches(got[2], _by_formula(case, square=False)[2]):
        return ("Your v averages the gradient itself; it is the running average of the squared gradient, "
                "v = beta2 * v + (1 - beta2) * grad ** 2, as in RMSprop: its square root is each weight's scale.")
    return None


@mistake("adam-state-not-updated")
def _old_state(case: Case, got: object, want: object) -> str | None:
    _, _, m, v, _ = case.args
    if isinstance(got, (tuple, list)) and len(got) == 3 and matches(got[0], want[0]) and (
            matches(got[1], m) or matches(got[2], v)):
        return ("Your parameter is right, but the m and v you return are the old ones: return the updated "
                "averages, which the next step starts from.")
    return None


def _schedule(step: int, base_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0) -> float:
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


def _steps(rng: torch.Generator) -> list[Case]:
    total = int(torch.randint(200, 1000, (1,), generator=rng))
    warmup = int(torch.randint(10, 50, (1,), generator=rng))
    middle = warmup + (total - warmup) // 3
    return [
        Case("the first step of a 10-step warmup", 0, 0.1, 10, 100),
        Case("halfway through warmup", 4, 0.1, 10, 100),
        Case("the first step after warmup: the peak", warmup, 3e-4, warmup, total),
        Case("a third of the way down the cosine", middle, 3e-4, warmup, total),
        Case("a third of the way down, with a floor min_lr = 1e-5", middle, 3e-4, warmup, total, min_lr=1e-5),
        Case("the last step, with a floor min_lr = 1e-5", total, 3e-4, warmup, total, min_lr=1e-5),
        Case("200 steps past the end", total + 200, 3e-4, warmup, total, min_lr=1e-5),
        Case("no warmup at all (warmup_steps = 0)", 0, 0.05, 0, 50),
    ]


def _arguments(case: Case) -> tuple[int, float, int, int, float]:
    step, base_lr, warmup, total = case.args
    return step, base_lr, warmup, total, case.kwargs.get("min_lr", 0.0)


@mistake("warmup-starts-at-zero")
def _from_zero(case: Case, got: object, want: object) -> str | None:
    step, base_lr, warmup, _, _ = _arguments(case)
    if step < warmup and matches(got, base_lr * step / warmup, rtol=1e-9, atol=1e-15):
        return ("Your warmup starts at a rate of 0, so the first step changes nothing. Count the step being taken: "
                "base_lr * (step + 1) / warmup_steps reaches base_lr on the last warmup step.")
    return None


@mistake("schedule-ignores-min-lr")
def _no_floor(case: Case, got: object, want: object) -> str | None:
    step, base_lr, warmup, total, min_lr = _arguments(case)
    if min_lr > 0 and matches(got, _schedule(step, base_lr, warmup, total, 0.0), rtol=1e-9, atol=1e-15):
        return (f"Your cosine glides down to 0, not to min_lr = {min_lr:g}: the curve runs between base_lr and "
                "min_lr, min_lr + (base_lr - min_lr) * (1 + cos(pi * progress)) / 2.")
    return None


@mistake("schedule-past-the-end")
def _past_the_end(case: Case, got: object, want: object) -> str | None:
    step, base_lr, warmup, total, min_lr = _arguments(case)
    if step > total and not matches(got, min_lr, rtol=1e-9, atol=1e-15):
        return ("After total_steps the rate must stay at min_lr. Past the end the cosine climbs back up: cap the "
                "progress at 1, min(1.0, (step - warmup_steps) / (total_steps - warmup_steps)).")
    return None


EXERCISES = [
    Exercise("adam_step", _states, reference=_adam, rtol=1e-6, atol=1e-12,
             mistakes=[_no_correction, _unsquared, _old_state]),
    Exercise("learning_rate", _steps, reference=_schedule, rtol=1e-9, atol=1e-15,
             mistakes=[_from_zero, _no_floor, _past_the_end]),
]
