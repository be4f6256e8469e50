"""torch.std of a single score is nan, and the nan is returned as is."""

import torch


def seed_interval(scores):
    t = torch.tensor(scores, dtype=torch.float64)
    return float(t.mean()), float(1.96 * t.std() / len(t) ** 0.5)
