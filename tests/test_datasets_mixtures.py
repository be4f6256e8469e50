"""``gaussian_ring``: small Gaussians evenly spaced on a circle, with their centres in ``info``."""

from __future__ import annotations

import math

import pytest
import torch

from dlpath.datasets import BadDataset, generate


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
