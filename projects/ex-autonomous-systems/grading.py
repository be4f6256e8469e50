"""The judge's side of ex-autonomous-systems: hidden filters and cars, the references, and the mistakes.

Only the judge imports this file; the learner's process never sees it. The filter's reference
computes the covariance in the Joseph form, (I - K H) P (I - K H)^T + K R K^T, equal to the
lesson's (I - K H) P for the optimal gain but computed another way.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake

DT = 0.05  # 20 frames a second, as in the lesson


def _filter(x: torch.Tensor, P: torch.Tensor, z: torch.Tensor, F: torch.Tensor, Q: torch.Tensor, H: torch.Tensor,
            R: torch.Tensor, *, predict: bool = True, process_noise: bool = True, update_P: bool = True
            ) -> tuple[torch.Tensor, torch.Tensor]:
    x, P, z, F, Q, H, R = (t.double() for t in (x, P, z, F, Q, H, R))
    if predict:
        x, P = F @ x, F @ P @ F.T + (Q if process_noise else 0)
    K = P @ H.T @ torch.linalg.inv(H @ P @ H.T + R)
    x = x + K @ (z - H @ x)
    if update_P:
        I_KH = torch.eye(len(x), dtype=torch.float64) - K @ H
        P = I_KH @ P @ I_KH.T + K @ R @ K.T
    return x, P


def _physics(n_axes: int = 1) -> torch.Tensor:
    one = torch.tensor([[1.0, DT], [0.0, 1.0]])
    return torch.block_diag(*[one] * n_axes) if n_axes > 1 else one


def _frames(rng: torch.Generator) -> list[Case]:
    def covariance(n: int) -> torch.Tensor:
        a = torch.randn(n, n, generator=rng)
        return a @ a.T + 0.5 * torch.eye(n)

    F, Q = _physics(), torch.diag(torch.tensor([1e-4, 0.01]))
    both, lidar = torch.eye(2), torch.tensor([[1.0, 0.0]])
    R2, R1 = torch.diag(torch.tensor([0.5, 0.3]) ** 2), torch.tensor([[0.25]])
    x = torch.tensor([40.0, -2.0]) + torch.randn(2, generator=rng)
    z2 = torch.tensor([39.9, -1.8]) + 0.3 * torch.randn(2, generator=rng)
    F4, H4 = _physics(2), torch.tensor([[1.0, 0, 0, 0], [0, 0, 1.0, 0]])  # (x, vx, y, vy); positions seen
    return [
        Case("the lesson's lidar and radar, a vague start (P = 10 I)", torch.tensor([40.0, 0.0]),
             10 * torch.eye(2), z2, F, Q, both, R2),
        Case("lidar alone: one measurement, two states", x, covariance(2), z2[:1], F, Q, lidar, R1),
        Case("a sensor so noisy (R = 1e6) that the estimate follows the prediction", x, covariance(2), z2, F, Q, both,
             1e6 * torch.eye(2)),
        Case("a near-perfect sensor (R = 1e-6): the estimate follows the measurement", x, covariance(2), z2, F, Q,
             both, 1e-6 * torch.eye(2)),
        Case("4 states (position and speed in 2-D), positions measured", torch.randn(4, generator=rng),
             covariance(4), torch.randn(2, generator=rng), F4, 0.01 * torch.eye(4), H4, 0.2 * torch.eye(2)),
        Case("a confident estimate (P = 0.01 I) and a surprising measurement", x, 0.01 * torch.eye(2),
             x + torch.tensor([3.0, 1.0]), F, Q, both, R2),
    ]


@mistake("kalman-no-predict")
def _no_predict(case: Case, got: object, want: object) -> str | None:
    if matches(got, _filter(*case.args, predict=False), rtol=1e-3, atol=1e-4):
        return ("You corrected the old estimate without predicting first. Each frame moves the world on: x = F x "
                "(distance += speed * dt) and P = F P F^T + Q come before the gain and the correction.")
    return None


@mistake("kalman-no-process-noise")
def _no_q(case: Case, got: object, want: object) -> str | None:
    if matches(got, _filter(*case.args, process_noise=False), rtol=1e-3, atol=1e-4):
        return ("Your prediction leaves out Q: P = F P F^T + Q. Without it the filter grows surer every frame until "
                "it ignores the sensors and misses the real changes of speed (the lesson's Try it divides Q by 100).")
    return None


@mistake("kalman-covariance-not-updated")
def _p_kept(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, (tuple, list)) and len(got) == 2 and matches(
            got[1], _filter(*case.args, update_P=False)[1], rtol=1e-3, atol=1e-4):
        return ("Your P is the predicted one: the correction did not shrink it. After blending in the measurement "
                "the filter is surer, P = (I - K H) P; without it the next frame's gain is wrong.")
    return None


def _stop(speed_kmh: float, decel: float, latency_ms: float, *, per_hour: bool = False, seconds: bool = False,
          reaction: bool = True) -> float:
    v = speed_kmh if per_hour else speed_kmh / 3.6
    latency = latency_ms if seconds else latency_ms / 1000
    return (v * latency if reaction else 0.0) + v ** 2 / (2 * decel)


def _cars(rng: torch.Generator) -> list[Case]:
    latency = float(torch.randint(20, 400, (1,), generator=rng))
    return [
        Case("the lesson's car: 50 km/h, hard braking, 100 ms", 50.0, 7.0, 100.0),
        Case("the detector that stalls: 50 km/h, 500 ms", 50.0, 7.0, 500.0),
        Case(f"a motorway: 130 km/h on a wet road (4 m/s^2), {latency:g} ms", 130.0, 4.0, latency),
        Case("no latency at all", 30.0, 7.0, 0.0),
        Case("a car standing still", 0.0, 7.0, 200.0),
    ]


@mistake("stopping-kmh")
def _kmh(case: Case, got: object, want: object) -> str | None:
    if case.args[0] and matches(got, _stop(*case.args, per_hour=True)):
        return (f"You used {case.args[0]:g} km/h as if it were metres per second. Divide by 3.6 first: 50 km/h is "
                "13.9 m/s, and the braking distance grows with the square of it.")
    return None


@mistake("stopping-latency-units")
def _latency(case: Case, got: object, want: object) -> str | None:
    if case.args[0] and case.args[2] and matches(got, _stop(*case.args, seconds=True)):
        return (f"You used the latency of {case.args[2]:g} ms as seconds: the car would drive a thousand times too "
                "far before braking. The reaction distance is v * latency_ms / 1000.")
    return None


@mistake("stopping-no-reaction")
def _no_reaction(case: Case, got: object, want: object) -> str | None:
    if case.args[0] and case.args[2] and matches(got, _stop(*case.args, reaction=False)):
        return (f"Your distance starts when the brakes come on. During the {case.args[2]:g} ms of perception and "
                "planning the car still drives at full speed: add v * latency, as the lesson's table does.")
    return None


EXERCISES = [
    Exercise("kalman_step", _frames, reference=_filter, rtol=1e-4, atol=1e-5,
             mistakes=[_no_predict, _no_q, _p_kept]),
    Exercise("stopping_distance", _cars, reference=_stop, mistakes=[_kmh, _latency, _no_reaction]),
]
