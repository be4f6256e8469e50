"""``chosen_shapes``: the shapes images with the classes named, in the order named."""

from __future__ import annotations

import pytest
import torch

from dlpath.datasets import BadDataset, generate


def test_the_classes_are_the_shapes_named_in_that_order():
    data = generate("chosen_shapes", 60, 3, shapes="ring, bar,circle")
    assert data.x.shape == (60, 1, 16, 16) and data.x.dtype == torch.float32
    assert data.info["class_names"] == ["ring", "bar", "circle"] and data.info["num_classes"] == 3
    assert torch.bincount(data.y).tolist() == [20, 20, 20]


def test_it_draws_exactly_what_shapes_draws_for_the_same_shapes():
    ours = generate("chosen_shapes", 30, 5, shapes="circle,square,triangle,cross", noise=0.3)
    theirs = generate("shapes", 30, 5, classes=4, noise=0.3)
    assert torch.equal(ours.x, theirs.x) and torch.equal(ours.y, theirs.y)


def test_it_is_deterministic_and_seeds_differ():
    a, b = generate("chosen_shapes", 20, 1), generate("chosen_shapes", 20, 1)
    assert torch.equal(a.x, b.x) and not torch.equal(a.x, generate("chosen_shapes", 20, 2).x)


@pytest.mark.parametrize(("shapes", "message"), [
    ("ring,star", "unknown shape 'star'; known: circle, square"),
    ("ring", "at least two distinct shapes"),
    ("ring,ring", "at least two distinct shapes"),
])
def test_bad_shape_lists_are_named(shapes: str, message: str):
    with pytest.raises(BadDataset, match=message):
        generate("chosen_shapes", 10, 1, shapes=shapes)
