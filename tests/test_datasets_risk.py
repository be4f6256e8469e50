"""``screening`` and ``credit``: rare positives in exact shares, worlds fixed by their params, natural units."""

from __future__ import annotations

import pytest
import torch

from dlpath.datasets import BadDataset, generate
from dlpath.datasets.risk import CREDIT_FEATURES


@pytest.mark.parametrize("n", [0, 99, 1000, 12345])
def test_screening_has_exactly_its_share_of_positives(n):
    data = generate("screening", n, 4, positive_rate=0.01)
    assert data.y.dtype == torch.float32 and set(data.y.unique().tolist()) <= {0.0, 1.0}
    assert int(data.y.sum()) == round(n * 0.01)
    assert data.info == {"kind": "binary", "input_shape": [8], "positive_rate": 0.01}


def test_screening_positives_stand_out_in_a_world_fixed_by_world_seed():
    a = generate("screening", 40_000, 1, positive_rate=0.05)
    b = generate("screening", 40_000, 2, positive_rate=0.05)
    other = generate("screening", 40_000, 1, positive_rate=0.05, world_seed=9)
    sick_a, sick_b = a.x[a.y == 1], b.x[b.y == 1]
    healthy = a.x[a.y == 0]
    assert healthy.mean(0).abs().max() < 0.05 and (healthy.std(0) - 1).abs().max() < 0.05
    assert (sick_a.std(0) - sick_b.std(0)).abs().max() < 0.25  # same world, another sample
    assert (sick_a.mean(0) - sick_b.mean(0)).abs().max() < 0.15
    moved = sick_a.mean(0).abs() > 0.4  # the raised markers
    assert 1 <= int(moved.sum()) <= 3
    assert not torch.equal(moved, other.x[other.y == 1].mean(0).abs() > 0.4)  # another world moves others
    assert int((sick_a.std(0) > 1.8).sum()) == 2  # the two markers that swing either way


def test_credit_columns_are_in_natural_units():
    data = generate("credit", 20_000, 3)
    x = {name: data.x[:, i] for i, name in enumerate(CREDIT_FEATURES)}
    assert data.info["feature_names"] == list(CREDIT_FEATURES) and data.info["input_shape"] == [10]
    assert 21 <= float(x["age"].min()) and float(x["age"].max()) <= 75
    assert 20_000 < float(x["income"].median()) < 80_000
    assert 0 <= float(x["utilization"].min()) and float(x["utilization"].max()) <= 1
    for count in ("late_payments", "open_accounts", "inquiries", "months_employed"):
        assert torch.equal(x[count], x[count].round()) and float(x[count].min()) >= 0
    assert set(x["prior_default"].unique().tolist()) == {0.0, 1.0}
    assert float(x["income"].std() / x["utilization"].std()) > 1e4  # scales five orders of magnitude apart


def test_credit_defaults_at_about_the_asked_rate_and_follow_the_risk():
    for rate in (0.05, 0.15, 0.3):
        data = generate("credit", 40_000, 5, positive_rate=rate)
        assert abs(float(data.y.mean()) - rate) < 0.015
    data = generate("credit", 40_000, 6)
    utilization, late = data.x[:, 3], data.x[:, 4]
    assert float(data.y[utilization > 0.8].mean()) > 2 * float(data.y[utilization < 0.3].mean())
    assert float(data.y[late >= 2].mean()) > 2 * float(data.y[late == 0].mean())


@pytest.mark.parametrize(("name", "params", "message"), [
    ("screening", {"features": 3}, "at least 4 features"),
    ("screening", {"positive_rate": 0.7}, "positive_rate must lie between 0 and 0.5"),
    ("credit", {"positive_rate": 0.0}, "positive_rate must lie between 0 and 0.5"),
])
def test_bad_parameters_are_refused(name, params, message):
    with pytest.raises(BadDataset, match=message):
        generate(name, 10, 0, **params)
