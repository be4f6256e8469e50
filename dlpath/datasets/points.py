"""Points in the plane and tables of numbers: ``spirals``, ``rings``, ``linear``."""

from __future__ import annotations

import math

from dlpath.datasets.base import BadDataset, Dataset, balanced_labels, check_n, generator, rng


@generator("classification")
def spirals(n: int, seed: int, *, classes: int = 3, noise: float = 0.15, turns: float = 1.0,
            world_seed: int = 0) -> Dataset:
    """``n`` 2-D points on ``classes`` interleaved spiral arms, roughly within [-1, 1]; not linearly separable.

    ``noise`` is the standard deviation of the Gaussian jitter (in the units of the
    coordinates, scaled down towards the centre); ``turns`` is how many full turns
    each arm makes. ``world_seed`` 0 starts arm 0 along the x axis, winding
    anticlockwise; any other world turns the whole picture by an angle it draws and
    mirrors it half the time (which arm is which class changes with it).
    """
    import torch

    check_n(n)
    if classes < 2:
        raise BadDataset(f"spirals need at least 2 classes, not {classes}")
    turn, wind = spirals_world(world_seed)
    g = rng(seed)
    y = balanced_labels(n, classes, g)
    t = torch.rand(n, generator=g)  # position along the arm, 0 (centre) .. 1 (tip)
    radius = 0.1 + 0.9 * t
    angle = turn + wind * 2 * math.pi * (turns * t + y.float() / classes)
    x = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    x = x + noise * radius.unsqueeze(1) * torch.randn(n, 2, generator=g)
    info = {"kind": "classification", "input_shape": [2], "num_classes": classes}
    return Dataset(x.float(), y.long(), info)


def spirals_world(world_seed: int) -> tuple[float, float]:
    """The spirals' world ``world_seed``: (turn, wind), the angle where arm 0 starts and which way the arms wind
    (1.0 anticlockwise, -1.0 clockwise). World 0 is (0.0, 1.0)."""
    import torch

    if not world_seed:
        return 0.0, 1.0
    world = rng(world_seed)
    turn = 2 * math.pi * float(torch.rand((), generator=world))
    wind = -1.0 if float(torch.rand((), generator=world)) < 0.5 else 1.0
    return turn, wind


def spirals_map(world_seed: int) -> list[list[float]]:
    """The 2x2 matrix M that carries world 0's spirals onto world ``world_seed``'s: a rotation by the world's turn
    after a mirror when it winds the other way. Its points are distributed as M @ x for x from world 0 (the
    jitter is round, so M leaves it as it is), so a model f made for world 0 serves that world as f(M^T x)."""
    turn, wind = spirals_world(world_seed)
    cos, sin = math.cos(turn), math.sin(turn)
    return [[cos, -sin * wind], [sin, cos * wind]]


@generator("classification")
def rings(n: int, seed: int, *, classes: int = 2, noise: float = 0.08) -> Dataset:
    """``n`` 2-D points on ``classes`` concentric rings (radius 1/classes .. 1); the class is the ring."""
    import torch

    check_n(n)
    if classes < 2:
        raise BadDataset(f"rings need at least 2 classes, not {classes}")
    g = rng(seed)
    y = balanced_labels(n, classes, g)
    radius = (y.float() + 1) / classes + noise * torch.randn(n, generator=g)
    angle = 2 * math.pi * torch.rand(n, generator=g)
    x = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    info = {"kind": "classification", "input_shape": [2], "num_classes": classes}
    return Dataset(x.float(), y.long(), info)


@generator("regression")
def linear(
    n: int,
    seed: int,
    *,
    features: int = 3,
    noise: float = 0.5,
    scale: float = 1.0,
    world_seed: int = 0,
) -> Dataset:
    """Regression: ``y = x @ w + b + noise`` with true ``w`` and ``b`` fixed by ``world_seed`` (``y`` has shape (n,)).

    ``x`` is standard normal times ``scale``; ``noise`` is the standard deviation of
    the Gaussian noise on ``y``, so the best achievable mean squared error is
    ``noise ** 2``.
    """
    import torch

    check_n(n)
    if features < 1:
        raise BadDataset(f"a linear data set needs at least 1 feature, not {features}")
    world = rng(world_seed)
    w = torch.randn(features, generator=world) * 2.0
    b = torch.randn((), generator=world) * 2.0
    g = rng(seed)
    x = torch.randn(n, features, generator=g) * scale
    y = x @ w / scale + b + noise * torch.randn(n, generator=g)
    info = {"kind": "regression", "input_shape": [features], "num_outputs": 1, "noise": noise}
    return Dataset(x.float(), y.float(), info)


@generator("regression")
def wave(n: int, seed: int, *, noise: float = 0.1, frequency: float = 1.5) -> Dataset:
    """Regression in one dimension: ``y = sin(2 pi frequency x) + x / 2 + noise`` for ``x`` in [-1, 1].

    A curve no straight line fits; the best achievable mean squared error is ``noise ** 2``.
    """
    import torch

    check_n(n)
    g = rng(seed)
    x = torch.rand(n, 1, generator=g) * 2 - 1
    y = torch.sin(2 * math.pi * frequency * x[:, 0]) + x[:, 0] / 2 + noise * torch.randn(n, generator=g)
    info = {"kind": "regression", "input_shape": [1], "num_outputs": 1, "noise": noise}
    return Dataset(x.float(), y.float(), info)
