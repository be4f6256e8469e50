"""Bins of equal width between the training min and max, instead of equal training share."""

import torch


def psi(expected, actual, bins):
    scores = []
    for f in range(expected.shape[1]):
        train, recent = expected[:, f].double(), actual[:, f].double()
        edges = torch.linspace(float(train.min()), float(train.max()), bins + 1, dtype=torch.float64)
        e, a = ((torch.histogram(c.clamp(edges[0], edges[-1]), bins=edges).hist / len(c)).clamp_min(1e-4)
                for c in (train, recent))
        scores.append(((a - e) * torch.log(a / e)).sum())
    return torch.stack(scores)
