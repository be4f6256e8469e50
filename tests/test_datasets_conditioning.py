"""``ill_conditioned``: a regression whose loss is a long, narrow valley, with the world fixed by its params."""

from __future__ import annotations

import pytest
import torch

from dlpath.datasets import BadDataset, generate


def _curvature_ratio(x: torch.Tensor) -> float:
    design = torch.cat([x.double(), torch.ones(len(x), 1, dtype=torch.float64)], dim=1)
    values = torch.linalg.eigvalsh(design.T @ design / len(x))
    return float(values[-1] / values[0])


def test_spread_and_correlation_make_the_valley_narrow():
    round_valley = _curvature_ratio(generate("ill_conditioned", 4000, 1, spread=0.0, correlation=0.0).x)
    units = _curvature_ratio(generate("ill_conditioned", 4000, 1, spread=1.5, correlation=0.0).x)
    both = _curvature_ratio(generate("ill_conditioned", 4000, 1, spread=1.5, correlation=0.5).x)
    assert round_valley < 3 < 100 < units < both


def test_feature_scales_run_from_1_to_10_to_the_spread():
    scales = generate("ill_conditioned", 20000, 2, spread=2.0, correlation=0.0).x.std(dim=0)
    assert float(scales.min()) == pytest.approx(1.0, rel=0.05)
    assert float(scales.max()) == pytest.approx(100.0, rel=0.05)


def test_the_noise_is_the_floor_and_the_weights_are_the_worlds():
    def fit(seed):
        data = generate("ill_conditioned", 5000, seed, noise=0.5)
        design = torch.cat([data.x.double(), torch.ones(len(data), 1, dtype=torch.float64)], dim=1)
        solution = torch.linalg.lstsq(design, data.y.double().unsqueeze(1)).solution.squeeze(1)
        return solution, float(((design @ solution - data.y.double()) ** 2).mean())

    (a, mse_a), (b, _) = fit(1), fit(2)
    assert mse_a == pytest.approx(0.25, rel=0.1)
    assert torch.allclose(a, b, rtol=0.1, atol=0.05)


@pytest.mark.parametrize("params", [{"features": 1}, {"spread": -1.0}, {"correlation": 1.0}])
def test_impossible_parameters_are_refused(params):
    with pytest.raises(BadDataset):
        generate("ill_conditioned", 10, 0, **params)
