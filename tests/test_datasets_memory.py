"""``delayed_recall``: the class is said once, at step 0, and the rest is noise."""

from __future__ import annotations

import pytest
import torch

from dlpath.datasets import BadDataset, generate


def test_step_zero_says_the_class_and_nothing_else_does():
    data = generate("delayed_recall", 300, 4, classes=4, length=20, channels=6, noise=0.5)
    assert data.x.shape == (300, 20, 6) and data.y.dtype == torch.int64
    assert torch.equal(data.x[:, 0].argmax(dim=1), data.y)
    assert torch.equal(data.x[:, 0].sum(dim=1), torch.ones(300))
    later = data.x[:, 1:]
    assert abs(float(later.std()) - 0.5) < 0.02
    assert float(later[data.y == 0].mean()) == pytest.approx(float(later[data.y == 1].mean()), abs=0.02)
    assert data.info["signal_steps"] == [0, 1] and data.info["num_classes"] == 4


def test_classes_are_balanced():
    assert torch.bincount(generate("delayed_recall", 400, 1).y).tolist() == [100, 100, 100, 100]


@pytest.mark.parametrize("params", [{"classes": 1}, {"classes": 9, "channels": 8}, {"length": 1}])
def test_impossible_parameters_are_refused(params):
    with pytest.raises(BadDataset):
        generate("delayed_recall", 10, 0, **params)
