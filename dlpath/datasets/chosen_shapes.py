"""Small images of shapes chosen by name: ``chosen_shapes`` (the ``shapes`` images, any shapes as the classes).

Transfer learning needs two related tasks on the same kind of images: a source
task with many labels (the shapes a pretrained network learned) and a target
task with other shapes and few labels. ``shapes`` always takes its first
``classes`` shapes; this generator takes the ones it is told, in that order.
"""

from __future__ import annotations

from dlpath.datasets.base import BadDataset, Dataset, check_n, generator
from dlpath.datasets.images import SHAPE_NAMES, draw_shapes


def parse_shapes(text: str) -> list[str]:
    """The shape names of ``text`` ("ring,bar"), checked: known, distinct, at least two."""
    names = [name.strip() for name in str(text).split(",") if name.strip()]
    unknown = [name for name in names if name not in SHAPE_NAMES]
    if unknown:
        raise BadDataset(f"chosen_shapes: unknown shape {unknown[0]!r}; known: {', '.join(SHAPE_NAMES)}")
    if len(names) < 2 or len(set(names)) != len(names):
        raise BadDataset(f"chosen_shapes needs at least two distinct shapes, not {text!r}")
    return names


@generator("classification")
def chosen_shapes(
    n: int,
    seed: int,
    *,
    shapes: str = "ring,bar",
    size: int = 16,
    noise: float = 0.15,
    min_radius: float = 0.18,
    max_radius: float = 0.32,
) -> Dataset:
    """``n`` grayscale images (n, 1, size, size) of the shapes named in ``shapes`` ("ring,bar"), anywhere, with noise.

    Class k is the k-th shape named. The images are drawn as ``shapes`` draws them
    (radius between ``min_radius`` and ``max_radius`` of the side, anywhere the
    shape fits, brightness 0.6 to 1.0, Gaussian noise of standard deviation
    ``noise``); the shapes are circle, square, triangle, cross, ring and bar.
    """
    check_n(n)
    names = parse_shapes(shapes)
    if size < 8:
        raise BadDataset(f"shape images need a size of at least 8 pixels, not {size}")
    return draw_shapes(n, seed, names, size, noise, min_radius, max_radius)
