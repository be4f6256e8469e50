"""Sums (a - e) * ln(a / e) on the raw shares: an empty bin gives ln(0)."""

import torch


def psi(expected, actual, bins):
    scores = []
    for f in range(expected.shape[1]):
        train, recent = expected[:, f].double(), actual[:, f].double()
        edges = torch.quantile(train, torch.linspace(0, 1, bins + 1, dtype=torch.float64))
        e, a = (torch.histogram(c.clamp(edges[0], edges[-1]), bins=edges).hist / len(c) for c in (train, recent))
        scores.append(((a - e) * torch.log(a / e)).sum())
    return torch.stack(scores)
