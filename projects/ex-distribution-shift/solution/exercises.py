"""Detect drift per feature, and adapt batch norm without labels (lesson: distribution-shift).

A reference solution. Grade it from this folder with:

    dlpath check
"""

import torch


def psi(expected, actual, bins):
    """(F,): sum over equal-share training bins of (a - e) * ln(a / e), shares floored at 1e-4."""
    scores = []
    for f in range(expected.shape[1]):
        train, recent = expected[:, f].double(), actual[:, f].double()
        edges = torch.quantile(train, torch.linspace(0, 1, bins + 1, dtype=torch.float64))  # (bins + 1,)
        shares = []
        for column in (train, recent):
            clipped = column.clamp(edges[0], edges[-1])  # values beyond the training range go to the end bins
            counts = torch.histogram(clipped, bins=edges).hist  # np.histogram's rule for the edges
            shares.append((counts / len(column)).clamp_min(1e-4))  # an empty bin would give ln(0)
        e, a = shares
        scores.append(((a - e) * torch.log(a / e)).sum())
    return torch.stack(scores)


def reestimate_batchnorm(batches):
    """(mean, var), each (C,): the plain average over batches of each batch's mean and unbiased variance."""
    means = torch.stack([b.mean(dim=0) for b in batches])  # (K, C)
    variances = torch.stack([b.var(dim=0, unbiased=True) for b in batches])  # batch norm keeps n - 1 for later
    return means.mean(dim=0), variances.mean(dim=0)  # momentum = None: every batch counts once


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
