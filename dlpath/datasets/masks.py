"""Images with a mask for every pixel: ``shape_masks`` (segmentation targets)."""

from __future__ import annotations

import math

from dlpath.datasets.base import BadDataset, Dataset, check_n, generator, rng
from dlpath.datasets.images import SHAPE_NAMES, _shape_masks


@generator("segmentation")
def shape_masks(
    n: int,
    seed: int,
    *,
    size: int = 16,
    noise: float = 0.4,
    max_shapes: int = 3,
    min_radius: float = 0.15,
    max_radius: float = 0.28,
    shading: float = 0.5,
) -> Dataset:
    """``n`` noisy grayscale images (n, 1, size, size) holding 1 to ``max_shapes`` shapes, and their masks (n, size, size).

    Each shape (a circle, square, triangle, cross, ring or bar, anywhere, possibly
    overlapping another) has a brightness between 0.5 and 1.0 over a background of 0.
    A linear shading of random direction and a strength up to ``shading`` (the
    difference between two opposite edges) lights the frame unevenly, and Gaussian
    noise of standard deviation ``noise`` is added. The target ``y`` is 1.0 where a
    shape covers more than half of the pixel and 0.0 elsewhere (float32): no single
    intensity threshold separates the two once the noise is as large as the
    brightness difference.
    """
    import torch

    check_n(n)
    if size < 8:
        raise BadDataset(f"shape_masks needs a size of at least 8 pixels, not {size}")
    if max_shapes < 1:
        raise BadDataset(f"shape_masks needs at least 1 shape per image, not {max_shapes}")
    if not 0 < min_radius <= max_radius <= 0.35:
        raise BadDataset(f"shape_masks needs 0 < min_radius <= max_radius <= 0.35, not {min_radius}, {max_radius}")
    g = rng(seed)
    count = torch.randint(1, max_shapes + 1, (n,), generator=g)  # shapes in each image
    coords = torch.arange(size, dtype=torch.float32)
    image = torch.zeros(n, size, size)
    cover = torch.zeros(n, size, size)
    for k in range(max_shapes):
        kind = torch.randint(0, len(SHAPE_NAMES), (n,), generator=g)
        r = size * (min_radius + (max_radius - min_radius) * torch.rand(n, generator=g))
        reach = r * 1.35 + 0.5  # the largest shape's half-extent, so that it stays inside
        cx = reach + (size - 1 - 2 * reach) * torch.rand(n, generator=g)
        cy = reach + (size - 1 - 2 * reach) * torch.rand(n, generator=g)
        brightness = 0.5 + 0.5 * torch.rand(n, generator=g)
        dy = coords.view(1, size, 1) - cy.view(n, 1, 1)
        dx = coords.view(1, 1, size) - cx.view(n, 1, 1)
        mask = torch.zeros(n, size, size)
        for s, name in enumerate(SHAPE_NAMES):
            chosen = (kind == s) & (count > k)
            if chosen.any():
                mask[chosen] = _shape_masks(name, dx[chosen], dy[chosen], r.view(n, 1, 1)[chosen])
        image = torch.maximum(image, mask * brightness.view(n, 1, 1))
        cover = torch.maximum(cover, mask)
    angle = 2 * math.pi * torch.rand(n, generator=g)
    strength = shading * torch.rand(n, generator=g)
    across = coords / (size - 1) - 0.5  # -0.5 .. 0.5 from one edge to the other
    light = strength.view(n, 1, 1) * (torch.cos(angle).view(n, 1, 1) * across.view(1, 1, size)
                                      + torch.sin(angle).view(n, 1, 1) * across.view(1, size, 1))
    x = image + light + noise * torch.randn(n, size, size, generator=g)
    info = {"kind": "segmentation", "input_shape": [1, size, size], "mask_shape": [size, size]}
    return Dataset(x.unsqueeze(1).float(), (cover > 0.5).float(), info)
