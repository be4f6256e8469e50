"""Small images: ``shapes`` (a circle, a square, a triangle... anywhere in a noisy frame)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from dlpath.datasets.base import BadDataset, Dataset, balanced_labels, check_n, generator, rng

if TYPE_CHECKING:
    import torch

SHAPE_NAMES = ("circle", "square", "triangle", "cross", "ring", "bar")

# Each shape's mask has about the same area at the same size (a unit "radius" r):
# these factors were chosen so that pixel count says almost nothing about the class.
_SHAPE_SCALE = {"circle": 1.0, "square": 0.89, "triangle": 1.32, "cross": 1.16, "ring": 1.2, "bar": 1.0}


def _shape_masks(kind: str, dx: "torch.Tensor", dy: "torch.Tensor", r: "torch.Tensor") -> "torch.Tensor":
    """Soft masks (B, H, W) of one kind of shape; dx, dy are offsets from the centre."""
    import torch

    r = r * _SHAPE_SCALE[kind]
    edge = 0.6  # width of the anti-aliased edge, in pixels

    def inside(distance_outside: torch.Tensor) -> torch.Tensor:
        return torch.clamp(0.5 - distance_outside / edge, 0.0, 1.0)

    if kind == "circle":
        return inside(torch.sqrt(dx**2 + dy**2) - r)
    if kind == "square":
        return inside(torch.maximum(dx.abs(), dy.abs()) - r)
    if kind == "triangle":  # pointing up; y grows downwards
        top, bottom = -r, 0.75 * r
        half_width = (dy - top) / (bottom - top) * r
        return inside(torch.maximum(torch.maximum(dx.abs() - half_width, top - dy), dy - bottom))
    if kind == "cross":
        arm = 0.35 * r
        horizontal = torch.maximum(dx.abs() - r, dy.abs() - arm)
        vertical = torch.maximum(dy.abs() - r, dx.abs() - arm)
        return inside(torch.minimum(horizontal, vertical))
    if kind == "ring":
        d = torch.sqrt(dx**2 + dy**2)
        return inside(torch.maximum(d - r, 0.55 * r - d))
    if kind == "bar":  # a diagonal bar
        along = (dx + dy) / math.sqrt(2)
        across = (dx - dy) / math.sqrt(2)
        return inside(torch.maximum(along.abs() - 1.3 * r, across.abs() - 0.4 * r))
    raise BadDataset(f"unknown shape {kind!r}; known: {', '.join(SHAPE_NAMES)}")


@generator("classification")
def shapes(
    n: int,
    seed: int,
    *,
    classes: int = 4,
    size: int = 16,
    noise: float = 0.15,
    min_radius: float = 0.18,
    max_radius: float = 0.32,
) -> Dataset:
    """``n`` grayscale images (n, 1, size, size) of a circle, square, triangle, cross... anywhere, with noise.

    The class depends on the shape only, not on where it is or how many pixels it covers.

    The radius is drawn between ``min_radius`` and ``max_radius`` (fractions of the
    image side), the centre anywhere the whole shape fits, the brightness of the shape
    between 0.6 and 1.0, and Gaussian noise of standard deviation ``noise`` is added
    (values are not clipped). Pixel values are roughly in [0, 1].
    """
    check_n(n)
    if not 2 <= classes <= len(SHAPE_NAMES):
        raise BadDataset(f"shapes has 2 to {len(SHAPE_NAMES)} classes, not {classes}")
    if size < 8:
        raise BadDataset(f"shape images need a size of at least 8 pixels, not {size}")
    return draw_shapes(n, seed, SHAPE_NAMES[:classes], size, noise, min_radius, max_radius)


def draw_shapes(n: int, seed: int, names: "tuple[str, ...] | list[str]", size: int, noise: float,
                min_radius: float, max_radius: float) -> Dataset:
    """The drawing behind ``shapes`` and ``chosen_shapes``: class k is the shape ``names[k]``."""
    import torch

    g = rng(seed)
    y = balanced_labels(n, len(names), g)
    r = size * (min_radius + (max_radius - min_radius) * torch.rand(n, generator=g))
    reach = r * 1.35 + 0.5  # the largest shape's half-extent, so that it stays inside
    cx = reach + (size - 1 - 2 * reach) * torch.rand(n, generator=g)
    cy = reach + (size - 1 - 2 * reach) * torch.rand(n, generator=g)
    brightness = 0.6 + 0.4 * torch.rand(n, generator=g)
    coords = torch.arange(size, dtype=torch.float32)
    dy = coords.view(1, size, 1) - cy.view(n, 1, 1)
    dx = coords.view(1, 1, size) - cx.view(n, 1, 1)
    rr = r.view(n, 1, 1)
    images = torch.zeros(n, size, size)
    for k, name in enumerate(names):
        chosen = y == k
        if chosen.any():
            images[chosen] = _shape_masks(name, dx[chosen], dy[chosen], rr[chosen])
    images = images * brightness.view(n, 1, 1) + noise * torch.randn(n, size, size, generator=g)
    info = {"kind": "classification", "input_shape": [1, size, size], "num_classes": len(names),
            "class_names": list(names)}
    return Dataset(images.unsqueeze(1).float(), y.long(), info)
