"""A badly conditioned regression: ``ill_conditioned`` (features in wildly different units, partly correlated)."""

from __future__ import annotations

import math

from dlpath.datasets.base import BadDataset, Dataset, check_n, generator, rng


@generator("regression")
def ill_conditioned(
    n: int,
    seed: int,
    *,
    features: int = 8,
    spread: float = 1.5,
    correlation: float = 0.5,
    noise: float = 0.5,
    world_seed: int = 0,
) -> Dataset:
    """Regression whose loss is a long, narrow valley: ``y = x @ w + b + noise`` with features on scales
    from 1 to ``10 ** spread`` that share a common factor.

    Each feature is ``scale_j * (sqrt(1 - correlation) * own_j + sqrt(correlation) * common)``
    with ``own`` and ``common`` standard normal; the scales (log-evenly spaced, in an
    order fixed by ``world_seed``) stretch the valley along the units, the common
    factor along a diagonal. Every feature matters as much once put in its own units
    (true weights ``w_j = u_j / scale_j`` with ``u`` standard normal, fixed by
    ``world_seed``), so the flat directions of the valley carry as much of the loss
    as the steep ones. The best achievable mean squared error is ``noise ** 2``.
    """
    import torch

    check_n(n)
    if features < 2 or spread < 0 or not 0 <= correlation < 1:
        raise BadDataset(f"ill_conditioned needs 2+ features, spread >= 0 and correlation in [0, 1), not "
                         f"{features}, {spread}, {correlation}")
    world = rng(world_seed)
    scales = 10.0 ** torch.linspace(0.0, spread, features)[torch.randperm(features, generator=world)]  # (F,)
    weights = torch.randn(features, generator=world)  # (F,) in each feature's own units
    bias = float(torch.randn((), generator=world))
    g = rng(seed)
    own = torch.randn(n, features, generator=g)
    common = torch.randn(n, 1, generator=g)
    level = math.sqrt(1.0 - correlation) * own + math.sqrt(correlation) * common  # (n, F) unit-free
    x = level * scales
    y = level @ weights + bias + noise * torch.randn(n, generator=g)
    info = {"kind": "regression", "input_shape": [features], "num_outputs": 1, "noise": noise}
    return Dataset(x.float(), y.float(), info)
