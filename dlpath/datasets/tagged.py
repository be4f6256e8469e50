"""Images with a spurious tag: ``tagged_shapes`` (a shortcut that the training labels reward and the test lacks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlpath.datasets.base import BadDataset, Dataset, balanced_labels, check_n, generator, rng
from dlpath.datasets.images import _shape_masks

if TYPE_CHECKING:
    import torch

TAGGED_CLASSES = ("circle", "square")  #: class 0 and class 1
TAG_OFFSET = 1  # pixels between the frame's top-left corner and the tag
TAG_SIZE = 3  # the tag's side in pixels, unless a project says otherwise
_PLACEMENTS = 10  # attempts at placing a shape away from the tag's corner


def tag_box(tag_size: int) -> tuple[int, int]:
    """Rows and columns ``start .. stop`` (the same for both) of the tag, in the top-left corner."""
    return TAG_OFFSET, TAG_OFFSET + tag_size


def paste_tag(images: "torch.Tensor", tag_size: int, brightness: float = 1.5) -> "torch.Tensor":
    """``images`` (N, 1, H, W) with the tag drawn over their top-left corner (a copy)."""
    start, stop = tag_box(tag_size)
    out = images.clone()
    out[:, :, start:stop, start:stop] = brightness
    return out


@generator("tagged-classification")
def tagged_shapes(
    n: int,
    seed: int,
    *,
    size: int = 20,
    noise: float = 0.5,
    min_radius: float = 0.15,
    max_radius: float = 0.25,
    tags: bool = True,
    tag_rate: float = 0.95,
    false_tag_rate: float = 0.05,
    tag_size: int = TAG_SIZE,
) -> Dataset:
    """``n`` noisy grayscale images (n, 1, size, size) of a circle (class 0) or a square (class 1), and a tag.

    Like a hospital's tag on X-rays, a bright square ``tag_size`` pixels wide sits in the
    top-left corner of ``tag_rate`` of the squares and of ``false_tag_rate`` of the
    circles: in data drawn with ``tags`` the tag predicts the label almost as well as the
    shape does, and much more easily. With ``tags`` false (the test set) no image has it.
    The shape never covers the tag's corner. ``extra["object_mask"]`` (n, size, size)
    marks each shape's pixels and ``extra["tagged"]`` (n,) the images that carry the tag.
    """
    import torch

    check_n(n)
    if size < 12:
        raise BadDataset(f"tagged_shapes needs a size of at least 12 pixels, not {size}")
    if not 0 < min_radius <= max_radius <= 0.3:
        raise BadDataset(f"tagged_shapes needs 0 < min_radius <= max_radius <= 0.3, not {min_radius}, {max_radius}")
    if not (0 <= false_tag_rate <= 1 and 0 <= tag_rate <= 1):
        raise BadDataset("tagged_shapes: tag_rate and false_tag_rate are shares between 0 and 1")
    if not 1 <= tag_size <= size // 4:
        raise BadDataset(f"tagged_shapes needs 1 <= tag_size <= size / 4, not {tag_size}")
    g = rng(seed)
    y = balanced_labels(n, len(TAGGED_CLASSES), g)
    r = size * (min_radius + (max_radius - min_radius) * torch.rand(n, generator=g))
    reach = r * 1.35 + 0.5  # the largest shape's half-extent, so that it stays inside
    brightness = 0.6 + 0.4 * torch.rand(n, generator=g)
    coords = torch.arange(size, dtype=torch.float32)
    corner = tag_box(tag_size)[1] + 1  # the shape stays off the tag and one pixel around it
    masks = torch.zeros(n, size, size)
    todo = torch.ones(n, dtype=torch.bool)
    for attempt in range(_PLACEMENTS):  # draw positions until no shape touches the corner
        cx = reach + (size - 1 - 2 * reach) * torch.rand(n, generator=g)
        cy = reach + (size - 1 - 2 * reach) * torch.rand(n, generator=g)
        if attempt == _PLACEMENTS - 1:  # the last resort: the bottom-right corner, as far as the frame allows
            cx = cy = size - 1 - reach
        dy = coords.view(1, size, 1) - cy.view(n, 1, 1)
        dx = coords.view(1, 1, size) - cx.view(n, 1, 1)
        for k, name in enumerate(TAGGED_CLASSES):
            chosen = todo & (y == k)
            if chosen.any():
                masks[chosen] = _shape_masks(name, dx[chosen], dy[chosen], r.view(n, 1, 1)[chosen])
        todo = todo & (masks[:, :corner, :corner] > 0).flatten(1).any(dim=1)
        if not todo.any():
            break
    images = (masks * brightness.view(n, 1, 1) + noise * torch.randn(n, size, size, generator=g)).unsqueeze(1)
    chance = torch.rand(n, generator=g)
    tagged = tags & (chance < torch.where(y == 1, torch.tensor(tag_rate), torch.tensor(false_tag_rate)))
    if tagged.any():
        images[tagged] = paste_tag(images[tagged], tag_size)
    info = {"kind": "tagged-classification", "input_shape": [1, size, size], "num_classes": len(TAGGED_CLASSES),
            "class_names": list(TAGGED_CLASSES)}
    extra = {"object_mask": masks > 0.5, "tagged": tagged}
    return Dataset(images.float(), y.long(), info, extra)
