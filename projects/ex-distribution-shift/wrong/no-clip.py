"""Counts without clipping: values beyond the training range fall out of every bin."""

import torch


def psi(expected, actual, bins):
    scores = []
    for f in range(expected.shape[1]):
        train, recent = expected[:, f].double(), actual[:, f].double()
        edges = torch.quantile(train, torch.linspace(0, 1, bins + 1, dtype=torch.float64))
        e, a = ((torch.histogram(c, bins=edges).hist / len(c)).clamp_min(1e-4) for c in (train, recent))
        scores.append(((a - e) * torch.log(a / e)).sum())
    return torch.stack(scores)
