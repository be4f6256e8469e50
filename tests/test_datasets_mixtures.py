"""``gaussian_ring``: small Gaussians evenly spaced on a circle, with their centres in ``info``; in any world but 0
the ring is turned and sized by the world."""

from __future__ import annotations

import math

import pytest
import torch

from dlpath.datasets import BadDataset, draw, generate
from dlpath.grading.grade import world_seed_for

WORLDS = [world_seed_for(s) for s in (11, 22, 33, 44, 55)]  # the worlds of dev check's grade seeds
SPACING = 2 * math.pi / 8  # the angle between two of the eight modes


def test_points_sit_around_their_mode():
    data = generate("gaussian_ring", 4000, 7, modes=8, radius=2.0, std=0.05)
    centers = torch.tensor(data.info["centers"])
    assert centers.shape == (8, 2) and torch.allclose(centers.norm(dim=1), torch.full((8,), 2.0), atol=1e-5)
    offsets = data.x - centers[data.y]
    assert abs(float(offsets.std()) - 0.05) < 0.005
    assert torch.equal(torch.cdist(data.x, centers).argmin(dim=1), data.y)
    assert torch.bincount(data.y).tolist() == [500] * 8


def test_the_modes_do_not_move_with_the_seed():
    a, b = generate("gaussian_ring", 10, 1, modes=5), generate("gaussian_ring", 10, 2, modes=5)
    assert a.info["centers"] == b.info["centers"]
    assert a.info["centers"][1] == pytest.approx([2 * math.cos(2 * math.pi / 5), 2 * math.sin(2 * math.pi / 5)])
    assert a.info["noise_dim"] == 8 and a.info["std"] == 0.05


@pytest.mark.parametrize("params", [{"modes": 1}, {"std": 0.0}, {"noise_dim": 0}])
def test_impossible_parameters_are_refused(params):
    with pytest.raises(BadDataset):
        generate("gaussian_ring", 10, 0, **params)


def test_world_zero_is_the_ring_as_it_was_before_worlds():
    """Figures computed from the generator before it had worlds (2026-12-07): world 0 is that ring, point for point."""
    data = generate("gaussian_ring", 500, 7)
    assert data.y[:3].tolist() == [3, 6, 3]
    assert torch.allclose(data.x[:3], torch.tensor([[-1.3964513540267944, 1.4482892751693726],
                                                    [0.017892148345708847, -1.9406323432922363],
                                                    [-1.3713812828063965, 1.4398168325424194]]), rtol=0, atol=1e-7)
    assert abs(float(data.x.double().sum()) - 5.71862997248536) < 1e-6
    assert data.info["centers"][:2] == [[2.0, 0.0], [1.414214, 1.414214]]
    zero = generate("gaussian_ring", 500, 7, world_seed=0)
    assert torch.equal(zero.x, data.x) and torch.equal(zero.y, data.y) and zero.info == data.info


def test_another_world_turns_and_sizes_the_ring_and_keeps_it_a_ring():
    published = generate("gaussian_ring", 2000, 5)
    rings = []
    for world in WORLDS:
        data = generate("gaussian_ring", 2000, 5, world_seed=world)
        centers = torch.tensor(data.info["centers"], dtype=torch.float64)
        radius = centers.norm(dim=1)
        assert torch.allclose(radius, radius[0].expand(8), atol=1e-5) and 1.5 <= float(radius[0]) <= 2.5
        turn = math.atan2(float(centers[0, 1]), float(centers[0, 0])) % SPACING
        assert 0.15 * SPACING - 1e-5 <= turn <= 0.85 * SPACING + 1e-5
        # no mode where a published one sits: at least 2 sin(0.15 * SPACING) = 0.23 (4.7 std) from each
        published_centers = torch.tensor(published.info["centers"], dtype=torch.float64)
        assert float(torch.cdist(centers, published_centers).min()) >= 2 * math.sin(0.15 * SPACING) - 1e-5
        assert torch.equal(data.y, published.y)  # the same draws of mode and noise, around other centres
        offsets, published_offsets = data.x - centers.float()[data.y], published.x - published_centers.float()[data.y]
        assert torch.allclose(offsets, published_offsets, atol=1e-5)
        assert {k: v for k, v in data.info.items() if k != "centers"} == {
            k: v for k, v in published.info.items() if k != "centers"}
        again = generate("gaussian_ring", 2000, 5, world_seed=world)
        assert torch.equal(again.x, data.x) and again.info == data.info  # the world comes again with its seed
        rings.append((round(float(radius[0]), 4), round(turn, 4)))
    assert len(set(rings)) == len(WORLDS)  # each world its own ring


def test_the_training_and_test_points_of_a_world_share_its_ring():
    spec = {"name": "gaussian_ring", "params": {"modes": 8, "radius": 2.0, "std": 0.05}, "train": 800, "val": 0,
            "test": 800}
    train, test = draw(spec, 1, ("train",), world=WORLDS[0])["train"], draw(spec, 99, ("test",), world=WORLDS[0])["test"]
    assert train.info["centers"] == test.info["centers"] != generate("gaussian_ring", 1, 0).info["centers"]
    centers = torch.tensor(train.info["centers"])
    for part in (train, test):
        assert float(torch.cdist(part.x, centers).amin(dim=1).max()) < 6 * 0.05  # every point by a mode of the ring
