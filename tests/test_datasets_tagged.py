"""``tagged_shapes``: a tag that predicts the training labels, absent from the test, never over the shape."""

from __future__ import annotations

import pytest
import torch

from dlpath.datasets import BadDataset, generate
from dlpath.datasets.tagged import TAG_SIZE, paste_tag, tag_box, tagged_shapes


def test_the_tag_follows_the_label_at_the_rates_asked():
    data = tagged_shapes(4000, 1, tag_rate=0.9, false_tag_rate=0.1)
    tagged = data.extra["tagged"]
    assert float(tagged[data.y == 1].float().mean()) == pytest.approx(0.9, abs=0.03)
    assert float(tagged[data.y == 0].float().mean()) == pytest.approx(0.1, abs=0.03)
    start, stop = tag_box(TAG_SIZE)
    corner = data.x[:, 0, start:stop, start:stop]
    assert bool((corner[tagged] == 1.5).all())
    assert not bool((corner[~tagged] == 1.5).all(dim=(1, 2)).any())


def test_without_tags_no_image_has_one_and_the_images_are_otherwise_the_same():
    with_tags, without = tagged_shapes(300, 4), tagged_shapes(300, 4, tags=False)
    assert not bool(without.extra["tagged"].any()) and bool(with_tags.extra["tagged"].any())
    assert torch.equal(with_tags.y, without.y) and torch.equal(with_tags.extra["object_mask"], without.extra["object_mask"])
    untouched = ~with_tags.extra["tagged"]
    assert torch.equal(with_tags.x[untouched], without.x[untouched])
    assert torch.equal(paste_tag(without.x, TAG_SIZE)[with_tags.extra["tagged"]], with_tags.x[with_tags.extra["tagged"]])


def test_the_shape_never_covers_the_tags_corner_and_its_mask_is_where_it_is_bright():
    data = tagged_shapes(2000, 2, noise=0.0, tags=False)
    masks = data.extra["object_mask"]
    _, stop = tag_box(TAG_SIZE)
    assert not bool(masks[:, : stop + 1, : stop + 1].any())
    assert bool((data.x[:, 0][masks] > 0.25).all()) and bool(masks.flatten(1).any(dim=1).all())
    assert data.info == {"kind": "tagged-classification", "input_shape": [1, 20, 20], "num_classes": 2,
                         "class_names": ["circle", "square"]}


@pytest.mark.parametrize(("params", "words"), [({"size": 8}, "at least 12"), ({"tag_rate": 1.5}, "between 0 and 1"),
                                               ({"tag_size": 9}, "tag_size")])
def test_bad_parameters_say_what_is_wrong(params, words):
    with pytest.raises(BadDataset, match=words):
        generate("tagged_shapes", 4, 0, **params)
