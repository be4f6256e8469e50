"""Clinic records: ``patient_visits`` (several visits per patient, messy raw measurements, a patient id per row)."""

from __future__ import annotations

from dlpath.datasets.base import BadDataset, Dataset, check_n, generator, rng

# name, typical value, spread: measurements on wildly different scales, as a clinic's export has them
MEASUREMENTS = (
    ("age_years", 55.0, 15.0),
    ("weight_grams", 80_000.0, 15_000.0),
    ("height_m", 1.70, 0.10),
    ("systolic_bp_mmhg", 130.0, 18.0),
    ("cholesterol_mg_dl", 200.0, 40.0),
    ("hba1c_fraction", 0.055, 0.008),
    ("steps_per_day", 7_000.0, 2_500.0),
    ("crp_mg_l", 6.0, 2.0),
    ("creatinine_umol_l", 80.0, 20.0),
    ("sleep_hours", 7.0, 1.0),
    ("heart_rate_bpm", 72.0, 10.0),
    ("ldl_mmol_l", 3.0, 0.8),
)


@generator("grouped_classification")
def patient_visits(
    n: int,
    seed: int,
    *,
    features: int = 8,
    visits: int = 5,
    label_noise: float = 0.1,
    missing: float = 0.1,
    outliers: float = 0.01,
    visit_noise: float = 0.1,
    clinics: int = 1,
    clinic_spread: float = 0.0,
    world_seed: int = 0,
) -> Dataset:
    """``n`` clinic visits, several per patient; the label (0/1) is the patient's, and so are the visits' levels.

    Each patient has a hidden level for each measurement; every visit measures it
    again with a little noise, so the rows of one patient are near-copies with the
    same label. The label follows from the patient's levels through a rule fixed
    by ``world_seed`` (a weighted sum and one interaction), then ``label_noise`` of
    the patients get the other label: no model can predict those from their
    measurements, but one that has seen the patient can remember them. The raw
    measurements come on their own scales (grams, metres, fractions: see
    ``MEASUREMENTS``); ``missing`` of the values are NaN and ``outliers`` of them
    are data-entry errors (a value 10 to 1000 times too large). ``visit_noise`` is
    how far one visit's measurement strays from the patient's level (patients
    differ from each other by 1 on that scale). ``visits`` is the
    mean number of visits per patient (1 or more); ``features`` (2 to 12) the
    number of measurements. Each patient comes from one of ``clinics`` clinics
    (at random); the clinics keep their records with different care: each
    clinic's share of flipped labels is drawn by the world, uniformly within
    ``label_noise`` +- ``clinic_spread``, so how hard a clinic's patients are to
    predict is as secret as the world. Rows are shuffled; ``extra["patient"]``
    holds each row's patient id (int64, distinct within one data set),
    ``extra["clinic"]`` its clinic (int64, 0 to clinics - 1) and
    ``extra["flipped"]`` whether its label was flipped (bool: for a grader only).
    """
    import torch

    check_n(n)
    if not 2 <= features <= len(MEASUREMENTS):
        raise BadDataset(f"patient_visits has 2 to {len(MEASUREMENTS)} features, not {features}")
    if visits < 1:
        raise BadDataset(f"patient_visits needs at least 1 visit per patient, not {visits}")
    if not (0 <= label_noise < 0.5 and 0 <= missing < 1 and 0 <= outliers < 1):
        raise BadDataset("patient_visits: label_noise must be in [0, 0.5), missing and outliers in [0, 1)")
    if clinics < 1 or not 0 <= clinic_spread <= label_noise or label_noise + clinic_spread >= 0.5:
        raise BadDataset("patient_visits: clinics must be 1 or more, and label_noise +- clinic_spread within "
                         "[0, 0.5)")
    world = rng(world_seed)
    weights = torch.randn(features, generator=world)
    weights[features // 2:] *= 0.3  # half the measurements matter little
    pair = torch.randperm(features, generator=world)[:2]  # one interaction between two measurements
    # each clinic's share of flipped labels (drawn after the rule, so that the rule is the same for any clinics)
    clinic_noise = label_noise + clinic_spread * (2 * torch.rand(clinics, generator=world) - 1)  # (C,)
    table = torch.tensor([m[1:] for m in MEASUREMENTS[:features]], dtype=torch.float64)
    g = rng(seed)
    # patients, each with 1 + Poisson(visits - 1) visits, until there are n rows
    counts = (1 + torch.poisson(torch.full((n,), float(visits - 1)), generator=g)).long()
    ends = torch.cumsum(counts, 0)
    patients = int((ends < n).sum()) + 1 if n else 0
    counts = counts[:patients].clone()
    if patients:
        counts[-1] -= int(ends[patients - 1]) - n  # the last patient's visits end at row n
    level = torch.randn(patients, features, generator=g)  # (P, F) each patient's own levels
    score = level @ weights / weights.norm() + 0.8 * level[:, pair[0]] * level[:, pair[1]]
    label = (score > 0).long()
    chance = torch.rand(patients, generator=g)  # (P,) a patient's label is flipped when below its clinic's noise
    owner = torch.repeat_interleave(torch.arange(patients), counts)  # (n,) the patient of each row
    z = level[owner] + visit_noise * torch.randn(n, features, generator=g)
    x = table[:, 0] + table[:, 1] * z.double()  # (n, F) raw measurements in their own units
    wild = torch.rand(n, features, generator=g) < outliers
    factor = 10.0 ** (1.0 + 2.0 * torch.rand(n, features, generator=g, dtype=torch.float64))
    x = torch.where(wild, x * factor, x)
    x = torch.where(torch.rand(n, features, generator=g) < missing, torch.full_like(x, float("nan")), x)
    ids = torch.randperm(900_000, generator=g)[:patients] + 100_000  # (P,) six-digit patient ids
    order = torch.randperm(n, generator=g)
    clinic = (torch.randint(clinics, (patients,), generator=g) if clinics > 1  # (P,) drawn last: one clinic
              else torch.zeros(patients, dtype=torch.long))                 # leaves the older draws as they were
    flip = chance < clinic_noise[clinic]
    label = torch.where(flip, 1 - label, label)
    info = {"kind": "grouped_classification", "input_shape": [features], "num_classes": 2,
            "feature_names": [m[0] for m in MEASUREMENTS[:features]], "patients": patients, "clinics": clinics}
    extra = {"patient": ids[owner][order], "clinic": clinic[owner][order], "flipped": flip[owner][order]}
    return Dataset(x[order].float(), label[owner][order], info, extra)
