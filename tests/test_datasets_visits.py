"""``patient_visits``: several near-identical visits per patient, one label per patient, messy raw values."""

from __future__ import annotations

import pytest
import torch

from dlpath.datasets import BadDataset, generate
from dlpath.datasets.visits import MEASUREMENTS


def test_rows_of_a_patient_share_the_label_and_are_near_copies():
    data = generate("patient_visits", 3000, 1, missing=0.0, outliers=0.0, visit_noise=0.05)
    patient = data.extra["patient"]
    assert patient.shape == (3000,) and patient.dtype == torch.int64
    ids, counts = patient.unique(return_counts=True)
    assert 3000 / len(ids) == pytest.approx(5, rel=0.15)  # `visits` per patient on average
    spreads = []
    for pid in ids[:50]:
        rows = patient == pid
        assert data.y[rows].unique().numel() == 1  # the label is the patient's
        if rows.sum() > 1:
            spreads.append(data.x[rows].std(dim=0) / data.x.std(dim=0))
    assert float(torch.stack(spreads).mean()) < 0.1  # visits of one patient barely differ


def test_raw_values_are_messy_as_a_clinic_export_is():
    data = generate("patient_visits", 5000, 2, features=8, missing=0.1, outliers=0.01)
    assert float(torch.isnan(data.x).float().mean()) == pytest.approx(0.1, abs=0.01)
    medians = data.x.nanmedian(dim=0).values
    for (name, typical, _), median in zip(MEASUREMENTS, medians):
        assert float(median) == pytest.approx(typical, rel=0.2), name
    assert float(medians.abs().max() / medians.abs().min()) > 1e5  # grams next to fractions
    filled = data.x.nan_to_num(nan=0.0).abs()
    assert bool((filled > 8 * medians.abs()).any(dim=0).all())  # every column has typing errors far out


def test_the_labelling_rule_is_the_worlds_and_the_draw_the_seeds():
    a = generate("patient_visits", 4000, 1, label_noise=0.0)
    b = generate("patient_visits", 4000, 2, label_noise=0.0)
    assert not torch.equal(a.x.nan_to_num(), b.x.nan_to_num())
    assert set(a.extra["patient"].tolist()) != set(b.extra["patient"].tolist())

    def fit(data):  # the weights of a straight-line fit on robustly scaled, filled values
        median = data.x.nanmedian(dim=0).values
        q1, q3 = torch.nanquantile(data.x, torch.tensor([0.25, 0.75]), dim=0)
        x = ((torch.where(torch.isnan(data.x), median, data.x) - median) / (q3 - q1)).clamp(-3, 3)
        design = torch.cat([x, torch.ones(len(x), 1)], dim=1)
        return torch.linalg.lstsq(design, data.y.float().unsqueeze(1)).solution.squeeze(1)[:-1]

    assert torch.nn.functional.cosine_similarity(fit(a), fit(b), dim=0) > 0.9
    other = generate("patient_visits", 4000, 2, label_noise=0.0, world_seed=5)
    assert torch.nn.functional.cosine_similarity(fit(a), fit(other), dim=0) < 0.9


def test_label_noise_flips_whole_patients():
    clean = generate("patient_visits", 2000, 3, label_noise=0.0)
    noisy = generate("patient_visits", 2000, 3, label_noise=0.3)
    assert torch.equal(clean.extra["patient"], noisy.extra["patient"])
    changed = clean.y != noisy.y
    assert 0.2 < float(changed.float().mean()) < 0.4
    for pid in clean.extra["patient"][changed][:20]:
        assert bool(changed[clean.extra["patient"] == pid].all())


@pytest.mark.parametrize("params", [{"features": 1}, {"features": 13}, {"visits": 0}, {"label_noise": 0.5},
                                    {"missing": 1.0}])
def test_impossible_parameters_are_refused(params):
    with pytest.raises(BadDataset):
        generate("patient_visits", 10, 0, **params)


def test_each_clinic_flips_its_own_share_of_labels_drawn_by_the_world():
    one = generate("patient_visits", 6000, 4, label_noise=0.2)
    three = generate("patient_visits", 6000, 4, label_noise=0.2, clinics=3, clinic_spread=0.15, world_seed=7)
    again = generate("patient_visits", 6000, 4, label_noise=0.2, clinics=3, clinic_spread=0.15, world_seed=7)
    assert torch.equal(one.x.nan_to_num(), three.x.nan_to_num())  # the clinics are drawn last: same rows
    assert three.info["clinics"] == 3 and set(three.extra["clinic"].tolist()) == {0, 1, 2}
    assert torch.equal(three.y, again.y)
    worlds = [generate("patient_visits", 4000, 4, label_noise=0.2, clinics=3, clinic_spread=0.15, world_seed=w)
              for w in range(8)]
    shares = torch.tensor([[float(d.extra["flipped"][d.extra["clinic"] == c].float().mean()) for c in range(3)]
                           for d in worlds])  # (worlds, clinics)
    assert float(shares.min()) > 0.03 and float(shares.max()) < 0.37  # within 0.2 +- 0.15, give or take the draw
    assert float((shares.max(dim=1).values - shares.min(dim=1).values).max()) > 0.12  # clinics of one world differ
    assert float(shares[:, 0].max() - shares[:, 0].min()) > 0.12  # and one clinic differs between worlds
    for pid in three.extra["patient"][:30]:
        rows = three.extra["patient"] == pid
        assert three.extra["clinic"][rows].unique().numel() == 1 and three.extra["flipped"][rows].unique().numel() == 1


@pytest.mark.parametrize("params", [{"clinics": 0}, {"label_noise": 0.1, "clinic_spread": 0.2},
                                    {"label_noise": 0.3, "clinic_spread": 0.25}])
def test_impossible_clinics_are_refused(params):
    with pytest.raises(BadDataset):
        generate("patient_visits", 10, 0, **params)
