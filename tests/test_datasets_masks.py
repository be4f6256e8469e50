"""``shape_masks``: noisy images and their masks, where no single brightness threshold finds the shapes."""

from __future__ import annotations

import pytest
import torch

from dlpath.datasets import BadDataset, generate
from dlpath.datasets.masks import shape_masks


def test_images_and_masks_have_the_promised_shapes_and_types():
    data = generate("shape_masks", 50, 3, size=20)
    assert data.x.shape == (50, 1, 20, 20) and data.x.dtype == torch.float32
    assert data.y.shape == (50, 20, 20) and data.y.dtype == torch.float32
    assert set(data.y.unique().tolist()) <= {0.0, 1.0}
    assert data.info == {"kind": "segmentation", "input_shape": [1, 20, 20], "mask_shape": [20, 20]}


def test_every_image_holds_at_least_one_shape_and_some_hold_several():
    data = shape_masks(400, 1, size=16, noise=0.0, shading=0.0, max_shapes=3)
    covered = data.y.flatten(1).sum(dim=1)
    assert bool((covered > 0).all())
    one = shape_masks(400, 1, size=16, noise=0.0, shading=0.0, max_shapes=1).y.flatten(1).sum(dim=1)
    assert float(covered.mean()) > 1.4 * float(one.mean())


def test_without_noise_the_mask_is_where_the_image_is_bright():
    data = shape_masks(200, 2, noise=0.0, shading=0.0)
    image = data.x[:, 0]
    assert bool((image[data.y > 0.5] > 0.25).all())  # shapes are at least 0.5 bright, half-covered edges 0.25
    assert float(image[data.y < 0.5].max()) < 0.5  # outside, only anti-aliased edges


def test_with_the_default_noise_no_single_threshold_finds_the_shapes():
    data = shape_masks(1000, 4)
    truth = data.y > 0.5
    best = 0.0
    for level in torch.linspace(-0.5, 1.5, 41):
        marked = data.x[:, 0] > level
        iou = ((marked & truth).flatten(1).sum(1) / (marked | truth).flatten(1).sum(1).clamp_min(1)).mean()
        best = max(best, float(iou))
    assert best < 0.55


def test_the_world_is_the_same_for_every_seed():
    """Shares of shape pixels agree between two seeds: train and test come from one distribution."""
    a, b = shape_masks(2000, 1).y.mean(), shape_masks(2000, 2).y.mean()
    assert float(a) == pytest.approx(float(b), abs=0.01)


@pytest.mark.parametrize(("params", "words"), [({"size": 6}, "at least 8 pixels"), ({"max_shapes": 0}, "at least 1"),
                                               ({"min_radius": 0.3, "max_radius": 0.2}, "min_radius <= max_radius")])
def test_bad_parameters_say_what_is_wrong(params, words):
    with pytest.raises(BadDataset, match=words):
        generate("shape_masks", 4, 0, **params)
