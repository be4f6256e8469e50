"""The judge's side of ex-diffusion-models: hidden schedules, points and images, the references, the mistakes.

Only the judge imports this file; the learner's process never sees it. The references are the
lesson's formulas, computed in float64.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake

LESSON_BETA = torch.linspace(1e-4, 0.2, 50)  # the lesson's schedule
PAPER_BETA = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)  # the DDPM paper's


def _alpha_bar(beta: torch.Tensor) -> torch.Tensor:
    return torch.cumprod(1 - beta.double(), dim=0)


def _schedules(rng: torch.Generator) -> list[Case]:
    return [
        Case("the lesson's schedule: 50 steps from 1e-4 to 0.2", LESSON_BETA.clone()),
        Case("a single step", torch.tensor([0.3])),
        Case("7 random betas between 0.01 and 0.5 (float64)",
             0.01 + 0.49 * torch.rand(7, generator=rng, dtype=torch.float64)),
        Case("the DDPM paper's 1000 steps from 1e-4 to 0.02", PAPER_BETA.clone()),
        Case("a constant beta of 0.1 over 5 steps", torch.full((5,), 0.1)),
    ]


@mistake("alpha-bar-of-beta")
def _of_beta(case: Case, got: object, want: object) -> str | None:
    if matches(got, torch.cumprod(case.args[0].double(), dim=0)):
        return ("You multiplied the betas themselves. beta_t is the noise added at step t; the signal kept is "
                "1 - beta_t, so alpha_bar_t is the running product of (1 - beta): torch.cumprod(1 - beta, 0).")
    return None


@mistake("alpha-bar-shifted")
def _shifted(case: Case, got: object, want: object) -> str | None:
    shifted = torch.cat([torch.ones(1, dtype=torch.float64), _alpha_bar(case.args[0])[:-1]])
    if matches(got, shifted):
        return ("Your alpha_bar starts at 1 and lags one step behind: entry t must include step t itself, so "
                "entry 0 is 1 - beta_0, and the last entry is what is left after all T steps (0.0046 in the lesson).")
    return None


def _noised(x0: torch.Tensor, noise: torch.Tensor, alpha_bar: torch.Tensor, t: torch.Tensor,
            signal=torch.sqrt, rest=torch.sqrt) -> torch.Tensor:
    a = alpha_bar.double()[t].reshape(-1, *[1] * (x0.dim() - 1))
    return signal(a) * x0.double() + rest(1 - a) * noise.double()


def _points(rng: torch.Generator) -> list[Case]:
    alpha_bar = torch.cumprod(1 - LESSON_BETA, dim=0)

    def draw(*shape: int, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.randn(*shape, generator=rng, dtype=dtype), torch.randn(*shape, generator=rng, dtype=dtype)

    def steps(n: int) -> torch.Tensor:
        return torch.randint(0, 50, (n,), generator=rng)

    angle = 2 * torch.pi * torch.rand(4, generator=rng)
    ring = torch.stack([angle.cos(), angle.sin()], 1)
    return [
        Case("4 points of the lesson's ring, each at its own random step", ring,
             torch.randn(4, 2, generator=rng), alpha_bar, steps(4)),
        Case("every sample at step 0: almost all signal", *draw(5, 2), alpha_bar, torch.zeros(5, dtype=torch.int64)),
        Case("every sample at the last step (t = 49): almost no signal left", *draw(5, 2), alpha_bar,
             torch.full((5,), 49)),
        Case("3 images of shape (1, 4, 4), one step each", *draw(3, 1, 4, 4), alpha_bar, steps(3)),
        Case("one point with a single value", *draw(1, 1), alpha_bar, torch.tensor([20])),
        Case("6 points of 3 values in float64, with the paper's 1000-step schedule", *draw(6, 3, dtype=torch.float64),
             _alpha_bar(PAPER_BETA), torch.randint(0, 1000, (6,), generator=rng)),
    ]


@mistake("noising-no-sqrt")
def _no_sqrt(case: Case, got: object, want: object) -> str | None:
    if matches(got, _noised(*case.args, signal=lambda a: a, rest=lambda a: a)):
        return ("You mixed with alpha_bar_t and 1 - alpha_bar_t themselves. Those are variances: the weights are their "
                "square roots, x_t = sqrt(alpha_bar_t) * x_0 + sqrt(1 - alpha_bar_t) * noise, so x_t keeps variance 1.")
    return None


@mistake("noising-swapped")
def _swapped(case: Case, got: object, want: object) -> str | None:
    x0, noise, alpha_bar, t = case.args
    if matches(got, _noised(noise, x0, alpha_bar, t)):
        return ("Signal and noise have swapped weights: alpha_bar_t is the share of the signal left, so x_0 gets "
                "sqrt(alpha_bar_t) (near 1 at step 0) and the noise sqrt(1 - alpha_bar_t) (near 1 at the last step).")
    return None


def _step(x: torch.Tensor, eps: torch.Tensor, beta: torch.Tensor, alpha_bar: torch.Tensor, t: int, z: torch.Tensor,
          *, scale=torch.sqrt, rescale: bool = True, noise_at_end: bool = False) -> torch.Tensor:
    beta, alpha_bar = beta.double(), alpha_bar.double()
    out = x.double() - beta[t] / scale(1 - alpha_bar[t]) * eps.double()
    if rescale:
        out = out / (1 - beta[t]).sqrt()
    if t > 0 or noise_at_end:
        out = out + beta[t].sqrt() * z.double()
    return out


def _samples(rng: torch.Generator) -> list[Case]:
    beta, alpha_bar = LESSON_BETA, torch.cumprod(1 - LESSON_BETA, dim=0)

    def draw(*shape: int, dtype: torch.dtype = torch.float32) -> list[torch.Tensor]:
        return [torch.randn(*shape, generator=rng, dtype=dtype) for _ in range(2)]

    def noise(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.randn(*shape, generator=rng, dtype=dtype)

    return [
        Case("4 points at step 30", *draw(4, 2), beta, alpha_bar, 30, noise(4, 2)),
        Case("8 points at the first sampling step, t = 49", *draw(8, 2), beta, alpha_bar, 49, noise(8, 2)),
        Case("the last step, t = 0: no fresh noise", *draw(6, 2), beta, alpha_bar, 0, noise(6, 2)),
        Case("2 images of shape (1, 3, 3) at step 10", *draw(2, 1, 3, 3), beta, alpha_bar, 10, noise(2, 1, 3, 3)),
        Case("the paper's 1000-step schedule at t = 999 (float64)", *draw(3, 2, dtype=torch.float64), PAPER_BETA,
             _alpha_bar(PAPER_BETA), 999, noise(3, 2, dtype=torch.float64)),
        Case("one point at t = 1, the last step that adds noise", *draw(1, 2), beta, alpha_bar, 1, noise(1, 2)),
    ]


@mistake("ddpm-noise-at-end")
def _noise_at_end(case: Case, got: object, want: object) -> str | None:
    if case.args[4] == 0 and matches(got, _step(*case.args, noise_at_end=True)):
        return ("At t = 0 you still added sqrt(beta_0) * z. The last step returns the finished sample: noise added "
                "there is never removed. Add fresh noise only while t > 0.")
    return None


@mistake("ddpm-no-rescale")
def _no_rescale(case: Case, got: object, want: object) -> str | None:
    if matches(got, _step(*case.args, rescale=False)):
        return ("You removed the predicted noise but did not rescale: each forward step shrank the signal by "
                "sqrt(1 - beta_t), so the step back divides by sqrt(1 - beta_t) before the fresh noise is added.")
    return None


@mistake("ddpm-eps-scale")
def _eps_scale(case: Case, got: object, want: object) -> str | None:
    if matches(got, _step(*case.args, scale=lambda v: v)):
        return ("The predicted noise was scaled by beta_t / (1 - alpha_bar_t). The noise in x_t has standard "
                "deviation sqrt(1 - alpha_bar_t), so its share removed at step t is beta_t / sqrt(1 - alpha_bar_t).")
    return None


EXERCISES = [
    Exercise("signal_left", _schedules, reference=_alpha_bar, rtol=1e-4, mistakes=[_of_beta, _shifted]),
    Exercise("noisy_sample", _points, reference=_noised, mistakes=[_no_sqrt, _swapped]),
    Exercise("ddpm_step", _samples, reference=_step, mistakes=[_noise_at_end, _no_rescale, _eps_scale]),
]
