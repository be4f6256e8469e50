"""Points drawn from a mixture of Gaussians: ``gaussian_ring`` (the classic test of a GAN's mode coverage)."""

from __future__ import annotations

import math

from dlpath.datasets.base import BadDataset, Dataset, balanced_labels, check_n, generator, rng


@generator("mixture")
def gaussian_ring(n: int, seed: int, *, modes: int = 8, radius: float = 2.0, std: float = 0.05, noise_dim: int = 8,
                  world_seed: int = 0) -> Dataset:
    """``n`` 2-D points from ``modes`` small Gaussians (standard deviation ``std``) evenly spaced on a circle.

    ``y`` is the mode each point came from; ``info["centers"]`` lists the modes' centres
    and ``info["std"]`` their spread, so a grader can tell which modes a generator
    covers. ``noise_dim`` is the size of the noise vector a generator for this data is
    fed (``info["noise_dim"]``): standard normal noise of shape (N, noise_dim).
    ``world_seed`` 0 puts mode 0 at (``radius``, 0); any other world turns the ring by an
    angle it draws, 0.15 to 0.85 of the angle between two modes (so no mode sits where a
    mode of world 0 does), and draws its radius from 0.75 to 1.25 times ``radius``
    (adjacent modes stay at least 0.75 * 2 * radius * sin(pi / modes) apart).
    """
    import torch

    check_n(n)
    if modes < 2:
        raise BadDataset(f"gaussian_ring needs at least 2 modes, not {modes}")
    if std <= 0 or radius <= 0 or noise_dim < 1:
        raise BadDataset("gaussian_ring needs std > 0, radius > 0 and noise_dim >= 1")
    angle = 2 * math.pi * torch.arange(modes, dtype=torch.float64) / modes
    if world_seed:  # the world: where the ring is turned and how large it is
        world = rng(world_seed)
        turn, size = torch.rand(2, generator=world, dtype=torch.float64).tolist()
        angle = angle + (2 * math.pi / modes) * (0.15 + 0.7 * turn)
        radius = radius * (0.75 + 0.5 * size)
    g = rng(seed)
    y = balanced_labels(n, modes, g)
    centers = torch.stack([radius * angle.cos(), radius * angle.sin()], dim=1).float()  # (modes, 2)
    x = centers[y] + std * torch.randn(n, 2, generator=g)
    info = {"kind": "mixture", "input_shape": [2], "num_modes": modes,
            "centers": [[round(float(a), 6), round(float(b), 6)] for a, b in centers], "std": std,
            "noise_dim": noise_dim}
    return Dataset(x.float(), y.long(), info)
