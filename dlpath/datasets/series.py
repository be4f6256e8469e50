"""Sequences: ``sequences`` (noisy waves whose class is their rhythm)."""

from __future__ import annotations

import math

from dlpath.datasets.base import BadDataset, Dataset, balanced_labels, check_n, generator, rng


@generator("classification")
def sequences(n: int, seed: int, *, classes: int = 3, length: int = 32, noise: float = 0.3) -> Dataset:
    """``n`` noisy waves (n, length, 1); the class is the wave's frequency band, a task for sequence models.

    Class k oscillates with a period drawn around ``length / (k + 1.5)`` steps; the
    phase and amplitude are random, so only the rhythm tells the classes apart.
    """
    import torch

    check_n(n)
    if classes < 2:
        raise BadDataset(f"sequences need at least 2 classes, not {classes}")
    g = rng(seed)
    y = balanced_labels(n, classes, g)
    cycles = y.float() + 1.0 + 0.4 * (torch.rand(n, generator=g) - 0.5)  # whole waves per sequence
    phase = 2 * math.pi * torch.rand(n, generator=g)
    amplitude = 0.5 + torch.rand(n, generator=g)
    t = torch.arange(length, dtype=torch.float32) / length
    x = amplitude.unsqueeze(1) * torch.sin(2 * math.pi * cycles.unsqueeze(1) * t + phase.unsqueeze(1))
    x = x + noise * torch.randn(n, length, generator=g)
    info = {"kind": "classification", "input_shape": [length, 1], "num_classes": classes}
    return Dataset(x.unsqueeze(2).float(), y.long(), info)
