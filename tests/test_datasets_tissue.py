"""``lesions``: tissue scans with an exact share of lesions, and cysts that make darkness a poor clue."""

from __future__ import annotations

import pytest
import torch

from dlpath.datasets import BadDataset, generate


def darkest(data):
    """Each image's darkest 3x3 patch, against its own median: how dark its darkest spot is."""
    images = data.x[:, 0]
    patches = torch.nn.functional.avg_pool2d(images.unsqueeze(1), 3, stride=1)[:, 0]
    return images.flatten(1).median(dim=1).values - patches.flatten(1).min(dim=1).values


def test_lesions_shape_values_and_exact_share():
    data = generate("lesions", 500, 1)
    assert data.x.shape == (500, 1, 24, 24) and data.x.dtype == torch.float32
    assert int(data.y.sum()) == 50 and data.info == {"kind": "binary", "input_shape": [1, 24, 24],
                                                      "positive_rate": 0.1}
    assert -0.5 < float(data.x.min()) and float(data.x.max()) < 1.5 and abs(float(data.x.mean()) - 0.5) < 0.05
    assert generate("lesions", 3, 1, size=16).x.shape == (3, 1, 16, 16)


def test_a_lesion_darkens_a_spot_and_cysts_blur_that_clue():
    from dlpath.grading.tasks.binary_scores import roc_auc

    def darkness_auc(cysts):
        data = generate("lesions", 4000, 2, positive_rate=0.5, cysts=cysts)
        return roc_auc(darkest(data).double(), data.y.double())

    plain, mixed = darkness_auc(0.0), darkness_auc(1.0)
    assert plain > 0.85  # without cysts, the darkest spot gives most lesions away
    assert mixed < plain - 0.05  # with a cyst in every scan, darkness tells much less: the shape must


def test_the_same_seed_gives_the_same_scans():
    a, b = generate("lesions", 50, 7), generate("lesions", 50, 7)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)


@pytest.mark.parametrize(("params", "message"), [
    ({"size": 8}, "at least 16 pixels"),
    ({"positive_rate": 1.0}, "positive_rate must lie between 0 and 1"),
])
def test_bad_parameters_are_refused(params, message):
    with pytest.raises(BadDataset, match=message):
        generate("lesions", 10, 0, **params)
