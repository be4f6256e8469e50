"""Small grayscale scans of tissue, a few with a lesion: ``lesions``.

A binary data set (``kind: "binary"``): ``y`` is float32, 1.0 when the image holds
a lesion. Nothing is drawn from a file: the tissue is smooth random texture with
scattered nuclei, and the lesions and their look-alikes are drawn on top.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from dlpath.datasets.base import BadDataset, Dataset, check_n, generator, rng
from dlpath.datasets.risk import exact_positives

if TYPE_CHECKING:
    import torch


def _texture(n: int, size: int, g: "torch.Generator") -> "torch.Tensor":
    """Tissue-like background (n, size, size) around 0.5: smooth blotches, finer grain, dark nuclei."""
    import torch
    import torch.nn.functional as F

    coarse = F.interpolate(torch.randn(n, 1, 4, 4, generator=g), size=(size, size), mode="bicubic",
                           align_corners=False)
    fine = F.interpolate(torch.randn(n, 1, size // 3, size // 3, generator=g), size=(size, size), mode="bilinear",
                         align_corners=False)
    image = 0.5 + 0.07 * coarse + 0.04 * fine
    nuclei = (torch.rand(n, 1, size, size, generator=g) < 0.025).float()
    image = image - 0.12 * F.max_pool2d(nuclei, 3, stride=1, padding=1) * 0.5 - 0.12 * nuclei
    return image[:, 0]


def _blobs(n: int, size: int, g: "torch.Generator", lobes: bool) -> "torch.Tensor":
    """Soft masks (n, size, size) of one spot each: lobed and ragged (a lesion) or round and smooth (a cyst)."""
    import torch

    radius = 2.2 + 1.6 * torch.rand(n, 1, 1, generator=g)  # pixels
    margin = 5.0
    cx = margin + (size - 2 * margin) * torch.rand(n, 1, 1, generator=g)
    cy = margin + (size - 2 * margin) * torch.rand(n, 1, 1, generator=g)
    coords = torch.arange(size, dtype=torch.float32)
    dx, dy = coords.view(1, 1, size) - cx, coords.view(1, size, 1) - cy
    distance = torch.sqrt(dx**2 + dy**2)
    if lobes:
        angle = torch.atan2(dy, dx)
        count = torch.randint(3, 6, (n, 1, 1), generator=g).float()
        phase = 2 * math.pi * torch.rand(n, 1, 1, generator=g)
        radius = radius * (1 + 0.6 * torch.sin(count * angle + phase))
    return torch.clamp(radius - distance + 0.5, 0.0, 1.0)


@generator("binary")
def lesions(
    n: int,
    seed: int,
    *,
    size: int = 24,
    positive_rate: float = 0.1,
    contrast: float = 0.3,
    cysts: float = 0.3,
    noise: float = 0.05,
) -> Dataset:
    """Grayscale tissue images (n, 1, size, size); ``positive_rate`` of them hold a lesion.

    A lesion is a dark, lobed spot with a ragged edge; its darkness varies from barely
    visible to plain (0.4 to 1.6 times ``contrast``). Harmless round cysts of the same
    size, a little paler (0.3 to 1.0 times ``contrast``), appear in a ``cysts`` share of
    all images, sick or not, so darkness alone is a poor clue: the shape tells them apart.
    Pixel noise of standard deviation ``noise`` is added.
    The count of positives is exactly round(n * positive_rate) in every sample.
    """
    import torch

    check_n(n)
    if size < 16:
        raise BadDataset(f"lesions need images of at least 16 pixels, not {size}")
    if not 0.0 < positive_rate < 1.0:
        raise BadDataset(f"lesions: positive_rate must lie between 0 and 1, not {positive_rate}")
    g = rng(seed)
    y = exact_positives(n, positive_rate, g)
    image = _texture(n, size, g)
    darkness = contrast * (0.4 + 1.2 * torch.rand(n, 1, 1, generator=g))
    lesion = _blobs(n, size, g, lobes=True)
    image = image - y.view(n, 1, 1) * darkness * lesion
    has_cyst = (torch.rand(n, generator=g) < cysts).float().view(n, 1, 1)
    cyst_darkness = contrast * (0.3 + 0.7 * torch.rand(n, 1, 1, generator=g))
    image = image - has_cyst * cyst_darkness * _blobs(n, size, g, lobes=False)
    image = image + noise * torch.randn(n, size, size, generator=g)
    info = {"kind": "binary", "input_shape": [1, size, size], "positive_rate": positive_rate}
    return Dataset(image.unsqueeze(1).float(), y, info)
