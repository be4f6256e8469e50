"""``nuisance``: a few informative columns among many columns of noise."""

from __future__ import annotations

import math

import pytest
import torch

from dlpath.datasets import BadDataset, generate


def _class_means(data):
    classes = data.info["num_classes"]
    return torch.stack([data.x[data.y == c].mean(dim=0) for c in range(classes)])  # (C, F)


def test_only_the_informative_columns_tell_the_classes_apart():
    data = generate("nuisance", 20000, 1, features=30, informative=3, classes=2, separation=3.0)
    shift = (_class_means(data)[0] - _class_means(data)[1]).abs()
    informative = shift > 0.2
    assert 1 <= int(informative.sum()) <= 3
    assert float(shift[~informative].max()) < 0.1  # the rest is noise
    assert float(shift.norm()) == pytest.approx(3.0, rel=0.05)  # the centres are `separation` apart
    assert data.x.std(dim=0)[~informative].mean() == pytest.approx(1.0, rel=0.05)


def test_centres_are_equally_far_apart_for_any_number_of_classes():
    data = generate("nuisance", 30000, 2, features=10, informative=4, classes=4, separation=2.0)
    distances = torch.pdist(_class_means(data))
    assert torch.allclose(distances, torch.full_like(distances, 2.0), atol=0.1)


def test_the_world_fixes_which_columns_matter():
    def informative(seed, world):
        data = generate("nuisance", 8000, seed, features=20, informative=2, world_seed=world)
        shift = (_class_means(data)[0] - _class_means(data)[1]).abs()
        return set(torch.nonzero(shift > 0.3).flatten().tolist())

    assert informative(1, 0) == informative(2, 0)
    assert any(informative(1, w) != informative(1, 0) for w in (1, 2, 3))


def test_the_best_possible_accuracy_follows_the_separation():
    data = generate("nuisance", 20000, 3, features=5, informative=1, separation=2.0)
    column = int((_class_means(data)[0] - _class_means(data)[1]).abs().argmax())
    centre = _class_means(data)[:, column]
    guess = ((data.x[:, column] - centre[0]).abs() > (data.x[:, column] - centre[1]).abs()).long()
    bayes = 0.5 * (1 + math.erf(1.0 / math.sqrt(2)))  # Phi(separation / 2)
    assert float((guess == data.y).float().mean()) == pytest.approx(bayes, abs=0.01)


@pytest.mark.parametrize("params", [{"classes": 1}, {"informative": 0}, {"informative": 5, "features": 4},
                                    {"classes": 5, "informative": 3}])
def test_impossible_parameters_are_refused(params):
    with pytest.raises(BadDataset):
        generate("nuisance", 10, 0, **params)
