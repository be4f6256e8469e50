"""``sensors``: healthy vibration signals and five kinds of faults that are not simply louder."""

from __future__ import annotations

import pytest
import torch

from dlpath.datasets import BadDataset, generate
from dlpath.datasets.sensors import ANOMALIES


def test_faults_at_the_rate_asked_and_every_kind_present():
    data = generate("sensors", 2000, 5, anomaly_rate=0.3)
    assert data.x.shape == (2000, 64) and data.y.dtype == torch.int64
    assert 0.25 < float(data.y.float().mean()) < 0.35
    kinds = data.extra["anomaly"]
    assert ((kinds == -1) == (data.y == 0)).all()
    assert set(kinds[data.y == 1].tolist()) == set(range(len(ANOMALIES)))
    assert data.info["anomalies"] == list(ANOMALIES)


def test_healthy_only_and_faults_only():
    assert generate("sensors", 200, 1, anomaly_rate=0.0).y.sum() == 0
    assert generate("sensors", 200, 1, anomaly_rate=1.0).y.sum() == 200


def test_faults_are_not_simply_louder():
    data = generate("sensors", 4000, 2)
    power = (data.x ** 2).mean(dim=1)
    healthy, faulty = power[data.y == 0], power[data.y == 1]
    assert abs(float(faulty.mean() / healthy.mean()) - 1.0) < 0.15


def test_a_healthy_signal_is_two_harmonics_and_noise():
    clean = generate("sensors", 500, 3, anomaly_rate=0.0, noise=0.0).x
    spectrum = torch.fft.rfft(clean, dim=1).abs().mean(dim=0)
    assert set(spectrum.topk(2).indices.tolist()) == {3, 7}


@pytest.mark.parametrize("params", [{"length": 8}, {"anomaly_rate": 1.5}])
def test_impossible_parameters_are_refused(params):
    with pytest.raises(BadDataset):
        generate("sensors", 10, 0, **params)
